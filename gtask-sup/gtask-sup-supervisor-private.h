/* gtask-sup-supervisor-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gtask-sup-supervisor.h"

G_BEGIN_DECLS

/* The part of a supervisor that its tasks share with worker threads. It is
 * the supervisor's dispatch GSource: reference counted, thread-safe to wake
 * (g_source_set_ready_time()), and it outlives the supervisor for as long as
 * a task still points to it. One source per supervisor carries every
 * outcome and every deadline: no GSource per task. */
typedef struct _GtaskSupCore
{
  GSource             source;

  GMutex              mutex;
  GCond               cond;         /* broadcast when a task becomes final */
  guint               n_waiters;    /* threads blocked on cond */

  GtaskSupSupervisor *self;         /* not a reference; NULL once dead */
  GMainContext       *context;      /* the owner context (a reference) */
  GQueue              queue;        /* QUEUED tasks, FIFO, no reference */
  GQueue              done;         /* decided tasks, each holds a reference */
  GPtrArray          *dirty;        /* tasks with notifies pending, references */
  GPtrArray          *release;      /* tasks to unref on the owner context */
  GPtrArray          *heap;         /* armed deadlines, a binary min-heap */
  GPtrArray          *to_push;      /* RUNNING tasks not handed to the pool yet;
                                     * owner thread only */
  guint               n_running;
  guint               max_concurrency;
  guint               woken : 1;    /* ready time is 0: a dispatch is coming */
  guint               dead : 1;     /* owner or supervisor gone: report nothing */
} GtaskSupCore;

G_GNUC_INTERNAL
gboolean _gtask_sup_core_decide_locked (GtaskSupCore   *core,
                                        GtaskSupTask   *task,
                                        guint           outcome,
                                        GError         *error,
                                        GCancellable  **to_cancel);
G_GNUC_INTERNAL
void     _gtask_sup_core_arm_locked    (GtaskSupCore   *core,
                                        GtaskSupTask   *task,
                                        gint64          deadline);
G_GNUC_INTERNAL
void     _gtask_sup_core_disarm_locked (GtaskSupCore   *core,
                                        GtaskSupTask   *task);
G_GNUC_INTERNAL
void     _gtask_sup_core_mark_dirty_locked (GtaskSupCore *core,
                                            GtaskSupTask *task,
                                            gboolean      state,
                                            gboolean      progress);
G_GNUC_INTERNAL
void     _gtask_sup_core_worker_done (GtaskSupCore *core,
                                      GtaskSupTask *task);

G_END_DECLS
