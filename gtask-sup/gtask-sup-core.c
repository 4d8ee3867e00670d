/* gtask-sup-core.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-core-private.h"
#include "gtask-sup-trace-private.h"
#include "gtask-sup-service-private.h"
#include "gtask-sup-task-private.h"
#include "gtask-sup-waiters-private.h"

/* The engine; see gtask-sup-core-private.h for what it does and its
 * locking. Two things serve a core: the dispatch source on the owner
 * context, which reports (outcomes, notifies) and frees, and its timer on
 * the service thread, which acts on deadlines. Neither is ever
 * needed for work to start or stop. */

/* Dispatch source {{{1 */

static void
core_update_source_locked (GtaskSupCore *core)
{
  gboolean pending;

  if (core->dead)
    return;

  pending = core->done.length > 0 || core->dispatching.length > 0 ||
            core->dirty->len > core->n_progress_deferred ||
            core->release->len > 0 || core->to_start->len > 0;
  core->woken = pending;
  if (pending)
    g_source_set_ready_time (core->source, 0);
  else if (core->dirty->len > 0)
    /* Only progress notifies, which wait for their round. */
    g_source_set_ready_time (core->source, core->progress_last + core->progress_interval);
  else
    g_source_set_ready_time (core->source, -1);
}

static void
core_wake_locked (GtaskSupCore *core)
{
  /* Only the first wake-up of a dispatch cycle touches the main context. */
  if (core->woken || core->dead)
    return;

  core->woken = TRUE;
  g_source_set_ready_time (core->source, 0);
}

void
_gtask_sup_core_wake (GtaskSupCore *core)
{
  g_mutex_lock (&core->mutex);
  core_wake_locked (core);
  g_mutex_unlock (&core->mutex);
}

/* Progress notifies go in rounds, at most one round per progress_interval:
 * a worker that sets its progress in a tight loop costs the owner thread
 * about 60 notifies a second, not one per dispatch. The last value is
 * always notified. */
static void
core_wake_for_progress_locked (GtaskSupCore *core)
{
  gint64 due = core->progress_last + core->progress_interval;
  gint64 current;

  if (core->woken || core->dead)
    return;

  if (core->progress_interval <= 0 || due <= g_get_monotonic_time ())
    {
      core_wake_locked (core);
      return;
    }

  current = g_source_get_ready_time (core->source);
  if (current < 0 || due < current)
    g_source_set_ready_time (core->source, due);
}

void
_gtask_sup_core_mark_dirty_locked (GtaskSupCore *core,
                                   GtaskSupTask *task,
                                   guint         what)
{
  gboolean queued = task->dirty != 0;

  /* A task whose progress notify waits for its round now has more to
   * notify: it must not wait (nor be counted as waiting) any more. A
   * count too low only costs a dispatch, which counts again. */
  if (task->dirty == GTASK_SUP_CORE_NOTIFY_PROGRESS &&
      (what & ~GTASK_SUP_CORE_NOTIFY_PROGRESS) != 0 &&
      core->n_progress_deferred > 0)
    core->n_progress_deferred--;

  task->dirty |= what;

  if (core->dead)
    return;

  if (!queued)
    g_ptr_array_add (core->dirty, g_object_ref (task));

  if ((what & ~GTASK_SUP_CORE_NOTIFY_PROGRESS) != 0)
    core_wake_locked (core);
  else if (!queued)
    core_wake_for_progress_locked (core);
}

void
_gtask_sup_core_set_progress_interval (GtaskSupCore *core,
                                       guint         interval_ms)
{
  g_mutex_lock (&core->mutex);
  core->progress_interval = (gint64)interval_ms * G_TIME_SPAN_MILLISECOND;
  core_update_source_locked (core);
  g_mutex_unlock (&core->mutex);
}

/* Deadlines {{{1 */

void
_gtask_sup_core_arm_locked (GtaskSupCore *core,
                            GtaskSupTask *task,
                            gint64        deadline)
{
  gint64 earliest = _gtask_sup_heap_peek_deadline (&core->heap);

  _gtask_sup_heap_set (&core->heap, task, deadline);

  /* Only a new earliest deadline of this core moves its timer. */
  if (!core->dead && deadline < earliest)
    _gtask_sup_service_timer_set (&core->timer, deadline);
}

gint64
_gtask_sup_core_get_deadline_locked (GtaskSupCore *core,
                                     GtaskSupTask *task)
{
  if (!_gtask_sup_heap_contains (&core->heap, task))
    return -1;

  return _gtask_sup_heap_get_deadline (&core->heap, task);
}

/* On the service thread, when the core's earliest deadline passed:
 * decides every expired deadline (a timeout, or the kill at the end of a
 * shutdown's grace period) and stops its work at once; the owner hears of
 * it from its own dispatch. */
static void
core_expire (gpointer data)
{
  GtaskSupCore *core = data;
  g_autoptr(GPtrArray) expired = NULL;
  gint64 now = g_get_monotonic_time ();
  gint64 next;
  GtaskSupTask *task;

  g_mutex_lock (&core->mutex);

  if (core->dead)
    {
      g_mutex_unlock (&core->mutex);
      return;
    }

  while ((task = _gtask_sup_heap_pop_expired (&core->heap, now)) != NULL)
    {
      /* The end of a shutdown's grace period, or the task's own timeout
       * (which may come first, during the grace period). */
      guint outcome = task->kill_armed ? GTASK_SUP_OUTCOME_KILLED : GTASK_SUP_OUTCOME_TIMED_OUT;

      /* The error is made when someone reads it. */
      if (_gtask_sup_core_decide_locked (core, task, outcome, NULL))
        {
          if (expired == NULL)
            expired = g_ptr_array_new_with_free_func (g_object_unref);
          g_ptr_array_add (expired, g_object_ref (task));
        }
    }

  next = _gtask_sup_heap_peek_deadline (&core->heap);
  _gtask_sup_service_timer_set (&core->timer, next == G_MAXINT64 ? -1 : next);

  _gtask_sup_core_unlock (core);

  for (guint i = 0; expired != NULL && i < expired->len; i++)
    {
      task = g_ptr_array_index (expired, i);
      _gtask_sup_core_interrupt (task, task->outcome, 0);
    }
}

static gpointer
core_ref_cb (gpointer data)
{
  return _gtask_sup_core_ref (data);
}

static void
core_unref_cb (gpointer data)
{
  _gtask_sup_core_unref (data);
}

/* Slots and starting {{{1 */

/* @task's timeout counts from now. */
static void
core_arm_timeout_locked (GtaskSupCore *core,
                         GtaskSupTask *task)
{
  if (task->timeout >= 0)
    _gtask_sup_core_arm_locked (core, task,
                                g_get_monotonic_time () +
                                (gint64)task->timeout * G_TIME_SPAN_MILLISECOND);
}

static gboolean
core_has_free_slot_locked (GtaskSupCore *core)
{
  return core->max_concurrency == 0 || core->n_slots < core->max_concurrency;
}

static void
core_begin_locked (GtaskSupCore *core,
                   GtaskSupTask *task)
{
  g_assert (!task->running);

  /* When its queue time ends, for Sysprof (qdata: only when tracing). */
  if G_UNLIKELY (_gtask_sup_trace_is_active ())
    _gtask_sup_trace_stamp (G_OBJECT (task), "gtask-sup-trace-run");

  if (g_atomic_int_get (&task->state) == GTASK_SUP_TASK_STATE_QUEUED)
    {
      g_atomic_int_set (&task->state, GTASK_SUP_TASK_STATE_RUNNING);
      core->n_queued--;
    }
  task->running = TRUE;
  core->n_running++;
  if (task->group != NULL)
    g_atomic_int_inc (&task->group->n_running);
  _gtask_sup_core_mark_dirty_locked (core, task, GTASK_SUP_CORE_NOTIFY_STATE);
}

static void
core_take_slot_locked (GtaskSupCore *core,
                       GtaskSupTask *task)
{
  g_assert (!task->has_slot);

  task->has_slot = TRUE;
  if ((task->kind->flags & GTASK_SUP_KIND_NO_SLOT) == 0)
    core->n_slots++;
  /* The kind's share, until _gtask_sup_core_work_done(). */
  g_atomic_int_inc (&task->holders);

  /* Owner-context work is under way once it has its slot: it only waits
   * for the next dispatch, where nothing can come before it. */
  if ((task->kind->flags & GTASK_SUP_KIND_RUNS_ON_OWNER) != 0)
    core_begin_locked (core, task);
}

/* Gives free slots to queued tasks; returns them in @next to be started
 * once the mutex is released. */
static void
core_pump_locked (GtaskSupCore  *core,
                  GPtrArray    **next)
{
  while (core->queue.length > 0 && !core->closed && core_has_free_slot_locked (core))
    {
      GtaskSupTask *task = g_queue_pop_head_link (&core->queue)->data;

      task->core_queued = FALSE;
      core_take_slot_locked (core, task);
      if (*next == NULL)
        *next = g_ptr_array_new ();
      g_ptr_array_add (*next, task);
    }
}

/* @task may run as far as its group is concerned: it takes a slot, or
 * waits for one in the queue. */
static void
core_admit_locked (GtaskSupCore  *core,
                   GtaskSupTask  *task,
                   GPtrArray    **next)
{
  GList *after = core->queue.tail;

  if ((task->kind->flags & GTASK_SUP_KIND_NO_SLOT) != 0)
    {
      core_take_slot_locked (core, task);
      if (*next == NULL)
        *next = g_ptr_array_new ();
      g_ptr_array_add (*next, task);
      return;
    }

  /* In priority order, FIFO within a priority: from the tail, so that
   * tasks of one priority queue in O(1). */
  while (after != NULL && ((GtaskSupTask *)after->data)->priority > task->priority)
    after = after->prev;

  task->core_queued = TRUE;
  if (after == NULL)
    g_queue_push_head_link (&core->queue, &task->link);
  else
    g_queue_insert_after_link (&core->queue, after, &task->link);
  core_pump_locked (core, next);
}

static int
compare_priorities (gconstpointer a,
                    gconstpointer b,
                    gpointer      user_data)
{
  int pa = ((const GtaskSupTask *)a)->priority;
  int pb = ((const GtaskSupTask *)b)->priority;

  return pa < pb ? -1 : pa > pb;
}

static gboolean
group_has_free_slot (GtaskSupGroup *group)
{
  return group->max == 0 || group->n_slots < group->max;
}

/* @task got a slot of its group: its timeout counts from now. */
static void
core_enter_group_locked (GtaskSupCore  *core,
                         GtaskSupTask  *task,
                         GPtrArray    **next)
{
  task->has_group_slot = TRUE;
  task->group->n_slots++;

  core_arm_timeout_locked (core, task);
  core_admit_locked (core, task, next);
}

static void
core_pump_group_locked (GtaskSupCore   *core,
                        GtaskSupGroup  *group,
                        GPtrArray     **next)
{
  while (group->queue.length > 0 && !core->closed && group_has_free_slot (group))
    {
      GtaskSupTask *task = g_queue_pop_head_link (&group->queue)->data;

      task->group_queued = FALSE;
      core_enter_group_locked (core, task, next);
    }
}

/* Takes @task out of the queue it waits in, if any. */
static void
core_unqueue_locked (GtaskSupCore *core,
                     GtaskSupTask *task)
{
  if (task->group_queued)
    {
      g_queue_unlink (&task->group->queue, &task->link);
      task->group_queued = FALSE;
    }
  else if (task->core_queued)
    {
      g_queue_unlink (&core->queue, &task->link);
      task->core_queued = FALSE;
    }
}

static void
core_release_slot_locked (GtaskSupCore  *core,
                          GtaskSupTask  *task,
                          GPtrArray    **next)
{
  if (task->running)
    {
      task->running = FALSE;
      core->n_running--;
      if (task->group != NULL)
        g_atomic_int_add (&task->group->n_running, -1);
    }

  if (task->has_group_slot)
    {
      task->has_group_slot = FALSE;
      task->group->n_slots--;
      core_pump_group_locked (core, task->group, next);
    }

  if (task->has_slot)
    {
      task->has_slot = FALSE;
      if ((task->kind->flags & GTASK_SUP_KIND_NO_SLOT) == 0)
        core->n_slots--;
      core_pump_locked (core, next);
    }

  /* n-running changed: the owner's dispatch notifies it. */
  core_wake_locked (core);
}

/* Hands tasks that got a slot to their kinds, now. Kinds that run on the
 * owner context start there only from a dispatch (@in_dispatch), never
 * inside a call of the API such as start(): otherwise from the next one. */
static void
core_start_works (GtaskSupCore *core,
                  GPtrArray    *tasks,
                  gboolean      in_dispatch)
{
  if (tasks == NULL)
    return;

  for (guint i = 0; i < tasks->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (tasks, i);

      if (!in_dispatch && (task->kind->flags & GTASK_SUP_KIND_RUNS_ON_OWNER) != 0)
        {
          g_mutex_lock (&core->mutex);
          if (core->dead)
            {
              g_mutex_unlock (&core->mutex);
              /* Silenced: nothing runs, the kind's share goes. */
              _gtask_sup_core_work_done (core, task);
              continue;
            }
          g_ptr_array_add (core->to_start, task);
          core_wake_locked (core);
          g_mutex_unlock (&core->mutex);
          continue;
        }

      task->kind->start (task);
    }

  g_ptr_array_unref (tasks);
}

/* Starts @task for the supervisor that owns @core, which gave it its
 * reference. On the owner context's thread. If a slot is free its work
 * starts now, with no iteration of the owner context, except for a kind
 * whose work is owner-context code (an async function), which runs from
 * the next dispatch. */
void
_gtask_sup_core_start (GtaskSupCore *core,
                       GtaskSupTask *task)
{
  GPtrArray *next = NULL;

  task->link.data = task;
  /* The supervisor's share, until it emitted the outcome. */
  task->holders = 1;

  /* An item of a group with a limit (a stream's), on a supervisor without
   * one, gets its cancellable here, on the owner thread, which also gives
   * it back to the cache when the task is finalized: items come and go at
   * a steady pace, so the same few cancellables serve them all from this
   * thread, and none goes to a worker's CPU and back. At most the group's
   * limit plus the stream's read-ahead hold one. Other tasks get it when
   * they run: a queue behind the supervisor's max-concurrency, or a burst
   * of thousands, does not pay for it up front. (group->max is immutable;
   * only this thread writes max_concurrency.) */
  if ((task->kind->flags & GTASK_SUP_KIND_TAKES_CANCELLABLE) != 0 &&
      task->group != NULL && task->group->max != 0 && core->max_concurrency == 0)
    _gtask_sup_core_ensure_cancellable (task);

  g_mutex_lock (&core->mutex);

  task->core = _gtask_sup_core_ref (core);
  if (task->priority != 0)
    core->prioritized = TRUE;

  g_atomic_int_set (&task->state, GTASK_SUP_TASK_STATE_QUEUED);
  core->n_queued++;

  if (task->group == NULL)
    {
      core_arm_timeout_locked (core, task);
      core_admit_locked (core, task, &next);
    }
  else
    {
      task->group_queued = TRUE;
      g_queue_push_tail_link (&task->group->queue, &task->link);
      core_pump_group_locked (core, task->group, &next);
    }

  _gtask_sup_core_mark_dirty_locked (core, task, GTASK_SUP_CORE_NOTIFY_STATE);

  g_mutex_unlock (&core->mutex);

  core_start_works (core, next, FALSE);
}

/* The supervisor is shutting down: queued tasks never get a slot any more
 * (the shutdown cancels them). */
void
_gtask_sup_core_close (GtaskSupCore *core)
{
  g_mutex_lock (&core->mutex);
  core->closed = TRUE;
  g_mutex_unlock (&core->mutex);
}

void
_gtask_sup_core_set_max_concurrency (GtaskSupCore *core,
                                     guint         max_concurrency)
{
  GPtrArray *next = NULL;

  g_mutex_lock (&core->mutex);
  core->max_concurrency = max_concurrency;
  if (!core->dead)
    core_pump_locked (core, &next);
  g_mutex_unlock (&core->mutex);

  core_start_works (core, next, FALSE);
}

/* Called by a kind right before its work really runs: the task becomes
 * RUNNING. Returns FALSE if its outcome is already decided: the work must
 * not run (the kind still calls _gtask_sup_core_work_done()). */
gboolean
_gtask_sup_core_work_begin (GtaskSupCore *core,
                            GtaskSupTask *task)
{
  gboolean run;

  g_mutex_lock (&core->mutex);

  /* Shut down before its work began (an async task between its slot and
   * its dispatch): it never runs. */
  if (task->outcome == GTASK_SUP_OUTCOME_NONE && task->shutting_down)
    _gtask_sup_core_decide_locked (core, task, GTASK_SUP_OUTCOME_CANCELLED, NULL);

  run = task->outcome == GTASK_SUP_OUTCOME_NONE;
  if (run && !task->running)
    core_begin_locked (core, task);

  _gtask_sup_core_unlock (core);

  return run;
}

/* Called by a kind, once per started run, when its work no longer runs.
 * Frees the slot (unless the kind's work ends at its outcome), starts the
 * next queued tasks, and drops the kind's share of the task. Any thread. */
void
_gtask_sup_core_work_done (GtaskSupCore *core,
                           GtaskSupTask *task)
{
  GPtrArray *next = NULL;
  gboolean unref_now = FALSE;

  g_mutex_lock (&core->mutex);

  if ((task->kind->flags & GTASK_SUP_KIND_ENDS_AT_OUTCOME) == 0)
    core_release_slot_locked (core, task, &next);

  if (g_atomic_int_dec_and_test (&task->holders))
    {
      g_hash_table_remove (core->lingering, task);

      /* The supervisor emitted the outcome while the work still ran, and
       * left its reference to us. It goes on the owner context, so that
       * the task's destroy notifies run there, unless that is gone. */
      if (core->dead)
        {
          unref_now = TRUE;
        }
      else
        {
          g_ptr_array_add (core->release, task);
          core_wake_locked (core);
        }
    }

  g_mutex_unlock (&core->mutex);

  core_start_works (core, next, FALSE);

  if (unref_now)
    g_object_unref (task);
}

/* Groups {{{1 */

/* A group of tasks with a concurrency limit of its own, within their
 * supervisor's: a stream's items. Its fields are guarded by the mutex of
 * the core whose tasks use it. */
GtaskSupGroup *
_gtask_sup_group_new (guint max)
{
  GtaskSupGroup *group = g_atomic_rc_box_new0 (GtaskSupGroup);

  g_queue_init (&group->queue);
  group->max = max;

  return group;
}

GtaskSupGroup *
_gtask_sup_group_ref (GtaskSupGroup *group)
{
  return g_atomic_rc_box_acquire (group);
}

void
_gtask_sup_group_unref (GtaskSupGroup *group)
{
  g_atomic_rc_box_release (group);
}

/* Puts @task, not started yet, in @group: it runs only when the group
 * has a free slot, and its timeout counts from then. */
void
_gtask_sup_core_set_group (GtaskSupTask  *task,
                           GtaskSupGroup *group)
{
  g_assert (task->core == NULL);
  g_assert (task->group == NULL || task->group == group);

  if (task->group == NULL)
    task->group = _gtask_sup_group_ref (group);
}

/* Deciding {{{1 */

/* The one decision point of DESIGN §4 rule 5: the first outcome decided
 * under core->mutex wins, every later one is dropped. Takes @error, which
 * may be NULL for outcomes other than a result (the error is made when it
 * is read). A caller that decides a cancellation, timeout or kill then
 * calls _gtask_sup_core_interrupt() once the mutex is released. */
gboolean
_gtask_sup_core_decide_locked (GtaskSupCore *core,
                               GtaskSupTask *task,
                               guint         outcome,
                               GError       *error)
{
  g_assert (outcome != GTASK_SUP_OUTCOME_NONE);

  if (task->outcome != GTASK_SUP_OUTCOME_NONE)
    {
      g_clear_error (&error);
      return FALSE;
    }

  g_atomic_int_set (&task->outcome, outcome);
  if (error != NULL)
    {
      g_clear_error (&task->error);
      task->error = error;
    }

  /* Still waiting for a slot: it never runs. */
  core_unqueue_locked (core, task);

  /* Work that ends with its outcome frees its slot now; the tasks that get
   * it start when the caller releases the mutex (_gtask_sup_core_unlock()). */
  if ((task->kind->flags & GTASK_SUP_KIND_ENDS_AT_OUTCOME) != 0)
    core_release_slot_locked (core, task, &core->deferred);

  g_queue_push_tail_link (&core->done, &task->link);
  g_object_ref (task);
  core_wake_locked (core);

  return TRUE;
}

gboolean
_gtask_sup_core_decide (GtaskSupCore *core,
                        GtaskSupTask *task,
                        guint         outcome,
                        GError       *error)
{
  gboolean ret;

  g_mutex_lock (&core->mutex);
  ret = _gtask_sup_core_decide_locked (core, task, outcome, error);
  _gtask_sup_core_unlock (core);

  return ret;
}

/* Releases the mutex, then starts the tasks that got a slot under it (by a
 * decision in _gtask_sup_core_decide_locked()). Use it instead of
 * g_mutex_unlock() after deciding. */
void
_gtask_sup_core_unlock (GtaskSupCore *core)
{
  GPtrArray *next = g_steal_pointer (&core->deferred);

  g_mutex_unlock (&core->mutex);

  core_start_works (core, next, FALSE);
}

/* Stops the work of @task after @outcome was decided for it (or, with
 * GTASK_SUP_OUTCOME_NONE, when a shutdown with @grace_ms begins), from any
 * thread, without the mutex: cancels its cancellable, then lets its kind
 * do what cooperation cannot. */
void
_gtask_sup_core_interrupt (GtaskSupTask *task,
                           guint         outcome,
                           int           grace_ms)
{
  GCancellable *cancellable = g_atomic_pointer_get (&task->cancellable);

  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);

  if (task->kind->interrupt != NULL)
    task->kind->interrupt (task, outcome, grace_ms);
}

static gboolean
outcome_stops (guint outcome)
{
  return outcome != GTASK_SUP_OUTCOME_NONE &&
         outcome != GTASK_SUP_OUTCOME_RESULT &&
         outcome != GTASK_SUP_OUTCOME_NO_RESULT;
}

/* Cancellables {{{1 */

/* A GCancellable is a GObject of its own, as costly to make and finalize as
 * a task: a task that dies holding the only reference to its cancellable,
 * with nothing connected to it, gives it back for the next task. */
#define CANCELLABLE_CACHE_SIZE 256

static struct {
  GMutex        mutex;
  GCancellable *items[CANCELLABLE_CACHE_SIZE];
  guint         len;
} cancellables;

static guint cancelled_signal_id;

static GCancellable *
cancellable_new (void)
{
  GCancellable *cancellable = NULL;

  g_mutex_lock (&cancellables.mutex);
  if (cancellables.len > 0)
    cancellable = cancellables.items[--cancellables.len];
  g_mutex_unlock (&cancellables.mutex);

  return cancellable != NULL ? cancellable : g_cancellable_new ();
}

/* Drops the reference of a finalized task to @cancellable (taken). */
void
_gtask_sup_core_release_cancellable (GCancellable *cancellable)
{
  if (cancellable == NULL)
    return;

  /* Nobody else holds it: nobody can be cancelling it or waiting on it. */
  if (g_atomic_int_get (&G_OBJECT (cancellable)->ref_count) == 1 &&
      g_signal_handler_find (cancellable, G_SIGNAL_MATCH_ID, cancelled_signal_id, 0,
                             NULL, NULL, NULL) == 0)
    {
      if (g_cancellable_is_cancelled (cancellable))
        g_cancellable_reset (cancellable);

      g_mutex_lock (&cancellables.mutex);
      if (cancellables.len < CANCELLABLE_CACHE_SIZE)
        cancellables.items[cancellables.len++] = g_steal_pointer (&cancellable);
      g_mutex_unlock (&cancellables.mutex);
    }

  g_clear_object (&cancellable);
}

/* The cancellable of @task, created on first use: a task nobody asks one
 * for never pays for it. One made after the task was stopped comes
 * cancelled. Any thread. */
GCancellable *
_gtask_sup_core_ensure_cancellable (GtaskSupTask *task)
{
  GCancellable *cancellable = g_atomic_pointer_get (&task->cancellable);
  GCancellable *created;
  gboolean cancel = FALSE;

  if (cancellable != NULL)
    return cancellable;

  created = cancellable_new ();
  if (!g_atomic_pointer_compare_and_exchange (&task->cancellable, NULL, created))
    {
      _gtask_sup_core_release_cancellable (created);
      return g_atomic_pointer_get (&task->cancellable);
    }

  /* A decision after the exchange finds it and cancels it itself. */
  if (task->core != NULL)
    {
      g_mutex_lock (&task->core->mutex);
      cancel = outcome_stops (task->outcome) || task->shutting_down;
      g_mutex_unlock (&task->core->mutex);
    }

  if (cancel)
    g_cancellable_cancel (created);

  return created;
}

/* Finishing {{{1 */

/* The public state that the decided outcome of @task makes final. */
int
_gtask_sup_core_final_state (GtaskSupTask *task)
{
  switch ((GtaskSupOutcome)task->outcome)
    {
    case GTASK_SUP_OUTCOME_RESULT:
      return task->error != NULL ? GTASK_SUP_TASK_STATE_FAILED : GTASK_SUP_TASK_STATE_SUCCEEDED;
    case GTASK_SUP_OUTCOME_TIMED_OUT:
      return GTASK_SUP_TASK_STATE_TIMED_OUT;
    case GTASK_SUP_OUTCOME_CANCELLED:
    case GTASK_SUP_OUTCOME_NO_RESULT:
    case GTASK_SUP_OUTCOME_KILLED:
    case GTASK_SUP_OUTCOME_SILENCED:
      return GTASK_SUP_TASK_STATE_FAILED;
    case GTASK_SUP_OUTCOME_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* On the owner context, for the supervisor's complete hook: @task, decided,
 * becomes final in @state. Its deadline is disarmed, a slot held until the
 * outcome is freed, and waiting threads are woken. Returns the join_async()
 * waiters of the task, for the caller to complete after emitting the
 * outcome, and in @last whether the supervisor's share was the last. */
GtaskSupWaiters *
_gtask_sup_core_finish (GtaskSupCore *core,
                        GtaskSupTask *task,
                        int           state,
                        gboolean     *last)
{
  GtaskSupWaiters *joiners = NULL;

  /* A stop decided on another thread (a timeout on the service thread) is
   * followed by its interrupt there; the cancellable must be cancelled by
   * the time the task is seen final, whichever comes first. */
  if (outcome_stops (task->outcome))
    {
      GCancellable *cancellable = g_atomic_pointer_get (&task->cancellable);

      if (cancellable != NULL)
        g_cancellable_cancel (cancellable);
    }

  g_mutex_lock (&core->mutex);

  _gtask_sup_heap_remove (&core->heap, task);
  if (g_atomic_int_get (&task->state) == GTASK_SUP_TASK_STATE_QUEUED)
    core->n_queued--;
  g_atomic_int_set (&task->state, state);
  if (task->has_joiners)
    {
      g_hash_table_steal_extended (core->joiners, task, NULL, (gpointer *)&joiners);
      task->has_joiners = FALSE;
    }
  if (core->n_waiters > 0)
    g_cond_broadcast (&core->cond);

  g_mutex_unlock (&core->mutex);

  /* The work goes on without its outcome (an abandoned thread, a process
   * not reaped yet): if the owner goes, it must still be stopped. */
  *last = g_atomic_int_dec_and_test (&task->holders);
  if (!*last)
    {
      g_mutex_lock (&core->mutex);
      if (g_atomic_int_get (&task->holders) > 0 && !core->dead)
        g_hash_table_add (core->lingering, task);
      g_mutex_unlock (&core->mutex);
    }

  return joiners;
}

/* The join_async() waiters of @task, created on demand, with a reference
 * for the caller (_gtask_sup_core_release_joiners()). With the mutex held,
 * until the task is final. The core's own reference goes to whoever
 * _gtask_sup_core_finish() returns them to. */
GtaskSupWaiters *
_gtask_sup_core_get_joiners_locked (GtaskSupCore *core,
                                    GtaskSupTask *task)
{
  GtaskSupWaiters *joiners = g_hash_table_lookup (core->joiners, task);

  if (joiners == NULL)
    {
      joiners = g_atomic_rc_box_new0 (GtaskSupWaiters);
      _gtask_sup_waiters_init (joiners);
      g_hash_table_insert (core->joiners, task, joiners);
    }

  return g_atomic_rc_box_acquire (joiners);
}

void
_gtask_sup_core_release_joiners (GtaskSupWaiters *joiners)
{
  g_atomic_rc_box_release (joiners);
}

/* Dispatch {{{1 */

typedef struct
{
  GSource       source;
  GtaskSupCore *core;   /* not a reference: the owner holds it */
} CoreSource;

static gboolean
core_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     user_data)
{
  GtaskSupCore *core = ((CoreSource *)source)->core;
  g_autoptr(GObject) owner = NULL;
  g_autoptr(GPtrArray) dirty = NULL;
  g_autoptr(GPtrArray) release = NULL;
  GPtrArray *garbage = NULL;
  GPtrArray *to_start = NULL;
  g_autofree guint8 *what = NULL;
  guint n_done;

  g_mutex_lock (&core->mutex);

  if (core->dead)
    {
      g_mutex_unlock (&core->mutex);
      return G_SOURCE_REMOVE;
    }

  owner = g_object_ref (core->owner);

  if (core->dirty->len > 0)
    {
      gint64 now = g_get_monotonic_time ();
      gboolean progress_due = core->progress_interval <= 0 ||
                              now >= core->progress_last + core->progress_interval;
      gboolean any_progress = FALSE;

      dirty = g_steal_pointer (&core->dirty);
      core->dirty = g_ptr_array_new_with_free_func (g_object_unref);
      core->n_progress_deferred = 0;
      what = g_new (guint8, dirty->len);
      for (guint i = 0; i < dirty->len; i++)
        {
          GtaskSupTask *task = g_ptr_array_index (dirty, i);

          what[i] = task->dirty;
          task->dirty = 0;

          if ((what[i] & GTASK_SUP_CORE_NOTIFY_PROGRESS) == 0)
            continue;

          if (progress_due)
            {
              any_progress = TRUE;
              continue;
            }

          /* Not its round yet: the progress notify stays pending. */
          what[i] &= ~GTASK_SUP_CORE_NOTIFY_PROGRESS;
          task->dirty = GTASK_SUP_CORE_NOTIFY_PROGRESS;
          g_ptr_array_add (core->dirty, g_object_ref (task));
          core->n_progress_deferred++;
        }

      if (any_progress)
        core->progress_last = now;
    }
  if (core->release->len > 0)
    {
      release = g_steal_pointer (&core->release);
      core->release = g_ptr_array_new_with_free_func (g_object_unref);
    }
  if (core->to_start->len > 0)
    {
      to_start = g_steal_pointer (&core->to_start);
      core->to_start = g_ptr_array_new ();
    }
  /* The decided tasks move to a queue of the owner thread's own, which
   * needs no lock; a nested dispatch (gtask_sup_task_wait() in a handler)
   * takes from it too, so it sees the outcomes this one has not reached. */
  n_done = core->done.length;
  while (core->done.length > 0)
    g_queue_push_tail_link (&core->dispatching, g_queue_pop_head_link (&core->done));
  /* The outcomes of one dispatch go in priority order (a stable sort: in
   * the order they were decided within a priority). */
  if (core->prioritized && core->dispatching.length > 1)
    g_queue_sort (&core->dispatching, compare_priorities, NULL);

  g_mutex_unlock (&core->mutex);

  core_start_works (core, to_start, TRUE);

  for (guint i = 0; dirty != NULL && i < dirty->len && !core->dead; i++)
    core->hooks->notify (owner, g_ptr_array_index (dirty, i), what[i]);

  /* No more than were there at the start, so that a busy supervisor
   * cannot starve the other sources of the context. */
  for (guint i = 0; i < n_done && !core->dead; i++)
    {
      GList *link = g_queue_pop_head_link (&core->dispatching);

      if (link == NULL)
        break;

      /* The references go at the end, with the finalizations they cause:
       * every outcome of the batch is reported first. */
      if (garbage == NULL)
        garbage = g_ptr_array_new_with_free_func (g_object_unref);
      if (core->hooks->complete (owner, link->data))
        g_ptr_array_add (garbage, link->data);  /* the supervisor's */
      g_ptr_array_add (garbage, link->data);    /* the done queue's */
    }

  if (!core->dead)
    core->hooks->idle (owner);

  g_mutex_lock (&core->mutex);
  core_update_source_locked (core);
  g_mutex_unlock (&core->mutex);

  /* Last: finalizing a task runs its destroy notify, which may do anything. */
  g_clear_pointer (&garbage, g_ptr_array_unref);
  g_clear_pointer (&release, g_ptr_array_unref);

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs core_source_funcs = {
  .dispatch = core_dispatch,
};

/* Lifetime {{{1 */

static void
core_free (gpointer data)
{
  GtaskSupCore *core = data;

  g_assert (core->done.length == 0);
  g_assert (core->dispatching.length == 0);
  g_assert (core->queue.length == 0);
  g_assert (core->source == NULL);

  g_clear_pointer (&core->dirty, g_ptr_array_unref);
  g_clear_pointer (&core->release, g_ptr_array_unref);
  g_clear_pointer (&core->to_start, g_ptr_array_unref);
  _gtask_sup_heap_clear (&core->heap);
  g_clear_pointer (&core->joiners, g_hash_table_unref);
  g_clear_pointer (&core->lingering, g_hash_table_unref);
  g_assert (core->deferred == NULL);
  g_clear_pointer (&core->context, g_main_context_unref);
  g_cond_clear (&core->cond);
  g_mutex_clear (&core->mutex);
}

GtaskSupCore *
_gtask_sup_core_ref (GtaskSupCore *core)
{
  return g_atomic_rc_box_acquire (core);
}

void
_gtask_sup_core_unref (GtaskSupCore *core)
{
  g_atomic_rc_box_release_full (core, core_free);
}

/* A new core reporting to @owner (a GObject) through @hooks, on @context.
 * Its dispatch source is attached there; it lives until
 * _gtask_sup_core_kill(). */
GtaskSupCore *
_gtask_sup_core_new (const GtaskSupCoreHooks *hooks,
                     gpointer                 owner,
                     GMainContext            *context)
{
  static gsize initialized;
  GtaskSupCore *core = g_atomic_rc_box_new0 (GtaskSupCore);
  CoreSource *core_source;

  if (g_once_init_enter (&initialized))
    {
      cancelled_signal_id = g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE);
      g_once_init_leave (&initialized, 1);
    }

  g_mutex_init (&core->mutex);
  g_cond_init (&core->cond);
  g_queue_init (&core->queue);
  g_queue_init (&core->done);
  g_queue_init (&core->dispatching);
  core->hooks = hooks;
  core->owner = owner;
  core->context = g_main_context_ref (context);
  core->dirty = g_ptr_array_new_with_free_func (g_object_unref);
  core->release = g_ptr_array_new_with_free_func (g_object_unref);
  core->to_start = g_ptr_array_new ();
  core->progress_interval = GTASK_SUP_CORE_PROGRESS_INTERVAL_MS * G_TIME_SPAN_MILLISECOND;
  _gtask_sup_heap_init (&core->heap, G_STRUCT_OFFSET (GtaskSupTask, heap_index));
  core->joiners = g_hash_table_new (NULL, NULL);
  core->lingering = g_hash_table_new (NULL, NULL);

  core_source = (CoreSource *)g_source_new (&core_source_funcs, sizeof (CoreSource));
  core_source->core = core;
  g_source_set_static_name (&core_source->source, "[gtask-sup] supervisor");
  g_source_set_priority (&core_source->source, G_PRIORITY_DEFAULT);
  /* gtask_sup_task_wait() may iterate the context from a signal handler. */
  g_source_set_can_recurse (&core_source->source, TRUE);
  g_source_attach (&core_source->source, context);
  core->source = &core_source->source;

  core->timer.expire = core_expire;
  core->timer.ref = core_ref_cb;
  core->timer.unref = core_unref_cb;
  core->timer.data = core;

  return core;
}

/* Silences @task, with the mutex held, as part of _gtask_sup_core_kill():
 * an undecided task gets the SILENCED outcome, a queued one never runs, its
 * deadline goes. Returns whether its supervisor's share was the last. */
gboolean
_gtask_sup_core_silence_locked (GtaskSupCore *core,
                                GtaskSupTask *task)
{
  g_assert (core->dead);

  if (task->outcome == GTASK_SUP_OUTCOME_NONE)
    {
      core_unqueue_locked (core, task);
      g_atomic_int_set (&task->outcome, GTASK_SUP_OUTCOME_SILENCED);
    }

  _gtask_sup_heap_remove (&core->heap, task);

  /* Nothing is counted any more; work still running ends unseen. */
  if (g_atomic_int_get (&task->state) == GTASK_SUP_TASK_STATE_QUEUED)
    core->n_queued--;
  if (task->running)
    {
      task->running = FALSE;
      core->n_running--;
      if (task->group != NULL)
        g_atomic_int_add (&task->group->n_running, -1);
    }
  if (task->has_slot)
    {
      task->has_slot = FALSE;
      if ((task->kind->flags & GTASK_SUP_KIND_NO_SLOT) == 0)
        core->n_slots--;
    }
  if (task->has_group_slot)
    {
      task->has_group_slot = FALSE;
      task->group->n_slots--;
    }

  return g_atomic_int_dec_and_test (&task->holders);
}

/* The owner (or the supervisor) is gone: nothing is reported any more.
 * Marks @core dead and destroys both sources. It returns WITH THE MUTEX
 * HELD: the caller then silences every task with
 * _gtask_sup_core_silence_locked() and calls _gtask_sup_core_unlock().
 * Returns the references it held for the owner context, for the caller to
 * drop, and in @lingering (references) the tasks whose outcome was
 * reported but whose work still runs, for the caller to interrupt. On the
 * owner context's thread. */
GPtrArray *
_gtask_sup_core_kill (GtaskSupCore  *core,
                      GPtrArray    **lingering)
{
  GPtrArray *to_unref = g_ptr_array_new_with_free_func (g_object_unref);
  GList *link;

  *lingering = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&core->mutex);

  g_assert (!core->dead);

  core->dead = TRUE;
  core->owner = NULL;

  while ((link = g_queue_pop_head_link (&core->done)) != NULL)
    g_ptr_array_add (to_unref, link->data);
  while ((link = g_queue_pop_head_link (&core->dispatching)) != NULL)
    g_ptr_array_add (to_unref, link->data);
  g_ptr_array_extend_and_steal (to_unref, g_steal_pointer (&core->dirty));
  core->dirty = g_ptr_array_new_with_free_func (g_object_unref);
  core->n_progress_deferred = 0;
  g_ptr_array_extend_and_steal (to_unref, g_steal_pointer (&core->release));
  core->release = g_ptr_array_new_with_free_func (g_object_unref);

  /* Never started: the kind's share goes here. */
  for (guint i = 0; i < core->to_start->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (core->to_start, i);

      if (g_atomic_int_dec_and_test (&task->holders))
        g_ptr_array_add (to_unref, task);
    }
  g_ptr_array_set_size (core->to_start, 0);

  /* Work whose outcome was reported but which still runs. */
  {
    GHashTableIter iter;
    gpointer task;

    g_hash_table_iter_init (&iter, core->lingering);
    while (g_hash_table_iter_next (&iter, &task, NULL))
      g_ptr_array_add (*lingering, g_object_ref (task));
    g_hash_table_remove_all (core->lingering);
  }

  if (core->n_waiters > 0)
    g_cond_broadcast (&core->cond);

  /* The dispatch source goes here, on the owner thread: it must not
   * outlive its context. The timer is removed; an expiry under way holds
   * its own reference to the core, and finds it dead. */
  g_source_destroy (core->source);
  g_source_unref (g_steal_pointer (&core->source));
  _gtask_sup_service_timer_set (&core->timer, -1);

  return to_unref;
}

/* vim:set foldmethod=marker: */
