/* gtask-sup-core-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "gtask-sup-heap-private.h"
#include "gtask-sup-kind-private.h"
#include "gtask-sup-service-private.h"
#include "gtask-sup-waiters-private.h"

G_BEGIN_DECLS

/* The engine: one GtaskSupCore per supervisor, shared with worker threads.
 *
 * It decides each run's outcome once (DESIGN §4 rule 5), holds the slots of
 * max-concurrency and the queue of tasks waiting for one, hands work to its
 * kind at once (never waiting for the owner context), keeps every deadline
 * of the supervisor in one heap whose earliest deadline is registered with
 * the service thread's timer, one for the process (so timeouts and kills
 * act on time while the owner thread is busy), and
 * carries outcomes and notifies to the owner context in batches, through
 * one dispatch source: one wakeup for everything that happened since the
 * last dispatch.
 *
 * It never names a kind, the supervisor or the stream: kinds are reached
 * through the GtaskSupKind table of each task, the supervisor through the
 * GtaskSupCoreHooks given to _gtask_sup_core_new().
 *
 * Locking: `mutex` guards the fields below it and a task's fields marked
 * "under core->mutex". Never call out (a kind, a hook, a cancellable, user
 * code) with it held. `_locked` functions expect it held. */

/* How a run ended, decided once under the core's mutex. The outcome is
 * decided on any thread; it becomes the public state, and its signal is
 * emitted, later on the owner context. */
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

/* What the engine calls on the owner context, from its dispatch. @owner is
 * the pointer given to _gtask_sup_core_new(). */
typedef struct
{
  /* @task's outcome was decided: make it final and report it. The hook
   * calls _gtask_sup_core_finish(). Returns TRUE to hand the engine a
   * reference to @task that it drops at the end of the dispatch. */
  gboolean (*complete) (gpointer      owner,
                        GtaskSupTask *task);
  /* Notifies asked for from any thread: @task changed state (STATE) or
   * progress (PROGRESS). */
  void (*notify)   (gpointer      owner,
                    GtaskSupTask *task,
                    guint         what);
  /* After every dispatch. */
  void (*idle)     (gpointer      owner);
} GtaskSupCoreHooks;

/* The default of GtaskSupSupervisor:progress-interval: a frame at 60 Hz. */
#define GTASK_SUP_CORE_PROGRESS_INTERVAL_MS 16

enum
{
  GTASK_SUP_CORE_NOTIFY_STATE    = 1 << 0,
  GTASK_SUP_CORE_NOTIFY_PROGRESS = 1 << 1,
};

/* A group of tasks with a concurrency limit of its own (a stream's items);
 * see _gtask_sup_group_new(). Reference counted; its fields are guarded by
 * the mutex of the core that runs its tasks. */
typedef struct
{
  GQueue                   queue;          /* tasks waiting for a slot of the group */
  guint                    max;            /* 0: no limit */
  guint                    n_slots;
  int                      n_running;      /* works running; atomic, for readers */
  /* Owner context only: called by the supervisor after it reported the
   * outcome of a task of the group (done), and once at the end of each
   * dispatch that reported some (dispatched), with done_data. */
  void                   (*done) (gpointer      data,
                                  GtaskSupTask *task);
  void                   (*dispatched) (gpointer data);
  gpointer                 done_data;
  gboolean                 dispatch_pending; /* owner context only: the supervisor
                                              * calls dispatched soon */
} GtaskSupGroup;

typedef struct _GtaskSupCore
{
  GMutex                   mutex;
  GCond                    cond;           /* broadcast when a task becomes final */
  guint                    n_waiters;      /* threads blocked on cond */

  const GtaskSupCoreHooks *hooks;
  gpointer                 owner;          /* for the hooks; NULL once dead */
  GSource                 *source;         /* the owner dispatch source (a reference);
                                            * NULL once dead */
  GtaskSupTimer            timer;          /* the earliest deadline, on the service thread */
  GMainContext            *context;        /* the owner context (a reference) */
  GQueue                   queue;          /* tasks waiting for a slot, FIFO, no reference */
  GQueue                   done;           /* decided tasks, each holds a reference */
  GQueue                   dispatching;    /* taken from done by a dispatch; owner thread only */
  GPtrArray               *dirty;          /* tasks with notifies pending, references */
  GPtrArray               *release;        /* tasks to unref on the owner context */
  GPtrArray               *to_start;       /* tasks with a slot whose kind runs on the owner */
  GPtrArray               *deferred;       /* tasks given a slot by a decision, started by
                                            * _gtask_sup_core_unlock(); NULL when none */
  GHashTable              *lingering;      /* tasks reported whose work still runs */
  GtaskSupHeap             heap;           /* armed deadlines */
  GHashTable              *joiners;        /* task → GtaskSupWaiters of its join_async() */
  guint                    n_slots;        /* slots of max_concurrency taken */
  guint                    n_running;      /* works running */
  guint                    n_queued;       /* tasks in state QUEUED */
  guint                    max_concurrency;
  gint64                   progress_interval; /* µs between two rounds of progress
                                               * notifies; 0: every dispatch */
  gint64                   progress_last;     /* monotonic µs of the last round */
  guint                    n_progress_deferred; /* tasks in dirty only for a progress
                                                 * notify that waits for its round */
  guint                    woken : 1;      /* ready time is 0: a dispatch is coming */
  guint                    prioritized : 1; /* a task with a priority of its own was
                                             * started: order outcomes by priority */
  guint                    closed : 1;     /* shutting down: no queued task starts */
  /* Owner or supervisor gone: report nothing. Written under the mutex on
   * the owner thread, which also reads it without the mutex: a word of its
   * own. */
  gboolean                 dead;
} GtaskSupCore;

G_GNUC_INTERNAL
GtaskSupCore *_gtask_sup_core_new    (const GtaskSupCoreHooks *hooks,
                                      gpointer                 owner,
                                      GMainContext            *context);
G_GNUC_INTERNAL
GtaskSupCore *_gtask_sup_core_ref    (GtaskSupCore *core);
G_GNUC_INTERNAL
void          _gtask_sup_core_unref  (GtaskSupCore *core);

/* Groups */
G_GNUC_INTERNAL
GtaskSupGroup *_gtask_sup_group_new    (guint          max);
G_GNUC_INTERNAL
GtaskSupGroup *_gtask_sup_group_ref    (GtaskSupGroup *group);
G_GNUC_INTERNAL
void           _gtask_sup_group_unref  (GtaskSupGroup *group);
G_GNUC_INTERNAL
void           _gtask_sup_core_set_group (GtaskSupTask  *task,
                                          GtaskSupGroup *group);

/* Starting and running */
G_GNUC_INTERNAL
void     _gtask_sup_core_start          (GtaskSupCore *core,
                                         GtaskSupTask *task);
G_GNUC_INTERNAL
void     _gtask_sup_core_close          (GtaskSupCore *core);
G_GNUC_INTERNAL
void     _gtask_sup_core_set_max_concurrency (GtaskSupCore *core,
                                              guint         max_concurrency);
G_GNUC_INTERNAL
void     _gtask_sup_core_set_progress_interval (GtaskSupCore *core,
                                                guint         interval_ms);
G_GNUC_INTERNAL
gboolean _gtask_sup_core_work_begin     (GtaskSupCore *core,
                                         GtaskSupTask *task);
G_GNUC_INTERNAL
void     _gtask_sup_core_work_done      (GtaskSupCore *core,
                                         GtaskSupTask *task);

/* Deciding */
G_GNUC_INTERNAL
gboolean _gtask_sup_core_decide_locked  (GtaskSupCore *core,
                                         GtaskSupTask *task,
                                         guint         outcome,
                                         GError       *error);
G_GNUC_INTERNAL
void     _gtask_sup_core_unlock         (GtaskSupCore *core);
G_GNUC_INTERNAL
gboolean _gtask_sup_core_decide         (GtaskSupCore *core,
                                         GtaskSupTask *task,
                                         guint         outcome,
                                         GError       *error);
G_GNUC_INTERNAL
void     _gtask_sup_core_interrupt      (GtaskSupTask *task,
                                         guint         outcome,
                                         int           grace_ms);
G_GNUC_INTERNAL
int      _gtask_sup_core_final_state    (GtaskSupTask *task);
G_GNUC_INTERNAL
GtaskSupWaiters *_gtask_sup_core_finish (GtaskSupCore *core,
                                         GtaskSupTask *task,
                                         int           state,
                                         gboolean     *last);
G_GNUC_INTERNAL
GtaskSupWaiters *_gtask_sup_core_get_joiners_locked (GtaskSupCore *core,
                                                     GtaskSupTask *task);
G_GNUC_INTERNAL
void             _gtask_sup_core_release_joiners    (GtaskSupWaiters *joiners);

/* Deadlines */
G_GNUC_INTERNAL
void     _gtask_sup_core_arm_locked     (GtaskSupCore *core,
                                         GtaskSupTask *task,
                                         gint64        deadline);
G_GNUC_INTERNAL
gint64   _gtask_sup_core_get_deadline_locked (GtaskSupCore *core,
                                              GtaskSupTask *task);

/* Notifies and lifetime */
G_GNUC_INTERNAL
void     _gtask_sup_core_mark_dirty_locked (GtaskSupCore *core,
                                            GtaskSupTask *task,
                                            guint         what);
G_GNUC_INTERNAL
void     _gtask_sup_core_wake           (GtaskSupCore *core);
G_GNUC_INTERNAL
gboolean _gtask_sup_core_silence_locked (GtaskSupCore *core,
                                         GtaskSupTask *task);
G_GNUC_INTERNAL
GPtrArray *_gtask_sup_core_kill         (GtaskSupCore  *core,
                                         GPtrArray    **lingering);
G_GNUC_INTERNAL
GCancellable *_gtask_sup_core_ensure_cancellable (GtaskSupTask *task);
G_GNUC_INTERNAL
void          _gtask_sup_core_release_cancellable (GCancellable *cancellable);

G_END_DECLS
