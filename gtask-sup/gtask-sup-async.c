/* gtask-sup-async.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-task-private.h"

/* The async kind: a GtaskSupAsyncFunc run on the owner context, which
 * starts GIO operations and completes the task from their callbacks. The
 * engine cannot see when such work ends, so it ends with its outcome
 * (GTASK_SUP_KIND_ENDS_AT_OUTCOME): that is when its slot is released. */

typedef struct
{
  GtaskSupAsyncFunc  func;
  gpointer           data;
  GDestroyNotify     destroy;  /* NULL in a restarted run: the first run owns data */
} AsyncWork;

#define ASYNC_WORK(task) GTASK_SUP_KIND_DATA (task, AsyncWork)

/* On the owner context, from a dispatch. It returns at once; the work goes
 * on in the operations it started. */
static void
async_start (GtaskSupTask *task)
{
  GtaskSupCore *core = task->core;
  AsyncWork *work = ASYNC_WORK (task);

  if (_gtask_sup_core_work_begin (core, task))
    {
      GCancellable *cancellable = _gtask_sup_core_ensure_cancellable (task);
      GtaskSupTask *previous = _gtask_sup_task_push_current (task);

      /* The operations it starts call back on the thread-default context. */
      g_main_context_push_thread_default (core->context);
      work->func (task, cancellable, work->data);
      g_main_context_pop_thread_default (core->context);
      _gtask_sup_task_pop_current (previous);
    }

  _gtask_sup_core_work_done (core, task);
}

static void
async_copy (GtaskSupTask *dest,
            GtaskSupTask *src)
{
  ASYNC_WORK (dest)->func = ASYNC_WORK (src)->func;
  ASYNC_WORK (dest)->data = ASYNC_WORK (src)->data;
}

static void
async_clear (GtaskSupTask *task)
{
  AsyncWork *work = ASYNC_WORK (task);

  if (work->destroy != NULL)
    g_clear_pointer (&work->data, work->destroy);
}

static const GtaskSupKind async_kind = {
  .kind = GTASK_SUP_TASK_KIND_ASYNC,
  .flags = GTASK_SUP_KIND_RUNS_ON_OWNER | GTASK_SUP_KIND_ENDS_AT_OUTCOME,
  .start = async_start,
  .copy = async_copy,
  .clear = async_clear,
};

/**
 * gtask_sup_task_new_async:
 * @func: (scope notified) (closure user_data) (destroy destroy): starts the
 *   work, on the owner context
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the task is finalized
 *
 * Creates a task whose work is an asynchronous operation. Once the task has
 * a slot, @func runs on the owner context, from an iteration of it (never
 * inside [method@GtaskSup.Supervisor.start]: the first iteration after it
 * runs it, as it is code of the owner context), with the owner context as
 * the thread-default main context, so that the callbacks of the operations
 * it starts come there too. It starts the operation, for
 * instance a GIO `_async()` call, with the task's cancellable and a
 * reference to the task as user data, and returns. The operation's callback
 * completes the task with a `gtask_sup_task_return_*()` function.
 *
 * This is the kind of task JavaScript code uses: GJS runs JavaScript on
 * the main thread only.
 *
 * A task cancelled, timed out or silenced has its cancellable cancelled;
 * an operation that ignores it is abandoned, and its late result is freed.
 * A shut-down task whose operation does not complete within the grace
 * period is killed (%GTASK_SUP_ERROR_KILLED).
 *
 * Unlike a thread function, @func returns before the work is done, so an
 * operation that never completes the task cannot be told from one that is
 * slow: give async tasks a [property@GtaskSup.Task:timeout].
 *
 * Returns: (transfer full): a new task, in state %GTASK_SUP_TASK_STATE_NEW
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_task_new_async (GtaskSupAsyncFunc func,
                          gpointer          user_data,
                          GDestroyNotify    destroy)
{
  GtaskSupTask *self;
  AsyncWork *work;

  g_return_val_if_fail (func != NULL, NULL);

  self = _gtask_sup_task_new_for_kind (&async_kind);
  work = ASYNC_WORK (self);
  work->func = func;
  work->data = user_data;
  work->destroy = destroy;

  return self;
}
