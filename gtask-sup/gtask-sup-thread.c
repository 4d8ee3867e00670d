/* gtask-sup-thread.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-pool-private.h"
#include "gtask-sup-task-private.h"

/* The thread kind: a GtaskSupThreadFunc run on a worker of the pool. The
 * task is QUEUED until a worker takes it, RUNNING while the function runs,
 * and keeps its slot until the function returns, even when its outcome
 * (a timeout, a kill) came before: a thread cannot be killed. */

typedef struct
{
  GtaskSupThreadFunc  func;
  gpointer            data;
  GDestroyNotify      destroy;  /* NULL in a restarted run: the first run owns data */
} ThreadWork;

#define THREAD_WORK(task) GTASK_SUP_KIND_DATA (task, ThreadWork)

/* On a worker. The kind's share of the task keeps it alive. */
static void
thread_run (gpointer data)
{
  GtaskSupTask *task = data;
  GtaskSupCore *core = task->core;
  ThreadWork *work = THREAD_WORK (task);

  /* Cancelled or timed out while waiting for a worker: never runs. */
  if (_gtask_sup_core_work_begin (core, task))
    {
      GCancellable *cancellable = _gtask_sup_core_ensure_cancellable (task);
      GtaskSupTask *previous = _gtask_sup_task_push_current (task);

      work->func (task, cancellable, work->data);
      _gtask_sup_task_pop_current (previous);

      if (g_atomic_int_get (&task->outcome) == GTASK_SUP_OUTCOME_NONE)
        {
          /* Stopping when asked (by a shutdown, or through the cancellable
           * itself) is a cancellation, not a missing result. */
          guint outcome = g_cancellable_is_cancelled (cancellable)
                        ? GTASK_SUP_OUTCOME_CANCELLED
                        : GTASK_SUP_OUTCOME_NO_RESULT;

          _gtask_sup_core_decide (core, task, outcome, NULL);
        }
    }

  _gtask_sup_core_work_done (core, task);
}

static void
thread_start (GtaskSupTask *task)
{
  g_autoptr(GError) error = NULL;

  /* Out of threads: the task fails, thread_run() never runs. */
  if (!_gtask_sup_pool_push (thread_run, task, &error))
    _gtask_sup_task_fail_start (task, error);
}

static void
thread_copy (GtaskSupTask *dest,
             GtaskSupTask *src)
{
  THREAD_WORK (dest)->func = THREAD_WORK (src)->func;
  THREAD_WORK (dest)->data = THREAD_WORK (src)->data;
}

static void
thread_clear (GtaskSupTask *task)
{
  ThreadWork *work = THREAD_WORK (task);

  if (work->destroy != NULL)
    g_clear_pointer (&work->data, work->destroy);
}

static const GtaskSupKind thread_kind = {
  .kind = GTASK_SUP_TASK_KIND_THREAD,
  .flags = GTASK_SUP_KIND_TAKES_CANCELLABLE,
  .start = thread_start,
  .copy = thread_copy,
  .clear = thread_clear,
};

/**
 * gtask_sup_task_new_thread:
 * @func: (scope notified) (closure user_data) (destroy destroy): the work,
 *   run on a worker thread
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the task is finalized
 *
 * Creates a task that runs @func on a worker thread once started.
 *
 * [method@GtaskSup.Supervisor.start] hands it to the worker pool at once,
 * with no iteration of the owner context; the task is
 * %GTASK_SUP_TASK_STATE_QUEUED until a worker runs it, then
 * %GTASK_SUP_TASK_STATE_RUNNING. If the process cannot start a thread for
 * it (it is out of threads), the task fails with %GTASK_SUP_ERROR_FAILED
 * and @func never runs.
 *
 * @func completes the task with a `gtask_sup_task_return_*()` function, and
 * should watch its cancellable: a thread cannot be killed, so a task that
 * ignores it is only abandoned (its outcome is reported at once, its late
 * result is dropped) when it is cancelled, times out or is shut down. An
 * abandoned function keeps its slot of
 * [property@GtaskSup.Supervisor:max-concurrency] until it returns.
 *
 * The task is finalized on the owner context in the usual case, and
 * @destroy runs there; it runs on a worker thread only if the owner is
 * gone by the time @func returns (or would have run).
 *
 * Returns: (transfer full): a new task, in state %GTASK_SUP_TASK_STATE_NEW
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_task_new_thread (GtaskSupThreadFunc func,
                           gpointer           user_data,
                           GDestroyNotify     destroy)
{
  GtaskSupTask *self;
  ThreadWork *work;

  g_return_val_if_fail (func != NULL, NULL);

  self = _gtask_sup_task_new_for_kind (&thread_kind);
  work = THREAD_WORK (self);
  work->func = func;
  work->data = user_data;
  work->destroy = destroy;

  return self;
}
