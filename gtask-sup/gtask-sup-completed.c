/* gtask-sup-completed.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-task-private.h"

/* The completed kind: a task made with its result already known, as
 * Elixir's Task.completed/1. It has no work: start() returns the value (or
 * error) at once, on the thread that gave it its slot, and the engine
 * reports it from the next dispatch of the owner context like any other
 * outcome. It takes a slot of max-concurrency only for that moment. */

typedef struct
{
  GValue  *value;  /* NULL for no value */
  GError  *error;  /* or the error it fails with */
} CompletedWork;

#define COMPLETED_WORK(task) GTASK_SUP_KIND_DATA (task, CompletedWork)

static void
completed_start (GtaskSupTask *task)
{
  GtaskSupCore *core = task->core;
  CompletedWork *work = COMPLETED_WORK (task);

  /* Cancelled while queued: the outcome is that. */
  if (_gtask_sup_core_work_begin (core, task))
    {
      if (work->error != NULL)
        gtask_sup_task_return_error (task, g_error_copy (work->error));
      else
        gtask_sup_task_return_value (task, work->value);
    }

  _gtask_sup_core_work_done (core, task);
}

static void
completed_copy (GtaskSupTask *dest,
                GtaskSupTask *src)
{
  COMPLETED_WORK (dest)->value = COMPLETED_WORK (src)->value != NULL
                               ? g_boxed_copy (G_TYPE_VALUE, COMPLETED_WORK (src)->value) : NULL;
  COMPLETED_WORK (dest)->error = COMPLETED_WORK (src)->error != NULL
                               ? g_error_copy (COMPLETED_WORK (src)->error) : NULL;
}

static void
completed_clear (GtaskSupTask *task)
{
  CompletedWork *work = COMPLETED_WORK (task);

  if (work->value != NULL)
    g_boxed_free (G_TYPE_VALUE, g_steal_pointer (&work->value));
  g_clear_error (&work->error);
}

static const GtaskSupKind completed_kind = {
  .kind = GTASK_SUP_TASK_KIND_COMPLETED,
  .flags = 0,
  .start = completed_start,
  .copy = completed_copy,
  .clear = completed_clear,
};

/**
 * gtask_sup_task_new_completed:
 * @value: (nullable): the result, copied; %NULL for none
 *
 * Creates a task whose result is already known, as Elixir's
 * `Task.completed/1`: handy in an API that mixes cached and computed
 * results, or to feed a [class@GtaskSup.Stream] a value it has already.
 *
 * Started with [method@GtaskSup.Supervisor.start], it behaves like any
 * task: it succeeds with a copy of @value, and
 * [signal@GtaskSup.Supervisor::succeeded] is emitted on the owner context,
 * from a later iteration (never from inside `start()`). A task cancelled
 * before it got its slot fails as cancelled.
 *
 * Returns: (transfer full): a new task of kind
 *   %GTASK_SUP_TASK_KIND_COMPLETED, in state %GTASK_SUP_TASK_STATE_NEW
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_task_new_completed (const GValue *value)
{
  GtaskSupTask *self;

  g_return_val_if_fail (value == NULL || G_IS_VALUE (value), NULL);

  self = _gtask_sup_task_new_for_kind (&completed_kind);
  /* GValue is a boxed type: GLib copies it with its contents. */
  if (value != NULL)
    COMPLETED_WORK (self)->value = g_boxed_copy (G_TYPE_VALUE, value);

  return self;
}

/**
 * gtask_sup_task_new_failed:
 * @error: the error the task fails with, copied
 *
 * Creates a task already known to fail with @error: the error-carrying
 * sibling of [ctor@GtaskSup.Task.new_completed]. Once started, it fails
 * with a copy of @error, and
 * [signal@GtaskSup.Supervisor::failed] is emitted on the owner context from
 * a later iteration.
 *
 * Returns: (transfer full): a new task of kind
 *   %GTASK_SUP_TASK_KIND_COMPLETED, in state %GTASK_SUP_TASK_STATE_NEW
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_task_new_failed (const GError *error)
{
  GtaskSupTask *self;

  g_return_val_if_fail (error != NULL, NULL);

  self = _gtask_sup_task_new_for_kind (&completed_kind);
  COMPLETED_WORK (self)->error = g_error_copy (error);

  return self;
}
