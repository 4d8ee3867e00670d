/* gtask-sup-types.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(GTASK_SUP_INSIDE) && !defined(GTASK_SUP_COMPILATION)
# error "Only <gtask-sup/gtask-sup.h> can be included directly."
#endif

#include <gio/gio.h>

#include "gtask-sup-version-macros.h"

G_BEGIN_DECLS

typedef struct _GtaskSupSupervisor GtaskSupSupervisor;
typedef struct _GtaskSupTask       GtaskSupTask;
typedef struct _GtaskSupStream     GtaskSupStream;

/**
 * GtaskSupTaskKind:
 * @GTASK_SUP_TASK_KIND_THREAD: the work is a [callback@GtaskSup.ThreadFunc]
 *   run on a worker thread
 * @GTASK_SUP_TASK_KIND_ASYNC: the work is a [callback@GtaskSup.AsyncFunc]
 *   run on the owner context, which starts an asynchronous operation
 * @GTASK_SUP_TASK_KIND_SUBPROCESS: the work is a program run with
 *   [class@Gio.Subprocess]
 * @GTASK_SUP_TASK_KIND_COMPLETED: no work: the result was given to
 *   [ctor@GtaskSup.Task.new_completed] or [ctor@GtaskSup.Task.new_failed]
 * @GTASK_SUP_TASK_KIND_SUPERVISOR: the work is a child supervisor, run
 *   until it stops (see [ctor@GtaskSup.Task.new_supervisor])
 *
 * What kind of work a [class@GtaskSup.Task] runs.
 *
 * Since: 1.0
 */
typedef enum
{
  GTASK_SUP_TASK_KIND_THREAD,
  GTASK_SUP_TASK_KIND_ASYNC,
  GTASK_SUP_TASK_KIND_SUBPROCESS,
  GTASK_SUP_TASK_KIND_COMPLETED,
  GTASK_SUP_TASK_KIND_SUPERVISOR,
} GtaskSupTaskKind;

/**
 * GtaskSupRestart:
 * @GTASK_SUP_RESTART_TEMPORARY: never restarted
 * @GTASK_SUP_RESTART_TRANSIENT: restarted after it failed or timed out, but
 *   not after it succeeded, was cancelled with [method@GtaskSup.Task.cancel]
 *   or was shut down
 * @GTASK_SUP_RESTART_PERMANENT: restarted after every outcome, unless it was
 *   shut down
 *
 * When the supervisor starts a task again after its outcome, as Elixir's
 * `:restart` option of a child specification. Each run is a new
 * [class@GtaskSup.Task] with the same work and settings, and emits its own
 * outcome. No task is restarted while its supervisor shuts down, and more
 * than [property@GtaskSup.Supervisor:max-restarts] restarts within
 * [property@GtaskSup.Supervisor:max-seconds] make the supervisor give up.
 *
 * Since: 1.0
 */
typedef enum
{
  GTASK_SUP_RESTART_TEMPORARY,
  GTASK_SUP_RESTART_TRANSIENT,
  GTASK_SUP_RESTART_PERMANENT,
} GtaskSupRestart;

/**
 * GtaskSupTaskState:
 * @GTASK_SUP_TASK_STATE_NEW: created, not started yet
 * @GTASK_SUP_TASK_STATE_QUEUED: started, waiting for a free slot of the
 *   supervisor's [property@GtaskSup.Supervisor:max-concurrency] (or of its
 *   stream's), or for a worker thread
 * @GTASK_SUP_TASK_STATE_RUNNING: its work runs
 * @GTASK_SUP_TASK_STATE_SUCCEEDED: completed with a value; the
 *   [signal@GtaskSup.Supervisor::succeeded] signal was emitted
 * @GTASK_SUP_TASK_STATE_FAILED: completed with an error, was cancelled,
 *   killed, or returned without a result; the
 *   [signal@GtaskSup.Supervisor::failed] signal was emitted (unless the
 *   owner was finalized, see [class@GtaskSup.Supervisor])
 * @GTASK_SUP_TASK_STATE_TIMED_OUT: its [property@GtaskSup.Task:timeout]
 *   expired; the [signal@GtaskSup.Supervisor::timed-out] signal was emitted
 *
 * The life cycle of a [class@GtaskSup.Task]. The three last states are
 * final; a task enters one of them on the owner context, right before its
 * outcome signal is emitted.
 *
 * Since: 1.0
 */
typedef enum
{
  GTASK_SUP_TASK_STATE_NEW,
  GTASK_SUP_TASK_STATE_QUEUED,
  GTASK_SUP_TASK_STATE_RUNNING,
  GTASK_SUP_TASK_STATE_SUCCEEDED,
  GTASK_SUP_TASK_STATE_FAILED,
  GTASK_SUP_TASK_STATE_TIMED_OUT,
} GtaskSupTaskState;

/**
 * GtaskSupOnTimeout:
 * @GTASK_SUP_ON_TIMEOUT_EXIT: the whole stream fails with
 *   %G_IO_ERROR_TIMED_OUT: its items in flight are cancelled and nothing
 *   more is emitted
 * @GTASK_SUP_ON_TIMEOUT_KILL_TASK: the item that timed out is an output
 *   like any other, a task in state %GTASK_SUP_TASK_STATE_TIMED_OUT, and
 *   the stream goes on
 *
 * What a [class@GtaskSup.Stream] does when one of its items times out, as
 * the `:on_timeout` option of Elixir's `Task.async_stream`.
 *
 * Since: 1.0
 */
typedef enum
{
  GTASK_SUP_ON_TIMEOUT_EXIT,
  GTASK_SUP_ON_TIMEOUT_KILL_TASK,
} GtaskSupOnTimeout;

/**
 * GtaskSupYieldTimeout:
 * @GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING: the tasks not done keep running
 * @GTASK_SUP_YIELD_TIMEOUT_SHUTDOWN: the tasks not done are shut down with
 *   their own [property@GtaskSup.Task:shutdown-timeout], as
 *   [method@GtaskSup.Task.shutdown] does
 *
 * What [func@GtaskSup.yield_many_async] does with the tasks that are not
 * done when its timeout is over, as the `:on_timeout` option of Elixir's
 * `Task.yield_many/2`.
 *
 * Since: 1.0
 */
typedef enum
{
  GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING,
  GTASK_SUP_YIELD_TIMEOUT_SHUTDOWN,
} GtaskSupYieldTimeout;

/**
 * GtaskSupSpawnMode:
 * @GTASK_SUP_SPAWN_MODE_SUBPROCESS: with [class@Gio.Subprocess], which
 *   forks: [method@GtaskSup.Task.dup_subprocess] gives the child, and it
 *   gets SIGKILL if this program dies (a parent-death signal, on Linux)
 * @GTASK_SUP_SPAWN_MODE_POSIX_SPAWN: with posix_spawn(), which does not
 *   copy this program's memory (glibc's vfork): starting a command costs
 *   as little in a large program with many threads as in a shell, several
 *   times less than a fork. There is no [class@Gio.Subprocess] (use
 *   [method@GtaskSup.Task.dup_identifier] for the process id), and no
 *   parent-death signal: the library kills the child on cancel, timeout,
 *   shutdown or owner finalization as in the other mode, but not if this
 *   program crashes or exits while the child runs. A file without `#!`
 *   that the system cannot execute is still run with `/bin/sh`, through
 *   [class@Gio.Subprocess] as in the other mode (with what it gives).
 *   Where the C library cannot close the child's other descriptors
 *   (without posix_spawn_file_actions_addclosefrom_np(), glibc before
 *   2.34), a task without %G_SUBPROCESS_FLAGS_INHERIT_FDS starts with
 *   [class@Gio.Subprocess] too.
 *
 * How a subprocess task starts its program, set with
 * [method@GtaskSup.Task.set_spawn_mode]. Both run it in a process group of
 * its own, with the same stdio, outcome, value and errors.
 *
 * Since: 1.0
 */
typedef enum
{
  GTASK_SUP_SPAWN_MODE_SUBPROCESS,
  GTASK_SUP_SPAWN_MODE_POSIX_SPAWN,
} GtaskSupSpawnMode;

/**
 * GTASK_SUP_ERROR:
 *
 * The error domain of gtask-sup. Errors in this domain are from the
 * [enum@GtaskSup.Error] enumeration.
 *
 * Since: 1.0
 */
#define GTASK_SUP_ERROR (gtask_sup_error_quark ())

/**
 * GtaskSupError:
 * @GTASK_SUP_ERROR_FAILED: a generic error
 * @GTASK_SUP_ERROR_MAX_CHILDREN: the supervisor already runs
 *   [property@GtaskSup.Supervisor:max-children] tasks
 * @GTASK_SUP_ERROR_CLOSED: the supervisor is closed: its owner was
 *   finalized, or it was shut down
 * @GTASK_SUP_ERROR_NO_RESULT: a thread task's function returned without
 *   completing the task
 * @GTASK_SUP_ERROR_KILLED: the task was stopped by force after its
 *   shutdown grace period
 * @GTASK_SUP_ERROR_RESTART_INTENSITY: the supervisor gave up: its tasks
 *   were restarted more than [property@GtaskSup.Supervisor:max-restarts]
 *   times within [property@GtaskSup.Supervisor:max-seconds]
 * @GTASK_SUP_ERROR_NOT_FOUND: the task is not a child of the supervisor
 *   (see [method@GtaskSup.Supervisor.terminate_child])
 *
 * Errors of the `GTASK_SUP_ERROR` domain. Cancellation and timeouts use
 * GIO's `G_IO_ERROR_CANCELLED` and `G_IO_ERROR_TIMED_OUT`.
 *
 * Since: 1.0
 */
typedef enum
{
  GTASK_SUP_ERROR_FAILED,
  GTASK_SUP_ERROR_MAX_CHILDREN,
  GTASK_SUP_ERROR_CLOSED,
  GTASK_SUP_ERROR_NO_RESULT,
  GTASK_SUP_ERROR_KILLED,
  GTASK_SUP_ERROR_RESTART_INTENSITY,
  GTASK_SUP_ERROR_NOT_FOUND,
} GtaskSupError;

GTASK_SUP_AVAILABLE_IN_1_0
GQuark gtask_sup_error_quark (void);

/**
 * GtaskSupThreadFunc:
 * @task: the task being run
 * @cancellable: the task's cancellable; it is cancelled when the task is
 *   cancelled, times out, is shut down or its owner is finalized
 * @user_data: the data given with the function
 *
 * The work of a thread task. It runs on a worker thread and completes the
 * task with one of the `gtask_sup_task_return_*()` functions, such as
 * [method@GtaskSup.Task.return_int] or [method@GtaskSup.Task.return_error].
 * A function that returns without doing so ends the task with
 * %GTASK_SUP_ERROR_NO_RESULT.
 *
 * Blocking work should check @cancellable now and then and stop early when
 * it is cancelled: a thread cannot be killed, and a result returned after
 * the task was cancelled or timed out is freed and never reported.
 *
 * Since: 1.0
 */
typedef void (*GtaskSupThreadFunc) (GtaskSupTask *task,
                                    GCancellable *cancellable,
                                    gpointer      user_data);

/**
 * GtaskSupAsyncFunc:
 * @task: the task being run
 * @cancellable: the task's cancellable, to give to the asynchronous
 *   operation; it is cancelled when the task is cancelled, times out, is
 *   shut down or its owner is finalized
 * @user_data: the data given with the function
 *
 * The work of an async task. It runs on the owner context, starts an
 * asynchronous operation (any GIO `_async()` call) with @cancellable, and
 * returns at once. The operation's callback completes the task later with
 * one of the `gtask_sup_task_return_*()` functions, from any thread.
 *
 * Give the operation a reference to @task as its user data. Since the
 * function returns before the work is done, a task that is never completed
 * is only ended by its timeout or a shutdown: give async tasks a timeout.
 *
 * Since: 1.0
 */
typedef void (*GtaskSupAsyncFunc) (GtaskSupTask *task,
                                   GCancellable *cancellable,
                                   gpointer      user_data);

/**
 * GtaskSupStreamNextFunc:
 * @stream: the stream
 * @index: the index of the item to start, from 0
 * @user_data: the data given with the function
 *
 * Gives a [class@GtaskSup.Stream] its next item. It is called on the owner
 * context, never more than [property@GtaskSup.Stream:read-ahead] items
 * ahead of the stream's free slots, so a lazy or endless input is read only
 * as fast as its items complete.
 *
 * Returns: (transfer full) (nullable): a new task, not started yet, of any
 *   kind; or %NULL at the end of the input
 *
 * Since: 1.0
 */
typedef GtaskSupTask *(*GtaskSupStreamNextFunc) (GtaskSupStream *stream,
                                                 guint64         index,
                                                 gpointer        user_data);

/**
 * GtaskSupStreamMapFunc:
 * @stream: the stream
 * @item: (type GObject): an item of the input model
 * @user_data: the data given with the function
 *
 * Makes the task for one item of the input of
 * [method@GtaskSup.Supervisor.map_model]. It is called on the owner
 * context, when the stream asks for an item (see
 * [property@GtaskSup.Stream:read-ahead]).
 *
 * Returns: (transfer full) (nullable): a new task, not started yet, of any
 *   kind; or %NULL to end the input there
 *
 * Since: 1.0
 */
typedef GtaskSupTask *(*GtaskSupStreamMapFunc) (GtaskSupStream *stream,
                                                gpointer        item,
                                                gpointer        user_data);

G_END_DECLS
