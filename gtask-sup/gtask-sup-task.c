/* gtask-sup-task.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>

#include "gtask-sup-enums.h"
#include "gtask-sup-i18n-private.h"
#include "gtask-sup-pool-private.h"
#include "gtask-sup-subprocess-private.h"
#include "gtask-sup-task-private.h"

/**
 * GtaskSupTask:
 *
 * One unit of supervised work.
 *
 * A task is created with a constructor such as
 * [ctor@GtaskSup.Task.new_thread], configured (name, timeout, shutdown
 * grace), then started with [method@GtaskSup.Supervisor.start]. Its work
 * completes it with one of the `gtask_sup_task_return_*()` functions, from
 * any thread. The supervisor then emits the task's one outcome on the owner
 * context, and the result can be read with [method@GtaskSup.Task.get_value]
 * or [method@GtaskSup.Task.get_error], or with the GTask-like
 * `gtask_sup_task_propagate_*()` functions in C.
 *
 * Who wins between a result and a cancellation, a timeout or a forced stop
 * is decided at one point, under a lock: the first to be committed is the
 * outcome, the others are dropped (a dropped value is freed).
 *
 * Configure a task before starting it, on one thread. Once started, its
 * `return_*()`, [method@GtaskSup.Task.cancel],
 * [method@GtaskSup.Task.shutdown], [method@GtaskSup.Task.set_progress] and
 * property getters are safe from any thread; its `notify` signals are
 * emitted on the supervisor's owner context.
 *
 * Since: 1.0
 */

enum {
  PROP_0,
  PROP_NAME,
  PROP_KIND,
  PROP_STATE,
  PROP_TIMEOUT,
  PROP_SHUTDOWN_TIMEOUT,
  PROP_PROGRESS,
  PROP_RESTART,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (GtaskSupTask, gtask_sup_task, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

/* A pending gtask_sup_task_join_async(). One reference is held by the task's
 * list of joiners, one by the handler on the GTask's cancellable, if any. */
typedef struct
{
  GTask        *gtask;
  GtaskSupCore *core;
  GtaskSupTask *task;          /* valid while pending */
  gulong        handler_id;
  gboolean      pending;       /* in core->joiners; under core->mutex */
} JoinData;

static void
join_data_clear (gpointer data)
{
  JoinData *jd = data;

  g_clear_object (&jd->gtask);
  _gtask_sup_core_unref (jd->core);
}

static void
join_data_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, join_data_clear);
}

static G_DEFINE_QUARK (gtask-sup-origin, origin)

/* Internal API {{{1 */

gboolean
_gtask_sup_task_is_final (GtaskSupTask *self)
{
  return g_atomic_int_get (&self->state) >= GTASK_SUP_TASK_STATE_SUCCEEDED;
}

GCancellable *
_gtask_sup_task_ensure_cancellable (GtaskSupTask *self)
{
  GCancellable *cancellable = g_atomic_pointer_get (&self->cancellable);

  if (cancellable == NULL)
    {
      GCancellable *created = g_cancellable_new ();

      if (!g_atomic_pointer_compare_and_exchange (&self->cancellable, NULL, created))
        g_object_unref (created);

      cancellable = g_atomic_pointer_get (&self->cancellable);
    }

  return cancellable;
}

static const char *
task_display_name (GtaskSupTask *self)
{
  return self->name != 0 ? g_quark_to_string (self->name) : NULL;
}

GError *
_gtask_sup_task_new_error (GtaskSupTask *self,
                           guint         outcome)
{
  const char *name = task_display_name (self);

  switch ((GtaskSupOutcome)outcome)
    {
    case GTASK_SUP_OUTCOME_CANCELLED:
      if (name != NULL)
        return g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                            _("Task “%s” was cancelled"), name);
      return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                  _("The task was cancelled"));

    case GTASK_SUP_OUTCOME_TIMED_OUT:
      if (name != NULL)
        return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                            _("Task “%s” timed out after %d ms"), name, self->timeout);
      return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                          _("The task timed out after %d ms"), self->timeout);

    case GTASK_SUP_OUTCOME_NO_RESULT:
      if (name != NULL)
        return g_error_new (GTASK_SUP_ERROR, GTASK_SUP_ERROR_NO_RESULT,
                            _("Task “%s” returned without a result"), name);
      return g_error_new_literal (GTASK_SUP_ERROR, GTASK_SUP_ERROR_NO_RESULT,
                                  _("The task returned without a result"));

    case GTASK_SUP_OUTCOME_KILLED:
      if (name != NULL)
        return g_error_new (GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED,
                            _("Task “%s” was killed: it did not stop within its shutdown grace period"),
                            name);
      return g_error_new_literal (GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED,
                                  _("The task was killed: it did not stop within its shutdown grace period"));

    case GTASK_SUP_OUTCOME_SILENCED:
      if (name != NULL)
        return g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                            _("Task “%s” was cancelled: its owner or supervisor is gone"), name);
      return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                  _("The task was cancelled: its owner or supervisor is gone"));

    case GTASK_SUP_OUTCOME_NONE:
    case GTASK_SUP_OUTCOME_RESULT:
    default:
      g_assert_not_reached ();
    }
}

void
_gtask_sup_task_notify_state (GtaskSupTask *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
_gtask_sup_task_notify_progress (GtaskSupTask *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

/* Runs on a worker thread. The supervisor's reference keeps @self alive
 * until _gtask_sup_core_worker_done() hands it over. */
void
_gtask_sup_task_run (GtaskSupTask *self)
{
  GtaskSupCore *core = self->core;
  GCancellable *cancellable = self->cancellable;

  /* Cancelled or timed out while waiting for a worker: never runs. */
  if (g_atomic_int_get (&self->outcome) == GTASK_SUP_OUTCOME_NONE)
    self->work.func.func (self, cancellable, self->work.func.data);

  if (g_atomic_int_get (&self->outcome) != GTASK_SUP_OUTCOME_NONE)
    {
      _gtask_sup_core_worker_done (core, self);
      return;
    }

  g_mutex_lock (&core->mutex);
  if (self->outcome == GTASK_SUP_OUTCOME_NONE)
    {
      /* Stopping when asked (by a shutdown, or through the cancellable
       * itself) is a cancellation, not a missing result. */
      guint outcome = g_cancellable_is_cancelled (cancellable)
                    ? GTASK_SUP_OUTCOME_CANCELLED
                    : GTASK_SUP_OUTCOME_NO_RESULT;

      _gtask_sup_core_decide_locked (core, self, outcome,
                                     _gtask_sup_task_new_error (self, outcome));
    }
  g_mutex_unlock (&core->mutex);

  _gtask_sup_core_worker_done (core, self);
}

/* Runs an async task's function on the owner context. It returns at once
 * by design; the operation it started completes the task later. Whether it
 * kept a way to do so cannot be told from here (a binding's wrapper holds
 * the task whatever the function did), so an operation that never
 * completes is ended by the task's timeout or a shutdown. */
void
_gtask_sup_task_run_async (GtaskSupTask *self)
{
  if (g_atomic_int_get (&self->outcome) == GTASK_SUP_OUTCOME_NONE)
    {
      /* The operations it starts call back on the thread-default context. */
      g_main_context_push_thread_default (self->core->context);
      self->work.func.func (self, self->cancellable, self->work.func.data);
      g_main_context_pop_thread_default (self->core->context);
    }

  _gtask_sup_core_worker_done (self->core, self);
}

/* Stops the work after @outcome was decided for it, from any thread, with
 * no lock held: cancels the cancellable and, for a subprocess, signals its
 * process group. GTASK_SUP_OUTCOME_NONE is the cooperative phase of a
 * shutdown with @grace_ms: SIGTERM, and SIGKILL from the subprocess thread
 * at the end of the grace period, whether or not the owner context runs
 * (the core reports KILLED at the same time). */
void
_gtask_sup_task_interrupt (GtaskSupTask *self,
                           guint         outcome,
                           int           grace_ms)
{
  GCancellable *cancellable = g_atomic_pointer_get (&self->cancellable);

  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);

  if (self->kind != GTASK_SUP_TASK_KIND_SUBPROCESS)
    return;

  switch ((GtaskSupOutcome)outcome)
    {
    case GTASK_SUP_OUTCOME_NONE:
      _gtask_sup_subprocess_terminate (self, grace_ms);
      break;
    case GTASK_SUP_OUTCOME_KILLED:
      _gtask_sup_subprocess_kill (self);
      break;
    case GTASK_SUP_OUTCOME_CANCELLED:
    case GTASK_SUP_OUTCOME_TIMED_OUT:
      _gtask_sup_subprocess_terminate (self, self->shutdown_timeout);
      break;
    case GTASK_SUP_OUTCOME_SILENCED:
      /* Nobody is left to end it later: never wait forever. */
      _gtask_sup_subprocess_terminate (self, self->shutdown_timeout >= 0
                                             ? self->shutdown_timeout
                                             : GTASK_SUP_SILENCED_KILL_MS);
      break;
    case GTASK_SUP_OUTCOME_RESULT:
    case GTASK_SUP_OUTCOME_NO_RESULT:
    default:
      break;
    }
}

/* A new run of @self, for a restart: same work and settings. The first run
 * keeps owning the work's data, for as long as any run lives. */
GtaskSupTask *
_gtask_sup_task_new_restart (GtaskSupTask *self)
{
  GtaskSupTask *run = g_object_new (GTASK_SUP_TYPE_TASK, NULL);
  GtaskSupTask *origin;

  run->kind = self->kind;
  run->restart = self->restart;
  run->name = self->name;
  run->timeout = self->timeout;
  run->shutdown_timeout = self->shutdown_timeout;
  origin = g_object_get_qdata (G_OBJECT (self), origin_quark ());
  g_object_set_qdata_full (G_OBJECT (run), origin_quark (),
                           g_object_ref (origin != NULL ? origin : self),
                           g_object_unref);

  if (self->kind == GTASK_SUP_TASK_KIND_SUBPROCESS)
    {
      run->work.proc.argv = g_strdupv (self->work.proc.argv);
      run->work.proc.flags = self->work.proc.flags;
    }
  else
    {
      run->work.func.func = self->work.func.func;
      run->work.func.data = self->work.func.data;
    }

  return run;
}

/* DESIGN §4 rule 8, for a task whose outcome was just emitted. */
gboolean
_gtask_sup_task_should_restart (GtaskSupTask *self)
{
  gboolean stopped = self->shutting_down ||
                     self->outcome == GTASK_SUP_OUTCOME_KILLED ||
                     self->outcome == GTASK_SUP_OUTCOME_SILENCED;

  switch ((GtaskSupRestart)self->restart)
    {
    case GTASK_SUP_RESTART_PERMANENT:
      return !stopped;
    case GTASK_SUP_RESTART_TRANSIENT:
      return !stopped &&
             self->outcome != GTASK_SUP_OUTCOME_CANCELLED &&
             g_atomic_int_get (&self->state) != GTASK_SUP_TASK_STATE_SUCCEEDED;
    case GTASK_SUP_RESTART_TEMPORARY:
    default:
      return FALSE;
    }
}

/* Removes the pending joiners of @self; call with core->mutex held. */
GSList *
_gtask_sup_task_steal_joiners_locked (GtaskSupTask *self)
{
  GSList *joiners = NULL;

  if (!g_hash_table_steal_extended (self->core->joiners, self, NULL, (gpointer *)&joiners))
    return NULL;

  for (GSList *l = joiners; l != NULL; l = l->next)
    ((JoinData *)l->data)->pending = FALSE;

  return joiners;
}

/* Completes a stolen joiner with the final outcome of @self; the GTask
 * dispatches the callback on the context join_async() was called in. With
 * @later, from an idle there: the caller may be inside the finalization of
 * the owner (in a binding, inside garbage collection). */
void
_gtask_sup_task_complete_joiner (GtaskSupTask *self,
                                 gpointer      joiner,
                                 gboolean      later)
{
  JoinData *jd = joiner;
  GError *error = NULL;

  if (g_atomic_int_get (&self->state) != GTASK_SUP_TASK_STATE_SUCCEEDED)
    error = g_error_copy (self->error);

  if (later)
    _gtask_sup_return_later (jd->gtask, error);
  else if (error != NULL)
    g_task_return_error (jd->gtask, error);
  else
    g_task_return_boolean (jd->gtask, TRUE);

  if (jd->handler_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (jd->gtask), jd->handler_id);
  join_data_release (jd);
}

static void
join_cancelled_cb (GCancellable *cancellable,
                   gpointer      data)
{
  JoinData *jd = data;
  gboolean found;

  g_mutex_lock (&jd->core->mutex);
  found = jd->pending;
  if (found)
    {
      GSList *joiners = g_hash_table_lookup (jd->core->joiners, jd->task);

      jd->pending = FALSE;
      joiners = g_slist_remove (joiners, jd);
      if (joiners != NULL)
        g_hash_table_insert (jd->core->joiners, jd->task, joiners);
      else
        g_hash_table_remove (jd->core->joiners, jd->task);
    }
  g_mutex_unlock (&jd->core->mutex);

  if (!found)
    return;

  g_task_return_error_if_cancelled (jd->gtask);
  /* Taken out of the list, it is ours alone. handler_id was set before it
   * was put in the list. g_cancellable_disconnect() would wait for this very
   * emission; the plain signal API may disconnect during it, and then
   * drops the handler's reference. */
  g_signal_handler_disconnect (cancellable, jd->handler_id);
  /* The list's reference. */
  join_data_release (jd);
}

/* GObject {{{1 */

static void
gtask_sup_task_finalize (GObject *object)
{
  GtaskSupTask *self = (GtaskSupTask *)object;

  g_assert (self->heap_index == 0);

  if (self->value_destroy != NULL && !self->value_propagated)
    self->value_destroy (g_value_get_pointer (&self->value));
  if (G_IS_VALUE (&self->value))
    g_value_unset (&self->value);
  g_clear_error (&self->error);

  if (self->kind == GTASK_SUP_TASK_KIND_SUBPROCESS)
    {
      g_clear_pointer (&self->work.proc.argv, g_strfreev);
      g_clear_pointer (&self->work.proc.group, _gtask_sup_process_group_unref);
    }
  else if (self->work.func.destroy != NULL)
    {
      g_clear_pointer (&self->work.func.data, self->work.func.destroy);
    }

  g_clear_object (&self->cancellable);
  if (self->core != NULL)
    g_clear_pointer (&self->core, _gtask_sup_core_unref);

  G_OBJECT_CLASS (gtask_sup_task_parent_class)->finalize (object);
}

static void
gtask_sup_task_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  GtaskSupTask *self = GTASK_SUP_TASK (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_static_string (value, gtask_sup_task_get_name (self));
      break;

    case PROP_KIND:
      g_value_set_enum (value, gtask_sup_task_get_kind (self));
      break;

    case PROP_STATE:
      g_value_set_enum (value, gtask_sup_task_get_state (self));
      break;

    case PROP_TIMEOUT:
      g_value_set_int (value, gtask_sup_task_get_timeout (self));
      break;

    case PROP_SHUTDOWN_TIMEOUT:
      g_value_set_int (value, gtask_sup_task_get_shutdown_timeout (self));
      break;

    case PROP_PROGRESS:
      g_value_set_double (value, gtask_sup_task_get_progress (self));
      break;

    case PROP_RESTART:
      g_value_set_enum (value, gtask_sup_task_get_restart (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gtask_sup_task_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  GtaskSupTask *self = GTASK_SUP_TASK (object);

  switch (prop_id)
    {
    case PROP_NAME:
      gtask_sup_task_set_name (self, g_value_get_string (value));
      break;

    case PROP_TIMEOUT:
      gtask_sup_task_set_timeout (self, g_value_get_int (value));
      break;

    case PROP_SHUTDOWN_TIMEOUT:
      gtask_sup_task_set_shutdown_timeout (self, g_value_get_int (value));
      break;

    case PROP_PROGRESS:
      gtask_sup_task_set_progress (self, g_value_get_double (value));
      break;

    case PROP_RESTART:
      gtask_sup_task_set_restart (self, g_value_get_enum (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gtask_sup_task_class_init (GtaskSupTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gtask_sup_task_finalize;
  object_class->get_property = gtask_sup_task_get_property;
  object_class->set_property = gtask_sup_task_set_property;

  /**
   * GtaskSupTask:name:
   *
   * The task's name, or %NULL. It is the detail of the supervisor's outcome
   * signals (`"failed::thumbnail"`) and appears in error messages.
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupTask:kind:
   *
   * What kind of work the task runs.
   *
   * Since: 1.0
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       GTASK_SUP_TYPE_TASK_KIND,
                       GTASK_SUP_TASK_KIND_THREAD,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupTask:state:
   *
   * Where the task is in its life cycle. Readable from any thread; its
   * `notify` is emitted on the owner context.
   *
   * Since: 1.0
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       GTASK_SUP_TYPE_TASK_STATE,
                       GTASK_SUP_TASK_STATE_NEW,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupTask:timeout:
   *
   * The time the task may take, in milliseconds, counted from
   * [method@GtaskSup.Supervisor.start] (so time spent queued counts), or -1
   * for no limit.
   *
   * On expiry the task's cancellable is cancelled and
   * [signal@GtaskSup.Supervisor::timed-out] is emitted; whatever the work
   * returns later is dropped. A task still queued when it expires never
   * runs.
   *
   * Since: 1.0
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_int ("timeout", NULL, NULL,
                      -1, G_MAXINT, -1,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupTask:shutdown-timeout:
   *
   * The grace period, in milliseconds, the task gets to stop before it is
   * killed: when [method@GtaskSup.Task.join] or
   * [method@GtaskSup.Supervisor.shutdown_async] shut it down, and, for a
   * subprocess, between SIGTERM and SIGKILL after a cancel, a timeout, or
   * the end of its owner. 0 kills at once; -1 waits forever, except after
   * the end of the owner, where a subprocess is killed after 5 s.
   *
   * Since: 1.0
   */
  properties[PROP_SHUTDOWN_TIMEOUT] =
    g_param_spec_int ("shutdown-timeout", NULL, NULL,
                      -1, G_MAXINT, 5000,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupTask:progress:
   *
   * How much of its work the task has done, as a fraction from 0.0 to 1.0,
   * as the work reports it with [method@GtaskSup.Task.set_progress].
   *
   * Since: 1.0
   */
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL,
                         0.0, 1.0, 0.0,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupTask:restart:
   *
   * Whether the supervisor starts the task's work again after its outcome;
   * see [enum@GtaskSup.Restart].
   *
   * Since: 1.0
   */
  properties[PROP_RESTART] =
    g_param_spec_enum ("restart", NULL, NULL,
                       GTASK_SUP_TYPE_RESTART,
                       GTASK_SUP_RESTART_TEMPORARY,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gtask_sup_task_init (GtaskSupTask *self)
{
  self->timeout = -1;
  self->shutdown_timeout = 5000;
  self->state = GTASK_SUP_TASK_STATE_NEW;
}

/* Public API {{{1 */

/**
 * gtask_sup_task_new_thread:
 * @func: (scope notified) (closure user_data) (destroy destroy): the work,
 *   run on a worker thread
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the task is finalized
 *
 * Creates a task that runs @func on a worker thread once started.
 *
 * @func completes the task with a `gtask_sup_task_return_*()` function, and
 * should watch its cancellable: a thread cannot be killed, so a task that
 * ignores it is only abandoned (its late result is dropped) when it is
 * cancelled, times out or is shut down.
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

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (GTASK_SUP_TYPE_TASK, NULL);
  self->kind = GTASK_SUP_TASK_KIND_THREAD;
  self->work.func.func = func;
  self->work.func.data = user_data;
  self->work.func.destroy = destroy;

  return self;
}

/**
 * gtask_sup_task_new_async:
 * @func: (scope notified) (closure user_data) (destroy destroy): starts the
 *   work, on the owner context
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the task is finalized
 *
 * Creates a task whose work is an asynchronous operation. Once the task has
 * a slot, @func runs on the owner context, from an iteration of it (never
 * inside [method@GtaskSup.Supervisor.start]), with the owner context as
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

  g_return_val_if_fail (func != NULL, NULL);

  self = gtask_sup_task_new_thread ((GtaskSupThreadFunc)func, user_data, destroy);
  self->kind = GTASK_SUP_TASK_KIND_ASYNC;

  return self;
}

/**
 * gtask_sup_task_new_subprocess:
 * @argv: (array zero-terminated=1) (element-type filename): the program and
 *   its arguments; the program is looked up in `PATH` if it has no `/`
 * @flags: flags for [class@Gio.Subprocess], such as
 *   %G_SUBPROCESS_FLAGS_STDOUT_PIPE to capture its output
 *
 * Creates a task that runs a program, with [class@Gio.Subprocess] and no
 * shell, once it has a slot.
 *
 * The task succeeds when the program exits with status 0; its value is
 * then what it wrote on stdout, as a [struct@GLib.Bytes], if @flags has
 * %G_SUBPROCESS_FLAGS_STDOUT_PIPE (no value otherwise). Any other exit
 * status fails it with %G_SPAWN_EXIT_ERROR and the status as error code; a
 * signal fails it with an error that names the signal; a program that
 * cannot be started fails it with the error of the spawn. The message ends
 * with the last lines of stderr if @flags has
 * %G_SUBPROCESS_FLAGS_STDERR_PIPE.
 *
 * The program runs in a process group of its own. A task cancelled, timed
 * out, or whose owner or supervisor goes away sends SIGTERM to the group,
 * then SIGKILL after its [property@GtaskSup.Task:shutdown-timeout] (at
 * once if it is 0). A shutdown sends SIGTERM, and SIGKILL once the grace
 * period is over. The kill does not depend on the owner context: it
 * happens even if nothing iterates it any more.
 *
 * Returns: (transfer full): a new task, in state %GTASK_SUP_TASK_STATE_NEW
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_task_new_subprocess (const char * const *argv,
                               GSubprocessFlags    flags)
{
  GtaskSupTask *self;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  self = g_object_new (GTASK_SUP_TYPE_TASK, NULL);
  self->kind = GTASK_SUP_TASK_KIND_SUBPROCESS;
  self->work.proc.argv = g_strdupv ((char **)argv);
  self->work.proc.flags = flags;

  return self;
}

/**
 * gtask_sup_task_dup_subprocess:
 * @self: a subprocess task
 *
 * Gets the running program of a subprocess task, for instance to know its
 * process id with [method@Gio.Subprocess.get_identifier]. Safe to call
 * from any thread.
 *
 * Returns: (transfer full) (nullable): the subprocess, or %NULL if it was
 *   not spawned (yet), or if @self is not a subprocess task
 *
 * Since: 1.0
 */
GSubprocess *
gtask_sup_task_dup_subprocess (GtaskSupTask *self)
{
  GSubprocess *ret = NULL;

  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  if (self->kind != GTASK_SUP_TASK_KIND_SUBPROCESS || self->core == NULL)
    return NULL;

  g_mutex_lock (&self->core->mutex);
  if (self->work.proc.group != NULL)
    ret = g_object_ref (self->work.proc.group->process);
  g_mutex_unlock (&self->core->mutex);

  return ret;
}

/**
 * gtask_sup_task_get_restart: (get-property restart)
 * @self: a task
 *
 * Gets when the supervisor starts the task's work again.
 *
 * Returns: the restart policy
 *
 * Since: 1.0
 */
GtaskSupRestart
gtask_sup_task_get_restart (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), GTASK_SUP_RESTART_TEMPORARY);

  return self->restart;
}

/**
 * gtask_sup_task_set_restart: (set-property restart)
 * @self: a task that was not started yet
 * @restart: the restart policy
 *
 * Sets when the supervisor starts the task's work again after its outcome.
 * Each run is a new task, started by the supervisor with the same work and
 * settings, that emits its own outcome; a late result of an earlier run
 * goes to that earlier task and is dropped.
 *
 * Since: 1.0
 */
void
gtask_sup_task_set_restart (GtaskSupTask    *self,
                            GtaskSupRestart  restart)
{
  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (restart <= GTASK_SUP_RESTART_PERMANENT);
  g_return_if_fail (self->core == NULL);

  if (self->restart == restart)
    return;

  self->restart = restart;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTART]);
}

/**
 * gtask_sup_task_get_name: (get-property name)
 * @self: a task
 *
 * Gets the task's name.
 *
 * Returns: (nullable): the name, or %NULL
 *
 * Since: 1.0
 */
const char *
gtask_sup_task_get_name (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  return task_display_name (self);
}

/**
 * gtask_sup_task_set_name: (set-property name)
 * @self: a task that was not started yet
 * @name: (nullable): the name
 *
 * Names the task. The name is the detail of the supervisor's outcome
 * signals, so a handler connected to `"succeeded::thumbnail"` sees only the
 * tasks named `thumbnail`. It also appears in the task's error messages.
 *
 * Since: 1.0
 */
void
gtask_sup_task_set_name (GtaskSupTask *self,
                         const char   *name)
{
  GQuark quark;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core == NULL);

  quark = name != NULL ? g_quark_from_string (name) : 0;
  if (self->name == quark)
    return;

  self->name = quark;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

/**
 * gtask_sup_task_get_kind: (get-property kind)
 * @self: a task
 *
 * Gets what kind of work the task runs.
 *
 * Returns: the kind of the task
 *
 * Since: 1.0
 */
GtaskSupTaskKind
gtask_sup_task_get_kind (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), GTASK_SUP_TASK_KIND_THREAD);

  return self->kind;
}

/**
 * gtask_sup_task_get_state: (get-property state)
 * @self: a task
 *
 * Gets where the task is in its life cycle. Safe to call from any thread.
 *
 * Returns: the state of the task
 *
 * Since: 1.0
 */
GtaskSupTaskState
gtask_sup_task_get_state (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), GTASK_SUP_TASK_STATE_NEW);

  return g_atomic_int_get (&self->state);
}

/**
 * gtask_sup_task_get_timeout: (get-property timeout)
 * @self: a task
 *
 * Gets the time the task may take.
 *
 * Returns: the timeout in milliseconds, or -1 for none
 *
 * Since: 1.0
 */
int
gtask_sup_task_get_timeout (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), -1);

  return self->timeout;
}

/**
 * gtask_sup_task_set_timeout: (set-property timeout)
 * @self: a task that was not started yet
 * @timeout_ms: the timeout in milliseconds, or -1 for none
 *
 * Sets the time the task may take from [method@GtaskSup.Supervisor.start]
 * on. See [property@GtaskSup.Task:timeout].
 *
 * Since: 1.0
 */
void
gtask_sup_task_set_timeout (GtaskSupTask *self,
                            int           timeout_ms)
{
  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (timeout_ms >= -1);
  g_return_if_fail (self->core == NULL);

  if (self->timeout == timeout_ms)
    return;

  self->timeout = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

/**
 * gtask_sup_task_get_shutdown_timeout: (get-property shutdown-timeout)
 * @self: a task
 *
 * Gets the grace period the task gets to stop when it is shut down.
 *
 * Returns: the grace period in milliseconds, 0 for none, -1 for no limit
 *
 * Since: 1.0
 */
int
gtask_sup_task_get_shutdown_timeout (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), 5000);

  return self->shutdown_timeout;
}

/**
 * gtask_sup_task_set_shutdown_timeout: (set-property shutdown-timeout)
 * @self: a task that was not started yet
 * @timeout_ms: the grace period in milliseconds, 0 to kill at once, -1 to
 *   wait forever
 *
 * Sets the grace period the task gets to stop before it is killed. See
 * [property@GtaskSup.Task:shutdown-timeout].
 *
 * Since: 1.0
 */
void
gtask_sup_task_set_shutdown_timeout (GtaskSupTask *self,
                                     int           timeout_ms)
{
  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (timeout_ms >= -1);
  g_return_if_fail (self->core == NULL);

  if (self->shutdown_timeout == timeout_ms)
    return;

  self->shutdown_timeout = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHUTDOWN_TIMEOUT]);
}

/**
 * gtask_sup_task_get_progress: (get-property progress)
 * @self: a task
 *
 * Gets the fraction of its work the task reported as done. Safe to call
 * from any thread.
 *
 * Returns: the progress, from 0.0 to 1.0
 *
 * Since: 1.0
 */
double
gtask_sup_task_get_progress (GtaskSupTask *self)
{
  double ret;

  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), 0.0);

  if (self->core == NULL)
    return self->progress;

  g_mutex_lock (&self->core->mutex);
  ret = self->progress;
  g_mutex_unlock (&self->core->mutex);

  return ret;
}

/**
 * gtask_sup_task_set_progress: (set-property progress)
 * @self: a task
 * @progress: the fraction of the work done, from 0.0 to 1.0
 *
 * Reports how much of its work the task has done. Safe to call from any
 * thread, as often as the work likes: `notify::progress` is emitted on the
 * owner context, at most once per iteration.
 *
 * Since: 1.0
 */
void
gtask_sup_task_set_progress (GtaskSupTask *self,
                             double        progress)
{
  GtaskSupCore *core;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (progress >= 0.0 && progress <= 1.0);

  core = self->core;

  if (core == NULL)
    {
      if (self->progress != progress)
        {
          self->progress = progress;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
        }
      return;
    }

  g_mutex_lock (&core->mutex);
  if (self->progress != progress)
    {
      self->progress = progress;
      _gtask_sup_core_mark_dirty_locked (core, self, FALSE, TRUE);
    }
  g_mutex_unlock (&core->mutex);
}

/**
 * gtask_sup_task_get_cancellable:
 * @self: a task
 *
 * Gets the task's cancellable, the one its work receives. It is cancelled
 * when the task is cancelled, times out, is shut down, or its owner is
 * disposed. Safe to call from any thread.
 *
 * Returns: (transfer none): the task's cancellable
 *
 * Since: 1.0
 */
GCancellable *
gtask_sup_task_get_cancellable (GtaskSupTask *self)
{
  GCancellable *cancellable;
  gboolean cancel = FALSE;

  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  cancellable = _gtask_sup_task_ensure_cancellable (self);

  /* Made after the task was stopped: it must come cancelled. */
  if (self->core != NULL)
    {
      g_mutex_lock (&self->core->mutex);
      cancel = (self->outcome != GTASK_SUP_OUTCOME_NONE &&
                self->outcome != GTASK_SUP_OUTCOME_RESULT &&
                self->outcome != GTASK_SUP_OUTCOME_NO_RESULT) || self->shutting_down;
      g_mutex_unlock (&self->core->mutex);
    }

  if (cancel)
    g_cancellable_cancel (cancellable);

  return cancellable;
}

/* Commits a result; takes @value (if any, initialized) and @error. */
static void
gtask_sup_task_return (GtaskSupTask   *self,
                       GValue         *value,
                       GDestroyNotify  value_destroy,
                       GError         *error)
{
  GtaskSupCore *core = self->core;
  gboolean twice;
  gboolean taken = FALSE;

  g_mutex_lock (&core->mutex);

  twice = self->returned;
  self->returned = TRUE;

  if (!twice && self->outcome == GTASK_SUP_OUTCOME_NONE)
    {
      if (value != NULL)
        {
          self->value = *value;
          self->value_destroy = value_destroy;
        }
      _gtask_sup_core_decide_locked (core, self, GTASK_SUP_OUTCOME_RESULT, error);
      taken = TRUE;
    }

  g_mutex_unlock (&core->mutex);

  if (twice)
    g_critical ("%s: task %p (%s) was already completed",
                G_STRFUNC, self, task_display_name (self) ? task_display_name (self) : "unnamed");

  if (taken)
    return;

  /* Too late: a cancellation or timeout won. The result is dropped. */
  if (value != NULL)
    {
      if (value_destroy != NULL)
        value_destroy (g_value_get_pointer (value));
      g_value_unset (value);
    }
  g_clear_error (&error);
}

/**
 * gtask_sup_task_return_value:
 * @self: a started task
 * @value: (nullable): the result, copied
 *
 * Completes the task with a copy of @value. With a %NULL @value the task
 * succeeds with no value: [method@GtaskSup.Task.get_value] returns %NULL.
 *
 * Safe to call from any thread. If the task was already cancelled, timed
 * out or killed, the value is freed and nothing is reported. Completing a
 * task twice is a programmer error.
 *
 * Since: 1.0
 */
void
gtask_sup_task_return_value (GtaskSupTask *self,
                             const GValue *value)
{
  GValue copy = G_VALUE_INIT;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core != NULL);
  g_return_if_fail (value == NULL || G_IS_VALUE (value));

  if (value == NULL)
    {
      gtask_sup_task_return (self, NULL, NULL, NULL);
      return;
    }

  g_value_init (&copy, G_VALUE_TYPE (value));
  g_value_copy (value, &copy);
  gtask_sup_task_return (self, &copy, NULL, NULL);
}

/**
 * gtask_sup_task_return_pointer: (skip)
 * @self: a started task
 * @result: (transfer full) (nullable): the result
 * @result_destroy: (nullable): frees @result if it is not propagated
 *
 * Completes the task with @result, as [method@Gio.Task.return_pointer]
 * does; take it back with [method@GtaskSup.Task.propagate_pointer].
 * [method@GtaskSup.Task.get_value] gives it as a %G_TYPE_POINTER value.
 *
 * Safe to call from any thread. If the task was already cancelled, timed
 * out or killed, @result_destroy is called on @result at once.
 *
 * Since: 1.0
 */
void
gtask_sup_task_return_pointer (GtaskSupTask   *self,
                               gpointer        result,
                               GDestroyNotify  result_destroy)
{
  GValue value = G_VALUE_INIT;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core != NULL);

  g_value_init (&value, G_TYPE_POINTER);
  g_value_set_pointer (&value, result);
  gtask_sup_task_return (self, &value, result_destroy, NULL);
}

/**
 * gtask_sup_task_return_boolean:
 * @self: a started task
 * @result: the result
 *
 * Completes the task with a %G_TYPE_BOOLEAN value. Safe to call from any
 * thread.
 *
 * Since: 1.0
 */
void
gtask_sup_task_return_boolean (GtaskSupTask *self,
                               gboolean      result)
{
  GValue value = G_VALUE_INIT;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core != NULL);

  g_value_init (&value, G_TYPE_BOOLEAN);
  g_value_set_boolean (&value, result);
  gtask_sup_task_return (self, &value, NULL, NULL);
}

/**
 * gtask_sup_task_return_int:
 * @self: a started task
 * @result: the result
 *
 * Completes the task with a %G_TYPE_INT64 value. Safe to call from any
 * thread.
 *
 * Since: 1.0
 */
void
gtask_sup_task_return_int (GtaskSupTask *self,
                           gint64        result)
{
  GValue value = G_VALUE_INIT;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core != NULL);

  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, result);
  gtask_sup_task_return (self, &value, NULL, NULL);
}

/**
 * gtask_sup_task_return_error:
 * @self: a started task
 * @error: (transfer full): the error
 *
 * Completes the task with @error: the supervisor emits
 * [signal@GtaskSup.Supervisor::failed]. Safe to call from any thread.
 *
 * Since: 1.0
 */
void
gtask_sup_task_return_error (GtaskSupTask *self,
                             GError       *error)
{
  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core != NULL);
  g_return_if_fail (error != NULL);

  gtask_sup_task_return (self, NULL, NULL, error);
}

/**
 * gtask_sup_task_get_value:
 * @self: a task
 *
 * Gets the value the task succeeded with.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL unless the task
 *   is in state %GTASK_SUP_TASK_STATE_SUCCEEDED (or succeeded with no value)
 *
 * Since: 1.0
 */
const GValue *
gtask_sup_task_get_value (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  if (g_atomic_int_get (&self->state) != GTASK_SUP_TASK_STATE_SUCCEEDED ||
      !G_IS_VALUE (&self->value))
    return NULL;

  return &self->value;
}

/**
 * gtask_sup_task_get_error:
 * @self: a task
 *
 * Gets why the task failed or timed out. A timed-out task has a
 * %G_IO_ERROR_TIMED_OUT error.
 *
 * Returns: (transfer none) (nullable): the error, or %NULL unless the task
 *   is in state %GTASK_SUP_TASK_STATE_FAILED or %GTASK_SUP_TASK_STATE_TIMED_OUT
 *
 * Since: 1.0
 */
const GError *
gtask_sup_task_get_error (GtaskSupTask *self)
{
  int state;

  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  state = g_atomic_int_get (&self->state);
  if (state != GTASK_SUP_TASK_STATE_FAILED && state != GTASK_SUP_TASK_STATE_TIMED_OUT)
    return NULL;

  return self->error;
}

static gboolean
gtask_sup_task_propagate_error (GtaskSupTask  *self,
                                GError       **error)
{
  if (self->error == NULL)
    return FALSE;

  g_propagate_error (error, g_error_copy (self->error));
  return TRUE;
}

/**
 * gtask_sup_task_propagate_value:
 * @self: a task in a final state
 * @value: (out caller-allocates): an uninitialized #GValue for the result
 * @error: return location for a #GError
 *
 * Gets the task's result as [method@Gio.Task.propagate_value] does.
 *
 * Returns: %TRUE and a copy of the value in @value if the task succeeded
 *   (@value stays uninitialized if it succeeded with no value); %FALSE and
 *   the task's error otherwise
 *
 * Since: 1.0
 */
gboolean
gtask_sup_task_propagate_value (GtaskSupTask  *self,
                                GValue        *value,
                                GError       **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), FALSE);
  g_return_val_if_fail (_gtask_sup_task_is_final (self), FALSE);
  g_return_val_if_fail (value != NULL && !G_IS_VALUE (value), FALSE);

  if (gtask_sup_task_propagate_error (self, error))
    return FALSE;

  if (G_IS_VALUE (&self->value))
    {
      g_value_init (value, G_VALUE_TYPE (&self->value));
      g_value_copy (&self->value, value);
    }

  return TRUE;
}

/**
 * gtask_sup_task_propagate_pointer: (skip)
 * @self: a task in a final state
 * @error: return location for a #GError
 *
 * Gets the result given to [method@GtaskSup.Task.return_pointer], as
 * [method@Gio.Task.propagate_pointer] does. The caller takes it over: it
 * can be propagated once.
 *
 * Returns: (transfer full) (nullable): the result, or %NULL with the task's
 *   error
 *
 * Since: 1.0
 */
gpointer
gtask_sup_task_propagate_pointer (GtaskSupTask  *self,
                                  GError       **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);
  g_return_val_if_fail (_gtask_sup_task_is_final (self), NULL);

  if (gtask_sup_task_propagate_error (self, error))
    return NULL;

  g_return_val_if_fail (G_VALUE_HOLDS_POINTER (&self->value), NULL);
  g_return_val_if_fail (!self->value_propagated, NULL);

  /* Under the mutex: the bit shares its word with others written there. */
  g_mutex_lock (&self->core->mutex);
  self->value_propagated = TRUE;
  g_mutex_unlock (&self->core->mutex);

  return g_value_get_pointer (&self->value);
}

/**
 * gtask_sup_task_propagate_boolean:
 * @self: a task in a final state
 * @error: return location for a #GError
 *
 * Gets the result given to [method@GtaskSup.Task.return_boolean].
 *
 * Returns: the result, or %FALSE with the task's error
 *
 * Since: 1.0
 */
gboolean
gtask_sup_task_propagate_boolean (GtaskSupTask  *self,
                                  GError       **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), FALSE);
  g_return_val_if_fail (_gtask_sup_task_is_final (self), FALSE);

  if (gtask_sup_task_propagate_error (self, error))
    return FALSE;

  g_return_val_if_fail (G_VALUE_HOLDS_BOOLEAN (&self->value), FALSE);

  return g_value_get_boolean (&self->value);
}

/**
 * gtask_sup_task_propagate_int:
 * @self: a task in a final state
 * @error: return location for a #GError
 *
 * Gets the result given to [method@GtaskSup.Task.return_int].
 *
 * Returns: the result, or -1 with the task's error
 *
 * Since: 1.0
 */
gint64
gtask_sup_task_propagate_int (GtaskSupTask  *self,
                              GError       **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), -1);
  g_return_val_if_fail (_gtask_sup_task_is_final (self), -1);

  if (gtask_sup_task_propagate_error (self, error))
    return -1;

  g_return_val_if_fail (G_VALUE_HOLDS_INT64 (&self->value), -1);

  return g_value_get_int64 (&self->value);
}

/**
 * gtask_sup_task_cancel:
 * @self: a started task
 *
 * Cancels the task: unless a result was committed first, it fails with
 * %G_IO_ERROR_CANCELLED, its cancellable is cancelled, and whatever its
 * work returns later is dropped. A queued task never runs.
 *
 * Safe to call from any thread, and any number of times. The
 * [signal@GtaskSup.Supervisor::failed] signal comes from a later iteration of
 * the owner context, never from inside this call.
 *
 * Since: 1.0
 */
void
gtask_sup_task_cancel (GtaskSupTask *self)
{
  gboolean decided = FALSE;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core != NULL);

  g_mutex_lock (&self->core->mutex);
  if (self->outcome == GTASK_SUP_OUTCOME_NONE)
    decided = _gtask_sup_core_decide_locked (self->core, self, GTASK_SUP_OUTCOME_CANCELLED,
                                             _gtask_sup_task_new_error (self, GTASK_SUP_OUTCOME_CANCELLED));
  g_mutex_unlock (&self->core->mutex);

  if (decided)
    _gtask_sup_task_interrupt (self, GTASK_SUP_OUTCOME_CANCELLED, 0);
}

/**
 * gtask_sup_task_shutdown:
 * @self: a started task
 * @grace_ms: how long to wait for the work to stop, in milliseconds: 0 to
 *   kill at once, -1 to wait forever
 *
 * Stops the task the way a supervisor stops a child: its cancellable is
 * cancelled, then the work has @grace_ms to return. If it returns in time,
 * its own result or error is the outcome (a thread function that returns
 * without a result after the cancellation fails with
 * %G_IO_ERROR_CANCELLED). Otherwise the task is killed: it fails with
 * %GTASK_SUP_ERROR_KILLED.
 *
 * A thread cannot be killed in C: a killed thread task is abandoned. Its
 * function goes on running on its worker until it returns, keeping its own
 * references, and what it returns then is dropped.
 *
 * A queued task is cancelled at once. A task that already has an outcome
 * keeps it, and nothing new is emitted. Safe to call from any thread; the
 * outcome is emitted from a later iteration of the owner context.
 *
 * Since: 1.0
 */
void
gtask_sup_task_shutdown (GtaskSupTask *self,
                         int           grace_ms)
{
  GtaskSupCore *core;
  gboolean interrupt = FALSE;
  guint outcome = GTASK_SUP_OUTCOME_NONE;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (grace_ms >= -1);
  g_return_if_fail (self->core != NULL);

  core = self->core;

  g_mutex_lock (&core->mutex);

  if (self->outcome != GTASK_SUP_OUTCOME_NONE)
    {
      /* Already decided: the recorded outcome stands. */
    }
  else if (g_atomic_int_get (&self->state) == GTASK_SUP_TASK_STATE_QUEUED)
    {
      /* Never ran, nothing to wait for. */
      self->shutting_down = TRUE;
      _gtask_sup_core_decide_locked (core, self, GTASK_SUP_OUTCOME_CANCELLED,
                                     _gtask_sup_task_new_error (self, GTASK_SUP_OUTCOME_CANCELLED));
    }
  else if (grace_ms == 0)
    {
      self->shutting_down = TRUE;
      outcome = GTASK_SUP_OUTCOME_KILLED;
      interrupt = _gtask_sup_core_decide_locked (core, self, outcome,
                                                 _gtask_sup_task_new_error (self, outcome));
    }
  else
    {
      /* Killed at the end of the grace period, or at the task's own
       * deadline if that comes first; a second shutdown can only bring it
       * closer. */
      if (grace_ms >= 0)
        {
          gint64 kill_at = g_get_monotonic_time () + (gint64)grace_ms * G_TIME_SPAN_MILLISECOND;

          if (self->heap_index == 0 || kill_at < self->deadline)
            _gtask_sup_core_arm_locked (core, self, kill_at);
        }

      interrupt = !self->shutting_down;
      self->shutting_down = TRUE;
    }

  g_mutex_unlock (&core->mutex);

  if (interrupt)
    _gtask_sup_task_interrupt (self, outcome, grace_ms);
}

/* Whether wait() may iterate the owner context on this thread: it already
 * does (a handler, a running loop), or the context is this thread's own
 * thread-default one and free. Never on a worker of the pool, whose
 * thread-default context is the global one: signals must not be emitted
 * there. */
static gboolean
context_is_ours (GMainContext *context)
{
  GMainContext *thread_default;
  gboolean ours;

  if (g_main_context_is_owner (context))
    return g_main_context_acquire (context);

  if (gtask_sup_pool_is_worker ())
    return FALSE;

  thread_default = g_main_context_ref_thread_default ();
  ours = thread_default == context;
  g_main_context_unref (thread_default);

  return ours && g_main_context_acquire (context);
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * gtask_sup_task_wait:
 * @self: a started task
 * @timeout_ms: how long to wait, in milliseconds, or -1 to wait until it is
 *   done
 * @error: return location for a #GError
 *
 * Waits for the task to be done, like Elixir's `Task.yield`: the task keeps
 * running if it is not done in time.
 *
 * When the calling thread may run the owner context (it is running it
 * already, from a handler or a main loop, or the owner context is its
 * thread-default context and no other thread runs it), it iterates that
 * context while it waits, so the task's outcome signal has been emitted
 * when it returns %TRUE. Otherwise, and always on a worker thread of the
 * supervisor, it blocks until the task is final; the owner context must
 * then be run by another thread.
 *
 * Returns: %TRUE if the task is in a final state; %FALSE with
 *   %G_IO_ERROR_TIMED_OUT if it was not done within @timeout_ms
 *
 * Since: 1.0
 */
gboolean
gtask_sup_task_wait (GtaskSupTask  *self,
                     int            timeout_ms,
                     GError       **error)
{
  GtaskSupCore *core;

  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), FALSE);
  g_return_val_if_fail (timeout_ms >= -1, FALSE);
  g_return_val_if_fail (self->core != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  core = self->core;

  if (_gtask_sup_task_is_final (self))
    return TRUE;

  if (context_is_ours (core->context))
    {
      GSource *timer = NULL;
      gboolean expired = FALSE;

      if (timeout_ms >= 0)
        {
          timer = g_timeout_source_new (timeout_ms);
          g_source_set_static_name (timer, "[gtask-sup] wait");
          g_source_set_callback (timer, set_flag_cb, &expired, NULL);
          g_source_attach (timer, core->context);
        }

      while (!_gtask_sup_task_is_final (self) && !expired)
        g_main_context_iteration (core->context, TRUE);

      if (timer != NULL)
        {
          g_source_destroy (timer);
          g_source_unref (timer);
        }
      g_main_context_release (core->context);
    }
  else
    {
      gint64 end_time = g_get_monotonic_time () + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;

      g_mutex_lock (&core->mutex);
      core->n_waiters++;
      while (!_gtask_sup_task_is_final (self))
        {
          if (timeout_ms < 0)
            g_cond_wait (&core->cond, &core->mutex);
          else if (!g_cond_wait_until (&core->cond, &core->mutex, end_time))
            break;
        }
      core->n_waiters--;
      g_mutex_unlock (&core->mutex);
    }

  if (_gtask_sup_task_is_final (self))
    return TRUE;

  if (self->name != 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 _("Task “%s” did not finish within %d ms"),
                 task_display_name (self), timeout_ms);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 _("The task did not finish within %d ms"), timeout_ms);

  return FALSE;
}

/**
 * gtask_sup_task_join:
 * @self: a started task
 * @timeout_ms: how long to wait, in milliseconds, or -1 to wait until it is
 *   done
 * @error: return location for a #GError
 *
 * Waits for the task and gets its outcome, like Elixir's `Task.await`. If it
 * is not done within @timeout_ms, the task is shut down with its
 * [property@GtaskSup.Task:shutdown-timeout] and this fails with
 * %G_IO_ERROR_TIMED_OUT. It waits as [method@GtaskSup.Task.wait] does.
 *
 * Returns: %TRUE if the task succeeded; %FALSE with the task's error if it
 *   failed, %G_IO_ERROR_TIMED_OUT if it timed out or did not finish in time
 *
 * Since: 1.0
 */
gboolean
gtask_sup_task_join (GtaskSupTask  *self,
                     int            timeout_ms,
                     GError       **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), FALSE);
  g_return_val_if_fail (timeout_ms >= -1, FALSE);
  g_return_val_if_fail (self->core != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!gtask_sup_task_wait (self, timeout_ms, error))
    {
      gtask_sup_task_shutdown (self, self->shutdown_timeout);
      return FALSE;
    }

  return !gtask_sup_task_propagate_error (self, error);
}

/**
 * gtask_sup_task_join_async:
 * @self: a started task
 * @cancellable: (nullable): a #GCancellable to stop waiting (it does not
 *   cancel the task)
 * @callback: (scope async) (closure user_data): called when the task is done
 * @user_data: data for @callback
 *
 * Waits for the task without blocking. @callback is called on the
 * thread-default main context of the caller, from a later iteration of it,
 * even when the task is already done; call
 * [method@GtaskSup.Task.join_finish] there to get the outcome.
 *
 * If the owner is disposed first, @callback still comes, with
 * %G_IO_ERROR_CANCELLED, as GIO's asynchronous calls always complete.
 *
 * Since: 1.0
 */
void
gtask_sup_task_join_async (GtaskSupTask        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;
  GtaskSupCore *core;
  JoinData *jd;
  gboolean final;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  core = self->core;

  gtask = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, gtask_sup_task_join_async);
  g_task_set_name (gtask, "[gtask-sup] join");

  if (g_task_return_error_if_cancelled (gtask))
    return;

  jd = g_atomic_rc_box_new0 (JoinData);
  jd->gtask = g_object_ref (gtask);
  jd->core = _gtask_sup_core_ref (core);
  jd->task = self;

  /* Connected before it is published, so that whoever takes it out of the
   * list, the handler or the supervisor, finds handler_id set. */
  if (cancellable != NULL)
    {
      jd->handler_id = g_cancellable_connect (cancellable, G_CALLBACK (join_cancelled_cb),
                                              g_atomic_rc_box_acquire (jd), join_data_release);
    }

  g_mutex_lock (&core->mutex);
  final = _gtask_sup_task_is_final (self);
  if (!final)
    {
      jd->pending = TRUE;
      g_hash_table_insert (core->joiners, self,
                           g_slist_prepend (g_hash_table_lookup (core->joiners, self), jd));
    }
  g_mutex_unlock (&core->mutex);

  if (final)
    {
      _gtask_sup_task_complete_joiner (self, jd, FALSE);
      return;
    }

  /* Cancelled before it was published: the handler found nothing to do. */
  if (cancellable != NULL && g_cancellable_is_cancelled (cancellable))
    {
      gboolean found;

      g_mutex_lock (&core->mutex);
      found = jd->pending;
      if (found)
        {
          GSList *joiners = g_slist_remove (g_hash_table_lookup (core->joiners, self), jd);

          jd->pending = FALSE;
          if (joiners != NULL)
            g_hash_table_insert (core->joiners, self, joiners);
          else
            g_hash_table_remove (core->joiners, self);
        }
      g_mutex_unlock (&core->mutex);

      if (found)
        {
          g_task_return_error_if_cancelled (jd->gtask);
          g_cancellable_disconnect (cancellable, jd->handler_id);
          join_data_release (jd);
        }
    }
}

/**
 * gtask_sup_task_join_finish:
 * @self: a task
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Gets the outcome waited for by [method@GtaskSup.Task.join_async].
 *
 * Returns: %TRUE if the task succeeded; %FALSE with the task's error if it
 *   failed, %G_IO_ERROR_TIMED_OUT if it timed out, %G_IO_ERROR_CANCELLED if
 *   the wait was cancelled
 *
 * Since: 1.0
 */
gboolean
gtask_sup_task_join_finish (GtaskSupTask  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == gtask_sup_task_join_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* vim:set foldmethod=marker: */
