/* gtask-sup-task.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <math.h>

#include "gtask-sup-enums.h"
#include "gtask-sup-i18n-private.h"
#include "gtask-sup-pool-private.h"
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
  PROP_PRIORITY,
  PROP_INPUT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (GtaskSupTask, gtask_sup_task, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static G_DEFINE_QUARK (gtask-sup-origin, origin)
static G_DEFINE_QUARK (gtask-sup-parent, parent)
static G_DEFINE_QUARK (gtask-sup-input, input)

/* The task whose work runs on this thread: set around a thread function
 * and an async function. */
static GPrivate current_task;
static G_DEFINE_QUARK (gtask-sup-name, name)

/* Internal API {{{1 */

gboolean
_gtask_sup_task_is_final (GtaskSupTask *self)
{
  return g_atomic_int_get (&self->state) >= GTASK_SUP_TASK_STATE_SUCCEEDED;
}

/* The name is a copy owned by the task, never a quark: quarks are never
 * freed, and a program may give every task a name of its own. It lives in
 * qdata rather than in the struct, which a pointer would push into the
 * next malloc size class (see the struct). Immutable once started, so any
 * thread may read it. */
const char *
_gtask_sup_task_display_name (GtaskSupTask *self)
{
  return g_object_get_qdata (G_OBJECT (self), name_quark ());
}

void
_gtask_sup_task_take_name (GtaskSupTask *self,
                           char         *name)
{
  g_object_set_qdata_full (G_OBJECT (self), name_quark (), name, g_free);
}

/* Makes @task the current task of this thread while its work runs; returns
 * the one it replaces, for _gtask_sup_task_pop_current(). */
GtaskSupTask *
_gtask_sup_task_push_current (GtaskSupTask *task)
{
  GtaskSupTask *previous = g_private_get (&current_task);

  g_private_set (&current_task, task);

  return previous;
}

void
_gtask_sup_task_pop_current (GtaskSupTask *previous)
{
  g_private_set (&current_task, previous);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Any thread: the parent was cancelled, timed out or shut down. */
static void
parent_cancelled_cb (GCancellable *cancellable,
                     gpointer      data)
{
  g_autoptr(GtaskSupTask) child = g_weak_ref_get (data);

  if (child != NULL)
    gtask_sup_task_cancel (child);
}

static G_DEFINE_QUARK (gtask-sup-parent-link, parent_link)

/* The child's hold on its parent's cancellable, while it runs. */
typedef struct
{
  GCancellable *cancellable;
  gulong        handler_id;
} ParentLink;

static void
parent_link_free (gpointer data)
{
  ParentLink *link = data;

  g_cancellable_disconnect (link->cancellable, link->handler_id);
  g_object_unref (link->cancellable);
  g_free (link);
}

/* Records the current task of this thread, if any, as the parent of @self,
 * which is about to be started (not for a restart's run, which has the
 * parent of the first). */
void
_gtask_sup_task_adopt (GtaskSupTask *self)
{
  GtaskSupTask *current = g_private_get (&current_task);

  if (current != NULL && current != self)
    g_object_set_qdata_full (G_OBJECT (self), parent_quark (),
                             g_object_ref (current), g_object_unref);
}

/* @self, just started, is cancelled when its parent's cancellable is (at
 * once if it is already), until its outcome: _gtask_sup_task_unlink_parent().
 * The handler holds a weak reference: the child holds its parent, not the
 * other way round. */
void
_gtask_sup_task_link_to_parent (GtaskSupTask *self)
{
  GtaskSupTask *parent = gtask_sup_task_get_parent (self);
  ParentLink *link;
  GWeakRef *child;

  if (parent == NULL || parent->core == NULL)
    return;

  child = g_new0 (GWeakRef, 1);
  g_weak_ref_init (child, self);
  link = g_new0 (ParentLink, 1);
  link->cancellable = g_object_ref (_gtask_sup_core_ensure_cancellable (parent));
  link->handler_id = g_cancellable_connect (link->cancellable, G_CALLBACK (parent_cancelled_cb),
                                            child, weak_ref_free);
  g_object_set_qdata_full (G_OBJECT (self), parent_link_quark (), link, parent_link_free);
}

void
_gtask_sup_task_unlink_parent (GtaskSupTask *self)
{
  g_object_set_qdata (G_OBJECT (self), parent_link_quark (), NULL);
}

static GError *
task_new_error (GtaskSupTask *self,
                guint         outcome)
{
  const char *name = _gtask_sup_task_display_name (self);

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

static guint notify_signal_id;

/* Notifies of properties that change while the task runs, on the owner
 * context. GObject builds a notify queue even for an object nobody
 * watches; a task has several changes per run, so ask first. */
static void
task_notify_if_watched (GtaskSupTask *self,
                        GParamSpec   *pspec)
{
  /* Any notify handler, whatever its detail: GObject filters the rest. */
  if (g_signal_handler_find (self, G_SIGNAL_MATCH_ID, notify_signal_id, 0,
                             NULL, NULL, NULL) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

void
_gtask_sup_task_notify_state (GtaskSupTask *self)
{
  task_notify_if_watched (self, properties[PROP_STATE]);
}

void
_gtask_sup_task_notify_progress (GtaskSupTask *self)
{
  task_notify_if_watched (self, properties[PROP_PROGRESS]);
}

/* A new run of @self, for a restart: same work and settings. The first run
 * keeps owning the work's data, for as long as any run lives. */
GtaskSupTask *
_gtask_sup_task_new_restart (GtaskSupTask *self)
{
  GtaskSupTask *run = _gtask_sup_task_new_for_kind (self->kind);
  GtaskSupTask *origin;

  run->restart = self->restart;
  _gtask_sup_task_take_name (run, g_strdup (_gtask_sup_task_display_name (self)));
  run->timeout = self->timeout;
  run->shutdown_timeout = self->shutdown_timeout;
  run->priority = self->priority;
  if (gtask_sup_task_get_parent (self) != NULL)
    g_object_set_qdata_full (G_OBJECT (run), parent_quark (),
                             g_object_ref (gtask_sup_task_get_parent (self)),
                             g_object_unref);
  origin = g_object_get_qdata (G_OBJECT (self), origin_quark ());
  g_object_set_qdata_full (G_OBJECT (run), origin_quark (),
                           g_object_ref (origin != NULL ? origin : self),
                           g_object_unref);

  self->kind->copy (run, self);

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

/* A task made by a kind's constructor. */
GtaskSupTask *
_gtask_sup_task_new_for_kind (const GtaskSupKind *kind)
{
  GtaskSupTask *self = g_object_new (GTASK_SUP_TYPE_TASK, NULL);

  self->kind = kind;

  return self;
}

/* The error of a decided task: the one its work returned, or the one of
 * its outcome (cancelled, timed out...), made on first use, from any
 * thread: a timed-out task whose error nobody reads never formats one. */
const GError *
_gtask_sup_task_peek_error (GtaskSupTask *self)
{
  GError *error = g_atomic_pointer_get (&self->error);
  guint outcome = g_atomic_int_get (&self->outcome);

  if (error == NULL &&
      outcome != GTASK_SUP_OUTCOME_NONE &&
      outcome != GTASK_SUP_OUTCOME_RESULT)
    {
      GError *made = task_new_error (self, outcome);

      if (!g_atomic_pointer_compare_and_exchange (&self->error, NULL, made))
        g_error_free (made);
      error = g_atomic_pointer_get (&self->error);
    }

  return error;
}

/* The owner is gone before the outcome of @self was reported: it fails,
 * as cancelled (as join_async() promises), whatever was decided and not
 * reported. With core->mutex held, before the task becomes final. */
void
_gtask_sup_task_silence_error (GtaskSupTask *self)
{
  GError *old = g_atomic_pointer_get (&self->error);

  g_atomic_pointer_set (&self->error, task_new_error (self, GTASK_SUP_OUTCOME_SILENCED));
  g_clear_error (&old);
}

/* The kind could not start the work of @self: the process has no thread
 * for it (@cause). The run fails with a translated error and ends, as
 * after its work. Ending it frees its slot, which starts the next queued
 * task, which may fail the same way: that one ends from the loop of the
 * first call on this thread rather than recursively, so that a long queue
 * cannot overflow the stack. Any thread. */
void
_gtask_sup_task_fail_start (GtaskSupTask *self,
                            const GError *cause)
{
  static GPrivate ending;   /* the GQueue of runs to end, while in the loop */
  const char *name = _gtask_sup_task_display_name (self);
  GQueue *outer = g_private_get (&ending);
  GQueue pending = G_QUEUE_INIT;
  GError *error;

  if (name != NULL)
    error = g_error_new (GTASK_SUP_ERROR, GTASK_SUP_ERROR_FAILED,
                         _("Could not start a thread to run task “%s”: %s"),
                         name, cause->message);
  else
    error = g_error_new (GTASK_SUP_ERROR, GTASK_SUP_ERROR_FAILED,
                         _("Could not start a thread to run the task: %s"),
                         cause->message);
  gtask_sup_task_return_error (self, error);

  if (outer != NULL)
    {
      g_queue_push_tail (outer, self);
      return;
    }

  g_private_set (&ending, &pending);
  do
    _gtask_sup_core_work_done (self->core, self);
  while ((self = g_queue_pop_head (&pending)) != NULL);
  g_private_set (&ending, NULL);
}

/* GObject {{{1 */

static void
gtask_sup_task_finalize (GObject *object)
{
  GtaskSupTask *self = (GtaskSupTask *)object;

  g_assert (self->heap_index == 0);

  /* The result first: its destroy notify may use the work's data. */
  if (self->result != NULL)
    {
      if (self->result->destroy != NULL && !self->value_propagated)
        self->result->destroy (g_value_get_pointer (&self->result->value));
      g_value_unset (&self->result->value);
      g_free (self->result);
    }
  g_clear_error (&self->error);

  /* Made with g_object_new() by a binding, without a kind: nothing to free. */
  if (self->kind != NULL)
    self->kind->clear (self);

  _gtask_sup_core_release_cancellable (g_steal_pointer (&self->cancellable));
  g_clear_pointer (&self->group, _gtask_sup_group_unref);
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
      g_value_set_string (value, gtask_sup_task_get_name (self));
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

    case PROP_PRIORITY:
      g_value_set_int (value, gtask_sup_task_get_priority (self));
      break;

    case PROP_INPUT:
      g_value_set_object (value, gtask_sup_task_get_input (self));
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

    case PROP_PRIORITY:
      gtask_sup_task_set_priority (self, g_value_get_int (value));
      break;

    case PROP_INPUT:
      gtask_sup_task_set_input (self, g_value_get_object (value));
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
   * On expiry the task's cancellable is cancelled at once, and a
   * subprocess is sent SIGTERM, by the library's service thread, even while
   * the owner thread is busy; [signal@GtaskSup.Supervisor::timed-out]
   * follows on the owner context. Whatever the work returns later is
   * dropped. A task still queued when it expires never runs.
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

  /**
   * GtaskSupTask:priority:
   *
   * The task's priority, in GLib's order: lower values first, such as
   * %G_PRIORITY_HIGH (-100) before %G_PRIORITY_DEFAULT (0). Tasks queued
   * by a supervisor's [property@GtaskSup.Supervisor:max-concurrency] start
   * in priority order (in the order they were started, within a
   * priority), and the outcomes reported in one iteration of the owner
   * context are emitted in priority order, as `g_task_set_priority()`
   * orders GTask's work. It does not order a stream's items, nor the
   * threads of the shared worker pool.
   *
   * Since: 1.0
   */
  properties[PROP_PRIORITY] =
    g_param_spec_int ("priority", NULL, NULL,
                      G_MININT16, G_MAXINT16, G_PRIORITY_DEFAULT,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupTask:input: (getter get_input) (setter set_input)
   *
   * The input the task was made for, or %NULL: the item of the list model
   * for the items of [method@GtaskSup.Supervisor.map_model], or whatever a
   * stream's next function set. A stream's
   * [signal@GtaskSup.Stream::item] handler finds there the input of an item
   * that failed or timed out, as Elixir's `zip_input_on_exit` does; a
   * `GtkListView` row can show it.
   *
   * Since: 1.0
   */
  properties[PROP_INPUT] =
    g_param_spec_object ("input", NULL, NULL,
                         G_TYPE_OBJECT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  notify_signal_id = g_signal_lookup ("notify", G_TYPE_OBJECT);
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
 * gtask_sup_task_get_priority: (get-property priority)
 * @self: a task
 *
 * Gets the task's priority; see [property@GtaskSup.Task:priority].
 *
 * Returns: the priority, lower first
 *
 * Since: 1.0
 */
int
gtask_sup_task_get_priority (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), G_PRIORITY_DEFAULT);

  return self->priority;
}

/**
 * gtask_sup_task_set_priority: (set-property priority)
 * @self: a task that was not started yet
 * @priority: the priority, lower first, between %G_MININT16 and
 *   %G_MAXINT16, such as %G_PRIORITY_HIGH or %G_PRIORITY_LOW
 *
 * Sets the order in which the task starts among the queued tasks of its
 * supervisor, and in which its outcome is emitted among those of the same
 * iteration; see [property@GtaskSup.Task:priority].
 *
 * Since: 1.0
 */
void
gtask_sup_task_set_priority (GtaskSupTask *self,
                             int           priority)
{
  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (priority >= G_MININT16 && priority <= G_MAXINT16);
  g_return_if_fail (self->core == NULL);

  if (self->priority == priority)
    return;

  self->priority = priority;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRIORITY]);
}

/**
 * gtask_sup_task_get_input: (get-property input)
 * @self: a task
 *
 * Gets the input the task was made for; see
 * [property@GtaskSup.Task:input]. Any thread may call it.
 *
 * Returns: (transfer none) (nullable) (type GObject): the input, or %NULL
 *
 * Since: 1.0
 */
gpointer
gtask_sup_task_get_input (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  return g_object_get_qdata (G_OBJECT (self), input_quark ());
}

/**
 * gtask_sup_task_set_input: (set-property input)
 * @self: a task that was not started yet
 * @input: (nullable) (type GObject): the input, a #GObject
 *
 * Records the input the task is made for, such as the file it hashes; see
 * [property@GtaskSup.Task:input]. The task keeps a reference to it.
 *
 * Since: 1.0
 */
void
gtask_sup_task_set_input (GtaskSupTask *self,
                          gpointer      input)
{
  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (input == NULL || G_IS_OBJECT (input));
  g_return_if_fail (self->core == NULL);

  if (gtask_sup_task_get_input (self) == input)
    return;

  g_object_set_qdata_full (G_OBJECT (self), input_quark (),
                           input != NULL ? g_object_ref (input) : NULL,
                           g_object_unref);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INPUT]);
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

  return _gtask_sup_task_display_name (self);
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
  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core == NULL);

  if (g_strcmp0 (_gtask_sup_task_display_name (self), name) == 0)
    return;

  _gtask_sup_task_take_name (self, g_strdup (name));
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

  return self->kind != NULL ? self->kind->kind : GTASK_SUP_TASK_KIND_THREAD;
}

/**
 * gtask_sup_task_get_current:
 *
 * Gets the task whose work runs on the calling thread: inside a
 * [callback@GtaskSup.ThreadFunc], the task it runs for, and inside a
 * [callback@GtaskSup.AsyncFunc], the task it starts. Elsewhere (on the
 * owner context outside an async function, in the callback of an
 * operation the async function started, in a signal handler), it is %NULL.
 *
 * A task started while another one is current records it as its parent:
 * see [method@GtaskSup.Task.get_parent]. Useful for logging, and to find
 * the supervisor work belongs to.
 *
 * Any thread may call it.
 *
 * Returns: (transfer none) (nullable): the current task, or %NULL
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_task_get_current (void)
{
  return g_private_get (&current_task);
}

/**
 * gtask_sup_task_get_parent:
 * @self: a task
 *
 * Gets the task that was current ([func@GtaskSup.Task.get_current]) on the
 * thread that started @self with [method@GtaskSup.Supervisor.start]: the
 * task whose async function started it, for instance. Each run of a
 * restarted task has the parent of the first run. The parent is kept alive
 * as long as @self.
 *
 * A task started on a child supervisor ([method@GtaskSup.Supervisor.new_child])
 * from inside its parent's work is part of that work: it is cancelled when
 * the parent is cancelled, times out or is shut down.
 *
 * Returns: (transfer none) (nullable): the parent task, or %NULL if @self
 *   was not started from inside another task's work
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_task_get_parent (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  return g_object_get_qdata (G_OBJECT (self), parent_quark ());
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
      _gtask_sup_core_mark_dirty_locked (core, self, GTASK_SUP_CORE_NOTIFY_PROGRESS);
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
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  /* One made after the task was stopped comes cancelled. */
  return _gtask_sup_core_ensure_cancellable (self);
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
      /* Allocated only now: a queued task carries no room for a value. */
      if (value != NULL)
        {
          self->result = g_new (GtaskSupTaskResult, 1);
          self->result->value = *value;
          self->result->destroy = value_destroy;
        }
      _gtask_sup_core_decide_locked (core, self, GTASK_SUP_OUTCOME_RESULT, error);
      taken = TRUE;
    }

  _gtask_sup_core_unlock (core);

  if (twice)
    g_critical ("%s: task %p (%s) was already completed", G_STRFUNC, self,
                _gtask_sup_task_display_name (self) != NULL
                ? _gtask_sup_task_display_name (self) : "unnamed");

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
      self->result == NULL)
    return NULL;

  return &self->result->value;
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

  return _gtask_sup_task_peek_error (self);
}

static gboolean
gtask_sup_task_propagate_error (GtaskSupTask  *self,
                                GError       **error)
{
  const GError *own = _gtask_sup_task_peek_error (self);

  if (own == NULL)
    return FALSE;

  g_propagate_error (error, g_error_copy (own));
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

  if (self->result != NULL)
    {
      g_value_init (value, G_VALUE_TYPE (&self->result->value));
      g_value_copy (&self->result->value, value);
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

  g_return_val_if_fail (self->result != NULL && G_VALUE_HOLDS_POINTER (&self->result->value), NULL);
  g_return_val_if_fail (!self->value_propagated, NULL);

  /* Under the mutex: the bit shares its word with others written there. */
  g_mutex_lock (&self->core->mutex);
  self->value_propagated = TRUE;
  g_mutex_unlock (&self->core->mutex);

  return g_value_get_pointer (&self->result->value);
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

  g_return_val_if_fail (self->result != NULL &&
                        G_VALUE_HOLDS_BOOLEAN (&self->result->value), FALSE);

  return g_value_get_boolean (&self->result->value);
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

  g_return_val_if_fail (self->result != NULL && G_VALUE_HOLDS_INT64 (&self->result->value), -1);

  return g_value_get_int64 (&self->result->value);
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
    decided = _gtask_sup_core_decide_locked (self->core, self, GTASK_SUP_OUTCOME_CANCELLED, NULL);
  _gtask_sup_core_unlock (self->core);

  if (decided)
    _gtask_sup_core_interrupt (self, GTASK_SUP_OUTCOME_CANCELLED, 0);
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
      outcome = GTASK_SUP_OUTCOME_CANCELLED;
      interrupt = _gtask_sup_core_decide_locked (core, self, outcome, NULL);
    }
  else if (grace_ms == 0)
    {
      self->shutting_down = TRUE;
      outcome = GTASK_SUP_OUTCOME_KILLED;
      interrupt = _gtask_sup_core_decide_locked (core, self, outcome, NULL);
    }
  else
    {
      /* Killed at the end of the grace period, unless the task's own
       * timeout comes first (then it times out); a second shutdown can only
       * bring the kill closer. */
      if (grace_ms >= 0)
        {
          gint64 kill_at = g_get_monotonic_time () + (gint64)grace_ms * G_TIME_SPAN_MILLISECOND;
          gint64 deadline = _gtask_sup_core_get_deadline_locked (core, self);

          if (deadline < 0 || kill_at < deadline)
            {
              self->kill_armed = TRUE;
              _gtask_sup_core_arm_locked (core, self, kill_at);
            }
        }

      interrupt = !self->shutting_down;
      self->shutting_down = TRUE;
    }

  _gtask_sup_core_unlock (core);

  if (interrupt)
    _gtask_sup_core_interrupt (self, outcome, grace_ms);
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

  if (_gtask_sup_pool_is_worker ())
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

  if (_gtask_sup_task_display_name (self) != NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 _("Task “%s” did not finish within %d ms"),
                 _gtask_sup_task_display_name (self), timeout_ms);
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
  GtaskSupWaiters *joiners = NULL;
  GtaskSupCore *core;

  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->core != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  core = self->core;

  gtask = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, gtask_sup_task_join_async);
  g_task_set_name (gtask, "[gtask-sup] join");

  g_mutex_lock (&core->mutex);
  if (!_gtask_sup_task_is_final (self))
    {
      joiners = _gtask_sup_core_get_joiners_locked (core, self);
      self->has_joiners = TRUE;
    }
  g_mutex_unlock (&core->mutex);

  if (joiners != NULL)
    {
      /* Added without the mutex: it connects to @cancellable, whose
       * handlers may be running on another thread. */
      _gtask_sup_waiters_add (joiners, gtask);

      /* It became final meanwhile: its joiners may have been completed
       * before this one was in. What is left is completed here (each
       * waiter only once). */
      if (_gtask_sup_task_is_final (self))
        {
          gboolean succeeded =
            gtask_sup_task_get_state (self) == GTASK_SUP_TASK_STATE_SUCCEEDED;

          _gtask_sup_waiters_complete (joiners,
                                       succeeded ? NULL : _gtask_sup_task_peek_error (self),
                                       FALSE);
        }

      _gtask_sup_core_release_joiners (joiners);
      return;
    }

  /* GTask defers a return made in the iteration that created it. */
  if (gtask_sup_task_get_state (self) == GTASK_SUP_TASK_STATE_SUCCEEDED)
    g_task_return_boolean (gtask, TRUE);
  else
    g_task_return_error (gtask, g_error_copy (_gtask_sup_task_peek_error (self)));
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
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        gtask_sup_task_join_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* vim:set foldmethod=marker: */
