/* gtask-sup-scope.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-i18n-private.h"
#include "gtask-sup-supervisor-private.h"
#include "gtask-sup-task-private.h"

/* The supervisor kind: a supervisor run as a task of another one, so that
 * a tree of work ends together (Elixir's supervision trees, libdex's task
 * groups, structured concurrency).
 *
 * The run is the child supervisor's life: RUNNING from start() until the
 * child emits ::stopped; it succeeds when the child was shut down (reason
 * NULL) and fails with the child's reason when it gave up, so that the
 * parent's restart policy applies to it. Stopping the run stops the child:
 * a shutdown shuts the child down (each of its tasks with its own grace), a
 * kill after the grace period shuts its tasks down at once, a cancel or a
 * timeout shuts it down, and the parent's silence (owner gone, parent
 * finalized) silences it. Those reach the child on its own owner context.
 *
 * The engine cannot watch the child, so the work ends with its outcome
 * (GTASK_SUP_KIND_ENDS_AT_OUTCOME), and the outcome of a shutdown is that
 * of the child's ::stopped: the parent's ::stopped comes after the outcome
 * of every descendant. A run takes no slot of the parent's
 * max-concurrency (GTASK_SUP_KIND_NO_SLOT): it is never queued, so a
 * shutdown never cancels it before it ran, while the child, which exists
 * from the start, may already run tasks.
 *
 * ::stopped is heard from the task's creation on, through a handler that
 * holds no reference (g_signal_connect_object()), so that a child that
 * stops at any time is heard, and the task (which holds the child) and the
 * child never keep each other alive. */

typedef struct
{
  GtaskSupSupervisor *child;       /* a reference */
} ScopeWork;

#define SCOPE_WORK(task) GTASK_SUP_KIND_DATA (task, ScopeWork)

/* On the child's owner context. A run not started yet will find the child
 * closed when it starts. */
static void
scope_child_stopped_cb (GtaskSupSupervisor *child,
                        const GError       *reason,
                        gpointer            user_data)
{
  GtaskSupTask *task = user_data;

  if (task->core == NULL)
    return;

  if (reason == NULL)
    gtask_sup_task_return_boolean (task, TRUE);
  else
    gtask_sup_task_return_error (task, g_error_copy (reason));
}

/* On the parent's owner context, from a dispatch. */
static void
scope_start (GtaskSupTask *task)
{
  GtaskSupCore *core = task->core;
  ScopeWork *work = SCOPE_WORK (task);

  /* The work, the child, runs already: the run is RUNNING since start()
   * (it took no slot), and _gtask_sup_core_work_begin(), which cancels a
   * run shut down before it began, is not for it: a run shut down (or
   * cancelled) before this dispatch has its child stopping, and waits for
   * its ::stopped like any other. If the child stopped already, the
   * outcome is decided. */
  if (g_atomic_int_get (&task->outcome) == GTASK_SUP_OUTCOME_NONE)
    {
      if (gtask_sup_supervisor_get_main_context (work->child) != core->context)
        {
          gtask_sup_task_return_error (task,
                                       g_error_new_literal (GTASK_SUP_ERROR, GTASK_SUP_ERROR_FAILED,
                                                            _("A supervisor can only run as a task of a supervisor with the same owner context")));
        }
      else if (gtask_sup_supervisor_get_closed (work->child) &&
               !_gtask_sup_supervisor_will_stop (work->child))
        {
          const char *name = _gtask_sup_task_display_name (task);

          if (name != NULL)
            gtask_sup_task_return_error (task,
                                         g_error_new (GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED,
                                                      _("Task “%s” cannot run its supervisor: it is closed"),
                                                      name));
          else
            gtask_sup_task_return_error (task,
                                         g_error_new_literal (GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED,
                                                              _("The task cannot run its supervisor: it is closed")));
        }
    }

  _gtask_sup_core_work_done (core, task);
}

typedef struct
{
  GtaskSupTask *task;
  guint         outcome;
} Interrupt;

static void
interrupt_free (gpointer data)
{
  Interrupt *interrupt = data;

  g_object_unref (interrupt->task);
  g_free (interrupt);
}

static gboolean
scope_interrupt_cb (gpointer data)
{
  Interrupt *interrupt = data;
  ScopeWork *work = SCOPE_WORK (interrupt->task);

  switch (interrupt->outcome)
    {
    case GTASK_SUP_OUTCOME_SILENCED:
      _gtask_sup_supervisor_silence (work->child);
      break;
    case GTASK_SUP_OUTCOME_KILLED:
      _gtask_sup_supervisor_kill (work->child);
      break;
    default:
      gtask_sup_supervisor_shutdown_async (work->child, NULL, NULL, NULL);
      break;
    }

  return G_SOURCE_REMOVE;
}

/* Any thread: the child is reached on its owner context (at once if the
 * calling thread runs it). */
static void
scope_interrupt (GtaskSupTask *task,
                 guint         outcome,
                 int           grace_ms)
{
  Interrupt *interrupt = g_new0 (Interrupt, 1);

  interrupt->task = g_object_ref (task);
  interrupt->outcome = outcome;
  g_main_context_invoke_full (gtask_sup_supervisor_get_main_context (SCOPE_WORK (task)->child),
                              G_PRIORITY_DEFAULT, scope_interrupt_cb, interrupt,
                              interrupt_free);
}

/* Gives @task its child (taken), and hears its ::stopped. */
static void
scope_set_child (GtaskSupTask       *task,
                 GtaskSupSupervisor *child)
{
  SCOPE_WORK (task)->child = child;
  _gtask_sup_supervisor_set_scoped (child);
  g_signal_connect_object (child, "stopped", G_CALLBACK (scope_child_stopped_cb), task, 0);
}

/* A restarted run gets a new supervisor with the same configuration: the
 * one that gave up stays closed. */
static void
scope_copy (GtaskSupTask *dest,
            GtaskSupTask *src)
{
  GtaskSupSupervisor *old = SCOPE_WORK (src)->child;
  g_autoptr(GObject) owner = gtask_sup_supervisor_dup_owner (old);

  scope_set_child (dest,
    g_object_new (GTASK_SUP_TYPE_SUPERVISOR,
                  "owner", owner,
                  "main-context", gtask_sup_supervisor_get_main_context (old),
                  "max-children", gtask_sup_supervisor_get_max_children (old),
                  "max-concurrency", gtask_sup_supervisor_get_max_concurrency (old),
                  "max-restarts", gtask_sup_supervisor_get_max_restarts (old),
                  "max-seconds", gtask_sup_supervisor_get_max_seconds (old),
                  "log-unhandled", gtask_sup_supervisor_get_log_unhandled (old),
                  NULL));
}

static void
scope_clear (GtaskSupTask *task)
{
  /* The handler went when the task was disposed. */
  g_clear_object (&SCOPE_WORK (task)->child);
}

static const GtaskSupKind scope_kind = {
  .kind = GTASK_SUP_TASK_KIND_SUPERVISOR,
  .flags = GTASK_SUP_KIND_RUNS_ON_OWNER | GTASK_SUP_KIND_ENDS_AT_OUTCOME |
           GTASK_SUP_KIND_NO_SLOT,
  .start = scope_start,
  .interrupt = scope_interrupt,
  .copy = scope_copy,
  .clear = scope_clear,
};

/**
 * gtask_sup_task_new_supervisor:
 * @child: the supervisor to run as a task
 *
 * Creates a task that runs @child as a child of the supervisor it is
 * started on, so that a tree of work ends together, as in Elixir's
 * supervision trees. Most programs use
 * [method@GtaskSup.Supervisor.new_child], which makes the child supervisor
 * and starts this task at once.
 *
 * The task is %GTASK_SUP_TASK_STATE_RUNNING while @child runs. It succeeds
 * (with no value) when @child is shut down normally
 * ([method@GtaskSup.Supervisor.shutdown_async] and
 * [signal@GtaskSup.Supervisor::stopped] with no reason), and fails with the
 * reason of ::stopped when @child gives up after too many restarts, so the
 * parent's restart policy applies to it: a restarted run gets a new, empty
 * supervisor with the same properties (see
 * [method@GtaskSup.Task.get_child_supervisor]).
 *
 * Stopping the task stops @child: shutting the task down (also by the
 * parent's shutdown) shuts @child down, each of its tasks with its own
 * grace period; if the task's [property@GtaskSup.Task:shutdown-timeout]
 * (by default -1: no limit, as for Elixir's supervisors) expires first,
 * @child's tasks are shut down at once. Cancelling the task, or its
 * timeout, shuts @child down too. When the parent's owner goes away or the
 * parent is finalized, @child is silenced with it. So every descendant
 * task ends with exactly one outcome, and the parent's ::stopped comes
 * after all of them. These reach @child on its owner context.
 *
 * @child must have the same owner context as the supervisor the task is
 * started on (it fails with %GTASK_SUP_ERROR_FAILED otherwise), and must
 * not be closed when the task starts (it fails with
 * %GTASK_SUP_ERROR_CLOSED then). [method@GtaskSup.Supervisor.drain_async]
 * of @child closes it without ending the run.
 *
 * Returns: (transfer full): a new task of kind
 *   %GTASK_SUP_TASK_KIND_SUPERVISOR, in state %GTASK_SUP_TASK_STATE_NEW
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_task_new_supervisor (GtaskSupSupervisor *child)
{
  GtaskSupTask *self;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (child), NULL);

  self = _gtask_sup_task_new_for_kind (&scope_kind);
  scope_set_child (self, g_object_ref (child));
  /* A supervisor gets the time its own children need, as in Elixir. */
  self->shutdown_timeout = -1;

  return self;
}

/**
 * gtask_sup_task_get_child_supervisor:
 * @self: a task
 *
 * Gets the supervisor a task of kind %GTASK_SUP_TASK_KIND_SUPERVISOR runs:
 * the one given to [ctor@GtaskSup.Task.new_supervisor], or for a restarted
 * run, the new one made for it.
 *
 * Returns: (transfer none) (nullable): the child supervisor, or %NULL if
 *   @self is of another kind
 *
 * Since: 1.0
 */
GtaskSupSupervisor *
gtask_sup_task_get_child_supervisor (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  if (self->kind != &scope_kind)
    return NULL;

  return SCOPE_WORK (self)->child;
}

/**
 * gtask_sup_supervisor_new_child:
 * @self: the parent supervisor
 * @error: return location for a #GError
 *
 * Creates a supervisor for the same owner and owner context as @self, and
 * starts it as a task of @self, as [ctor@GtaskSup.Task.new_supervisor]
 * describes: work started on the child ends with the parent's shutdown,
 * cancellation or silence, and the child shows up in the parent's
 * [method@GtaskSup.Supervisor.get_children].
 *
 * The child's properties are the defaults; set them on the returned
 * supervisor. Call it on the owner context's thread.
 *
 * Returns: (transfer full) (nullable): the child supervisor, or %NULL with
 *   %GTASK_SUP_ERROR_MAX_CHILDREN or %GTASK_SUP_ERROR_CLOSED, as
 *   [method@GtaskSup.Supervisor.start] fails
 *
 * Since: 1.0
 */
GtaskSupSupervisor *
gtask_sup_supervisor_new_child (GtaskSupSupervisor  *self,
                                GError             **error)
{
  g_autoptr(GtaskSupSupervisor) child = NULL;
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GObject) owner = NULL;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  owner = gtask_sup_supervisor_dup_owner (self);
  child = g_object_new (GTASK_SUP_TYPE_SUPERVISOR,
                        "owner", owner,
                        "main-context", gtask_sup_supervisor_get_main_context (self),
                        NULL);
  task = gtask_sup_task_new_supervisor (child);

  if (!gtask_sup_supervisor_start (self, task, error))
    return NULL;

  return g_steal_pointer (&child);
}
