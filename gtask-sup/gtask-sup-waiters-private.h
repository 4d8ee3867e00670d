/* gtask-sup-waiters-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The waiter queue: GIO-async "complete now or later, with a cancellable"
 * for everything that waits for something to finish (task join_async,
 * supervisor shutdown_async, stream join_async).
 *
 * Each waiter is a GTask the caller made with g_task_new (source_object,
 * cancellable, callback, user_data). All the waiters of a queue complete
 * together when the awaited thing finishes, except those whose cancellable
 * is cancelled first: they leave the queue and return G_IO_ERROR_CANCELLED,
 * and the awaited thing goes on.
 *
 * Thread-safe: every queue is guarded by one process-wide lock internal to
 * gtask-sup-waiters.c, so the struct is tiny and may be embedded anywhere.
 * Cancellation may come from any thread at any time, also while another
 * thread completes the queue; exactly one of the two returns the GTask.
 * Callbacks run as GTask runs them: on the GTask's context, in an idle
 * unless said otherwise below. */

typedef struct
{
  GQueue queue;   /* of internal Waiter entries; under the process-wide lock */
} GtaskSupWaiters;

#define GTASK_SUP_WAITERS_INIT { G_QUEUE_INIT }

G_GNUC_INTERNAL
void     _gtask_sup_waiters_init     (GtaskSupWaiters *waiters);
G_GNUC_INTERNAL
gboolean _gtask_sup_waiters_is_empty (GtaskSupWaiters *waiters);
/* Adds @task (a reference is taken). If g_task_get_cancellable (@task) is
 * cancelled later, the waiter leaves the queue and returns
 * G_IO_ERROR_CANCELLED (g_task_return_error_if_cancelled), while the thing
 * awaited goes on. If it is already cancelled, it returns
 * G_IO_ERROR_CANCELLED from an idle, never inside this call, and is not
 * added. May be called with the caller's own locks held: it never runs a
 * callback synchronously (its cancellable's handler may run inside this
 * call only when the cancellable was already cancelled, and then only
 * schedules the idle). */
G_GNUC_INTERNAL
void     _gtask_sup_waiters_add      (GtaskSupWaiters *waiters,
                                      GTask           *task);
/* Empties the queue and returns to every waiter TRUE (g_task_return_boolean)
 * if @error is NULL, else a copy of @error. With @later, each returns from
 * an idle on its GTask's context (g_task_get_context), for completions that
 * happen inside the finalization of an owner: a callback must not run
 * there. Waiters added afterwards are not affected. Call without holding
 * locks a callback might need (GTask may call the callback at once). */
G_GNUC_INTERNAL
void     _gtask_sup_waiters_complete (GtaskSupWaiters *waiters,
                                      const GError    *error,
                                      gboolean         later);
/* Returns @error (taken), or TRUE without one, to @task from an idle of
 * G_PRIORITY_DEFAULT on g_task_get_context (@task). */
G_GNUC_INTERNAL
void     _gtask_sup_return_later     (GTask           *task,
                                      GError          *error);

G_END_DECLS
