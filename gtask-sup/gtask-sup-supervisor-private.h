/* gtask-sup-supervisor-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gtask-sup-supervisor.h"

G_BEGIN_DECLS

/* The part of a supervisor that its tasks share with worker threads:
 * atomically reference counted, it outlives the supervisor for as long as a
 * task points to it. It wakes the supervisor's dispatch source, one per
 * supervisor for every outcome and every deadline (no GSource per task),
 * with g_source_set_ready_time(), which is thread-safe.
 *
 * The source itself belongs to the supervisor alone and is released on the
 * owner thread: a GSource must not outlive its GMainContext, and GLib locks
 * the context again right after a source's finalize, so a source released
 * by a worker could not be the one to drop the last reference to the
 * context. The core keeps that reference instead (for wait()). */
typedef struct _GtaskSupCore
{
  GMutex              mutex;
  GCond               cond;         /* broadcast when a task becomes final */
  guint               n_waiters;    /* threads blocked on cond */

  GSource            *source;       /* the dispatch source, not a reference; NULL once dead */
  GtaskSupSupervisor *self;         /* not a reference; NULL once dead */
  GMainContext       *context;      /* the owner context (a reference) */
  GQueue              queue;        /* QUEUED tasks, FIFO, no reference */
  GQueue              done;         /* decided tasks, each holds a reference */
  GPtrArray          *dirty;        /* tasks with notifies pending, references */
  GPtrArray          *release;      /* tasks to unref on the owner context */
  GPtrArray          *heap;         /* armed deadlines, a binary min-heap */
  GPtrArray          *to_push;      /* RUNNING tasks not handed to the pool yet;
                                     * owner thread only */
  GHashTable         *joiners;      /* task → GSList of its join_async() waiters */
  guint               n_running;
  guint               max_concurrency;
  guint               woken : 1;    /* ready time is 0: a dispatch is coming */
  guint               dead : 1;     /* owner or supervisor gone: report nothing */
} GtaskSupCore;

G_GNUC_INTERNAL
GtaskSupCore *_gtask_sup_core_ref   (GtaskSupCore *core);
G_GNUC_INTERNAL
void          _gtask_sup_core_unref (GtaskSupCore *core);
G_GNUC_INTERNAL
gboolean _gtask_sup_core_decide_locked (GtaskSupCore   *core,
                                        GtaskSupTask   *task,
                                        guint           outcome,
                                        GError         *error);
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
/* For a GTask's data: a GSource attached for it, destroyed with it. */
G_GNUC_INTERNAL
void     _gtask_sup_source_destroy_and_unref (gpointer            source);
G_GNUC_INTERNAL
void     _gtask_sup_return_later             (GTask              *task,
                                              GError             *error);
G_GNUC_INTERNAL
void     _gtask_sup_supervisor_add_stream    (GtaskSupSupervisor *self,
                                              GtaskSupStream     *stream);
G_GNUC_INTERNAL
void     _gtask_sup_supervisor_remove_stream (GtaskSupSupervisor *self,
                                              GtaskSupStream     *stream);
G_GNUC_INTERNAL
void     _gtask_sup_core_worker_done (GtaskSupCore *core,
                                      GtaskSupTask *task);

G_END_DECLS
