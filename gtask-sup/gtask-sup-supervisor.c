/* gtask-sup-supervisor.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>

#include "gtask-sup-children-private.h"
#include "gtask-sup-enums.h"
#include "gtask-sup-i18n-private.h"
#include "gtask-sup-marshal.h"
#include "gtask-sup-supervisor-private.h"
#include "gtask-sup-task-private.h"
#include "gtask-sup-trace-private.h"
#include "gtask-sup-waiters-private.h"

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
 * The work itself never waits for the owner context:
 * [method@GtaskSup.Supervisor.start] hands a thread task to a worker and a
 * subprocess to its spawner at once, and timeouts and kills are kept by the
 * library's own service thread, so they act on time while the owner thread
 * is busy or blocked. Only signals,
 * notifies and callbacks wait for the owner context. (An async task's
 * function is code of the owner context: it runs from the next iteration.)
 *
 * Limits: [property@GtaskSup.Supervisor:max-children] bounds the number of
 * live tasks (the next [method@GtaskSup.Supervisor.start] fails);
 * [property@GtaskSup.Supervisor:max-concurrency] bounds the work that really
 * runs (the next tasks wait, in FIFO order, in state
 * %GTASK_SUP_TASK_STATE_QUEUED). A task is %GTASK_SUP_TASK_STATE_RUNNING
 * only while its work runs; one waiting for a worker thread is queued.
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
  GtaskSupCore     *core;        /* the engine */
  GQueue            children;    /* live tasks through task->child_link, each a reference */
  GtaskSupChildren *model;       /* created by get_children(); changes shown
                                  * after each dispatch, in a batch */
  GHashTable       *ignored;     /* children reported to nobody (ignore()), or NULL */
  GPtrArray        *groups_reported; /* groups whose tasks this dispatch reported,
                                      * for their dispatched callback; references */

  guint             max_children;
  guint             max_restarts;
  guint             max_seconds;
  guint             notified_n_running;
  guint             notified_n_queued;

  GArray           *restart_times;    /* monotonic µs of the recent restarts */
  GArray           *silence_hooks;    /* SilenceHook, for streams and scopes */
  GError           *stop_reason;
  GtaskSupWaiters   shutdown_waiters; /* of shutdown_async() */
  GtaskSupWaiters   drain_waiters;    /* of drain_async() */

  guint             closed : 1;
  guint             draining : 1;     /* closed by close() or drain_async() */
  guint             scoped : 1;       /* runs as a task of another supervisor */
  guint             log_unhandled : 1;
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
  PROP_LOG_UNHANDLED,
  PROP_PROGRESS_INTERVAL,
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

/* Reporting outcomes (the engine's hooks) {{{1 */

/* Completes the join_async() callers of @task with its final outcome. */
static void
complete_joiners (GtaskSupTask    *task,
                  GtaskSupWaiters *joiners,
                  gboolean         later)
{
  if (joiners == NULL)
    return;

  _gtask_sup_waiters_complete (joiners,
                               gtask_sup_task_get_state (task) == GTASK_SUP_TASK_STATE_SUCCEEDED
                               ? NULL : _gtask_sup_task_peek_error (task),
                               later);
  _gtask_sup_core_release_joiners (joiners);
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

/* Logs a failure or timeout that nobody will hear of, as Elixir's logger
 * reports a crashed task: no handler for its signal (with or without the
 * detail), no stream (which reports it as an item), no join_async(). A
 * task that was cancelled or shut down was stopped on purpose: not logged.
 * Not translated, as GLib's own warnings. */
static void
gtask_sup_supervisor_log_unhandled (GtaskSupSupervisor *self,
                                    GtaskSupTask       *task,
                                    GtaskSupTaskState   state,
                                    GQuark              detail,
                                    gboolean            joined)
{
  const GError *error;
  const char *name;
  guint signal_id;

  gboolean shut_down;

  if (state == GTASK_SUP_TASK_STATE_SUCCEEDED || task->group != NULL || joined)
    return;

  /* Heard: the common case, decided before the error of a timeout is
   * made (it is made when read). */
  signal_id = state == GTASK_SUP_TASK_STATE_FAILED ? signals[FAILED] : signals[TIMED_OUT];
  if (g_signal_has_handler_pending (self, signal_id, detail, FALSE))
    return;

  /* A flag of the word other threads write under the engine's mutex. */
  g_mutex_lock (&task->core->mutex);
  shut_down = task->shutting_down;
  g_mutex_unlock (&task->core->mutex);
  if (shut_down)
    return;

  error = _gtask_sup_task_peek_error (task);
  if (state == GTASK_SUP_TASK_STATE_FAILED &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  name = _gtask_sup_task_display_name (task);
  if (state == GTASK_SUP_TASK_STATE_FAILED)
    g_warning ("Task “%s” failed, and no handler of ::failed heard it: %s",
               name != NULL ? name : "(unnamed)", error != NULL ? error->message : "");
  else
    g_warning ("Task “%s” timed out, and no handler of ::timed-out heard it: %s",
               name != NULL ? name : "(unnamed)", error != NULL ? error->message : "");
}

/* The task's Sysprof marks: from its start to its outcome, named after
 * its kind, with its name and outcome; and its time in the queue. */
static void
gtask_sup_supervisor_trace (GtaskSupTask      *task,
                            GtaskSupTaskState  state)
{
  g_autoptr(GEnumClass) kinds = g_type_class_ref (GTASK_SUP_TYPE_TASK_KIND);
  g_autoptr(GEnumClass) states = g_type_class_ref (GTASK_SUP_TYPE_TASK_STATE);
  gint64 start = _gtask_sup_trace_get_stamp (G_OBJECT (task), "gtask-sup-trace-start");
  gint64 run = _gtask_sup_trace_get_stamp (G_OBJECT (task), "gtask-sup-trace-run");
  gint64 now = _gtask_sup_trace_now ();
  const char *name = _gtask_sup_task_display_name (task);
  g_autofree char *message = NULL;

  message = g_strdup_printf ("%s: %s", name != NULL ? name : "(unnamed)",
                             g_enum_get_value (states, state)->value_nick);
  _gtask_sup_trace_mark (start, now,
                         g_enum_get_value (kinds, gtask_sup_task_get_kind (task))->value_nick,
                         message);
  if (run > start)
    _gtask_sup_trace_mark (start, run, "queued", name != NULL ? name : "(unnamed)");
}

/* The engine's complete hook: makes a decided task final and emits its
 * outcome, on the owner context. */
static gboolean
gtask_sup_supervisor_complete (gpointer      owner,
                               GtaskSupTask *task)
{
  GtaskSupSupervisor *self = owner;
  GtaskSupCore *core = self->core;
  GtaskSupWaiters *joiners;
  GtaskSupTaskState state;
  const char *name;
  GQuark detail;
  gboolean unref_now;
  gboolean restart;

  state = _gtask_sup_core_final_state (task);
  joiners = _gtask_sup_core_finish (core, task, state, &unref_now);

  g_queue_unlink (&self->children, &task->child_link);
  if (self->scoped)
    _gtask_sup_task_unlink_parent (task);
  if (self->ignored != NULL && g_hash_table_remove (self->ignored, task))
    {
      /* Nobody hears of it: no signal, no log, no restart; only its own
       * notify::state, and the join_async() callers who asked. */
      if (!core->dead)
        _gtask_sup_task_notify_state (task);
      complete_joiners (task, joiners, core->dead);
      return unref_now;
    }
  /* Not shown yet: it never will be. Shown: it goes at the end of the
   * dispatch, with the others that ended. */
  if (self->model != NULL)
    gtask_sup_children_remove (self->model, task);

  /* The detail is the name's quark only if it exists: connecting a handler
   * for "failed::thumbnail" made it. Names are never interned here (quarks
   * are never freed); a name nobody asked for has no quark, and only
   * handlers without a detail run. */
  name = _gtask_sup_task_display_name (task);
  detail = name != NULL ? g_quark_try_string (name) : 0;

  if (self->log_unhandled)
    gtask_sup_supervisor_log_unhandled (self, task, state, detail, joiners != NULL);
  if G_UNLIKELY (_gtask_sup_trace_is_active ())
    gtask_sup_supervisor_trace (task, state);

  switch (state)
    {
    case GTASK_SUP_TASK_STATE_SUCCEEDED:
      g_signal_emit (self, signals[SUCCEEDED], detail, task);
      break;
    case GTASK_SUP_TASK_STATE_FAILED:
      g_signal_emit (self, signals[FAILED], detail, task,
                     _gtask_sup_task_peek_error (task));
      break;
    case GTASK_SUP_TASK_STATE_TIMED_OUT:
      g_signal_emit (self, signals[TIMED_OUT], detail, task);
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
  /* The stream that runs it, without a signal hop; and once more at the
   * end of the dispatch. */
  if (!core->dead && task->group != NULL && task->group->done != NULL)
    {
      GtaskSupGroup *group = task->group;

      group->done (group->done_data, task);
      if (group->dispatched != NULL && !group->dispatch_pending)
        {
          group->dispatch_pending = TRUE;
          g_ptr_array_add (self->groups_reported, _gtask_sup_group_ref (group));
        }
    }
  complete_joiners (task, joiners, core->dead);

  restart = _gtask_sup_task_should_restart (task);
  if (restart && !self->stopping && !self->draining && !core->dead)
    gtask_sup_supervisor_restart (self, task);

  /* The child reference, if the work is over: the engine drops it once
   * every outcome of the dispatch is reported. */
  return unref_now;
}

/* The engine's notify hook: notifies asked for from other threads; a task
 * newly started shows up in the children model. */
static void
gtask_sup_supervisor_notify (gpointer      owner,
                             GtaskSupTask *task,
                             guint         what)
{
  GtaskSupSupervisor *self = owner;

  /* Shown at the end of the dispatch, with every task started since the
   * last one, in one ::items-changed. */
  if (self->model != NULL &&
      g_atomic_int_get (&task->outcome) == GTASK_SUP_OUTCOME_NONE &&
      (self->ignored == NULL || !g_hash_table_contains (self->ignored, task)))
    gtask_sup_children_add (self->model, task);
  /* A decided task notifies its final state soon: the intermediate one is
   * not worth a notify. */
  if ((what & GTASK_SUP_CORE_NOTIFY_STATE) &&
      g_atomic_int_get (&task->outcome) == GTASK_SUP_OUTCOME_NONE)
    _gtask_sup_task_notify_state (task);
  if (what & GTASK_SUP_CORE_NOTIFY_PROGRESS)
    _gtask_sup_task_notify_progress (task);
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

/* Once every child of a stopping supervisor is done: ::stopped, and the
 * shutdown_async() callers complete. */
static void
gtask_sup_supervisor_check_stopped (GtaskSupSupervisor *self)
{
  if (!self->stopping || self->stopped || self->children.length > 0)
    return;

  self->stopped = TRUE;

  /* Handlers may dispose the owner: check before each emission. Waiters
   * left then were completed by the silent close. */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSED]);
  if (!self->core->dead)
    g_signal_emit (self, signals[STOPPED], 0, self->stop_reason);

  _gtask_sup_waiters_complete (&self->shutdown_waiters, NULL, FALSE);
}

/* The groups (streams) that heard of outcomes in this dispatch, each once:
 * a stream starts the items that replace them in one go. */
static void
gtask_sup_supervisor_flush_groups (GtaskSupSupervisor *self)
{
  g_autoptr(GPtrArray) groups = NULL;

  if (self->groups_reported->len == 0)
    return;

  groups = g_steal_pointer (&self->groups_reported);
  self->groups_reported = g_ptr_array_new_with_free_func ((GDestroyNotify)_gtask_sup_group_unref);

  for (guint i = 0; i < groups->len; i++)
    {
      GtaskSupGroup *group = g_ptr_array_index (groups, i);

      group->dispatch_pending = FALSE;
      if (group->dispatched != NULL && !self->core->dead)
        group->dispatched (group->done_data);
    }
}

/* The engine's idle hook, after each dispatch. */
static void
gtask_sup_supervisor_dispatched (gpointer owner)
{
  GtaskSupSupervisor *self = owner;

  gtask_sup_supervisor_flush_groups (self);

  if (self->model != NULL)
    gtask_sup_children_flush (self->model);

  gtask_sup_supervisor_notify_counts (self);
  if (!self->core->dead)
    gtask_sup_supervisor_check_stopped (self);
  if (!self->core->dead && self->children.length == 0)
    _gtask_sup_waiters_complete (&self->drain_waiters, NULL, FALSE);
}

static const GtaskSupCoreHooks core_hooks = {
  .complete = gtask_sup_supervisor_complete,
  .notify = gtask_sup_supervisor_notify,
  .idle = gtask_sup_supervisor_dispatched,
};

/* Closes the supervisor and shuts every child down with its own grace
 * period; ::stopped follows from a dispatch once they are all done. Takes
 * @reason. */
static void
gtask_sup_supervisor_stop (GtaskSupSupervisor *self,
                           GError             *reason)
{
  if (self->stopping)
    {
      g_clear_error (&reason);
      return;
    }

  self->stopping = TRUE;
  self->closed = TRUE;
  self->stop_reason = reason;
  _gtask_sup_core_close (self->core);

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
  _gtask_sup_core_wake (self->core);
}

/* Closing {{{1 */

typedef struct
{
  GtaskSupSilenceFunc func;
  gpointer            data;
} SilenceHook;

/* Cancels every task and silences the supervisor for good: the owner is
 * gone (or the supervisor is), so nothing may be emitted any more (DESIGN §4
 * rule 3). Waiters are woken and join_async() callers get their callback,
 * which GIO's async contract requires, with G_IO_ERROR_CANCELLED. */
static void
gtask_sup_supervisor_close_silently (GtaskSupSupervisor *self)
{
  GtaskSupCore *core = self->core;
  g_autoptr(GPtrArray) to_interrupt = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) to_unref = NULL;
  g_autoptr(GPtrArray) lingering = NULL;
  g_autoptr(GPtrArray) joined = g_ptr_array_new ();
  g_autoptr(GArray) hooks = NULL;
  GList *link;

  self->closed = TRUE;

  if (core == NULL || core->dead)
    return;

  to_unref = _gtask_sup_core_kill (core, &lingering);

  /* The engine's mutex is held until every child is silenced. */
  while ((link = g_queue_pop_head_link (&self->children)) != NULL)
    {
      GtaskSupTask *task = link->data;
      GtaskSupWaiters *joiners = NULL;

      g_ptr_array_add (to_interrupt, g_object_ref (task));
      if (_gtask_sup_core_silence_locked (core, task))
        g_ptr_array_add (to_unref, task);

      /* A waiter must see the task end: it failed, as cancelled, even
       * with a result that was not reported yet. */
      _gtask_sup_task_silence_error (task);
      g_atomic_int_set (&task->state, GTASK_SUP_TASK_STATE_FAILED);

      if (g_hash_table_steal_extended (core->joiners, task, NULL, (gpointer *)&joiners))
        {
          g_ptr_array_add (joined, task);
          g_ptr_array_add (joined, joiners);
        }
    }

  g_assert (_gtask_sup_heap_get_length (&core->heap) == 0);
  g_assert (core->queue.length == 0);
  if (self->ignored != NULL)
    g_hash_table_remove_all (self->ignored);

  _gtask_sup_core_unlock (core);

  /* Streams and child scopes stop too, silently. */
  hooks = g_steal_pointer (&self->silence_hooks);
  for (guint i = 0; hooks != NULL && i < hooks->len; i++)
    {
      SilenceHook *hook = &g_array_index (hooks, SilenceHook, i);

      hook->func (self, hook->data);
    }

  /* Nothing is left running: a pending shutdown or drain is complete. */
  _gtask_sup_waiters_complete (&self->shutdown_waiters, NULL, TRUE);
  _gtask_sup_waiters_complete (&self->drain_waiters, NULL, TRUE);

  /* A finished subprocess has no group left to signal; a running one gets
   * SIGTERM and, from the service thread, SIGKILL after its grace: also one
   * whose outcome was reported long ago (lingering), whatever its own
   * shutdown-timeout. */
  for (guint i = 0; i < to_interrupt->len; i++)
    _gtask_sup_core_interrupt (g_ptr_array_index (to_interrupt, i),
                               GTASK_SUP_OUTCOME_SILENCED, 0);
  for (guint i = 0; i < lingering->len; i++)
    _gtask_sup_core_interrupt (g_ptr_array_index (lingering, i),
                               GTASK_SUP_OUTCOME_SILENCED, 0);

  for (guint i = 0; i < joined->len; i += 2)
    complete_joiners (g_ptr_array_index (joined, i), g_ptr_array_index (joined, i + 1), TRUE);
}

/* Calls @func when the supervisor is silenced (its owner disposed, or
 * itself finalized), on the owner context, before join_async() callers
 * complete. For the streams and scopes built on a supervisor. */
void
_gtask_sup_supervisor_add_silence_hook (GtaskSupSupervisor  *self,
                                        GtaskSupSilenceFunc  func,
                                        gpointer             data)
{
  SilenceHook hook = { func, data };

  if (self->silence_hooks == NULL)
    self->silence_hooks = g_array_new (FALSE, FALSE, sizeof (SilenceHook));
  g_array_append_val (self->silence_hooks, hook);
}

void
_gtask_sup_supervisor_remove_silence_hook (GtaskSupSupervisor  *self,
                                           GtaskSupSilenceFunc  func,
                                           gpointer             data)
{
  for (guint i = 0; self->silence_hooks != NULL && i < self->silence_hooks->len; i++)
    {
      SilenceHook *hook = &g_array_index (self->silence_hooks, SilenceHook, i);

      if (hook->func == func && hook->data == data)
        {
          g_array_remove_index_fast (self->silence_hooks, i);
          return;
        }
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

  self->core = _gtask_sup_core_new (&core_hooks, self, self->context);

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
  g_clear_pointer (&self->ignored, g_hash_table_unref);

  G_OBJECT_CLASS (gtask_sup_supervisor_parent_class)->dispose (object);
}

static void
gtask_sup_supervisor_finalize (GObject *object)
{
  GtaskSupSupervisor *self = (GtaskSupSupervisor *)object;

  g_weak_ref_clear (&self->owner_ref);
  g_clear_pointer (&self->restart_times, g_array_unref);
  g_clear_pointer (&self->groups_reported, g_ptr_array_unref);
  g_clear_pointer (&self->silence_hooks, g_array_unref);
  g_clear_error (&self->stop_reason);
  /* Tasks may still point to the core; it goes with the last of them. */
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

    case PROP_LOG_UNHANDLED:
      g_value_set_boolean (value, gtask_sup_supervisor_get_log_unhandled (self));
      break;

    case PROP_PROGRESS_INTERVAL:
      g_value_set_uint (value, gtask_sup_supervisor_get_progress_interval (self));
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

    case PROP_LOG_UNHANDLED:
      gtask_sup_supervisor_set_log_unhandled (self, g_value_get_boolean (value));
      break;

    case PROP_PROGRESS_INTERVAL:
      gtask_sup_supervisor_set_progress_interval (self, g_value_get_uint (value));
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
   * It bounds work that really runs. A task that was timed out, cancelled
   * or shut down reports its outcome at once, but a thread function that
   * goes on running (it ignored its cancellable, and a thread cannot be
   * killed) keeps its slot until it returns, so that a limit of 1 still
   * means "never two at once"; a subprocess keeps its slot until it is
   * reaped; an async task frees it with its outcome.
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
   * [property@GtaskSup.Supervisor:max-restarts] counts restarts; at least 1.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_SECONDS] =
    g_param_spec_uint ("max-seconds", NULL, NULL,
                       1, G_MAXUINT, 5,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:n-running:
   *
   * The number of tasks whose work runs: thread functions running on a
   * worker, async operations not completed, subprocesses not reaped. A
   * thread function that goes on after its task was reported (timed out,
   * cancelled or killed: it cannot be stopped) still counts until it
   * returns.
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
   * The number of tasks in state %GTASK_SUP_TASK_STATE_QUEUED: waiting for
   * a free slot of [property@GtaskSup.Supervisor:max-concurrency], or for a
   * worker thread.
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
   * Whether the supervisor refuses new tasks: it was closed with
   * [method@GtaskSup.Supervisor.close] or
   * [method@GtaskSup.Supervisor.drain_async], shut down, it gave up after
   * too many restarts, or its owner was disposed. Its `notify` is emitted
   * by `close()` and `drain_async()`, and with
   * [signal@GtaskSup.Supervisor::stopped] (never after the owner was
   * disposed).
   *
   * Since: 1.0
   */
  properties[PROP_CLOSED] =
    g_param_spec_boolean ("closed", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupSupervisor:log-unhandled:
   *
   * Whether a task that fails or times out unheard is logged, as Elixir's
   * logger reports a crashed task: one warning (log domain `GtaskSup`)
   * with the task's name and the error's message, when no handler of
   * [signal@GtaskSup.Supervisor::failed] (resp.
   * [signal@GtaskSup.Supervisor::timed-out]) is connected for it, with or
   * without its detail, no [method@GtaskSup.Task.join_async] waits for it,
   * and it is not a [class@GtaskSup.Stream]'s item (the stream reports
   * those). A task cancelled or shut down on purpose is never logged.
   *
   * Since: 1.0
   */
  /**
   * GtaskSupSupervisor:progress-interval:
   *
   * The least time, in milliseconds, between two rounds of
   * `notify::progress` of the supervisor's tasks, on the owner context; 0
   * for a round at every iteration. The default, 16 ms, is a frame at
   * 60 Hz: a worker that calls [method@GtaskSup.Task.set_progress] in a
   * tight loop costs a GTK application at most about 60 notifies a second
   * per task, and the last value set is always notified (after the task's
   * outcome, if that came first).
   *
   * Since: 1.0
   */
  properties[PROP_PROGRESS_INTERVAL] =
    g_param_spec_uint ("progress-interval", NULL, NULL,
                       0, 60000, GTASK_SUP_CORE_PROGRESS_INTERVAL_MS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_LOG_UNHANDLED] =
    g_param_spec_boolean ("log-unhandled", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

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
                  _gtask_sup_marshal_VOID__OBJECT_BOXED,
                  G_TYPE_NONE, 2,
                  GTASK_SUP_TYPE_TASK,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[FAILED],
                              G_TYPE_FROM_CLASS (klass),
                              _gtask_sup_marshal_VOID__OBJECT_BOXEDv);

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
  _gtask_sup_waiters_init (&self->shutdown_waiters);
  _gtask_sup_waiters_init (&self->drain_waiters);
  self->log_unhandled = TRUE;
  self->restart_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->groups_reported = g_ptr_array_new_with_free_func ((GDestroyNotify)_gtask_sup_group_unref);
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
 * Sets the most tasks running at once. Raising it starts queued tasks at
 * once (async tasks from the next iteration of the owner context);
 * lowering it stops nothing.
 *
 * Call it on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_set_max_concurrency (GtaskSupSupervisor *self,
                                          guint               max_concurrency)
{
  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));

  if (gtask_sup_supervisor_get_max_concurrency (self) == max_concurrency)
    return;

  _gtask_sup_core_set_max_concurrency (self->core, max_concurrency);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONCURRENCY]);
}

/**
 * gtask_sup_supervisor_get_n_running: (get-property n-running)
 * @self: a supervisor
 *
 * Gets the number of tasks whose work runs: thread functions running on a
 * worker, async operations not completed, subprocesses not reaped. A task
 * waiting for a worker thread is not counted; an abandoned thread function
 * (its task timed out, cancelled or killed) is counted until it returns.
 * Safe to call from any thread.
 *
 * Returns: the number of running works
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
 * Gets the number of tasks waiting for a free slot or for a worker thread.
 * Safe to call from any thread.
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
  ret = self->core->n_queued;
  g_mutex_unlock (&self->core->mutex);

  return ret;
}

/**
 * gtask_sup_supervisor_get_closed: (get-property closed)
 * @self: a supervisor
 *
 * Gets whether the supervisor is closed: it was closed, drained or shut
 * down, it gave up after too many restarts, or its owner was disposed; so
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
      self->model = gtask_sup_children_new (G_STRUCT_OFFSET (GtaskSupTask, children_slot));

      /* Tasks started before the model existed join it now, before anyone
       * can listen. */
      for (GList *l = self->children.head; l != NULL; l = l->next)
        {
          GtaskSupTask *task = l->data;

          if (g_atomic_int_get (&task->outcome) == GTASK_SUP_OUTCOME_NONE &&
              (self->ignored == NULL || !g_hash_table_contains (self->ignored, task)))
            gtask_sup_children_add (self->model, task);
        }
      gtask_sup_children_flush (self->model);
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
  g_return_val_if_fail (task->kind != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->closed)
    {
      if (self->draining && !self->stopping)
        g_set_error_literal (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED,
                             _("The supervisor is closed: it finishes its tasks and takes no new one"));
      else if (self->stopping)
        g_set_error_literal (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED,
                             _("The supervisor is closed: it was shut down"));
      else
        g_set_error_literal (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED,
                             _("The supervisor is closed: its owner was disposed"));
      return FALSE;
    }

  if (self->max_children > 0 &&
      self->children.length - (self->ignored != NULL ? g_hash_table_size (self->ignored) : 0)
      >= self->max_children)
    {
      g_set_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_MAX_CHILDREN,
                   _("The supervisor already runs its maximum of %u tasks"),
                   self->max_children);
      return FALSE;
    }

  /* Its parent, if a task's work starts it (a restart's run has the
   * parent of the first). */
  _gtask_sup_task_adopt (task);
  gtask_sup_supervisor_start_child (self, task);
  /* Work a task starts on a child supervisor is part of that task. */
  if (self->scoped)
    _gtask_sup_task_link_to_parent (task);

  return TRUE;
}

/* start() past its checks; also starts the new runs of restarted tasks,
 * which take the place of the old ones and so count against no limit. */
static void
gtask_sup_supervisor_start_child (GtaskSupSupervisor *self,
                                  GtaskSupTask       *task)
{
  task->child_link.data = task;
  g_queue_push_tail_link (&self->children, &task->child_link);
  if G_UNLIKELY (_gtask_sup_trace_is_active ())
    _gtask_sup_trace_stamp (G_OBJECT (task), "gtask-sup-trace-start");
  g_object_ref (task);

  _gtask_sup_core_start (self->core, task);
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
 * @max_seconds: the window, in seconds, at least 1
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
  g_return_if_fail (max_seconds >= 1);

  if (self->max_seconds == max_seconds)
    return;

  self->max_seconds = max_seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_SECONDS]);
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

  _gtask_sup_waiters_add (&self->shutdown_waiters, waiter);
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

/**
 * gtask_sup_supervisor_get_log_unhandled: (get-property log-unhandled)
 * @self: a supervisor
 *
 * Gets whether failures and timeouts nobody hears of are logged.
 *
 * Returns: %TRUE if they are logged
 *
 * Since: 1.0
 */
gboolean
gtask_sup_supervisor_get_log_unhandled (GtaskSupSupervisor *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), FALSE);

  return self->log_unhandled;
}

/**
 * gtask_sup_supervisor_set_log_unhandled: (set-property log-unhandled)
 * @self: a supervisor
 * @log_unhandled: whether to log
 *
 * Sets whether a task that fails or times out with no handler to hear it
 * logs a warning; see [property@GtaskSup.Supervisor:log-unhandled]. Call it
 * on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_set_log_unhandled (GtaskSupSupervisor *self,
                                        gboolean            log_unhandled)
{
  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));

  log_unhandled = !!log_unhandled;
  if (self->log_unhandled == (guint)log_unhandled)
    return;

  self->log_unhandled = log_unhandled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_UNHANDLED]);
}

/**
 * gtask_sup_supervisor_get_progress_interval: (get-property progress-interval)
 * @self: a supervisor
 *
 * Gets the least time between two rounds of progress notifies. Safe to
 * call from any thread.
 *
 * Returns: the interval, in milliseconds
 *
 * Since: 1.0
 */
guint
gtask_sup_supervisor_get_progress_interval (GtaskSupSupervisor *self)
{
  gint64 interval;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), GTASK_SUP_CORE_PROGRESS_INTERVAL_MS);

  /* The engine's, under its mutex: property reads are safe from any thread. */
  g_mutex_lock (&self->core->mutex);
  interval = self->core->progress_interval;
  g_mutex_unlock (&self->core->mutex);

  return interval / G_TIME_SPAN_MILLISECOND;
}

/**
 * gtask_sup_supervisor_set_progress_interval: (set-property progress-interval)
 * @self: a supervisor
 * @interval_ms: the least time between two rounds of `notify::progress`,
 *   in milliseconds, at most 60000; 0 for every iteration
 *
 * Sets how often the progress of the supervisor's tasks is notified; see
 * [property@GtaskSup.Supervisor:progress-interval]. Call it on the owner
 * context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_set_progress_interval (GtaskSupSupervisor *self,
                                            guint               interval_ms)
{
  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));
  g_return_if_fail (interval_ms <= 60000);

  if (gtask_sup_supervisor_get_progress_interval (self) == interval_ms)
    return;

  _gtask_sup_core_set_progress_interval (self->core, interval_ms);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS_INTERVAL]);
}

/**
 * gtask_sup_supervisor_close:
 * @self: a supervisor
 *
 * Closes the supervisor gently: [method@GtaskSup.Supervisor.start] fails
 * with %GTASK_SUP_ERROR_CLOSED from now on, and no task is restarted any
 * more, but running and queued tasks go on and end as they would have.
 * Nothing is cancelled. [method@GtaskSup.Supervisor.drain_async] waits for
 * the last of them; [method@GtaskSup.Supervisor.shutdown_async] still stops
 * them. Closing a closed supervisor does nothing.
 *
 * Call it on the owner context's thread. `notify::closed` is emitted from
 * inside the call.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_close (GtaskSupSupervisor *self)
{
  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));

  if (self->closed)
    return;

  self->closed = TRUE;
  self->draining = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSED]);
}

/**
 * gtask_sup_supervisor_drain_async:
 * @self: a supervisor
 * @cancellable: (nullable): a #GCancellable to stop waiting (the tasks go
 *   on)
 * @callback: (scope async) (closure user_data): called once the
 *   supervisor has no task left
 * @user_data: data for @callback
 *
 * Closes the supervisor as [method@GtaskSup.Supervisor.close] does, and
 * waits until every task it runs or queues has emitted its outcome: the
 * gentle sibling of [method@GtaskSup.Supervisor.shutdown_async], which
 * stops them. Tasks end as they would have; none is restarted.
 *
 * @callback is called on the thread-default main context of the caller,
 * from an iteration of it (never from inside this call), after the outcome
 * of the last task was emitted; at once (from the next iteration) if there
 * is none. If the owner is disposed meanwhile, every task is cancelled
 * silently and it completes from a later iteration all the same.
 * [signal@GtaskSup.Supervisor::stopped] is not emitted: the supervisor is
 * closed, not shut down.
 *
 * Call it on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_drain_async (GtaskSupSupervisor  *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) waiter = NULL;

  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  waiter = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (waiter, gtask_sup_supervisor_drain_async);
  g_task_set_name (waiter, "[gtask-sup] drain");

  gtask_sup_supervisor_close (self);

  if (self->core->dead || self->children.length == 0)
    {
      _gtask_sup_return_later (waiter, NULL);
      return;
    }

  _gtask_sup_waiters_add (&self->drain_waiters, waiter);
}

/**
 * gtask_sup_supervisor_drain_finish:
 * @self: a supervisor
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@GtaskSup.Supervisor.drain_async].
 *
 * Returns: %TRUE once the supervisor has no task left; %FALSE with
 *   %G_IO_ERROR_CANCELLED if the wait was cancelled first
 *
 * Since: 1.0
 */
gboolean
gtask_sup_supervisor_drain_finish (GtaskSupSupervisor  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        gtask_sup_supervisor_drain_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The NOT_FOUND error of @task, which is not a child of @self. */
static void
set_not_a_child_error (GtaskSupSupervisor  *self,
                       GtaskSupTask        *task,
                       GError             **error)
{
  const char *name = _gtask_sup_task_display_name (task);

  if (task->core == self->core)
    {
      if (name != NULL)
        g_set_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NOT_FOUND,
                     _("Task “%s” is no longer a child of the supervisor: it has ended"),
                     name);
      else
        g_set_error_literal (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NOT_FOUND,
                             _("The task is no longer a child of the supervisor: it has ended"));
    }
  else
    {
      if (name != NULL)
        g_set_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NOT_FOUND,
                     _("Task “%s” is not a child of the supervisor: it was not started there"),
                     name);
      else
        g_set_error_literal (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NOT_FOUND,
                             _("The task is not a child of the supervisor: it was not started there"));
    }
}

static gboolean
is_child (GtaskSupSupervisor *self,
          GtaskSupTask       *task)
{
  return task->core == self->core && !_gtask_sup_task_is_final (task);
}

/**
 * gtask_sup_supervisor_terminate_child:
 * @self: a supervisor
 * @task: a task
 * @grace_ms: how long to wait for the work to stop, in milliseconds: 0 to
 *   kill at once, -1 to wait forever
 * @error: return location for a #GError
 *
 * Shuts @task down as [method@GtaskSup.Task.shutdown] does, if it is a
 * child of the supervisor, and says whether it was, as Elixir's
 * `Task.Supervisor.terminate_child/2` does. A child is a task started on
 * this supervisor whose outcome was not emitted yet.
 *
 * Call it on the owner context's thread.
 *
 * Returns: %TRUE if @task was a child and is being shut down (its outcome
 *   follows from a later iteration, as usual); %FALSE with
 *   %GTASK_SUP_ERROR_NOT_FOUND if it was never started here, or has ended
 *   already (it keeps its outcome)
 *
 * Since: 1.0
 */
gboolean
gtask_sup_supervisor_terminate_child (GtaskSupSupervisor  *self,
                                      GtaskSupTask        *task,
                                      int                  grace_ms,
                                      GError             **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), FALSE);
  g_return_val_if_fail (GTASK_SUP_IS_TASK (task), FALSE);
  g_return_val_if_fail (grace_ms >= -1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (is_child (self, task))
    {
      gtask_sup_task_shutdown (task, grace_ms);
      return TRUE;
    }

  set_not_a_child_error (self, task, error);
  return FALSE;
}

/**
 * gtask_sup_supervisor_ignore:
 * @self: a supervisor
 * @task: a child of @self
 * @error: return location for a #GError
 *
 * Stops reporting @task without stopping it, as Elixir's `Task.ignore/1`:
 * its work goes on (a queued task still starts), but no outcome signal is
 * emitted for it, nothing is logged for it, it is not restarted, it leaves
 * [method@GtaskSup.Supervisor.get_children] (from the next iteration) and
 * no longer counts against [property@GtaskSup.Supervisor:max-children].
 * Its result, when it comes, is kept in the task (read it from there if you
 * hold a reference) and freed with it; [method@GtaskSup.Task.join_async]
 * callers still complete.
 *
 * It is still the supervisor's work: it keeps its slot of
 * [property@GtaskSup.Supervisor:max-concurrency] while it runs, and it is
 * cancelled when the owner goes away (or the supervisor is finalized), and
 * shut down by [method@GtaskSup.Supervisor.shutdown_async], which (like
 * [method@GtaskSup.Supervisor.drain_async]) waits for it.
 *
 * Call it on the owner context's thread. Ignoring a task twice is
 * harmless. A stream's items cannot be ignored.
 *
 * Returns: %TRUE if @task was a child and is ignored now; %FALSE with
 *   %GTASK_SUP_ERROR_NOT_FOUND if it has ended already (its outcome was
 *   emitted: read it from the task) or was never started here
 *
 * Since: 1.0
 */
gboolean
gtask_sup_supervisor_ignore (GtaskSupSupervisor  *self,
                             GtaskSupTask        *task,
                             GError             **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), FALSE);
  g_return_val_if_fail (GTASK_SUP_IS_TASK (task), FALSE);
  g_return_val_if_fail (task->group == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!is_child (self, task))
    {
      set_not_a_child_error (self, task, error);
      return FALSE;
    }

  if (self->ignored == NULL)
    self->ignored = g_hash_table_new (NULL, NULL);
  if (!g_hash_table_add (self->ignored, task))
    return TRUE;

  /* Hidden at the next dispatch, with the tasks that ended. */
  if (self->model != NULL && gtask_sup_children_remove (self->model, task))
    _gtask_sup_core_wake (self->core);

  return TRUE;
}

/* Internal API for the supervisor kind {{{1 */

void
_gtask_sup_supervisor_set_scoped (GtaskSupSupervisor *self)
{
  self->scoped = TRUE;
}

gboolean
_gtask_sup_supervisor_will_stop (GtaskSupSupervisor *self)
{
  return self->stopping && !self->stopped && !self->core->dead;
}

void
_gtask_sup_supervisor_silence (GtaskSupSupervisor *self)
{
  gtask_sup_supervisor_close_silently (self);
}

void
_gtask_sup_supervisor_kill (GtaskSupSupervisor *self)
{
  g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->core->dead)
    return;

  gtask_sup_supervisor_stop (self, NULL);

  for (GList *l = self->children.head; l != NULL; l = l->next)
    g_ptr_array_add (children, g_object_ref (l->data));
  for (guint i = 0; i < children->len; i++)
    gtask_sup_task_shutdown (g_ptr_array_index (children, i), 0);
}

/* vim:set foldmethod=marker: */
