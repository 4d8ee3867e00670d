/* gtask-sup-service-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The service thread: one thread of the process, with a main context of its
 * own, that keeps time and processes for the engine whoever else is busy.
 * The engine's deadlines, the reaping of subprocesses and their SIGKILL
 * escalation run there, so that a timeout or a kill acts on time while the
 * owner thread is blocked, and even after the owner and its supervisor are
 * gone. Work attached to it must never block, except for a spawn:
 * GSubprocess's fork() (its children's parent-death signal follows the
 * thread that forked them, which lives as long as the process), or a
 * posix_spawn() when the pool has no thread for it (posix_spawn() children
 * are spawned on workers of the pool, which may also see a short one end).
 *
 * Deadlines: one timer for the whole process. Each client (a supervisor's
 * engine) registers a GtaskSupTimer with its earliest deadline; the service
 * keeps them in a heap and arms one timerfd (microsecond precision, unlike
 * a GMainContext's millisecond poll timeout) for the earliest of all. At
 * expiry, it calls each due timer's function on the service thread, with a
 * reference taken through ref/unref so that the client outlives the call.
 *
 * The thread starts on first use. If the process is out of threads it
 * does not start, nothing aborts, and a later use tries again. */

typedef struct
{
  /* Set by the client before use, then constant. */
  void     (*expire) (gpointer data);  /* on the service thread, without the service's lock */
  gpointer (*ref)    (gpointer data);
  void     (*unref)  (gpointer data);
  gpointer   data;

  /* The service's, under its lock. */
  guint      heap_index;
} GtaskSupTimer;

G_GNUC_INTERNAL
GMainContext *_gtask_sup_service_try_get_context (GError **error);
G_GNUC_INTERNAL
GMainContext *_gtask_sup_service_get_context     (void);
G_GNUC_INTERNAL
void          _gtask_sup_service_timer_set       (GtaskSupTimer  *timer,
                                                  gint64          deadline);

G_END_DECLS
