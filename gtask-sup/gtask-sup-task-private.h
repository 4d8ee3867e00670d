/* gtask-sup-task-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gtask-sup-task.h"
#include "gtask-sup-core-private.h"
#include "gtask-sup-kind-private.h"

G_BEGIN_DECLS

/* The value a task returned, allocated with it. */
typedef struct
{
  GValue              value;
  GDestroyNotify      destroy;
} GtaskSupTaskResult;

/* Fields that few tasks need (join_async() waiters, the first run of a
 * restarted task, the name) live outside the struct, in hash tables and
 * qdata: a queued task is what a long queue or stream holds many of. At 184
 * bytes the struct fills a 192-byte malloc chunk (children_slot, the last
 * field, takes what was padding); 4 more bytes would take the next size
 * class, 208. */
struct _GtaskSupTask
{
  GObject             parent_instance;

  /* Set by the kind's constructor, immutable; the data is the kind's. */
  const GtaskSupKind *kind;
  union {
    gpointer          p[GTASK_SUP_KIND_DATA_SIZE / sizeof (gpointer)];
    gint64            align;
  } work;

  /* Set by start() on the owner thread; a strong reference. */
  GtaskSupCore       *core;
  /* Set before start(), a reference: the stream's items. */
  GtaskSupGroup      *group;
  /* Created lazily; read and written with atomics. */
  GCancellable       *cancellable;

  /* Written under core->mutex until the outcome is decided, read-only after
   * the state is final. */
  GtaskSupTaskResult *result;      /* the value returned, or NULL */
  GError             *error;       /* for outcomes other than a result, made when
                                    * read (_gtask_sup_task_peek_error()); atomic */
  double              progress;

  /* The engine's, under core->mutex: in core->queue while waiting for a
   * slot, then in core->done once decided. */
  GList               link;
  /* In the supervisor's list of live children (owner thread only). */
  GList               child_link;

  int                 timeout;
  int                 shutdown_timeout;
  guint               heap_index;  /* the engine's: position in core->heap */
  int                 state;       /* GtaskSupTaskState, atomic */
  int                 outcome;     /* GtaskSupOutcome; written under core->mutex, atomic */
  int                 holders;     /* who needs the supervisor's reference: the
                                    * supervisor until the outcome is emitted,
                                    * the kind while its work runs; atomic,
                                    * the last one drops it */

  guint               restart : 2;          /* GtaskSupRestart */
  /* Under core->mutex: */
  guint               returned : 1;         /* return_*() was called */
  guint               shutting_down : 1;
  guint               dirty : 2;            /* GTASK_SUP_CORE_NOTIFY_* pending */
  guint               value_propagated : 1;
  guint               has_slot : 1;         /* holds a slot of max-concurrency */
  guint               running : 1;          /* counted in core->n_running */
  guint               has_joiners : 1;      /* in core->joiners */
  guint               core_queued : 1;      /* in core->queue */
  guint               group_queued : 1;     /* in group->queue */
  guint               has_group_slot : 1;   /* holds a slot of its group */
  guint               kill_armed : 1;       /* the deadline is a shutdown's kill */
  /* Set before start(), immutable after: GLib's order, lower first. In the
   * bits left of the word above, so that the struct keeps its size. */
  int                 priority : 16;

  /* The supervisor's children model's (owner thread only): the task's
   * slot there + 1, or 0. */
  guint               children_slot;
};

/* Subprocesses of a task whose owner went away are never waited for
 * forever, whatever their shutdown-timeout. */
#define GTASK_SUP_SILENCED_KILL_MS 5000

G_GNUC_INTERNAL
GtaskSupTask *_gtask_sup_task_new_for_kind (const GtaskSupKind *kind);
G_GNUC_INTERNAL
GtaskSupTask *_gtask_sup_task_new_restart (GtaskSupTask *self);
G_GNUC_INTERNAL
gboolean _gtask_sup_task_should_restart (GtaskSupTask *self);
G_GNUC_INTERNAL
gboolean _gtask_sup_task_is_final  (GtaskSupTask *self);
G_GNUC_INTERNAL
const GError *_gtask_sup_task_peek_error (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_silence_error (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_fail_start    (GtaskSupTask *self,
                                        const GError *cause);
G_GNUC_INTERNAL
void     _gtask_sup_task_notify_state    (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_notify_progress (GtaskSupTask *self);
G_GNUC_INTERNAL
const char *_gtask_sup_task_display_name (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_take_name       (GtaskSupTask *self,
                                          char         *name);
G_GNUC_INTERNAL
GtaskSupTask *_gtask_sup_task_push_current (GtaskSupTask *task);
G_GNUC_INTERNAL
void     _gtask_sup_task_pop_current     (GtaskSupTask *previous);
G_GNUC_INTERNAL
void     _gtask_sup_task_adopt           (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_link_to_parent  (GtaskSupTask *self);
G_GNUC_INTERNAL
void     _gtask_sup_task_unlink_parent   (GtaskSupTask *self);

G_END_DECLS
