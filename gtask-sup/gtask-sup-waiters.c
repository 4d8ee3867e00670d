/* gtask-sup-waiters.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-i18n-private.h"
#include "gtask-sup-waiters-private.h"

/* Who returns a waiter's GTask: whoever moves the waiter to WAITER_DONE
 * under the process-wide lock, that is the cancel handler or
 * _gtask_sup_waiters_complete(), whichever comes first. The loser sees
 * WAITER_DONE and does nothing. The winner also takes the handler id and
 * disconnects the handler, except when the handler won before
 * _gtask_sup_waiters_add() could record the id: then add() disconnects it.
 * So the handler is disconnected exactly once, and the reference cycle
 * cancellable → closure → waiter → cancellable is always broken.
 *
 * Handlers are disconnected with g_signal_handler_disconnect(), never
 * g_cancellable_disconnect(): the latter waits until a running "cancelled"
 * emission ends, which deadlocks from inside the handler, and while the
 * caller holds a lock that some other handler of the same cancellable
 * takes. Not waiting is safe because the handler's closure holds a
 * reference on the waiter: a handler still running after the disconnection
 * finds WAITER_DONE in live memory. */

typedef enum
{
  WAITER_CONNECTING,  /* being added, not in a queue yet */
  WAITER_QUEUED,
  WAITER_DONE,        /* its task was taken by whoever returns it */
} WaiterState;

typedef struct
{
  /* Set once, before the waiter is shared. */
  GCancellable    *cancellable;  /* owned; NULL without one */

  /* Under the waiter_queues lock until WAITER_DONE, then the winner's. */
  GList            link;         /* in waiters->queue while WAITER_QUEUED */
  GtaskSupWaiters *waiters;      /* while WAITER_QUEUED */
  GTask           *task;         /* owned until taken */
  gulong           handler_id;   /* 0 until add() records it */
  WaiterState      state;
} Waiter;

G_LOCK_DEFINE_STATIC (waiter_queues);

static void
waiter_clear (gpointer data)
{
  Waiter *waiter = data;

  g_assert (waiter->task == NULL);
  g_assert (waiter->handler_id == 0);

  g_clear_object (&waiter->cancellable);
}

static void
waiter_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, waiter_clear);
}

static void
waiter_cancelled_cb (GCancellable *cancellable,
                     gpointer      data)
{
  Waiter *waiter = data;
  g_autoptr(GTask) task = NULL;
  gulong handler_id;
  gboolean was_queued;

  G_LOCK (waiter_queues);
  if (waiter->state == WAITER_DONE)
    {
      G_UNLOCK (waiter_queues);
      return;
    }
  was_queued = waiter->state == WAITER_QUEUED;
  if (was_queued)
    {
      g_queue_unlink (&waiter->waiters->queue, &waiter->link);
      waiter->waiters = NULL;
    }
  waiter->state = WAITER_DONE;
  task = g_steal_pointer (&waiter->task);
  handler_id = waiter->handler_id;
  waiter->handler_id = 0;
  G_UNLOCK (waiter_queues);

  /* Does not wait for this very emission, unlike g_cancellable_disconnect(). */
  if (handler_id != 0)
    g_signal_handler_disconnect (cancellable, handler_id);

  /* GTask returns from an idle while its cancellable is cancelled. It can
   * only be reset again when this handler ran inside
   * g_cancellable_connect(): then return from an idle anyway. */
  if (!g_task_return_error_if_cancelled (task))
    _gtask_sup_return_later (task,
                             g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  _("Operation was cancelled")));

  if (was_queued)
    waiter_release (waiter);
}

void
_gtask_sup_waiters_init (GtaskSupWaiters *waiters)
{
  g_queue_init (&waiters->queue);
}

gboolean
_gtask_sup_waiters_is_empty (GtaskSupWaiters *waiters)
{
  gboolean empty;

  G_LOCK (waiter_queues);
  empty = g_queue_is_empty (&waiters->queue);
  G_UNLOCK (waiter_queues);

  return empty;
}

void
_gtask_sup_waiters_add (GtaskSupWaiters *waiters,
                        GTask           *task)
{
  Waiter *waiter;
  GCancellable *cancellable;
  gulong handler_id = 0;

  g_assert (G_IS_TASK (task));

  waiter = g_atomic_rc_box_new0 (Waiter);
  waiter->link.data = waiter;
  waiter->task = g_object_ref (task);
  waiter->state = WAITER_CONNECTING;
  cancellable = g_task_get_cancellable (task);
  if (cancellable != NULL)
    waiter->cancellable = g_object_ref (cancellable);

  /* Outside the lock: when already cancelled, the handler runs in here. */
  if (cancellable != NULL)
    handler_id = g_cancellable_connect (cancellable,
                                        G_CALLBACK (waiter_cancelled_cb),
                                        g_atomic_rc_box_acquire (waiter),
                                        waiter_release);

  G_LOCK (waiter_queues);
  if (waiter->state == WAITER_CONNECTING)
    {
      waiter->state = WAITER_QUEUED;
      waiter->waiters = waiters;
      waiter->handler_id = handler_id;
      handler_id = 0;
      /* The queue takes add()'s reference. */
      g_queue_push_tail_link (&waiters->queue, &waiter->link);
      waiter = NULL;
    }
  G_UNLOCK (waiter_queues);

  if (waiter == NULL)
    return;

  /* The handler returned the task before the id was recorded: it could
   * not disconnect itself. */
  g_assert (waiter->state == WAITER_DONE);
  if (handler_id != 0)
    g_signal_handler_disconnect (cancellable, handler_id);
  waiter_release (waiter);
}

void
_gtask_sup_waiters_complete (GtaskSupWaiters *waiters,
                             const GError    *error,
                             gboolean         later)
{
  GQueue done;
  GList *link;

  G_LOCK (waiter_queues);
  done = waiters->queue;
  g_queue_init (&waiters->queue);
  for (link = done.head; link != NULL; link = link->next)
    {
      Waiter *waiter = link->data;

      g_assert (waiter->state == WAITER_QUEUED);
      waiter->state = WAITER_DONE;
      waiter->waiters = NULL;
    }
  G_UNLOCK (waiter_queues);

  /* The waiters are ours alone now; @waiters is not touched again, as a
   * callback may free it. */
  while ((link = g_queue_pop_head_link (&done)) != NULL)
    {
      Waiter *waiter = link->data;
      g_autoptr(GTask) task = g_steal_pointer (&waiter->task);

      if (waiter->handler_id != 0)
        g_signal_handler_disconnect (waiter->cancellable, waiter->handler_id);
      waiter->handler_id = 0;

      if (later)
        _gtask_sup_return_later (task,
                                 error != NULL ? g_error_copy (error) : NULL);
      else if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);

      waiter_release (waiter);
    }
}

typedef struct
{
  GTask  *task;
  GError *error;
} ReturnLater;

static gboolean
return_later_cb (gpointer data)
{
  ReturnLater *state = data;

  if (state->error != NULL)
    g_task_return_error (state->task, g_steal_pointer (&state->error));
  else
    g_task_return_boolean (state->task, TRUE);

  return G_SOURCE_REMOVE;
}

static void
return_later_free (gpointer data)
{
  ReturnLater *state = data;

  g_clear_object (&state->task);
  g_clear_error (&state->error);
  g_free (state);
}

void
_gtask_sup_return_later (GTask  *task,
                         GError *error)
{
  g_autoptr(GSource) source = NULL;
  ReturnLater *state;

  g_assert (G_IS_TASK (task));

  state = g_new0 (ReturnLater, 1);
  state->task = g_object_ref (task);
  state->error = error;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, return_later_cb, state, return_later_free);
  g_source_set_static_name (source, "[gtask-sup] return later");
  g_source_attach (source, g_task_get_context (task));
}
