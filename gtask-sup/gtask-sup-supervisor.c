/* gtask-sup-supervisor.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-children-private.h"
#include "gtask-sup-enums.h"
#include "gtask-sup-i18n-private.h"
#include "gtask-sup-pool-private.h"
#include "gtask-sup-stream-private.h"
#include "gtask-sup-subprocess-private.h"
#include "gtask-sup-supervisor-private.h"
#include "gtask-sup-task-private.h"

/**
 * GtaskSupSupervisor:
 *
 * Runs tasks for an owner object, bounded in time, number and lifetime.
 *
 * A supervisor is created for an **owner** (any `GObject`, or %NULL) and
 * captures the **owner context**: the thread-default [struct@GLib.MainContext]
 * of the thread that creates it, or the one given as
 * [property@GtaskSup.Supervisor:main-context]. It holds only a weak reference
 * to the owner.
 *
 * [method@GtaskSup.Supervisor.start] starts a [class@GtaskSup.Task]. Each
 * started task ends in exactly one of the signals
 * [signal@GtaskSup.Supervisor::succeeded], [signal@GtaskSup.Supervisor::failed]
 * or [signal@GtaskSup.Supervisor::timed-out]. They are emitted on the owner
 * context, always from a later iteration of it, never from inside the call
 * that caused them. They are detailed with the task's name, so a handler can
 * connect to `failed::thumbnail`.
 *
 * When the owner is disposed, or the supervisor is finalized, every task is
 * cancelled at once: running tasks see their cancellable cancelled, queued
 * tasks never run, and no signal or callback of the supervisor is emitted
 * any more. Tasks never hold a reference to the owner.
 *
 * Limits: [property@GtaskSup.Supervisor:max-children] bounds the number of
 * live tasks (the next [method@GtaskSup.Supervisor.start] fails);
 * [property@GtaskSup.Supervisor:max-concurrency] bounds the number of running
 * tasks (the next ones wait, in FIFO order, in state
 * %GTASK_SUP_TASK_STATE_QUEUED).
 *
 * ## Threads
 *
 * Thread tasks run on a pool of worker threads shared by all supervisors of
 * the process. While its workers make progress, the pool runs as many of
 * them as there are processors (at least 2). When tasks are waiting and no
 * worker has finished a task for 5 ms, because they all block (on I/O, a
 * lock, or each other), it doubles its workers (but starts no more than
 * there are waiting tasks), every 5 ms while that lasts, up to 128 worker
 * threads in the process; so blocking tasks never starve each other as
 * they can with GTask's pool, which grows over seconds. Past 128, ready
 * tasks wait for a worker to become free. Use
 * [property@GtaskSup.Supervisor:max-concurrency] to bound what one supervisor
 * runs at once.
 *
 * Create the supervisor, start tasks, change its properties and drop it on
 * the thread that runs the owner context. [method@GtaskSup.Task.cancel],
 * the `gtask_sup_task_return_*()` functions, progress updates and property
 * reads are safe from any thread.
 *
 * Since: 1.0
 */

struct _GtaskSupSupervisor
{
  GObject           parent_instance;

  GWeakRef          owner_ref;
  GObject          *owner;       /* only for g_object_weak_unref(), not a reference */
  GMainContext     *context;
  GtaskSupCore     *core;
  GSource          *source;      /* the core's dispatch source */
  GQueue            children;    /* live tasks through task->child_link, each a reference */
  GtaskSupChildren *model;       /* created by get_children() */
  GHashTable       *model_iters; /* task → its GSequenceIter in model */

  guint             max_children;
  guint             max_restarts;
  guint             max_seconds;
  guint             notified_n_running;
  guint             notified_n_queued;

  GArray           *restart_times;    /* monotonic µs of the recent restarts */
  GPtrArray        *streams;          /* running streams, not references */
  GError           *stop_reason;
  GQueue            shutdown_waiters; /* GTask of shutdown_async() */

  guint             closed : 1;
  guint             stopping : 1;     /* shutting its children down */
  guint             stopped : 1;      /* ::stopped was emitted */
};

enum {
  PROP_0,
  PROP_OWNER,
  PROP_MAIN_CONTEXT,
  PROP_MAX_CHILDREN,
  PROP_MAX_CONCURRENCY,
  PROP_MAX_RESTARTS,
  PROP_MAX_SECONDS,
  PROP_N_RUNNING,
  PROP_N_QUEUED,
  PROP_CLOSED,
  N_PROPS
};

enum {
  SUCCEEDED,
  FAILED,
  TIMED_OUT,
  STOPPED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (GtaskSupSupervisor, gtask_sup_supervisor, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void gtask_sup_supervisor_close_silently (GtaskSupSupervisor *self);
static void gtask_sup_supervisor_stop           (GtaskSupSupervisor *self,
                                                 GError             *reason);
static void gtask_sup_supervisor_start_child    (GtaskSupSupervisor *self,
                                                 GtaskSupTask       *task);

/* Deadline heap {{{1 */

static inline GtaskSupTask *
heap_get (GPtrArray *heap,
          guint      i)
{
  return g_ptr_array_index (heap, i);
}

static inline void
heap_set (GPtrArray    *heap,
          guint         i,
          GtaskSupTask *task)
{
  heap->pdata[i] = task;
  task->heap_index = i + 1;
}

static void
heap_sift_up (GPtrArray *heap,
              guint      i)
{
  GtaskSupTask *task = heap_get (heap, i);

  while (i > 0)
    {
      guint parent = (i - 1) / 2;

      if (heap_get (heap, parent)->deadline <= task->deadline)
        break;

      heap_set (heap, i, heap_get (heap, parent));
      i = parent;
    }

  heap_set (heap, i, task);
}

static void
heap_sift_down (GPtrArray *heap,
                guint      i)
{
  GtaskSupTask *task = heap_get (heap, i);

  for (;;)
    {
      guint child = 2 * i + 1;

      if (child >= heap->len)
        break;
      if (child + 1 < heap->len &&
          heap_get (heap, child + 1)->deadline < heap_get (heap, child)->deadline)
        child++;
      if (task->deadline <= heap_get (heap, child)->deadline)
        break;

      heap_set (heap, i, heap_get (heap, child));
      i = child;
    }

  heap_set (heap, i, task);
}

static void
heap_remove (GPtrArray    *heap,
             GtaskSupTask *task)
{
  guint i = task->heap_index - 1;
  GtaskSupTask *last;

  g_assert (task->heap_index > 0);
  g_assert (heap_get (heap, i) == task);

  task->heap_index = 0;
  last = g_ptr_array_steal_index_fast (heap, heap->len - 1);
  if (last == task)
    return;

  heap_set (heap, i, last);
  heap_sift_up (heap, i);
  heap_sift_down (heap, last->heap_index - 1);
}

/* Core: the shared dispatch source {{{1 */

static void
core_set_ready_time_locked (GtaskSupCore *core)
{
  gboolean pending = core->done.length > 0 || core->dirty->len > 0 ||
                     core->release->len > 0 || core->to_push->len > 0;

  if (core->dead)
    return;

  core->woken = pending;
  if (pending)
    g_source_set_ready_time (core->source, 0);
  else if (core->heap->len > 0)
    g_source_set_ready_time (core->source, heap_get (core->heap, 0)->deadline);
  else
    g_source_set_ready_time (core->source, -1);
}

static void
core_wake_locked (GtaskSupCore *core)
{
  /* Only the first wake-up of a dispatch cycle touches the main context. */
  if (core->woken || core->dead)
    return;

  core->woken = TRUE;
  g_source_set_ready_time (core->source, 0);
}

void
_gtask_sup_core_arm_locked (GtaskSupCore *core,
                            GtaskSupTask *task,
                            gint64        deadline)
{
  task->deadline = deadline;

  if (task->heap_index == 0)
    {
      g_ptr_array_add (core->heap, task);
      task->heap_index = core->heap->len;
    }

  heap_sift_up (core->heap, task->heap_index - 1);
  heap_sift_down (core->heap, task->heap_index - 1);

  if (!core->woken && !core->dead && heap_get (core->heap, 0) == task)
    g_source_set_ready_time (core->source, deadline);
}

void
_gtask_sup_core_disarm_locked (GtaskSupCore *core,
                               GtaskSupTask *task)
{
  /* The source may still wake at the old deadline; the dispatch then finds
   * nothing expired and re-arms for the next one. */
  if (task->heap_index > 0)
    heap_remove (core->heap, task);
}

void
_gtask_sup_core_mark_dirty_locked (GtaskSupCore *core,
                                   GtaskSupTask *task,
                                   gboolean      state,
                                   gboolean      progress)
{
  gboolean queued = task->dirty_state || task->dirty_progress;

  task->dirty_state |= !!state;
  task->dirty_progress |= !!progress;

  if (queued || core->dead)
    return;

  g_ptr_array_add (core->dirty, g_object_ref (task));
  core_wake_locked (core);
}

/* The one decision point of DESIGN §4 rule 5: the first outcome decided
 * under core->mutex wins, every later one is dropped. Takes @error. A caller
 * that decides a cancellation, timeout or kill then calls
 * _gtask_sup_task_interrupt() once the mutex is released, since cancelling
 * runs arbitrary handlers. */
gboolean
_gtask_sup_core_decide_locked (GtaskSupCore  *core,
                               GtaskSupTask  *task,
                               guint          outcome,
                               GError        *error)
{
  g_assert (outcome != GTASK_SUP_OUTCOME_NONE);

  if (task->outcome != GTASK_SUP_OUTCOME_NONE)
    {
      g_clear_error (&error);
      return FALSE;
    }

  g_atomic_int_set (&task->outcome, outcome);
  if (error != NULL)
    {
      g_clear_error (&task->error);
      task->error = error;
    }

  /* The deadline stays armed until the outcome is emitted: the heap is
   * large, and this may run on a worker, in the critical section it shares
   * with every other worker. */
  if (g_atomic_int_get (&task->state) == GTASK_SUP_TASK_STATE_QUEUED)
    g_queue_unlink (&core->queue, &task->link);

  g_queue_push_tail_link (&core->done, &task->link);
  g_object_ref (task);
  core_wake_locked (core);

  return TRUE;
}

void
_gtask_sup_core_worker_done (GtaskSupCore *core,
                             GtaskSupTask *task)
{
  gboolean unref_now = FALSE;

  if (!g_atomic_int_dec_and_test (&task->holders))
    return;

  /* The supervisor emitted the outcome while the function still ran, and
   * left its reference to us. Drop it on the owner context so that the task
   * (and its data's destroy notify) is finalized there, unless that is gone. */
  g_mutex_lock (&core->mutex);
  if (core->dead)
    {
      unref_now = TRUE;
    }
  else
    {
      g_ptr_array_add (core->release, task);
      core_wake_locked (core);
    }
  g_mutex_unlock (&core->mutex);

  if (unref_now)
    g_object_unref (task);
}

/* Takes a slot for @task. It is handed to the workers by the next dispatch,
 * together with every other task started in between: pushing a burst of
 * tasks at once keeps the workers busy instead of waking one per start()
 * (a futex wake, and often the preemption of the owner thread). */
static void
core_run_locked (GtaskSupCore *core,
                 GtaskSupTask *task)
{
  g_atomic_int_set (&task->state, GTASK_SUP_TASK_STATE_RUNNING);
  core->n_running++;
  _gtask_sup_task_ensure_cancellable (task);
  g_atomic_int_inc (&task->holders);
  g_ptr_array_add (core->to_push, task);
  _gtask_sup_core_mark_dirty_locked (core, task, TRUE, FALSE);
}

static void
core_flush_to_push (GtaskSupCore *core)
{
  g_autoptr(GPtrArray) to_push = NULL;

  if (core->to_push->len == 0)
    return;

  to_push = g_steal_pointer (&core->to_push);
  core->to_push = g_ptr_array_new ();

  for (guint i = 0; i < to_push->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (to_push, i);

      switch ((GtaskSupTaskKind)task->kind)
        {
        case GTASK_SUP_TASK_KIND_THREAD:
          gtask_sup_pool_push (task);
          break;
        case GTASK_SUP_TASK_KIND_ASYNC:
          /* Runs user code here, on the owner context: which may close the
           * supervisor. _gtask_sup_task_run_async() then runs nothing. */
          _gtask_sup_task_run_async (task);
          break;
        case GTASK_SUP_TASK_KIND_SUBPROCESS:
          _gtask_sup_subprocess_spawn (task);
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

static gboolean
core_has_free_slot_locked (GtaskSupCore *core)
{
  return core->max_concurrency == 0 || core->n_running < core->max_concurrency;
}

static void
gtask_sup_supervisor_pump (GtaskSupSupervisor *self)
{
  GtaskSupCore *core = self->core;

  g_mutex_lock (&core->mutex);
  while (core->queue.length > 0 && core_has_free_slot_locked (core))
    core_run_locked (core, g_queue_pop_head_link (&core->queue)->data);
  g_mutex_unlock (&core->mutex);

  core_flush_to_push (core);
}

static GtaskSupTaskState
outcome_to_state (GtaskSupTask *task)
{
  switch ((GtaskSupOutcome)task->outcome)
    {
    case GTASK_SUP_OUTCOME_RESULT:
      return task->error != NULL ? GTASK_SUP_TASK_STATE_FAILED : GTASK_SUP_TASK_STATE_SUCCEEDED;
    case GTASK_SUP_OUTCOME_TIMED_OUT:
      return GTASK_SUP_TASK_STATE_TIMED_OUT;
    case GTASK_SUP_OUTCOME_CANCELLED:
    case GTASK_SUP_OUTCOME_NO_RESULT:
    case GTASK_SUP_OUTCOME_KILLED:
    case GTASK_SUP_OUTCOME_SILENCED:
      return GTASK_SUP_TASK_STATE_FAILED;
    case GTASK_SUP_OUTCOME_NONE:
    default:
      g_assert_not_reached ();
    }
}

typedef struct
{
  GTask  *task;
  GError *error;
} ReturnLater;

static void
return_later_free (gpointer data)
{
  ReturnLater *later = data;

  g_clear_object (&later->task);
  g_clear_error (&later->error);
  g_free (later);
}

static gboolean
return_later_cb (gpointer data)
{
  ReturnLater *later = data;

  if (later->error != NULL)
    g_task_return_error (later->task, g_steal_pointer (&later->error));
  else
    g_task_return_boolean (later->task, TRUE);

  return G_SOURCE_REMOVE;
}

/* Returns @error (taken), or TRUE without one, to @task from an idle on
 * its own context. For completions that happen inside the finalization of
 * an owner or supervisor, where a callback must not run: GTask would call
 * it at once when already inside a dispatch of its context, and GJS, for
 * one, cannot run JavaScript during garbage collection. */
void
_gtask_sup_return_later (GTask  *task,
                         GError *error)
{
  ReturnLater *later = g_new (ReturnLater, 1);
  GSource *idle = g_idle_source_new ();

  later->task = g_object_ref (task);
  later->error = error;

  g_source_set_priority (idle, G_PRIORITY_DEFAULT);
  g_source_set_static_name (idle, "[gtask-sup] complete later");
  g_source_set_callback (idle, return_later_cb, later, return_later_free);
  g_source_attach (idle, g_task_get_context (task));
  g_source_unref (idle);
}

static void
complete_joiners (GtaskSupTask *task,
                  GSList       *joiners,
                  gboolean      later)
{
  for (GSList *l = joiners; l != NULL; l = l->next)
    _gtask_sup_task_complete_joiner (task, l->data, later);
  g_slist_free (joiners);
}

/* DESIGN §4 rule 8: a new run of @task, unless more than max-restarts
 * restarts happened within the last max-seconds, in which case the
 * supervisor gives up. */
static void
gtask_sup_supervisor_restart (GtaskSupSupervisor *self,
                              GtaskSupTask       *task)
{
  g_autoptr(GtaskSupTask) run = NULL;
  gint64 now = g_get_monotonic_time ();
  gint64 since = now - (gint64)self->max_seconds * G_USEC_PER_SEC;
  guint n_old = 0;

  while (n_old < self->restart_times->len &&
         g_array_index (self->restart_times, gint64, n_old) <= since)
    n_old++;
  g_array_remove_range (self->restart_times, 0, n_old);

  if (self->restart_times->len >= self->max_restarts)
    {
      gtask_sup_supervisor_stop (self,
                                 g_error_new (GTASK_SUP_ERROR, GTASK_SUP_ERROR_RESTART_INTENSITY,
                                              _gtask_sup_ngettext ("Tasks were restarted more than %u time within %u s: giving up",
                                                                   "Tasks were restarted more than %u times within %u s: giving up",
                                                                   self->max_restarts),
                                              self->max_restarts, self->max_seconds));
      return;
    }

  g_array_append_val (self->restart_times, now);

  run = _gtask_sup_task_new_restart (task);
  gtask_sup_supervisor_start_child (self, run);
}

/* Makes a decided task final and emits its outcome, on the owner context. */
static void
gtask_sup_supervisor_complete (GtaskSupSupervisor *self,
                               GtaskSupTask       *task)
{
  GtaskSupCore *core = self->core;
  GtaskSupTaskState state;
  GSList *joiners;
  gboolean unref_now;
  gboolean restart;

  g_mutex_lock (&core->mutex);
  _gtask_sup_core_disarm_locked (core, task);
  if (g_atomic_int_get (&task->state) == GTASK_SUP_TASK_STATE_RUNNING)
    core->n_running--;
  state = outcome_to_state (task);
  g_atomic_int_set (&task->state, state);
  joiners = _gtask_sup_task_steal_joiners_locked (task);
  if (core->n_waiters > 0)
    g_cond_broadcast (&core->cond);
  g_mutex_unlock (&core->mutex);

  /* The child reference goes, now or when the worker returns. */
  unref_now = g_atomic_int_dec_and_test (&task->holders);

  g_queue_unlink (&self->children, &task->child_link);
  if (self->model != NULL)
    {
      GSequenceIter *iter;

      if (g_hash_table_steal_extended (self->model_iters, task, NULL, (gpointer *)&iter))
        gtask_sup_children_remove (self->model, iter);
    }

  switch (state)
    {
    case GTASK_SUP_TASK_STATE_SUCCEEDED:
      g_signal_emit (self, signals[SUCCEEDED], task->name, task);
      break;
    case GTASK_SUP_TASK_STATE_FAILED:
      g_signal_emit (self, signals[FAILED], task->name, task, task->error);
      break;
    case GTASK_SUP_TASK_STATE_TIMED_OUT:
      g_signal_emit (self, signals[TIMED_OUT], task->name, task);
      break;
    case GTASK_SUP_TASK_STATE_NEW:
    case GTASK_SUP_TASK_STATE_QUEUED:
    case GTASK_SUP_TASK_STATE_RUNNING:
    default:
      g_assert_not_reached ();
    }

  /* A handler may have disposed the owner: then nothing more is emitted,
   * and waiters complete from an idle. */
  if (!core->dead)
    _gtask_sup_task_notify_state (task);
  complete_joiners (task, joiners, core->dead);

  restart = _gtask_sup_task_should_restart (task);
  if (restart && !self->stopping && !core->dead)
    gtask_sup_supervisor_restart (self, task);

  if (unref_now)
    g_object_unref (task);
}

/* Emits the notifies that tasks asked for from other threads, and shows
 * newly started tasks in the children model. */
static void
gtask_sup_supervisor_flush_dirty (GtaskSupSupervisor *self,
                                  GPtrArray          *dirty)
{
  GtaskSupCore *core = self->core;
  g_autofree guint8 *flags = g_new (guint8, dirty->len);

  enum { STATE = 1 << 0, PROGRESS = 1 << 1 };

  g_mutex_lock (&core->mutex);
  for (guint i = 0; i < dirty->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (dirty, i);

      flags[i] = (task->dirty_state ? STATE : 0) |
                 (task->dirty_progress ? PROGRESS : 0);
      task->dirty_state = task->dirty_progress = FALSE;
    }
  g_mutex_unlock (&core->mutex);

  for (guint i = 0; i < dirty->len && !core->dead; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (dirty, i);

      /* Read now: a handler above may have let the task end. */
      if (self->model != NULL &&
          g_atomic_int_get (&task->outcome) == GTASK_SUP_OUTCOME_NONE &&
          !g_hash_table_contains (self->model_iters, task))
        g_hash_table_insert (self->model_iters, task,
                             gtask_sup_children_append (self->model, task));
      if (flags[i] & STATE)
        _gtask_sup_task_notify_state (task);
      if (flags[i] & PROGRESS)
        _gtask_sup_task_notify_progress (task);
    }
}

static void
gtask_sup_supervisor_notify_counts (GtaskSupSupervisor *self)
{
  guint n_running = gtask_sup_supervisor_get_n_running (self);
  guint n_queued = gtask_sup_supervisor_get_n_queued (self);

  if (n_running != self->notified_n_running)
    {
      self->notified_n_running = n_running;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RUNNING]);
    }

  if (self->core->dead)
    return;

  if (n_queued != self->notified_n_queued)
    {
      self->notified_n_queued = n_queued;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_QUEUED]);
    }
}

static void
shutdown_waiter_return (GTask *waiter)
{
  g_task_return_boolean (waiter, TRUE);
  g_object_unref (waiter);
}

/* Once every child of a stopping supervisor is done: ::stopped, and the
 * shutdown_async() callers complete. */
static void
gtask_sup_supervisor_check_stopped (GtaskSupSupervisor *self)
{
  GTask *waiter;

  if (!self->stopping || self->stopped || self->children.length > 0)
    return;

  self->stopped = TRUE;

  /* Handlers may dispose the owner: check before each emission. Waiters
   * left then were completed by the silent close. */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSED]);
  if (!self->core->dead)
    g_signal_emit (self, signals[STOPPED], 0, self->stop_reason);

  while ((waiter = g_queue_pop_head (&self->shutdown_waiters)) != NULL)
    shutdown_waiter_return (waiter);
}

/* Closes the supervisor and shuts every child down with its own grace
 * period; ::stopped follows from a dispatch once they are all done. Takes
 * @reason. */
static void
gtask_sup_supervisor_stop (GtaskSupSupervisor *self,
                           GError             *reason)
{
  GtaskSupCore *core = self->core;

  if (self->stopping)
    {
      g_clear_error (&reason);
      return;
    }

  self->stopping = TRUE;
  self->closed = TRUE;
  self->stop_reason = reason;

  /* Shutting down emits nothing, but cancelling runs the cancellables'
   * handlers, which might iterate the context: work on a snapshot. */
  {
    g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func (g_object_unref);

    for (GList *l = self->children.head; l != NULL; l = l->next)
      g_ptr_array_add (children, g_object_ref (l->data));

    for (guint i = 0; i < children->len; i++)
      {
        GtaskSupTask *task = g_ptr_array_index (children, i);

        gtask_sup_task_shutdown (task, task->shutdown_timeout);
      }
  }

  /* With no child left, ::stopped still comes from a dispatch. */
  g_mutex_lock (&core->mutex);
  core_wake_locked (core);
  g_mutex_unlock (&core->mutex);
}

typedef struct
{
  GSource       source;
  GtaskSupCore *core;   /* not a reference: the supervisor holds both */
} CoreSource;

static gboolean
core_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     user_data)
{
  GtaskSupCore *core = ((CoreSource *)source)->core;
  g_autoptr(GtaskSupSupervisor) self = NULL;
  g_autoptr(GPtrArray) expired = NULL;
  g_autoptr(GPtrArray) dirty = NULL;
  g_autoptr(GPtrArray) release = NULL;
  gint64 now = g_get_monotonic_time ();
  guint n_done;

  g_mutex_lock (&core->mutex);

  if (core->dead)
    {
      g_mutex_unlock (&core->mutex);
      return G_SOURCE_REMOVE;
    }

  self = g_object_ref (core->self);

  while (core->heap->len > 0 && heap_get (core->heap, 0)->deadline <= now)
    {
      GtaskSupTask *task = heap_get (core->heap, 0);
      guint outcome = task->shutting_down ? GTASK_SUP_OUTCOME_KILLED : GTASK_SUP_OUTCOME_TIMED_OUT;

      /* Expired: whether it wins or not, its deadline is spent. */
      heap_remove (core->heap, task);
      if (task->outcome == GTASK_SUP_OUTCOME_NONE)
        {
          _gtask_sup_core_decide_locked (core, task, outcome,
                                         _gtask_sup_task_new_error (task, outcome));
          if (expired == NULL)
            expired = g_ptr_array_new_with_free_func (g_object_unref);
          g_ptr_array_add (expired, g_object_ref (task));
        }
    }

  if (core->dirty->len > 0)
    {
      dirty = g_steal_pointer (&core->dirty);
      core->dirty = g_ptr_array_new_with_free_func (g_object_unref);
    }
  if (core->release->len > 0)
    {
      release = g_steal_pointer (&core->release);
      core->release = g_ptr_array_new_with_free_func (g_object_unref);
    }
  n_done = core->done.length;

  g_mutex_unlock (&core->mutex);

  core_flush_to_push (core);

  for (guint i = 0; expired != NULL && i < expired->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (expired, i);

      _gtask_sup_task_interrupt (task, task->outcome, 0);
    }

  if (dirty != NULL)
    gtask_sup_supervisor_flush_dirty (self, dirty);

  /* One at a time, so that a nested dispatch (gtask_sup_task_wait() in a
   * handler) sees the outcomes this one has not reached yet; and no more
   * than were there at the start, so that a busy supervisor cannot starve
   * the other sources of the context. */
  for (guint i = 0; i < n_done && !core->dead; i++)
    {
      GList *link;

      g_mutex_lock (&core->mutex);
      link = g_queue_pop_head_link (&core->done);
      g_mutex_unlock (&core->mutex);

      if (link == NULL)
        break;

      gtask_sup_supervisor_complete (self, link->data);
      g_object_unref (link->data);
    }

  if (!core->dead)
    {
      gtask_sup_supervisor_pump (self);
      gtask_sup_supervisor_notify_counts (self);
    }

  if (!core->dead)
    gtask_sup_supervisor_check_stopped (self);

  g_mutex_lock (&core->mutex);
  core_set_ready_time_locked (core);
  g_mutex_unlock (&core->mutex);

  /* Last: finalizing a task runs its destroy notify, which may do anything. */
  g_clear_pointer (&release, g_ptr_array_unref);

  return G_SOURCE_CONTINUE;
}

static void
core_free (gpointer data)
{
  GtaskSupCore *core = data;

  g_assert (core->done.length == 0);
  g_assert (core->queue.length == 0);
  g_assert (core->source == NULL);

  g_clear_pointer (&core->dirty, g_ptr_array_unref);
  g_clear_pointer (&core->release, g_ptr_array_unref);
  g_clear_pointer (&core->heap, g_ptr_array_unref);
  g_clear_pointer (&core->to_push, g_ptr_array_unref);
  g_clear_pointer (&core->joiners, g_hash_table_unref);
  g_clear_pointer (&core->context, g_main_context_unref);
  g_cond_clear (&core->cond);
  g_mutex_clear (&core->mutex);
}

GtaskSupCore *
_gtask_sup_core_ref (GtaskSupCore *core)
{
  return g_atomic_rc_box_acquire (core);
}

void
_gtask_sup_core_unref (GtaskSupCore *core)
{
  g_atomic_rc_box_release_full (core, core_free);
}

static GSourceFuncs core_source_funcs = {
  .dispatch = core_dispatch,
};

/* Returns the core, and in @source the dispatch source attached to
 * @context, both for the supervisor to own. */
static GtaskSupCore *
core_new (GtaskSupSupervisor  *self,
          GMainContext        *context,
          GSource            **source)
{
  GtaskSupCore *core = g_atomic_rc_box_new0 (GtaskSupCore);
  CoreSource *core_source;

  g_mutex_init (&core->mutex);
  g_cond_init (&core->cond);
  g_queue_init (&core->queue);
  g_queue_init (&core->done);
  core->self = self;
  core->context = g_main_context_ref (context);
  core->dirty = g_ptr_array_new_with_free_func (g_object_unref);
  core->release = g_ptr_array_new_with_free_func (g_object_unref);
  core->heap = g_ptr_array_new ();
  core->to_push = g_ptr_array_new ();
  core->joiners = g_hash_table_new (NULL, NULL);

  core_source = (CoreSource *)g_source_new (&core_source_funcs, sizeof (CoreSource));
  core_source->core = core;
  g_source_set_static_name (&core_source->source, "[gtask-sup] supervisor");
  g_source_set_priority (&core_source->source, G_PRIORITY_DEFAULT);
  /* gtask_sup_task_wait() may iterate the context from a signal handler. */
  g_source_set_can_recurse (&core_source->source, TRUE);
  g_source_attach (&core_source->source, context);

  core->source = &core_source->source;
  *source = &core_source->source;

  return core;
}

/* Closing {{{1 */

/* Cancels every task and silences the supervisor for good: the owner is
 * gone (or the supervisor is), so nothing may be emitted any more (DESIGN §4
 * rule 3). Waiters are woken and join_async() callers get their callback,
 * which GIO's async contract requires, with G_IO_ERROR_CANCELLED. */
static void
gtask_sup_supervisor_close_silently (GtaskSupSupervisor *self)
{
  GtaskSupCore *core = self->core;
  g_autoptr(GPtrArray) to_interrupt = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) to_unref = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) joined = g_ptr_array_new_with_free_func (g_object_unref);
  GList *link;

  self->closed = TRUE;

  if (core == NULL)
    return;

  g_mutex_lock (&core->mutex);

  if (core->dead)
    {
      g_mutex_unlock (&core->mutex);
      return;
    }

  core->dead = TRUE;
  core->self = NULL;
  core->source = NULL;

  while ((link = g_queue_pop_head_link (&self->children)) != NULL)
    {
      GtaskSupTask *task = link->data;

      if (task->outcome == GTASK_SUP_OUTCOME_NONE)
        {
          if (g_atomic_int_get (&task->state) == GTASK_SUP_TASK_STATE_QUEUED)
            g_queue_unlink (&core->queue, &task->link);
          g_atomic_int_set (&task->outcome, GTASK_SUP_OUTCOME_SILENCED);
        }

      _gtask_sup_core_disarm_locked (core, task);

      g_ptr_array_add (to_interrupt, g_object_ref (task));

      /* A waiter must see the task end: it failed, as cancelled. */
      if (task->error == NULL)
        task->error = _gtask_sup_task_new_error (task, GTASK_SUP_OUTCOME_SILENCED);
      g_atomic_int_set (&task->state, GTASK_SUP_TASK_STATE_FAILED);

      if (g_hash_table_contains (core->joiners, task))
        {
          g_ptr_array_add (joined, g_object_ref (task));
          /* complete_joiners() below frees the list */
        }

      if (g_atomic_int_dec_and_test (&task->holders))
        g_ptr_array_add (to_unref, task);
    }

  /* Never handed to a worker: drop the worker's share here. */
  for (guint i = 0; i < core->to_push->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (core->to_push, i);

      if (g_atomic_int_dec_and_test (&task->holders))
        g_ptr_array_add (to_unref, task);
    }
  g_ptr_array_set_size (core->to_push, 0);

  while ((link = g_queue_pop_head_link (&core->done)) != NULL)
    g_ptr_array_add (to_unref, link->data);
  g_ptr_array_extend_and_steal (to_unref, g_steal_pointer (&core->dirty));
  core->dirty = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_extend_and_steal (to_unref, g_steal_pointer (&core->release));
  core->release = g_ptr_array_new_with_free_func (g_object_unref);

  g_assert (core->heap->len == 0);
  g_assert (core->queue.length == 0);
  core->n_running = 0;

  if (core->n_waiters > 0)
    g_cond_broadcast (&core->cond);

  g_mutex_unlock (&core->mutex);

  g_source_destroy (self->source);

  /* Streams stop too, silently. */
  {
    g_autoptr(GPtrArray) streams = g_steal_pointer (&self->streams);

    self->streams = g_ptr_array_new ();
    for (guint i = 0; i < streams->len; i++)
      _gtask_sup_stream_silence (g_ptr_array_index (streams, i));
  }

  /* Nothing is left running: a pending shutdown is complete. */
  {
    GTask *waiter;

    while ((waiter = g_queue_pop_head (&self->shutdown_waiters)) != NULL)
      {
        _gtask_sup_return_later (waiter, NULL);
        g_object_unref (waiter);
      }
  }

  /* A finished subprocess has no group left to signal; a running one gets
   * SIGTERM and, from the subprocess thread, SIGKILL after its grace. */
  for (guint i = 0; i < to_interrupt->len; i++)
    _gtask_sup_task_interrupt (g_ptr_array_index (to_interrupt, i),
                               GTASK_SUP_OUTCOME_SILENCED, 0);

  for (guint i = 0; i < joined->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (joined, i);
      GSList *joiners;

      g_mutex_lock (&core->mutex);
      joiners = _gtask_sup_task_steal_joiners_locked (task);
      g_mutex_unlock (&core->mutex);

      complete_joiners (task, joiners, TRUE);
    }
}

static void
owner_disposed_cb (gpointer  data,
                   GObject  *where_the_object_was)
{
  GtaskSupSupervisor *self = data;

  self->owner = NULL;
  gtask_sup_supervisor_close_silently (self);
}

/* GObject {{{1 */

static void
gtask_sup_supervisor_constructed (GObject *object)
{
  GtaskSupSupervisor *self = (GtaskSupSupervisor *)object;

  G_OBJECT_CLASS (gtask_sup_supervisor_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();

  self->core = core_new (self, self->context, &self->source);

  if (self->owner != NULL)
    g_object_weak_ref (self->owner, owner_disposed_cb, self);
}

static void
gtask_sup_supervisor_dispose (GObject *object)
{
  GtaskSupSupervisor *self = (GtaskSupSupervisor *)object;

  if (self->owner != NULL)
    {
      g_object_weak_unref (self->owner, owner_disposed_cb, self);
      self->owner = NULL;
    }

  gtask_sup_supervisor_close_silently (self);
  g_clear_object (&self->model);
  g_clear_pointer (&self->model_iters, g_hash_table_unref);

  G_OBJECT_CLASS (gtask_sup_supervisor_parent_class)->dispose (object);
}

static void
gtask_sup_supervisor_finalize (GObject *object)
{
  GtaskSupSupervisor *self = (GtaskSupSupervisor *)object;

  g_weak_ref_clear (&self->owner_ref);
  g_clear_pointer (&self->restart_times, g_array_unref);
  g_clear_pointer (&self->streams, g_ptr_array_unref);
  g_clear_error (&self->stop_reason);
  /* Here, on the owner thread, while the context is alive. Tasks may still
   * point to the core; it goes with the last of them. */
  g_clear_pointer (&self->source, g_source_unref);
  g_clear_pointer (&self->core, _gtask_sup_core_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (gtask_sup_supervisor_parent_class)->finalize (object);
}

static void
gtask_sup_supervisor_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  GtaskSupSupervisor *self = GTASK_SUP_SUPERVISOR (object);

  switch (prop_id)
    {
    case PROP_OWNER:
      g_value_take_object (value, gtask_sup_supervisor_dup_owner (self));
      break;

    case PROP_MAIN_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;

    case PROP_MAX_CHILDREN:
      g_value_set_uint (value, gtask_sup_supervisor_get_max_children (self));
      break;

    case PROP_MAX_CONCURRENCY:
      g_value_set_uint (value, gtask_sup_supervisor_get_max_concurrency (self));
      break;

    case PROP_MAX_RESTARTS:
      g_value_set_uint (value, gtask_sup_supervisor_get_max_restarts (self));
      break;

    case PROP_MAX_SECONDS:
      g_value_set_uint (value, gtask_sup_supervisor_get_max_seconds (self));
      break;

    case PROP_N_RUNNING:
      g_value_set_uint (value, gtask_sup_supervisor_get_n_running (self));
      break;

    case PROP_N_QUEUED:
      g_value_set_uint (value, gtask_sup_supervisor_get_n_queued (self));
      break;

    case PROP_CLOSED:
      g_value_set_boolean (value, gtask_sup_supervisor_get_closed (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gtask_sup_supervisor_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  GtaskSupSupervisor *self = GTASK_SUP_SUPERVISOR (object);

  switch (prop_id)
    {
    case PROP_OWNER:
      self->owner = g_value_get_object (value);
      g_weak_ref_set (&self->owner_ref, self->owner);
      break;

    case PROP_MAIN_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;

    case PROP_MAX_CHILDREN:
      gtask_sup_supervisor_set_max_children (self, g_value_get_uint (value));
      break;

    case PROP_MAX_CONCURRENCY:
      gtask_sup_supervisor_set_max_concurrency (self, g_value_get_uint (value));
      break;

    case PROP_MAX_RESTARTS:
      gtask_sup_supervisor_set_max_restarts (self, g_value_get_uint (value));
      break;

    case PROP_MAX_SECONDS:
      gtask_sup_supervisor_set_max_seconds (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gtask_sup_supervisor_class_init (GtaskSupSupervisorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = gtask_sup_supervisor_constructed;
  object_class->dispose = gtask_sup_supervisor_dispose;
  object_class->finalize = gtask_sup_supervisor_finalize;
  object_class->get_property = gtask_sup_supervisor_get_property;
  object_class->set_property = gtask_sup_supervisor_set_property;

  /**
   * GtaskSupSupervisor:owner: (getter dup_owner)
   *
   * The object the supervisor works for, or %NULL.
   *
   * The supervisor holds only a weak reference to it. When it is disposed,
   * every task is cancelled and the supervisor emits nothing any more.
   *
   * Since: 1.0
   */
  properties[PROP_OWNER] =
    g_param_spec_object ("owner", NULL, NULL,
                         G_TYPE_OBJECT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:main-context:
   *
   * The owner context: where every signal of the supervisor and every
   * `notify` of its tasks is emitted.
   *
   * Defaults to the thread-default main context of the thread that creates
   * the supervisor.
   *
   * Since: 1.0
   */
  properties[PROP_MAIN_CONTEXT] =
    g_param_spec_boxed ("main-context", NULL, NULL,
                        G_TYPE_MAIN_CONTEXT,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:max-children:
   *
   * The most live (queued or running) tasks, or 0 for no limit.
   *
   * At the limit, [method@GtaskSup.Supervisor.start] fails at once with
   * %GTASK_SUP_ERROR_MAX_CHILDREN.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CHILDREN] =
    g_param_spec_uint ("max-children", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:max-concurrency:
   *
   * The most tasks running at once, or 0 for no limit.
   *
   * Tasks started beyond it wait in state %GTASK_SUP_TASK_STATE_QUEUED and
   * run in the order they were started as running tasks end.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CONCURRENCY] =
    g_param_spec_uint ("max-concurrency", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:max-restarts:
   *
   * The most restarts the supervisor makes within
   * [property@GtaskSup.Supervisor:max-seconds]. One more makes it give up:
   * it shuts all its children down, closes, and emits
   * [signal@GtaskSup.Supervisor::stopped] with
   * %GTASK_SUP_ERROR_RESTART_INTENSITY. See [enum@GtaskSup.Restart].
   *
   * Since: 1.0
   */
  properties[PROP_MAX_RESTARTS] =
    g_param_spec_uint ("max-restarts", NULL, NULL,
                       0, G_MAXUINT, 3,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:max-seconds:
   *
   * The sliding window, in seconds, over which
   * [property@GtaskSup.Supervisor:max-restarts] counts restarts.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_SECONDS] =
    g_param_spec_uint ("max-seconds", NULL, NULL,
                       0, G_MAXUINT, 5,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:n-running:
   *
   * The number of tasks in state %GTASK_SUP_TASK_STATE_RUNNING.
   *
   * Its `notify` is emitted on the owner context, at most once per
   * iteration.
   *
   * Since: 1.0
   */
  properties[PROP_N_RUNNING] =
    g_param_spec_uint ("n-running", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:n-queued:
   *
   * The number of tasks waiting for a free slot of
   * [property@GtaskSup.Supervisor:max-concurrency].
   *
   * Its `notify` is emitted on the owner context, at most once per
   * iteration.
   *
   * Since: 1.0
   */
  properties[PROP_N_QUEUED] =
    g_param_spec_uint ("n-queued", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:closed: (getter get_closed)
   *
   * Whether the supervisor refuses new tasks: it was shut down, it gave up
   * after too many restarts, or its owner was disposed. Its `notify` is
   * emitted with [signal@GtaskSup.Supervisor::stopped] (never after the
   * owner was disposed).
   *
   * Since: 1.0
   */
  properties[PROP_CLOSED] =
    g_param_spec_boolean ("closed", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GtaskSupSupervisor::succeeded:
   * @self: the supervisor
   * @task: the task, in state %GTASK_SUP_TASK_STATE_SUCCEEDED
   *
   * Emitted on the owner context when a task completed with a value; get it
   * with [method@GtaskSup.Task.get_value].
   *
   * The signal is detailed with the task's name.
   *
   * Since: 1.0
   */
  signals[SUCCEEDED] =
    g_signal_new ("succeeded",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0,
                  NULL, NULL,
                  g_cclosure_marshal_VOID__OBJECT,
                  G_TYPE_NONE, 1, GTASK_SUP_TYPE_TASK);
  g_signal_set_va_marshaller (signals[SUCCEEDED],
                              G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__OBJECTv);

  /**
   * GtaskSupSupervisor::failed:
   * @self: the supervisor
   * @task: the task, in state %GTASK_SUP_TASK_STATE_FAILED
   * @error: why it failed
   *
   * Emitted on the owner context when a task failed: it returned an error,
   * was cancelled (%G_IO_ERROR_CANCELLED), was killed after its shutdown
   * grace period (%GTASK_SUP_ERROR_KILLED), or its function returned
   * without a result (%GTASK_SUP_ERROR_NO_RESULT).
   *
   * The signal is detailed with the task's name.
   *
   * Since: 1.0
   */
  signals[FAILED] =
    g_signal_new ("failed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2,
                  GTASK_SUP_TYPE_TASK,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * GtaskSupSupervisor::timed-out:
   * @self: the supervisor
   * @task: the task, in state %GTASK_SUP_TASK_STATE_TIMED_OUT
   *
   * Emitted on the owner context, once, when a task's
   * [property@GtaskSup.Task:timeout] expired before it completed. Its
   * cancellable has been cancelled; whatever it returns later is dropped.
   *
   * The signal is detailed with the task's name.
   *
   * Since: 1.0
   */
  signals[TIMED_OUT] =
    g_signal_new ("timed-out",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0,
                  NULL, NULL,
                  g_cclosure_marshal_VOID__OBJECT,
                  G_TYPE_NONE, 1, GTASK_SUP_TYPE_TASK);
  g_signal_set_va_marshaller (signals[TIMED_OUT],
                              G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__OBJECTv);

  /**
   * GtaskSupSupervisor::stopped:
   * @self: the supervisor
   * @reason: (nullable): %NULL after
   *   [method@GtaskSup.Supervisor.shutdown_async], or
   *   %GTASK_SUP_ERROR_RESTART_INTENSITY if the supervisor gave up
   *
   * Emitted once on the owner context when the supervisor has stopped: it
   * is closed and all its children are done (each has emitted its
   * outcome). It is not emitted when the owner is disposed.
   *
   * Since: 1.0
   */
  signals[STOPPED] =
    g_signal_new ("stopped",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
gtask_sup_supervisor_init (GtaskSupSupervisor *self)
{
  g_weak_ref_init (&self->owner_ref, NULL);
  g_queue_init (&self->children);
  g_queue_init (&self->shutdown_waiters);
  self->streams = g_ptr_array_new ();
  self->restart_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->max_restarts = 3;
  self->max_seconds = 5;
}

/* Public API {{{1 */

/**
 * gtask_sup_supervisor_new:
 * @owner: (type GObject) (nullable): the object the supervisor works for
 *
 * Creates a supervisor for @owner, on the thread-default main context of
 * the calling thread.
 *
 * The supervisor holds a weak reference to @owner: when @owner is disposed,
 * every task is cancelled and the supervisor emits nothing any more. It is
 * usual for @owner to keep the supervisor in an instance field and clear it
 * in its own `dispose`.
 *
 * Returns: (transfer full): a new supervisor
 *
 * Since: 1.0
 */
GtaskSupSupervisor *
gtask_sup_supervisor_new (gpointer owner)
{
  g_return_val_if_fail (owner == NULL || G_IS_OBJECT (owner), NULL);

  return g_object_new (GTASK_SUP_TYPE_SUPERVISOR,
                       "owner", owner,
                       NULL);
}

/**
 * gtask_sup_supervisor_dup_owner: (get-property owner)
 * @self: a supervisor
 *
 * Gets a new reference to the owner, if it is still alive. Safe to call from
 * any thread.
 *
 * Returns: (type GObject) (transfer full) (nullable): the owner, or %NULL if
 *   there is none or it was disposed
 *
 * Since: 1.0
 */
gpointer
gtask_sup_supervisor_dup_owner (GtaskSupSupervisor *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);

  return g_weak_ref_get (&self->owner_ref);
}

/**
 * gtask_sup_supervisor_get_main_context: (get-property main-context)
 * @self: a supervisor
 *
 * Gets the owner context, where the supervisor emits its signals.
 *
 * Returns: (transfer none): the owner context
 *
 * Since: 1.0
 */
GMainContext *
gtask_sup_supervisor_get_main_context (GtaskSupSupervisor *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);

  return self->context;
}

/**
 * gtask_sup_supervisor_get_max_children: (get-property max-children)
 * @self: a supervisor
 *
 * Gets the most live tasks the supervisor accepts.
 *
 * Returns: the limit, or 0 for none
 *
 * Since: 1.0
 */
guint
gtask_sup_supervisor_get_max_children (GtaskSupSupervisor *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), 0);

  return self->max_children;
}

/**
 * gtask_sup_supervisor_set_max_children: (set-property max-children)
 * @self: a supervisor
 * @max_children: the limit, or 0 for none
 *
 * Sets the most live (queued or running) tasks. Lowering it below the
 * current number of tasks stops nothing; it only refuses new ones.
 *
 * Call it on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_set_max_children (GtaskSupSupervisor *self,
                                       guint               max_children)
{
  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));

  if (self->max_children == max_children)
    return;

  self->max_children = max_children;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CHILDREN]);
}

/**
 * gtask_sup_supervisor_get_max_concurrency: (get-property max-concurrency)
 * @self: a supervisor
 *
 * Gets the most tasks the supervisor runs at once.
 *
 * Returns: the limit, or 0 for none
 *
 * Since: 1.0
 */
guint
gtask_sup_supervisor_get_max_concurrency (GtaskSupSupervisor *self)
{
  guint ret;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), 0);

  g_mutex_lock (&self->core->mutex);
  ret = self->core->max_concurrency;
  g_mutex_unlock (&self->core->mutex);

  return ret;
}

/**
 * gtask_sup_supervisor_set_max_concurrency: (set-property max-concurrency)
 * @self: a supervisor
 * @max_concurrency: the limit, or 0 for none
 *
 * Sets the most tasks running at once. Raising it starts queued tasks from
 * a later iteration of the owner context; lowering it stops nothing.
 *
 * Call it on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_set_max_concurrency (GtaskSupSupervisor *self,
                                          guint               max_concurrency)
{
  GtaskSupCore *core;
  gboolean changed;

  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));

  core = self->core;

  g_mutex_lock (&core->mutex);
  changed = core->max_concurrency != max_concurrency;
  core->max_concurrency = max_concurrency;
  if (changed && core->queue.length > 0)
    core_wake_locked (core);
  g_mutex_unlock (&core->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONCURRENCY]);
}

/**
 * gtask_sup_supervisor_get_n_running: (get-property n-running)
 * @self: a supervisor
 *
 * Gets the number of running tasks. Safe to call from any thread.
 *
 * Returns: the number of tasks in state %GTASK_SUP_TASK_STATE_RUNNING
 *
 * Since: 1.0
 */
guint
gtask_sup_supervisor_get_n_running (GtaskSupSupervisor *self)
{
  guint ret;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), 0);

  g_mutex_lock (&self->core->mutex);
  ret = self->core->n_running;
  g_mutex_unlock (&self->core->mutex);

  return ret;
}

/**
 * gtask_sup_supervisor_get_n_queued: (get-property n-queued)
 * @self: a supervisor
 *
 * Gets the number of tasks waiting for a free slot. Safe to call from any
 * thread.
 *
 * Returns: the number of tasks in state %GTASK_SUP_TASK_STATE_QUEUED
 *
 * Since: 1.0
 */
guint
gtask_sup_supervisor_get_n_queued (GtaskSupSupervisor *self)
{
  guint ret;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), 0);

  g_mutex_lock (&self->core->mutex);
  ret = self->core->queue.length;
  g_mutex_unlock (&self->core->mutex);

  return ret;
}

/**
 * gtask_sup_supervisor_get_closed: (get-property closed)
 * @self: a supervisor
 *
 * Gets whether the supervisor is closed: it was shut down, it gave up
 * after too many restarts, or its owner was disposed; so
 * [method@GtaskSup.Supervisor.start] fails with %GTASK_SUP_ERROR_CLOSED.
 *
 * Returns: %TRUE if the supervisor is closed
 *
 * Since: 1.0
 */
gboolean
gtask_sup_supervisor_get_closed (GtaskSupSupervisor *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), FALSE);

  return self->closed;
}

/**
 * gtask_sup_supervisor_get_children:
 * @self: a supervisor
 *
 * Gets the live tasks of the supervisor as a list model, in the order they
 * were started, for instance to show them in a `GtkListView`.
 *
 * A task appears in an iteration of the owner context after it was started
 * and leaves it when its outcome is emitted; `items-changed` is emitted on
 * the owner context only. Call it on the owner context's thread.
 *
 * Returns: (transfer none): a list model of [class@GtaskSup.Task], owned by
 *   the supervisor
 *
 * Since: 1.0
 */
GListModel *
gtask_sup_supervisor_get_children (GtaskSupSupervisor *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);

  if (self->model == NULL)
    {
      self->model = gtask_sup_children_new ();
      self->model_iters = g_hash_table_new (NULL, NULL);

      /* Tasks started before the model existed join it now, silently. */
      for (GList *l = self->children.head; l != NULL; l = l->next)
        {
          GtaskSupTask *task = l->data;

          if (g_atomic_int_get (&task->outcome) == GTASK_SUP_OUTCOME_NONE)
            g_hash_table_insert (self->model_iters, task,
                                 gtask_sup_children_append (self->model, task));
        }
    }

  return G_LIST_MODEL (self->model);
}

/**
 * gtask_sup_supervisor_start:
 * @self: a supervisor
 * @task: a task in state %GTASK_SUP_TASK_STATE_NEW
 * @error: return location for a #GError
 *
 * Starts @task under the supervisor: it runs at once, or waits in state
 * %GTASK_SUP_TASK_STATE_QUEUED when [property@GtaskSup.Supervisor:max-concurrency]
 * tasks already run. Its [property@GtaskSup.Task:timeout] counts from now.
 * The supervisor keeps a reference to @task until its outcome is emitted.
 *
 * Nothing is emitted from inside this call: the outcome, and the `notify`
 * of the task's state, come from later iterations of the owner context.
 *
 * Call it on the owner context's thread. A task can be started once.
 *
 * Returns: %TRUE if the task was started; %FALSE with
 *   %GTASK_SUP_ERROR_MAX_CHILDREN if [property@GtaskSup.Supervisor:max-children]
 *   tasks are live, or %GTASK_SUP_ERROR_CLOSED if the supervisor was shut
 *   down or its owner disposed. A refused task is left untouched and
 *   nothing is emitted for it.
 *
 * Since: 1.0
 */
gboolean
gtask_sup_supervisor_start (GtaskSupSupervisor  *self,
                            GtaskSupTask        *task,
                            GError             **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), FALSE);
  g_return_val_if_fail (GTASK_SUP_IS_TASK (task), FALSE);
  g_return_val_if_fail (task->core == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->closed)
    {
      if (self->stopping)
        g_set_error_literal (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED,
                             _("The supervisor is closed: it was shut down"));
      else
        g_set_error_literal (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED,
                             _("The supervisor is closed: its owner was disposed"));
      return FALSE;
    }

  if (self->max_children > 0 && self->children.length >= self->max_children)
    {
      g_set_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_MAX_CHILDREN,
                   _("The supervisor already runs its maximum of %u tasks"),
                   self->max_children);
      return FALSE;
    }

  gtask_sup_supervisor_start_child (self, task);

  return TRUE;
}

/* start() past its checks; also starts the new runs of restarted tasks,
 * which take the place of the old ones and so count against no limit. */
static void
gtask_sup_supervisor_start_child (GtaskSupSupervisor *self,
                                  GtaskSupTask       *task)
{
  GtaskSupCore *core = self->core;

  task->child_link.data = task;
  task->link.data = task;
  g_queue_push_tail_link (&self->children, &task->child_link);
  g_object_ref (task);
  task->holders = 1;

  /* Out of the critical section: the mutex is shared with the workers. */
  if (core->max_concurrency == 0)
    _gtask_sup_task_ensure_cancellable (task);

  g_mutex_lock (&core->mutex);

  task->core = _gtask_sup_core_ref (core);

  if (task->timeout >= 0)
    _gtask_sup_core_arm_locked (core, task,
                                g_get_monotonic_time () + (gint64)task->timeout * G_TIME_SPAN_MILLISECOND);

  if (core->queue.length == 0 && core_has_free_slot_locked (core))
    {
      core_run_locked (core, task);
    }
  else
    {
      g_atomic_int_set (&task->state, GTASK_SUP_TASK_STATE_QUEUED);
      g_queue_push_tail_link (&core->queue, &task->link);
      _gtask_sup_core_mark_dirty_locked (core, task, TRUE, FALSE);
    }

  g_mutex_unlock (&core->mutex);
}

/**
 * gtask_sup_supervisor_run_in_thread:
 * @self: a supervisor
 * @func: (scope notified) (closure user_data) (destroy destroy): the work
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the task is finalized
 * @error: return location for a #GError
 *
 * Creates a thread task for @func and starts it, as
 * [ctor@GtaskSup.Task.new_thread] and [method@GtaskSup.Supervisor.start] do.
 *
 * On error, @destroy is called on @user_data before this function returns.
 *
 * Returns: (transfer none) (nullable): the task, owned by the supervisor
 *   until its outcome is emitted (take a reference to keep it longer), or
 *   %NULL with %GTASK_SUP_ERROR_MAX_CHILDREN or %GTASK_SUP_ERROR_CLOSED
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_supervisor_run_in_thread (GtaskSupSupervisor  *self,
                                    GtaskSupThreadFunc   func,
                                    gpointer             user_data,
                                    GDestroyNotify       destroy,
                                    GError             **error)
{
  g_autoptr(GtaskSupTask) task = NULL;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  task = gtask_sup_task_new_thread (func, user_data, destroy);

  if (!gtask_sup_supervisor_start (self, task, error))
    return NULL;

  /* The supervisor holds it now. */
  return task;
}

/**
 * gtask_sup_supervisor_get_max_restarts: (get-property max-restarts)
 * @self: a supervisor
 *
 * Gets the most restarts the supervisor makes within
 * [property@GtaskSup.Supervisor:max-seconds].
 *
 * Returns: the most restarts
 *
 * Since: 1.0
 */
guint
gtask_sup_supervisor_get_max_restarts (GtaskSupSupervisor *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), 3);

  return self->max_restarts;
}

/**
 * gtask_sup_supervisor_set_max_restarts: (set-property max-restarts)
 * @self: a supervisor
 * @max_restarts: the most restarts within the window
 *
 * Sets the restart intensity: one restart more than @max_restarts within
 * [property@GtaskSup.Supervisor:max-seconds] makes the supervisor give up.
 * 0 makes it give up at the first restart. Call it on the owner context's
 * thread.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_set_max_restarts (GtaskSupSupervisor *self,
                                       guint               max_restarts)
{
  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));

  if (self->max_restarts == max_restarts)
    return;

  self->max_restarts = max_restarts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RESTARTS]);
}

/**
 * gtask_sup_supervisor_get_max_seconds: (get-property max-seconds)
 * @self: a supervisor
 *
 * Gets the window over which restarts are counted.
 *
 * Returns: the window, in seconds
 *
 * Since: 1.0
 */
guint
gtask_sup_supervisor_get_max_seconds (GtaskSupSupervisor *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), 5);

  return self->max_seconds;
}

/**
 * gtask_sup_supervisor_set_max_seconds: (set-property max-seconds)
 * @self: a supervisor
 * @max_seconds: the window, in seconds
 *
 * Sets the sliding window over which
 * [property@GtaskSup.Supervisor:max-restarts] counts restarts. Call it on
 * the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_set_max_seconds (GtaskSupSupervisor *self,
                                      guint               max_seconds)
{
  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));

  if (self->max_seconds == max_seconds)
    return;

  self->max_seconds = max_seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_SECONDS]);
}

void
_gtask_sup_source_destroy_and_unref (gpointer source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

static gboolean
shutdown_cancelled_cb (GCancellable *cancellable,
                       gpointer      data)
{
  GTask *waiter = data;
  GtaskSupSupervisor *self = g_task_get_source_object (waiter);

  /* Still waiting: stop waiting. The shutdown itself goes on. */
  if (g_queue_remove (&self->shutdown_waiters, waiter))
    {
      g_task_return_error_if_cancelled (waiter);
      g_object_unref (waiter);
    }

  return G_SOURCE_REMOVE;
}

/**
 * gtask_sup_supervisor_shutdown_async:
 * @self: a supervisor
 * @cancellable: (nullable): a #GCancellable to stop waiting (the shutdown
 *   goes on)
 * @callback: (scope async) (closure user_data): called when the supervisor
 *   has stopped
 * @user_data: data for @callback
 *
 * Shuts the supervisor down, as Elixir's `Supervisor.stop`: it closes
 * ([method@GtaskSup.Supervisor.start] then fails with
 * %GTASK_SUP_ERROR_CLOSED), no task is restarted any more, and every child
 * is shut down with its own [property@GtaskSup.Task:shutdown-timeout] grace
 * period, as [method@GtaskSup.Task.shutdown] does. Queued tasks are
 * cancelled and never run.
 *
 * Once every child has emitted its outcome,
 * [signal@GtaskSup.Supervisor::stopped] is emitted with a %NULL reason, then
 * @callback is called, on the thread-default main context of the caller,
 * from an iteration of it (never from inside this call). Calling it again,
 * even after the supervisor stopped, is harmless: the new call completes
 * once it has stopped. If the owner is disposed meanwhile, it completes
 * from a later iteration, with no ::stopped.
 *
 * Call it on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_shutdown_async (GtaskSupSupervisor  *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) waiter = NULL;

  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  waiter = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (waiter, gtask_sup_supervisor_shutdown_async);
  g_task_set_name (waiter, "[gtask-sup] shutdown");

  if (self->stopped || self->core->dead)
    {
      g_task_return_boolean (waiter, TRUE);
      return;
    }

  if (cancellable != NULL)
    {
      GSource *source = g_cancellable_source_new (cancellable);

      g_source_set_static_name (source, "[gtask-sup] shutdown cancelled");
      g_source_set_callback (source, G_SOURCE_FUNC (shutdown_cancelled_cb), waiter, NULL);
      g_source_attach (source, self->context);
      /* Destroyed with the GTask, so it never outlives its data; the task
       * data keeps a reference, since the GTask may outlive the context. */
      g_task_set_task_data (waiter, source, _gtask_sup_source_destroy_and_unref);
    }

  g_queue_push_tail (&self->shutdown_waiters, g_object_ref (waiter));
  gtask_sup_supervisor_stop (self, NULL);
}

/**
 * gtask_sup_supervisor_shutdown_finish:
 * @self: a supervisor
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@GtaskSup.Supervisor.shutdown_async].
 *
 * Returns: %TRUE once the supervisor has stopped; %FALSE with
 *   %G_IO_ERROR_CANCELLED if the wait was cancelled first
 *
 * Since: 1.0
 */
gboolean
gtask_sup_supervisor_shutdown_finish (GtaskSupSupervisor  *self,
                                      GAsyncResult        *result,
                                      GError             **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        gtask_sup_supervisor_shutdown_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
_gtask_sup_supervisor_add_stream (GtaskSupSupervisor *self,
                                  GtaskSupStream     *stream)
{
  g_ptr_array_add (self->streams, stream);
}

void
_gtask_sup_supervisor_remove_stream (GtaskSupSupervisor *self,
                                     GtaskSupStream     *stream)
{
  if (self->streams != NULL)
    g_ptr_array_remove_fast (self->streams, stream);
}

/**
 * gtask_sup_supervisor_map:
 * @self: a supervisor
 * @next_func: (scope notified) (closure user_data) (destroy destroy): gives
 *   the stream its next item
 * @user_data: data for @next_func
 * @destroy: (nullable): frees @user_data once the input ended, or the
 *   stream finished or was finalized
 *
 * Makes a stream that runs the tasks @next_func gives it, at most
 * [property@GtaskSup.Stream:max-concurrency] at once, like Elixir's
 * `Task.async_stream`. @next_func is called on the owner context only when
 * a slot is free, until it returns %NULL; the stream never holds a queue
 * of items not started yet.
 *
 * Configure the stream, then start it with [method@GtaskSup.Stream.start].
 * Its items are tasks of @self: `max-children`, the supervisor's own
 * `max-concurrency` (time queued there counts against an item's timeout)
 * and owner finalization apply to them as to any task, and they emit the
 * supervisor's outcome signals too. An item refused because of
 * `max-children` is started again when a task of @self ends.
 *
 * Returns: (transfer full): a new stream, not started
 *
 * Since: 1.0
 */
GtaskSupStream *
gtask_sup_supervisor_map (GtaskSupSupervisor     *self,
                          GtaskSupStreamNextFunc  next_func,
                          gpointer                user_data,
                          GDestroyNotify          destroy)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);
  g_return_val_if_fail (next_func != NULL, NULL);

  return _gtask_sup_stream_new (self, next_func, user_data, destroy);
}

typedef struct
{
  GListModel            *items;
  GtaskSupStreamMapFunc  func;
  gpointer               user_data;
  GDestroyNotify         destroy;
} ModelInput;

static void
model_input_free (gpointer data)
{
  ModelInput *input = data;

  if (input->destroy != NULL)
    input->destroy (input->user_data);
  g_clear_object (&input->items);
  g_free (input);
}

static GtaskSupTask *
model_input_next (GtaskSupStream *stream,
                  guint64         index,
                  gpointer        data)
{
  ModelInput *input = data;
  g_autoptr(GObject) item = NULL;

  if (index >= g_list_model_get_n_items (input->items))
    return NULL;

  item = g_list_model_get_item (input->items, index);

  return input->func (stream, item, input->user_data);
}

/**
 * gtask_sup_supervisor_map_model:
 * @self: a supervisor
 * @items: the input: one task per item
 * @func: (scope notified) (closure user_data) (destroy destroy): makes the
 *   task for an item
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once the input ended, or the
 *   stream finished or was finalized
 *
 * Makes a stream over the items of a list model, for instance the files a
 * user selected in a GTK view, as [method@GtaskSup.Supervisor.map] does:
 * @func makes the task for an item when a slot is free. Items are read by
 * position, when they are reached; the stream ends at the first position
 * past the end of @items.
 *
 * Returns: (transfer full): a new stream, not started
 *
 * Since: 1.0
 */
GtaskSupStream *
gtask_sup_supervisor_map_model (GtaskSupSupervisor    *self,
                                GListModel            *items,
                                GtaskSupStreamMapFunc  func,
                                gpointer               user_data,
                                GDestroyNotify         destroy)
{
  ModelInput *input;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);
  g_return_val_if_fail (G_IS_LIST_MODEL (items), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  input = g_new0 (ModelInput, 1);
  input->items = g_object_ref (items);
  input->func = func;
  input->user_data = user_data;
  input->destroy = destroy;

  return _gtask_sup_stream_new (self, model_input_next, input, model_input_free);
}

/* vim:set foldmethod=marker: */
