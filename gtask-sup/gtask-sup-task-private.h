/* gtask-sup-task-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gtask-sup-task.h"
#include "gtask-sup-supervisor-private.h"

G_BEGIN_DECLS

/* A spawned child and its process group, shared by the task and the kill
 * timers of the subprocess thread (g_atomic_rc_box). The group id is 0
 * once no process is left in it: it may then be given out again. */
typedef struct
{
  GSubprocess *process;
  int          pgid;      /* atomic */
} GtaskSupProcessGroup;

/* How a run ended, decided once under the core's mutex (DESIGN §4 rule 5).
 * The outcome is decided on any thread; it becomes the public state, and
 * its signal is emitted, later on the owner context. */
typedef enum
{
  GTASK_SUP_OUTCOME_NONE,       /* still undecided */
  GTASK_SUP_OUTCOME_RESULT,     /* value or error returned by the work */
  GTASK_SUP_OUTCOME_CANCELLED,  /* gtask_sup_task_cancel() or shutdown of a queued task */
  GTASK_SUP_OUTCOME_TIMED_OUT,  /* the timeout expired */
  GTASK_SUP_OUTCOME_NO_RESULT,  /* the function returned without a result */
  GTASK_SUP_OUTCOME_KILLED,     /* the shutdown grace period expired */
  GTASK_SUP_OUTCOME_SILENCED,   /* owner or supervisor gone: never reported */
} GtaskSupOutcome;

/* Fields that few tasks need (join_async() waiters, a place in the
 * children model, the first run of a restarted task) live outside the
 * struct, in hash tables and qdata: a queued task is what a long queue or
 * stream holds many of, and it costs a malloc size class less so. */
struct _GtaskSupTask
{
  GObject             parent_instance;

  /* Set at construction, immutable; which one by kind. */
  union {
    struct {
      GtaskSupThreadFunc  func;     /* or a GtaskSupAsyncFunc */
      gpointer            data;
      GDestroyNotify      destroy;  /* NULL in a restarted run: the first
                                     * run (its qdata "origin") owns data */
    } func;
    struct {
      char                 **argv;
      GSubprocessFlags       flags;
      GtaskSupProcessGroup  *group; /* set on the subprocess thread, under core->mutex */
    } proc;
  } work;

  /* Set by start() on the owner thread; a strong reference. */
  GtaskSupCore       *core;
  /* Created lazily; read and written with atomics. */
  GCancellable       *cancellable;

  /* Written under core->mutex until the outcome is decided, read-only after. */
  GValue              value;
  GDestroyNotify      value_destroy;
  GError             *error;
  double              progress;
  gint64              deadline;    /* monotonic µs: timeout, or kill after a shutdown */

  /* In core->queue while QUEUED, then in core->done once decided. */
  GList               link;
  /* In the supervisor's list of live children (owner thread only). */
  GList               child_link;

  GQuark              name;
  int                 timeout;
  int                 shutdown_timeout;
  guint               heap_index;  /* 1-based position in core->heap, 0 if not armed */
  int                 state;       /* GtaskSupTaskState, atomic */
  int                 outcome;     /* GtaskSupOutcome; written under core->mutex, atomic */
  int                 holders;     /* who needs the supervisor's reference: the
                                    * supervisor until the outcome is emitted,
                                    * the worker while the task is in the pool;
                                    * atomic, the last one drops it */

  guint               kind : 2;
  guint               restart : 2;          /* GtaskSupRestart */
  guint               returned : 1;         /* return_*() was called */
  guint               shutting_down : 1;
  guint               dirty_state : 1;      /* notify::state pending */
  guint               dirty_progress : 1;   /* notify::progress pending */
  guint               value_propagated : 1;
};

G_GNUC_INTERNAL
void     _gtask_sup_task_run       (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_run_async (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_interrupt (GtaskSupTask *self,
                                    guint         outcome,
                                    int           grace_ms);

/* Subprocesses of a task whose owner went away are never waited for
 * forever, whatever their shutdown-timeout. */
#define GTASK_SUP_SILENCED_KILL_MS 5000
G_GNUC_INTERNAL
GtaskSupTask *_gtask_sup_task_new_restart (GtaskSupTask *self);
G_GNUC_INTERNAL
gboolean _gtask_sup_task_should_restart (GtaskSupTask *self);
G_GNUC_INTERNAL
gboolean _gtask_sup_task_is_final  (GtaskSupTask *self);
G_GNUC_INTERNAL
GError  *_gtask_sup_task_new_error (GtaskSupTask *self,
                                    guint         outcome);
G_GNUC_INTERNAL
GCancellable *_gtask_sup_task_ensure_cancellable (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_notify_state    (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_notify_progress (GtaskSupTask *self);
G_GNUC_INTERNAL
GSList  *_gtask_sup_task_steal_joiners_locked (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_complete_joiner (GtaskSupTask *self,
                                          gpointer      joiner,
                                          gboolean      later);

G_END_DECLS
