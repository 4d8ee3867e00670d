/* gtask-sup-kind-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "gtask-sup-types.h"

G_BEGIN_DECLS

typedef struct _GtaskSupTask GtaskSupTask;

/* The kind interface: what one kind of work (a thread function, an async
 * function, a subprocess...) tells the engine. Each kind lives in a file of
 * its own, gtask-sup-<kind>.c, with its public constructor; the engine and
 * the public types reach it only through this table, which the constructor
 * stores in the task. Adding a kind touches its own file, one value of
 * GtaskSupTaskKind, one constructor prototype in gtask-sup-task.h and one
 * line of gtask-sup/meson.build.
 *
 * A kind keeps its own data in the task's `work` area (at most
 * GTASK_SUP_KIND_DATA_SIZE bytes, see GTASK_SUP_KIND_DATA()), written by its
 * constructor and read-only afterwards unless the kind guards it itself.
 *
 * The contract, in the order things happen to a task:
 *
 * - start (required): the task has a slot; start its work, now and without
 *   blocking. Called once per run, without the engine's mutex: for a kind
 *   with GTASK_SUP_KIND_RUNS_ON_OWNER, from a dispatch of the owner context
 *   (never from inside an API call); otherwise on any thread (the one that
 *   started the task, or the one that freed the slot). The outcome may
 *   already be decided (a cancel raced with it): the kind then runs
 *   nothing, but still ends as below.
 *
 *   Every started run ends in exactly one call of
 *   _gtask_sup_core_work_done(), from any thread, once the work no longer
 *   runs (the function returned, the process was reaped, it failed to
 *   start). Before its work really runs, a kind calls
 *   _gtask_sup_core_work_begin(), which says whether it still should, and
 *   makes the task RUNNING. (A kind with GTASK_SUP_KIND_RUNS_ON_OWNER is
 *   RUNNING from when it has its slot: it only waits for the next
 *   dispatch.)
 *   Results go through the public gtask_sup_task_return_*() or
 *   _gtask_sup_core_decide().
 *
 * - interrupt (optional): an outcome other than a result was decided
 *   (cancel, timeout, kill, owner gone) or a shutdown began (outcome NONE,
 *   with its grace period in ms, -1 for none). The engine has already
 *   cancelled the task's cancellable; a kind adds what cooperation cannot
 *   do (signals to a process). Any thread, without the engine's mutex; may
 *   come more than once per run (a shutdown, then the kill), and before
 *   start() ran or after the work ended.
 *
 * - copy (required): fills a new run of a restarted task with the same work.
 *
 * - clear (required): frees the kind's data when the task is finalized (on
 *   the owner context's thread when it was started, else wherever the last
 *   reference goes).
 *
 * With GTASK_SUP_KIND_ENDS_AT_OUTCOME, the work is deemed over once its
 * outcome is decided (an async function, which the engine cannot watch):
 * its slot is released then, and _gtask_sup_core_work_done() only says that
 * start() has returned. Without it, the slot stays taken until
 * _gtask_sup_core_work_done(), even when the outcome came long before (an
 * abandoned thread still runs), so that max-concurrency bounds what really
 * runs.
 *
 * With GTASK_SUP_KIND_NO_SLOT, the task takes no slot of max-concurrency:
 * it starts at once, never queued (a child supervisor, whose own tasks are
 * what runs).
 *
 * With GTASK_SUP_KIND_TAKES_CANCELLABLE, the work is handed the task's
 * cancellable (_gtask_sup_core_ensure_cancellable()) whenever it runs. The
 * engine then makes it in _gtask_sup_core_start() for a stream's items,
 * of which few wait for a slot: on the owner thread, which also drops it
 * when the task is finalized, so that it does not go to a worker's CPU and
 * back.
 */

typedef enum
{
  GTASK_SUP_KIND_RUNS_ON_OWNER   = 1 << 0,
  GTASK_SUP_KIND_ENDS_AT_OUTCOME = 1 << 1,
  GTASK_SUP_KIND_NO_SLOT         = 1 << 2,
  GTASK_SUP_KIND_TAKES_CANCELLABLE = 1 << 3,
} GtaskSupKindFlags;

typedef struct
{
  GtaskSupTaskKind  kind;
  GtaskSupKindFlags flags;

  void (*start)     (GtaskSupTask       *task);
  void (*interrupt) (GtaskSupTask       *task,
                     guint               outcome,
                     int                 grace_ms);
  void (*copy)      (GtaskSupTask       *dest,
                     GtaskSupTask       *src);
  void (*clear)     (GtaskSupTask       *task);
} GtaskSupKind;

#define GTASK_SUP_KIND_DATA_SIZE (3 * sizeof (gpointer))

/* The kind's own data in @task, as a pointer to @Type. */
#define GTASK_SUP_KIND_DATA(task, Type) \
  (G_STATIC_ASSERT_EXPR (sizeof (Type) <= GTASK_SUP_KIND_DATA_SIZE), \
   (Type *)(gpointer)&(task)->work)

G_END_DECLS
