/* test-core.c: the engine room alone (GtaskSupCore), without a supervisor
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The owner is a plain GObject and the hooks are the test's, which follow
 * the supervisor's protocol (gtask-sup-supervisor.c): the complete hook
 * calls _gtask_sup_core_finish(), completes the join waiters, and drops the
 * supervisor's share of the task when it was the last; starting takes a
 * reference that the core owns as that share; a kill silences every live
 * task with the engine's mutex held. Tasks are of a test kind whose
 * functions record what the engine asks of them.
 *
 * Nothing sleeps to wait for an event: the owner context is iterated until
 * a condition holds, and what must happen while it is *not* iterated is
 * waited for on a GCond, always with a deadline.
 */

#include "config.h"

#include <gio/gio.h>

#include "gtask-sup-core-private.h"
#include "gtask-sup-service-private.h"
#include "gtask-sup-task-private.h"
#include "gtask-sup-waiters-private.h"

#include "test-util.h"

/* -------------------------------------------------------------------------- */
/* What happened to one task (outlives it)                                    */
/* -------------------------------------------------------------------------- */

typedef struct
{
  guint     id;

  /* the kind's functions */
  int       n_start;              /* atomic */
  int       start_seq;            /* order among starts, -1 if never */
  GThread  *start_thread;
  gboolean  start_in_dispatch;    /* start ran inside a dispatch of the owner context */
  gboolean  began;                /* _gtask_sup_core_work_begin() said to run */
  int       n_interrupt;          /* under CoreFixture.mutex */
  guint     interrupt_outcome;
  gboolean  interrupt_on_service; /* on the service thread, iterating its context */
  gboolean  interrupt_cancelled;  /* the task's cancellable was cancelled by then */
  gint64    interrupt_us;
  GThread  *interrupt_thread;
  int       n_finalize;           /* the kind's clear, atomic */
  GThread  *finalize_thread;

  /* the complete hook */
  int       n_complete;           /* atomic */
  guint     complete_outcome;
  int       complete_state;
  gboolean  complete_last;
} Obs;

typedef struct
{
  GMainContext *ctx;
  GObject      *owner;
  GtaskSupCore *core;
  GThread      *thread;      /* the owner thread */

  /* Broadcast by the kind's interrupt and clear, which may run on other
   * threads, for the test thread to wait without iterating. */
  GMutex        mutex;
  GCond         cond;

  GPtrArray    *obs;         /* Obs, owned */
  GQueue        children;    /* live tasks, as the supervisor's list (task->child_link) */
  int           seq;         /* start order, atomic */
  gboolean      begin_in_start; /* the kind's start calls _gtask_sup_core_work_begin() */

  /* hooks */
  guint         n_complete;
  guint         n_notify;
  guint         n_idle;
  int           n_wrong_context; /* a hook off the owner thread or outside its dispatch */
  gboolean      killed;
  int           n_after_kill;    /* a hook after _gtask_sup_core_kill() */
} CoreFixture;

/* The test kind's data in a task. */
typedef struct
{
  CoreFixture *f;
  Obs         *obs;
} TestWork;

#define TEST_WORK(task) GTASK_SUP_KIND_DATA (task, TestWork)

static Obs *
task_obs (GtaskSupTask *task)
{
  return TEST_WORK (task)->obs;
}

/* -------------------------------------------------------------------------- */
/* The test kind                                                              */
/* -------------------------------------------------------------------------- */

static gboolean
in_owner_dispatch (CoreFixture *f)
{
  GSource *source = g_main_current_source ();

  return g_thread_self () == f->thread &&
         g_main_context_is_owner (f->ctx) &&
         source != NULL && g_source_get_context (source) == f->ctx;
}

static void
test_kind_start (GtaskSupTask *task)
{
  CoreFixture *f = TEST_WORK (task)->f;
  Obs *obs = task_obs (task);

  obs->start_seq = g_atomic_int_add (&f->seq, 1);
  obs->start_thread = g_thread_self ();
  obs->start_in_dispatch = in_owner_dispatch (f);
  g_atomic_int_inc (&obs->n_start);

  /* As the thread kind does on its worker, right before running. */
  if (f->begin_in_start)
    obs->began = _gtask_sup_core_work_begin (task->core, task);
}

static void
test_kind_interrupt (GtaskSupTask *task,
                     guint         outcome,
                     int           grace_ms)
{
  CoreFixture *f = TEST_WORK (task)->f;
  Obs *obs = task_obs (task);
  GCancellable *cancellable = g_atomic_pointer_get (&task->cancellable);

  g_mutex_lock (&f->mutex);
  obs->n_interrupt++;
  obs->interrupt_outcome = outcome;
  obs->interrupt_on_service = g_main_context_is_owner (_gtask_sup_service_get_context ());
  obs->interrupt_cancelled = cancellable != NULL && g_cancellable_is_cancelled (cancellable);
  obs->interrupt_us = g_get_monotonic_time ();
  obs->interrupt_thread = g_thread_self ();
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->mutex);
}

static void
test_kind_copy (GtaskSupTask *dest,
                GtaskSupTask *src)
{
  *TEST_WORK (dest) = *TEST_WORK (src);
}

static void
test_kind_clear (GtaskSupTask *task)
{
  CoreFixture *f = TEST_WORK (task)->f;
  Obs *obs = task_obs (task);

  g_mutex_lock (&f->mutex);
  obs->finalize_thread = g_thread_self ();
  g_atomic_int_inc (&obs->n_finalize);
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->mutex);
}

static const GtaskSupKind test_kind = {
  .kind = GTASK_SUP_TASK_KIND_THREAD,
  .flags = 0,
  .start = test_kind_start,
  .interrupt = test_kind_interrupt,
  .copy = test_kind_copy,
  .clear = test_kind_clear,
};

/* Work the engine cannot watch (as an async function): its slot goes at
 * the outcome. */
static const GtaskSupKind test_kind_ends_at_outcome = {
  .kind = GTASK_SUP_TASK_KIND_ASYNC,
  .flags = GTASK_SUP_KIND_ENDS_AT_OUTCOME,
  .start = test_kind_start,
  .interrupt = test_kind_interrupt,
  .copy = test_kind_copy,
  .clear = test_kind_clear,
};

/* Work that runs on the owner context: started from a dispatch. */
static const GtaskSupKind test_kind_on_owner = {
  .kind = GTASK_SUP_TASK_KIND_ASYNC,
  .flags = GTASK_SUP_KIND_RUNS_ON_OWNER | GTASK_SUP_KIND_ENDS_AT_OUTCOME,
  .start = test_kind_start,
  .interrupt = test_kind_interrupt,
  .copy = test_kind_copy,
  .clear = test_kind_clear,
};

/* -------------------------------------------------------------------------- */
/* The hooks: the supervisor's protocol                                       */
/* -------------------------------------------------------------------------- */

static CoreFixture *
owner_fixture (gpointer owner)
{
  return g_object_get_data (owner, "core-fixture");
}

static void
check_hook (CoreFixture *f)
{
  if (!in_owner_dispatch (f))
    g_atomic_int_inc (&f->n_wrong_context);
  if (f->killed)
    g_atomic_int_inc (&f->n_after_kill);
}

static gboolean
hook_complete (gpointer      owner,
               GtaskSupTask *task)
{
  CoreFixture *f = owner_fixture (owner);
  Obs *obs = task_obs (task);
  GtaskSupWaiters *joiners;
  gboolean last = FALSE;
  int state;

  check_hook (f);

  state = _gtask_sup_core_final_state (task);
  obs->complete_outcome = task->outcome;
  joiners = _gtask_sup_core_finish (f->core, task, state, &last);
  obs->complete_state = g_atomic_int_get (&task->state);
  obs->complete_last = last;
  g_atomic_int_inc (&obs->n_complete);
  f->n_complete++;

  g_queue_unlink (&f->children, &task->child_link);

  /* The group's owner (a stream) hears of it, as from the supervisor. */
  if (!f->core->dead && task->group != NULL && task->group->done != NULL)
    task->group->done (task->group->done_data, task);

  if (joiners != NULL)
    {
      _gtask_sup_waiters_complete (joiners, NULL, FALSE);
      _gtask_sup_core_release_joiners (joiners);
    }

  /* The supervisor's share, if the work is over: the engine drops it at
   * the end of the dispatch. */
  return last;
}

static void
hook_notify (gpointer      owner,
             GtaskSupTask *task,
             guint         what)
{
  CoreFixture *f = owner_fixture (owner);

  check_hook (f);
  f->n_notify++;
}

static void
hook_idle (gpointer owner)
{
  CoreFixture *f = owner_fixture (owner);

  check_hook (f);
  f->n_idle++;
}

static const GtaskSupCoreHooks test_hooks = {
  .complete = hook_complete,
  .notify = hook_notify,
  .idle = hook_idle,
};

/* -------------------------------------------------------------------------- */
/* Fixture                                                                    */
/* -------------------------------------------------------------------------- */

static void
core_fixture_setup (CoreFixture   *f,
                    gconstpointer  data)
{
  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
  f->thread = g_thread_self ();
  g_mutex_init (&f->mutex);
  g_cond_init (&f->cond);
  f->obs = g_ptr_array_new_with_free_func (g_free);
  g_queue_init (&f->children);
  f->begin_in_start = TRUE;

  f->owner = g_object_new (G_TYPE_OBJECT, NULL);
  g_object_set_data (f->owner, "core-fixture", f);
  f->core = _gtask_sup_core_new (&test_hooks, f->owner, f->ctx);
  g_assert_nonnull (f->core);
}

/* A new task of @kind (the caller owns it), observed in @f. */
static GtaskSupTask *
test_task_new (CoreFixture        *f,
               const GtaskSupKind *kind)
{
  GtaskSupTask *task = _gtask_sup_task_new_for_kind (kind);
  Obs *obs = g_new0 (Obs, 1);

  obs->id = f->obs->len;
  obs->start_seq = -1;
  g_ptr_array_add (f->obs, obs);
  TEST_WORK (task)->f = f;
  TEST_WORK (task)->obs = obs;

  return task;
}

/* As gtask_sup_supervisor_start_child(): the reference taken here is the
 * supervisor's share, which the core owns from now on. */
static void
start_child (CoreFixture  *f,
             GtaskSupTask *task)
{
  task->child_link.data = task;
  g_queue_push_tail_link (&f->children, &task->child_link);
  g_object_ref (task);

  _gtask_sup_core_start (f->core, task);
}

/* As gtask_sup_supervisor_close_silently(): kills the core, silences every
 * live task with the mutex held, releases it, then interrupts them, and the
 * tasks reported whose work still runs (lingering). */
static void
kill_core (CoreFixture *f)
{
  g_autoptr(GPtrArray) to_interrupt = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) to_unref = NULL;
  g_autoptr(GPtrArray) lingering = NULL;
  GList *link;

  g_assert_false (f->killed);
  f->killed = TRUE;

  to_unref = _gtask_sup_core_kill (f->core, &lingering);

  while ((link = g_queue_pop_head_link (&f->children)) != NULL)
    {
      GtaskSupTask *task = link->data;

      g_ptr_array_add (to_interrupt, g_object_ref (task));
      if (_gtask_sup_core_silence_locked (f->core, task))
        g_ptr_array_add (to_unref, task);
    }

  g_assert_cmpuint (_gtask_sup_heap_get_length (&f->core->heap), ==, 0);
  g_assert_cmpuint (f->core->queue.length, ==, 0);
  g_assert_cmpuint (f->core->done.length, ==, 0);
  g_assert_cmpuint (f->core->dispatching.length, ==, 0);

  _gtask_sup_core_unlock (f->core);

  for (guint i = 0; i < to_interrupt->len; i++)
    _gtask_sup_core_interrupt (g_ptr_array_index (to_interrupt, i),
                               GTASK_SUP_OUTCOME_SILENCED, 0);
  for (guint i = 0; i < lingering->len; i++)
    _gtask_sup_core_interrupt (g_ptr_array_index (lingering, i),
                               GTASK_SUP_OUTCOME_SILENCED, 0);
}

static gboolean
all_finalized_cb (gpointer data)
{
  CoreFixture *f = data;

  for (guint i = 0; i < f->obs->len; i++)
    {
      Obs *obs = g_ptr_array_index (f->obs, i);

      if (g_atomic_int_get (&obs->n_finalize) == 0)
        return FALSE;
    }

  return TRUE;
}

static void
core_fixture_teardown (CoreFixture   *f,
                       gconstpointer  data)
{
  if (!f->killed)
    {
      g_assert_cmpuint (f->children.length, ==, 0);
      kill_core (f);
    }

  /* Every task goes, exactly once. */
  iterate_until (f->ctx, all_finalized_cb, f, TEST_WAIT_MS);
  for (guint i = 0; i < f->obs->len; i++)
    {
      Obs *obs = g_ptr_array_index (f->obs, i);

      g_assert_cmpint (g_atomic_int_get (&obs->n_finalize), ==, 1);
      g_assert_cmpint (g_atomic_int_get (&obs->n_complete), <=, 1);
      g_assert_cmpint (g_atomic_int_get (&obs->n_start), <=, 1);
    }

  g_assert_cmpint (g_atomic_int_get (&f->n_wrong_context), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&f->n_after_kill), ==, 0);

  g_clear_pointer (&f->core, _gtask_sup_core_unref);
  g_clear_object (&f->owner);
  g_clear_pointer (&f->obs, g_ptr_array_unref);
  g_cond_clear (&f->cond);
  g_mutex_clear (&f->mutex);

  g_main_context_pop_thread_default (f->ctx);
  g_main_context_unref (f->ctx);
}

#define CORE_TEST_ADD(path, func, summary) \
  g_test_add ((path), CoreFixture, (summary), core_fixture_setup, (func), core_fixture_teardown)

#define TEST_SUMMARY() g_test_summary ((const char *) data)

/* -------------------------------------------------------------------------- */
/* Helpers                                                                    */
/* -------------------------------------------------------------------------- */

static gboolean
obs_completed_cb (gpointer data)
{
  return g_atomic_int_get (&((Obs *)data)->n_complete) > 0;
}

static gboolean
obs_finalized_cb (gpointer data)
{
  return g_atomic_int_get (&((Obs *)data)->n_finalize) > 0;
}

typedef struct
{
  CoreFixture *f;
  guint        n;
} CountCond;

static gboolean
n_complete_cb (gpointer data)
{
  CountCond *c = data;

  return c->f->n_complete >= c->n;
}

/* Waits, without iterating any context, until @cond (@data) holds or
 * @deadline (monotonic) passed; the kind's functions broadcast f->cond. */
static gboolean
wait_without_iterating (CoreFixture   *f,
                        TestCondition  cond,
                        gpointer       data,
                        gint64         deadline)
{
  gboolean ok;

  g_mutex_lock (&f->mutex);
  while (!(ok = cond (data)) && g_get_monotonic_time () < deadline)
    g_cond_wait_until (&f->cond, &f->mutex, deadline);
  g_mutex_unlock (&f->mutex);

  return ok;
}

static gboolean
obs_interrupted_cb (gpointer data)
{
  return ((Obs *)data)->n_interrupt > 0;
}

typedef struct
{
  guint n_slots;
  guint n_running;
  guint n_queued;
} Counts;

static Counts
core_counts (GtaskSupCore *core)
{
  Counts c;

  g_mutex_lock (&core->mutex);
  c.n_slots = core->n_slots;
  c.n_running = core->n_running;
  c.n_queued = core->n_queued;
  g_mutex_unlock (&core->mutex);

  return c;
}

#define assert_counts(core, slots, running, queued) \
  G_STMT_START { \
    Counts c_ = core_counts (core); \
    g_assert_cmpuint (c_.n_slots, ==, (slots)); \
    g_assert_cmpuint (c_.n_running, ==, (running)); \
    g_assert_cmpuint (c_.n_queued, ==, (queued)); \
  } G_STMT_END

/* Runs @func (@data) on a new thread and waits for it. */
static void
run_on_thread (GThreadFunc func,
               gpointer    data)
{
  g_thread_join (g_thread_new ("core-test-helper", func, data));
}

typedef struct
{
  CoreFixture  *f;
  GtaskSupTask *task;
  guint         outcome;  /* NONE: work_done only */
} WorkEnd;

/* Decides @outcome (unless NONE), then ends the work, on the calling thread. */
static gpointer
work_end_thread (gpointer data)
{
  WorkEnd *end = data;

  if (end->outcome != GTASK_SUP_OUTCOME_NONE)
    g_assert_true (_gtask_sup_core_decide (end->f->core, end->task, end->outcome, NULL));
  _gtask_sup_core_work_done (end->f->core, end->task);

  return NULL;
}

static void
end_work_on_thread (CoreFixture  *f,
                    GtaskSupTask *task,
                    guint         outcome)
{
  WorkEnd end = { f, task, outcome };

  run_on_thread (work_end_thread, &end);
}

/* -------------------------------------------------------------------------- */
/* Decide once                                                                */
/* -------------------------------------------------------------------------- */

#define N_RACERS 4

typedef struct
{
  CoreFixture  *f;
  GtaskSupTask *task;
  int          *ready;
  const int    *go;
  guint         outcome;
  int           code;      /* of the error it gives with a RESULT */
  gboolean      done_too;  /* also ends the work, right after deciding */
  gboolean      won;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *r = data;
  GError *error = NULL;

  if (r->outcome == GTASK_SUP_OUTCOME_RESULT)
    error = g_error_new (G_IO_ERROR, r->code, "racer %d", r->code);

  /* Yielding: on 2 cores, pure spinning starves the thread that says go. */
  g_atomic_int_inc (r->ready);
  while (!g_atomic_int_get (r->go))
    g_thread_yield ();

  r->won = _gtask_sup_core_decide (r->f->core, r->task, r->outcome, error);
  if (r->done_too)
    _gtask_sup_core_work_done (r->f->core, r->task);

  return NULL;
}

static void
test_decide_once (CoreFixture   *f,
                  gconstpointer  data)
{
  static const guint outcomes[N_RACERS] = {
    GTASK_SUP_OUTCOME_RESULT,
    GTASK_SUP_OUTCOME_CANCELLED,
    GTASK_SUP_OUTCOME_RESULT,
    GTASK_SUP_OUTCOME_TIMED_OUT,
  };
  guint n = test_count (300, 30);
  g_autofree guint *winner_outcome = g_new0 (guint, n);
  CountCond all = { f, n };
  guint wins[N_RACERS] = { 0, };

  TEST_SUMMARY ();

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtaskSupTask) task = test_task_new (f, &test_kind);
      Racer racers[N_RACERS];
      GThread *threads[N_RACERS];
      int ready = 0;
      int go = 0;
      guint n_won = 0;
      int winner = -1;

      start_child (f, task);
      g_assert_true (task_obs (task)->began);

      for (guint r = 0; r < N_RACERS; r++)
        {
          /* Rotate who gives what, so that no outcome owns a thread. */
          racers[r] = (Racer) {
            .f = f,
            .task = task,
            .ready = &ready,
            .go = &go,
            .outcome = outcomes[(r + i) % N_RACERS],
            .code = 100 + r,
            .done_too = (r == i % N_RACERS),
          };
          threads[r] = g_thread_new ("racer", racer_thread, &racers[r]);
        }

      while (g_atomic_int_get (&ready) < N_RACERS)
        g_thread_yield ();
      g_atomic_int_set (&go, 1);

      for (guint r = 0; r < N_RACERS; r++)
        {
          g_thread_join (threads[r]);
          if (racers[r].won)
            {
              n_won++;
              winner = r;
            }
        }

      /* Exactly one won, and its outcome (and error) is the task's. */
      g_assert_cmpuint (n_won, ==, 1);
      wins[winner]++;
      g_assert_cmpuint (g_atomic_int_get (&task->outcome), ==, racers[winner].outcome);
      if (racers[winner].outcome == GTASK_SUP_OUTCOME_RESULT)
        g_assert_error (task->error, G_IO_ERROR, racers[winner].code);
      else
        g_assert_null (task->error);
      winner_outcome[i] = racers[winner].outcome;

      /* Too late now, whoever asks. */
      g_assert_false (_gtask_sup_core_decide (f->core, task, GTASK_SUP_OUTCOME_CANCELLED, NULL));

      /* Outcomes pile up between dispatches too. */
      if (i % 7 == 0)
        g_main_context_iteration (f->ctx, FALSE);
    }

  iterate_until (f->ctx, n_complete_cb, &all, TEST_WAIT_MS);
  iterate_until (f->ctx, all_finalized_cb, f, TEST_WAIT_MS);

  /* Nothing more comes. */
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->n_complete, ==, n);

  for (guint i = 0; i < n; i++)
    {
      Obs *obs = g_ptr_array_index (f->obs, i);

      g_assert_cmpint (obs->n_start, ==, 1);
      g_assert_cmpint (obs->n_complete, ==, 1);
      g_assert_cmpint (obs->n_finalize, ==, 1);
      g_assert_true (obs->finalize_thread == f->thread);
      g_assert_cmpuint (obs->complete_outcome, ==, winner_outcome[i]);
    }

  g_test_message ("wins per racer: %u %u %u %u", wins[0], wins[1], wins[2], wins[3]);
  assert_counts (f->core, 0, 0, 0);
}

/* -------------------------------------------------------------------------- */
/* Holders: the supervisor's share and the kind's                             */
/* -------------------------------------------------------------------------- */

static void
test_holders_work_after_outcome (CoreFixture   *f,
                                 gconstpointer  data)
{
  GtaskSupTask *task = test_task_new (f, &test_kind);
  Obs *obs = task_obs (task);

  TEST_SUMMARY ();

  start_child (f, task);
  g_assert_cmpint (obs->n_start, ==, 1);
  g_assert_true (obs->began);
  g_assert_cmpint (g_atomic_int_get (&task->state), ==, GTASK_SUP_TASK_STATE_RUNNING);
  /* The test's reference goes: the task lives on the two shares. */
  g_object_unref (task);

  /* Cancelled while its work runs: the outcome comes first. */
  g_assert_true (_gtask_sup_core_decide (f->core, task, GTASK_SUP_OUTCOME_CANCELLED, NULL));
  iterate_until (f->ctx, obs_completed_cb, obs, TEST_WAIT_MS);
  g_assert_cmpint (obs->complete_state, ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_false (obs->complete_last);

  /* The work still holds it. */
  iterate_for (f->ctx, 50);
  g_assert_cmpint (g_atomic_int_get (&obs->n_finalize), ==, 0);
  /* ...and its slot: the thread still runs. */
  assert_counts (f->core, 1, 1, 0);

  /* The work ends on another thread: the last reference goes to the
   * owner context, not there. */
  end_work_on_thread (f, task, GTASK_SUP_OUTCOME_NONE);
  g_assert_cmpint (g_atomic_int_get (&obs->n_finalize), ==, 0);
  assert_counts (f->core, 0, 0, 0);

  iterate_until (f->ctx, obs_finalized_cb, obs, TEST_WAIT_MS);
  g_assert_cmpint (obs->n_finalize, ==, 1);
  g_assert_true (obs->finalize_thread == f->thread);
  g_assert_cmpint (obs->n_start, ==, 1);
  g_assert_cmpint (obs->n_complete, ==, 1);
}

static void
test_holders_work_before_outcome (CoreFixture   *f,
                                  gconstpointer  data)
{
  GtaskSupTask *task = test_task_new (f, &test_kind);
  Obs *obs = task_obs (task);

  TEST_SUMMARY ();

  start_child (f, task);
  g_object_unref (task);

  /* A worker returns a result and ends before the owner hears of it. */
  end_work_on_thread (f, task, GTASK_SUP_OUTCOME_RESULT);
  g_assert_cmpint (g_atomic_int_get (&obs->n_finalize), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&obs->n_complete), ==, 0);
  assert_counts (f->core, 0, 0, 0);

  /* The supervisor's share is the last: the complete hook drops it. */
  iterate_until (f->ctx, obs_completed_cb, obs, TEST_WAIT_MS);
  g_assert_true (obs->complete_last);
  g_assert_cmpint (obs->complete_state, ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  g_assert_cmpint (obs->n_finalize, ==, 1);
  g_assert_true (obs->finalize_thread == f->thread);
  g_assert_cmpint (obs->n_start, ==, 1);
}

typedef struct
{
  CoreFixture  *f;
  GtaskSupTask *task;
  gint64        spin_us;
} LateEnd;

static gpointer
late_end_thread (gpointer data)
{
  LateEnd *end = data;

  g_assert_true (_gtask_sup_core_decide (end->f->core, end->task,
                                         GTASK_SUP_OUTCOME_RESULT, NULL));
  /* Sometimes before the owner's dispatch, sometimes during or after it.
   * (A busy wait: yielding to CPU hogs on a loaded machine takes a time
   * slice each time.) */
  if (end->spin_us > 0)
    {
      gint64 until = g_get_monotonic_time () + end->spin_us;

      while (g_get_monotonic_time () < until)
        ;
    }
  _gtask_sup_core_work_done (end->f->core, end->task);

  return NULL;
}

static void
test_holders_race (CoreFixture   *f,
                   gconstpointer  data)
{
  guint n = test_count (200, 20);
  GRand *rand = g_rand_new_with_seed (20261203);
  guint n_last_in_complete = 0;

  TEST_SUMMARY ();

  for (guint i = 0; i < n; i++)
    {
      GtaskSupTask *task = test_task_new (f, &test_kind);
      Obs *obs = task_obs (task);
      LateEnd end = { f, task, g_rand_int_range (rand, 0, 150) };
      GThread *thread;

      start_child (f, task);
      g_object_unref (task);

      /* The owner dispatches while the worker ends its work. */
      thread = g_thread_new ("late-end", late_end_thread, &end);
      iterate_until (f->ctx, obs_finalized_cb, obs, TEST_WAIT_MS);
      g_thread_join (thread);

      g_assert_cmpint (obs->n_finalize, ==, 1);
      g_assert_true (obs->finalize_thread == f->thread);
      g_assert_cmpint (obs->n_complete, ==, 1);
      g_assert_cmpint (obs->n_start, ==, 1);
      if (obs->complete_last)
        n_last_in_complete++;
    }

  g_test_message ("%u of %u tasks were freed by the complete hook", n_last_in_complete, n);
  assert_counts (f->core, 0, 0, 0);
  g_rand_free (rand);
}

/* -------------------------------------------------------------------------- */
/* Slots and the queue                                                        */
/* -------------------------------------------------------------------------- */

static void
test_queue_fifo (CoreFixture   *f,
                 gconstpointer  data)
{
  enum { N = 6 };
  GtaskSupTask *tasks[N];
  Obs *obs[N];
  CountCond all = { f, N };
  static const guint started_order[] = { 0, 1, 2, 4, 5 };

  TEST_SUMMARY ();

  _gtask_sup_core_set_max_concurrency (f->core, 2);

  for (guint i = 0; i < N; i++)
    {
      tasks[i] = test_task_new (f, &test_kind);
      obs[i] = task_obs (tasks[i]);
      start_child (f, tasks[i]);
    }

  /* Two got a slot and started at once, on this thread, inside start. */
  for (guint i = 0; i < N; i++)
    {
      g_assert_cmpint (obs[i]->n_start, ==, i < 2 ? 1 : 0);
      if (i < 2)
        {
          g_assert_true (obs[i]->start_thread == f->thread);
          g_assert_false (obs[i]->start_in_dispatch);
        }
      g_assert_cmpint (g_atomic_int_get (&tasks[i]->state), ==,
                       i < 2 ? GTASK_SUP_TASK_STATE_RUNNING : GTASK_SUP_TASK_STATE_QUEUED);
    }
  assert_counts (f->core, 2, 2, 4);

  /* A queued task cancelled never starts. */
  g_assert_true (_gtask_sup_core_decide (f->core, tasks[3], GTASK_SUP_OUTCOME_CANCELLED, NULL));
  g_assert_cmpuint (f->core->queue.length, ==, 3);

  /* A work that ends on a worker starts the next one there, at once: the
   * owner context is not iterated. */
  end_work_on_thread (f, tasks[0], GTASK_SUP_OUTCOME_RESULT);
  g_assert_cmpint (obs[2]->n_start, ==, 1);
  g_assert_true (obs[2]->start_thread != f->thread);
  g_assert_cmpint (obs[4]->n_start, ==, 0);
  /* (task 3 is QUEUED until its outcome is final) */
  assert_counts (f->core, 2, 2, 3);

  /* More slots start the rest, in order, at once. */
  _gtask_sup_core_set_max_concurrency (f->core, 4);
  g_assert_cmpint (obs[4]->n_start, ==, 1);
  g_assert_cmpint (obs[5]->n_start, ==, 1);
  assert_counts (f->core, 4, 4, 1);

  for (guint i = 1; i < G_N_ELEMENTS (started_order); i++)
    g_assert_cmpint (obs[started_order[i - 1]]->start_seq, <, obs[started_order[i]]->start_seq);

  for (guint i = 1; i < N; i++)
    {
      if (i == 3)
        continue;
      g_assert_true (_gtask_sup_core_decide (f->core, tasks[i], GTASK_SUP_OUTCOME_RESULT, NULL));
      _gtask_sup_core_work_done (f->core, tasks[i]);
    }

  for (guint i = 0; i < N; i++)
    g_object_unref (tasks[i]);

  iterate_until (f->ctx, n_complete_cb, &all, TEST_WAIT_MS);
  iterate_until (f->ctx, all_finalized_cb, f, TEST_WAIT_MS);

  for (guint i = 0; i < N; i++)
    {
      /* Started once per slot it got; the cancelled one never. */
      g_assert_cmpint (obs[i]->n_start, ==, i == 3 ? 0 : 1);
      g_assert_cmpint (obs[i]->n_complete, ==, 1);
      g_assert_cmpint (obs[i]->n_finalize, ==, 1);
      g_assert_true (obs[i]->finalize_thread == f->thread);
      g_assert_cmpint (obs[i]->complete_state, ==,
                       i == 3 ? GTASK_SUP_TASK_STATE_FAILED : GTASK_SUP_TASK_STATE_SUCCEEDED);
    }
  /* The one that never had a slot was freed by its outcome. */
  g_assert_true (obs[3]->complete_last);
  assert_counts (f->core, 0, 0, 0);
}

static void
test_slot_until_work_done (CoreFixture   *f,
                           gconstpointer  data)
{
  g_autoptr(GtaskSupTask) a = test_task_new (f, &test_kind);
  g_autoptr(GtaskSupTask) b = test_task_new (f, &test_kind);
  Obs *oa = task_obs (a);
  Obs *ob = task_obs (b);

  TEST_SUMMARY ();

  _gtask_sup_core_set_max_concurrency (f->core, 1);
  start_child (f, a);
  start_child (f, b);
  g_assert_cmpint (oa->n_start, ==, 1);
  g_assert_cmpint (ob->n_start, ==, 0);

  /* A times out (abandoned): its outcome is reported... */
  g_assert_true (_gtask_sup_core_decide (f->core, a, GTASK_SUP_OUTCOME_TIMED_OUT, NULL));
  iterate_until (f->ctx, obs_completed_cb, oa, TEST_WAIT_MS);
  g_assert_cmpint (oa->complete_state, ==, GTASK_SUP_TASK_STATE_TIMED_OUT);

  /* ...but its work still runs: it keeps the slot. */
  iterate_for (f->ctx, 50);
  g_assert_cmpint (ob->n_start, ==, 0);
  assert_counts (f->core, 1, 1, 1);

  /* Once it returns, B starts, there and then. */
  end_work_on_thread (f, a, GTASK_SUP_OUTCOME_NONE);
  g_assert_cmpint (ob->n_start, ==, 1);
  g_assert_true (ob->start_thread != f->thread);
  assert_counts (f->core, 1, 1, 0);

  end_work_on_thread (f, b, GTASK_SUP_OUTCOME_RESULT);
  iterate_until (f->ctx, obs_completed_cb, ob, TEST_WAIT_MS);
  assert_counts (f->core, 0, 0, 0);
}

static void
test_ends_at_outcome (CoreFixture   *f,
                      gconstpointer  data)
{
  g_autoptr(GtaskSupTask) a = test_task_new (f, &test_kind_ends_at_outcome);
  g_autoptr(GtaskSupTask) b = test_task_new (f, &test_kind_ends_at_outcome);
  g_autoptr(GtaskSupTask) c = test_task_new (f, &test_kind_ends_at_outcome);
  Obs *oa = task_obs (a);
  Obs *ob = task_obs (b);
  Obs *oc = task_obs (c);

  TEST_SUMMARY ();

  _gtask_sup_core_set_max_concurrency (f->core, 1);
  start_child (f, a);
  start_child (f, b);
  start_child (f, c);
  g_assert_cmpint (oa->n_start, ==, 1);
  g_assert_cmpint (ob->n_start, ==, 0);
  assert_counts (f->core, 1, 1, 2);

  /* A's outcome frees its slot as soon as it is decided, without the
   * owner context: B starts there and then, from the deciding call,
   * although A's start() never said it returned. */
  g_assert_true (_gtask_sup_core_decide (f->core, a, GTASK_SUP_OUTCOME_RESULT, NULL));
  g_assert_cmpint (ob->n_start, ==, 1);
  g_assert_false (ob->start_in_dispatch);
  iterate_until (f->ctx, obs_completed_cb, oa, TEST_WAIT_MS);
  g_assert_cmpint (oc->n_start, ==, 0);
  assert_counts (f->core, 1, 1, 1);

  /* A's work_done() only says its start() returned: no slot comes free. */
  end_work_on_thread (f, a, GTASK_SUP_OUTCOME_NONE);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (oc->n_start, ==, 0);
  assert_counts (f->core, 1, 1, 1);

  /* B's work_done() before its outcome frees nothing either; its outcome does. */
  _gtask_sup_core_work_done (f->core, b);
  g_assert_cmpint (oc->n_start, ==, 0);
  g_assert_true (_gtask_sup_core_decide (f->core, b, GTASK_SUP_OUTCOME_CANCELLED, NULL));
  g_assert_cmpint (oc->n_start, ==, 1);
  iterate_until (f->ctx, obs_completed_cb, ob, TEST_WAIT_MS);
  g_assert_cmpint (ob->n_complete, ==, 1);
  g_assert_true (ob->complete_last);
  assert_counts (f->core, 1, 1, 0);

  g_assert_true (_gtask_sup_core_decide (f->core, c, GTASK_SUP_OUTCOME_RESULT, NULL));
  _gtask_sup_core_work_done (f->core, c);
  iterate_until (f->ctx, obs_completed_cb, oc, TEST_WAIT_MS);
  assert_counts (f->core, 0, 0, 0);

  g_assert_cmpint (oa->n_start, ==, 1);
  g_assert_cmpint (ob->n_start, ==, 1);
  g_assert_cmpint (oc->n_start, ==, 1);
}

/* -------------------------------------------------------------------------- */
/* Groups: a limit of their own within the core's                             */
/* -------------------------------------------------------------------------- */

typedef struct
{
  CoreFixture *f;
  GPtrArray   *done;   /* Obs, in the order the group heard of them */
} GroupDone;

static void
group_done_cb (gpointer      data,
               GtaskSupTask *task)
{
  GroupDone *gd = data;

  /* On the owner context, after the outcome was made final. */
  if (!in_owner_dispatch (gd->f) || g_atomic_int_get (&task->outcome) == GTASK_SUP_OUTCOME_NONE)
    g_atomic_int_inc (&gd->f->n_wrong_context);
  g_ptr_array_add (gd->done, task_obs (task));
}

static gboolean
group_done_n_cb (gpointer data)
{
  return ((GroupDone *)data)->done->len >= 3;
}

static void
test_group (CoreFixture   *f,
            gconstpointer  data)
{
  GtaskSupGroup *group = _gtask_sup_group_new (1);
  g_autoptr(GPtrArray) done = g_ptr_array_new ();
  GroupDone gd = { f, done };
  g_autoptr(GtaskSupTask) a = test_task_new (f, &test_kind);
  g_autoptr(GtaskSupTask) b = test_task_new (f, &test_kind);
  g_autoptr(GtaskSupTask) c = test_task_new (f, &test_kind);
  g_autoptr(GtaskSupTask) outside = test_task_new (f, &test_kind);
  Obs *oa = task_obs (a);
  Obs *ob = task_obs (b);
  Obs *oc = task_obs (c);
  Obs *o_outside = task_obs (outside);
  gint64 slot_us;

  TEST_SUMMARY ();

  group->done = group_done_cb;
  group->done_data = &gd;

  /* B's timeout counts from when it gets a slot of the group. */
  gtask_sup_task_set_timeout (b, 100);
  _gtask_sup_core_set_group (a, group);
  _gtask_sup_core_set_group (b, group);
  _gtask_sup_core_set_group (c, group);

  start_child (f, a);
  start_child (f, b);
  start_child (f, c);
  start_child (f, outside);

  /* The group runs one at a time; a task outside it is not held back. */
  g_assert_cmpint (oa->n_start, ==, 1);
  g_assert_cmpint (ob->n_start, ==, 0);
  g_assert_cmpint (oc->n_start, ==, 0);
  g_assert_cmpint (o_outside->n_start, ==, 1);
  assert_counts (f->core, 2, 2, 2);
  g_assert_cmpint (g_atomic_int_get (&group->n_running), ==, 1);

  /* Waiting for the group is not running: B's timeout has not begun. */
  g_assert_false (wait_without_iterating (f, obs_interrupted_cb, ob,
                                          g_get_monotonic_time () +
                                          150 * G_TIME_SPAN_MILLISECOND));

  /* A times out (abandoned): the group's slot stays taken until its work
   * ends, then B starts on that thread, there and then. */
  g_assert_true (_gtask_sup_core_decide (f->core, a, GTASK_SUP_OUTCOME_TIMED_OUT, NULL));
  iterate_until (f->ctx, obs_completed_cb, oa, TEST_WAIT_MS);
  g_assert_cmpint (ob->n_start, ==, 0);
  slot_us = g_get_monotonic_time ();
  end_work_on_thread (f, a, GTASK_SUP_OUTCOME_NONE);
  g_assert_cmpint (ob->n_start, ==, 1);
  g_assert_true (ob->start_thread != f->thread);
  g_assert_cmpint (oc->n_start, ==, 0);
  g_assert_cmpint (g_atomic_int_get (&group->n_running), ==, 1);

  /* B times out 100 ms after its slot, on the service thread. */
  g_assert_true (wait_without_iterating (f, obs_interrupted_cb, ob,
                                         slot_us + (100 + test_upper_ms (TEST_SLACK_MS)) *
                                                   G_TIME_SPAN_MILLISECOND));
  g_mutex_lock (&f->mutex);
  g_assert_cmpuint (ob->interrupt_outcome, ==, GTASK_SUP_OUTCOME_TIMED_OUT);
  g_assert_cmpint (ob->interrupt_us - slot_us, >=, 100 * G_TIME_SPAN_MILLISECOND);
  g_mutex_unlock (&f->mutex);
  g_assert_cmpint (oc->n_start, ==, 0);

  _gtask_sup_core_work_done (f->core, b);
  g_assert_cmpint (oc->n_start, ==, 1);

  g_assert_true (_gtask_sup_core_decide (f->core, c, GTASK_SUP_OUTCOME_RESULT, NULL));
  _gtask_sup_core_work_done (f->core, c);
  g_assert_true (_gtask_sup_core_decide (f->core, outside, GTASK_SUP_OUTCOME_RESULT, NULL));
  _gtask_sup_core_work_done (f->core, outside);

  iterate_until (f->ctx, group_done_n_cb, &gd, TEST_WAIT_MS);
  iterate_until (f->ctx, obs_completed_cb, o_outside, TEST_WAIT_MS);
  g_assert_cmpuint (done->len, ==, 3);
  g_assert_true (g_ptr_array_index (done, 0) == oa);
  g_assert_true (g_ptr_array_index (done, 1) == ob);
  g_assert_true (g_ptr_array_index (done, 2) == oc);
  g_assert_cmpint (ob->complete_state, ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
  assert_counts (f->core, 0, 0, 0);
  g_assert_cmpint (g_atomic_int_get (&group->n_running), ==, 0);
  g_assert_cmpuint (group->n_slots, ==, 0);

  group->done = NULL;
  group->done_data = NULL;
  _gtask_sup_group_unref (group);
}

/* Work handed the task's cancellable. */
static const GtaskSupKind test_kind_takes_cancellable = {
  .kind = GTASK_SUP_TASK_KIND_THREAD,
  .flags = GTASK_SUP_KIND_TAKES_CANCELLABLE,
  .start = test_kind_start,
  .interrupt = test_kind_interrupt,
  .copy = test_kind_copy,
  .clear = test_kind_clear,
};

static void
test_cancellable_when (CoreFixture   *f,
                       gconstpointer  data)
{
  GtaskSupGroup *group = _gtask_sup_group_new (1);
  g_autoptr(GtaskSupTask) first = test_task_new (f, &test_kind_takes_cancellable);
  g_autoptr(GtaskSupTask) queued = test_task_new (f, &test_kind_takes_cancellable);
  g_autoptr(GtaskSupTask) item = test_task_new (f, &test_kind_takes_cancellable);
  g_autoptr(GtaskSupTask) item_waiting = test_task_new (f, &test_kind_takes_cancellable);
  g_autoptr(GtaskSupTask) plain = test_task_new (f, &test_kind);
  g_autoptr(GtaskSupTask) item_limited = test_task_new (f, &test_kind_takes_cancellable);

  TEST_SUMMARY ();

  /* Behind max-concurrency: no cancellable while queued, even in a group. */
  _gtask_sup_core_set_max_concurrency (f->core, 2);
  start_child (f, first);
  start_child (f, plain);
  start_child (f, queued);
  _gtask_sup_core_set_group (item_limited, group);
  start_child (f, item_limited);
  g_assert_null (g_atomic_pointer_get (&first->cancellable));
  g_assert_null (g_atomic_pointer_get (&plain->cancellable));
  g_assert_null (g_atomic_pointer_get (&queued->cancellable));
  g_assert_null (g_atomic_pointer_get (&item_limited->cancellable));
  g_assert_cmpint (g_atomic_int_get (&queued->state), ==, GTASK_SUP_TASK_STATE_QUEUED);
  g_assert_cmpint (g_atomic_int_get (&item_limited->state), ==, GTASK_SUP_TASK_STATE_QUEUED);

  /* Cancelled while queued: it never runs, and frees its group's place. */
  g_assert_true (_gtask_sup_core_decide (f->core, item_limited, GTASK_SUP_OUTCOME_CANCELLED, NULL));
  _gtask_sup_core_interrupt (item_limited, GTASK_SUP_OUTCOME_CANCELLED, 0);
  iterate_until (f->ctx, obs_completed_cb, task_obs (item_limited), TEST_WAIT_MS);
  g_assert_cmpint (task_obs (item_limited)->n_start, ==, 0);

  /* A group's items have one from start(), on the starting thread, even
   * while they wait for a slot of the group. */
  _gtask_sup_core_set_group (item, group);
  _gtask_sup_core_set_group (item_waiting, group);
  _gtask_sup_core_set_max_concurrency (f->core, 0);
  start_child (f, item);
  start_child (f, item_waiting);
  g_assert_nonnull (g_atomic_pointer_get (&item->cancellable));
  g_assert_nonnull (g_atomic_pointer_get (&item_waiting->cancellable));
  g_assert_cmpint (g_atomic_int_get (&item_waiting->state), ==, GTASK_SUP_TASK_STATE_QUEUED);

  /* A cancel reaches it. */
  g_assert_true (_gtask_sup_core_decide (f->core, item_waiting, GTASK_SUP_OUTCOME_CANCELLED, NULL));
  _gtask_sup_core_interrupt (item_waiting, GTASK_SUP_OUTCOME_CANCELLED, 0);
  g_assert_true (g_cancellable_is_cancelled (item_waiting->cancellable));

  for (guint i = 0; i < 4; i++)
    {
      GtaskSupTask *task = i == 0 ? first : i == 1 ? plain : i == 2 ? queued : item;

      g_assert_true (_gtask_sup_core_decide (f->core, task, GTASK_SUP_OUTCOME_RESULT, NULL));
      if (task_obs (task)->n_start > 0)
        _gtask_sup_core_work_done (f->core, task);
    }
  iterate_until (f->ctx, obs_completed_cb, task_obs (item), TEST_WAIT_MS);
  iterate_until (f->ctx, obs_completed_cb, task_obs (queued), TEST_WAIT_MS);
  iterate_until (f->ctx, obs_completed_cb, task_obs (item_waiting), TEST_WAIT_MS);

  _gtask_sup_group_unref (group);
}

/* -------------------------------------------------------------------------- */
/* Deadlines                                                                  */
/* -------------------------------------------------------------------------- */

static void
arm (CoreFixture  *f,
     GtaskSupTask *task,
     gint64        deadline)
{
  g_mutex_lock (&f->core->mutex);
  _gtask_sup_core_arm_locked (f->core, task, deadline);
  g_mutex_unlock (&f->core->mutex);
}

static void
test_deadline_service_thread (CoreFixture   *f,
                              gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = test_task_new (f, &test_kind);
  Obs *obs = task_obs (task);
  GCancellable *cancellable;
  gint64 deadline;

  TEST_SUMMARY ();

  start_child (f, task);
  cancellable = _gtask_sup_core_ensure_cancellable (task);
  g_assert_false (g_cancellable_is_cancelled (cancellable));

  deadline = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;
  arm (f, task, deadline);

  /* The owner thread does not iterate its context: the deadline acts on
   * the service thread anyway. */
  g_assert_true (wait_without_iterating (f, obs_interrupted_cb, obs,
                                         deadline + test_upper_ms (TEST_SLACK_MS) *
                                                    G_TIME_SPAN_MILLISECOND));
  g_mutex_lock (&f->mutex);
  g_assert_cmpint (obs->n_interrupt, ==, 1);
  g_assert_cmpuint (obs->interrupt_outcome, ==, GTASK_SUP_OUTCOME_TIMED_OUT);
  g_assert_cmpint (obs->interrupt_us, >=, deadline);
  g_assert_true (obs->interrupt_on_service);
  g_assert_true (obs->interrupt_thread != f->thread);
  /* The engine cancelled the cancellable before calling the kind. */
  g_assert_true (obs->interrupt_cancelled);
  g_mutex_unlock (&f->mutex);

  /* Decided, not reported: the owner context was not iterated. */
  g_assert_cmpuint (g_atomic_int_get (&task->outcome), ==, GTASK_SUP_OUTCOME_TIMED_OUT);
  g_assert_cmpint (g_atomic_int_get (&task->state), ==, GTASK_SUP_TASK_STATE_RUNNING);
  g_assert_cmpint (g_atomic_int_get (&obs->n_complete), ==, 0);
  g_assert_cmpuint (f->n_complete, ==, 0);
  g_mutex_lock (&f->core->mutex);
  g_assert_cmpint (_gtask_sup_core_get_deadline_locked (f->core, task), ==, -1);
  g_mutex_unlock (&f->core->mutex);

  iterate_until (f->ctx, obs_completed_cb, obs, TEST_WAIT_MS);
  g_assert_cmpint (obs->complete_state, ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
  g_assert_cmpuint (obs->complete_outcome, ==, GTASK_SUP_OUTCOME_TIMED_OUT);

  /* Abandoned work that returns late gives nothing more. */
  end_work_on_thread (f, task, GTASK_SUP_OUTCOME_NONE);
  g_assert_false (_gtask_sup_core_decide (f->core, task, GTASK_SUP_OUTCOME_RESULT, NULL));
  iterate_for (f->ctx, 50);
  g_assert_cmpint (obs->n_complete, ==, 1);
  g_assert_cmpint (obs->n_interrupt, ==, 1);
}

static void
test_deadline_order (CoreFixture   *f,
                     gconstpointer  data)
{
  g_autoptr(GtaskSupTask) late = test_task_new (f, &test_kind);
  g_autoptr(GtaskSupTask) early = test_task_new (f, &test_kind);
  g_autoptr(GtaskSupTask) moved = test_task_new (f, &test_kind);
  Obs *ol = task_obs (late);
  Obs *oe = task_obs (early);
  Obs *om = task_obs (moved);
  gint64 t0, late_deadline, early_deadline, moved_deadline;
  gint64 bound;

  TEST_SUMMARY ();

  start_child (f, late);
  start_child (f, early);
  start_child (f, moved);

  t0 = g_get_monotonic_time ();
  late_deadline = t0 + 600 * G_TIME_SPAN_MILLISECOND;
  early_deadline = t0 + 50 * G_TIME_SPAN_MILLISECOND;
  moved_deadline = t0 + 150 * G_TIME_SPAN_MILLISECOND;

  /* A later deadline first; then an earlier one, which must wake the
   * timer sooner; then one armed early and moved later. */
  arm (f, late, late_deadline);
  arm (f, early, early_deadline);
  /* Moved under one hold of the mutex: the timer cannot act in between. */
  g_mutex_lock (&f->core->mutex);
  _gtask_sup_core_arm_locked (f->core, moved, t0 + 20 * G_TIME_SPAN_MILLISECOND);
  _gtask_sup_core_arm_locked (f->core, moved, moved_deadline);
  g_assert_cmpint (_gtask_sup_core_get_deadline_locked (f->core, moved), ==, moved_deadline);
  g_mutex_unlock (&f->core->mutex);

  bound = late_deadline + test_upper_ms (TEST_SLACK_MS) * G_TIME_SPAN_MILLISECOND;
  g_assert_true (wait_without_iterating (f, obs_interrupted_cb, ol, bound));

  g_mutex_lock (&f->mutex);
  g_assert_cmpint (oe->n_interrupt, ==, 1);
  g_assert_cmpint (om->n_interrupt, ==, 1);
  g_assert_cmpint (ol->n_interrupt, ==, 1);
  g_assert_cmpint (oe->interrupt_us, >=, early_deadline);
  g_assert_cmpint (om->interrupt_us, >=, moved_deadline);
  g_assert_cmpint (ol->interrupt_us, >=, late_deadline);
  g_assert_cmpint (oe->interrupt_us, <=, om->interrupt_us);
  g_assert_cmpint (om->interrupt_us, <=, ol->interrupt_us);
  /* The earlier deadlines did not wait for the later one (550 ms of
   * slack; under valgrind, no bound). */
  if (!test_is_slow ())
    g_assert_cmpint (om->interrupt_us, <, late_deadline);
  g_mutex_unlock (&f->mutex);

  g_assert_cmpuint (f->n_complete, ==, 0);

  _gtask_sup_core_work_done (f->core, late);
  _gtask_sup_core_work_done (f->core, early);
  _gtask_sup_core_work_done (f->core, moved);

  iterate_until (f->ctx, obs_completed_cb, ol, TEST_WAIT_MS);
  iterate_until (f->ctx, obs_completed_cb, oe, TEST_WAIT_MS);
  iterate_until (f->ctx, obs_completed_cb, om, TEST_WAIT_MS);
  g_assert_cmpint (ol->complete_state, ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
  g_assert_cmpint (oe->complete_state, ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
  g_assert_cmpint (om->complete_state, ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
}

/* -------------------------------------------------------------------------- */
/* Kill and silence                                                           */
/* -------------------------------------------------------------------------- */

static gboolean
idle_ran_cb (gpointer data)
{
  return ((CoreFixture *)data)->n_idle > 0;
}

static gpointer
work_done_thread (gpointer data)
{
  WorkEnd *end = data;

  _gtask_sup_core_work_done (end->f->core, end->task);

  return NULL;
}

static gboolean
never_cb (gpointer data)
{
  return FALSE;
}

static void
test_kill_silences (CoreFixture   *f,
                    gconstpointer  data)
{
  GtaskSupTask *running = test_task_new (f, &test_kind);
  GtaskSupTask *decided = test_task_new (f, &test_kind);
  GtaskSupTask *on_owner = test_task_new (f, &test_kind_on_owner);
  GtaskSupTask *queued = test_task_new (f, &test_kind);
  GtaskSupTask *abandoned = test_task_new (f, &test_kind);
  Obs *o_abandoned = task_obs (abandoned);
  Obs *o_running = task_obs (running);
  Obs *o_decided = task_obs (decided);
  Obs *o_on_owner = task_obs (on_owner);
  Obs *o_queued = task_obs (queued);
  guint n_complete, n_notify, n_idle;
  WorkEnd end_running = { f, running, GTASK_SUP_OUTCOME_NONE };
  WorkEnd end_decided = { f, decided, GTASK_SUP_OUTCOME_NONE };
  WorkEnd end_abandoned = { f, abandoned, GTASK_SUP_OUTCOME_NONE };
  gint64 deadline;

  TEST_SUMMARY ();

  _gtask_sup_core_set_max_concurrency (f->core, 4);
  start_child (f, abandoned);
  start_child (f, running);
  start_child (f, decided);

  /* Reported (timed out) while its work goes on: it lingers. */
  g_assert_true (_gtask_sup_core_decide (f->core, abandoned, GTASK_SUP_OUTCOME_TIMED_OUT, NULL));
  iterate_until (f->ctx, obs_completed_cb, o_abandoned, TEST_WAIT_MS);
  g_assert_false (o_abandoned->complete_last);
  g_assert_cmpint (o_abandoned->n_interrupt, ==, 0);
  iterate_until (f->ctx, idle_ran_cb, f, TEST_WAIT_MS);
  g_assert_cmpuint (f->n_notify, >, 0);

  /* Waiting for the next dispatch: */
  start_child (f, on_owner);   /* its start, */
  start_child (f, queued);     /* (no slot left) */
  deadline = g_get_monotonic_time () + 50 * G_TIME_SPAN_MILLISECOND;
  arm (f, queued, deadline);   /* a deadline, */
  g_assert_true (_gtask_sup_core_decide (f->core, decided,      /* an outcome, */
                                         GTASK_SUP_OUTCOME_RESULT, NULL));
  g_assert_cmpint (o_on_owner->n_start, ==, 0);
  assert_counts (f->core, 4, 4, 1);

  n_complete = f->n_complete;
  n_notify = f->n_notify;
  n_idle = f->n_idle;

  kill_core (f);

  /* Undecided tasks are silenced, a decided one keeps its outcome, and
   * the live tasks are not counted any more (the lingering work, which
   * was no child any more, is counted until it returns). */
  g_assert_cmpuint (g_atomic_int_get (&running->outcome), ==, GTASK_SUP_OUTCOME_SILENCED);
  g_assert_cmpuint (g_atomic_int_get (&on_owner->outcome), ==, GTASK_SUP_OUTCOME_SILENCED);
  g_assert_cmpuint (g_atomic_int_get (&queued->outcome), ==, GTASK_SUP_OUTCOME_SILENCED);
  g_assert_cmpuint (g_atomic_int_get (&decided->outcome), ==, GTASK_SUP_OUTCOME_RESULT);
  g_assert_false (_gtask_sup_core_decide (f->core, running, GTASK_SUP_OUTCOME_RESULT, NULL));
  assert_counts (f->core, 1, 1, 0);

  /* Every live task heard of it, once, with the mutex released. */
  g_mutex_lock (&f->mutex);
  g_assert_cmpint (o_running->n_interrupt, ==, 1);
  g_assert_cmpuint (o_running->interrupt_outcome, ==, GTASK_SUP_OUTCOME_SILENCED);
  g_assert_cmpint (o_queued->n_interrupt, ==, 1);
  /* Work reported long ago but still running must be stopped too. */
  g_assert_cmpint (o_abandoned->n_interrupt, ==, 1);
  g_assert_cmpuint (o_abandoned->interrupt_outcome, ==, GTASK_SUP_OUTCOME_SILENCED);
  g_mutex_unlock (&f->mutex);

  /* The tasks that never ran, and the one whose outcome was waiting, have
   * no holder left but the test. */
  g_object_unref (queued);
  g_object_unref (on_owner);
  g_assert_cmpint (o_queued->n_finalize, ==, 1);
  g_assert_cmpint (o_on_owner->n_finalize, ==, 1);

  /* The queued task's deadline passes: nothing acts on it any more. */
  g_assert_false (wait_without_iterating (f, never_cb, NULL,
                                          deadline + 100 * G_TIME_SPAN_MILLISECOND));

  /* Running work ends later, on a worker: nothing is reported, the last
   * reference goes there and then (the owner context is not needed). */
  g_object_unref (running);
  g_object_unref (decided);
  g_object_unref (abandoned);
  run_on_thread (work_done_thread, &end_running);
  run_on_thread (work_done_thread, &end_decided);
  run_on_thread (work_done_thread, &end_abandoned);
  g_assert_cmpint (o_running->n_finalize, ==, 1);
  g_assert_cmpint (o_decided->n_finalize, ==, 1);
  g_assert_cmpint (o_abandoned->n_finalize, ==, 1);
  g_assert_true (o_running->finalize_thread != f->thread);
  assert_counts (f->core, 0, 0, 0);

  /* No hook runs afterwards. */
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->n_complete, ==, n_complete);
  g_assert_cmpuint (f->n_notify, ==, n_notify);
  g_assert_cmpuint (f->n_idle, ==, n_idle);
  g_assert_cmpint (o_on_owner->n_start, ==, 0);
  g_assert_cmpint (o_queued->n_start, ==, 0);
  g_assert_cmpint (o_decided->n_complete, ==, 0);
  g_mutex_lock (&f->mutex);
  g_assert_cmpint (o_running->n_interrupt, ==, 1);
  g_assert_cmpint (o_queued->n_interrupt, ==, 1);
  g_assert_cmpuint (o_queued->interrupt_outcome, ==, GTASK_SUP_OUTCOME_SILENCED);
  g_mutex_unlock (&f->mutex);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  CORE_TEST_ADD ("/GtaskSup/Core/decide-once", test_decide_once,
                 "Many threads race to decide one task's outcome: exactly one wins, its "
                 "outcome and error are the task's, and the complete hook runs once per task");
  CORE_TEST_ADD ("/GtaskSup/Core/holders/work-after-outcome", test_holders_work_after_outcome,
                 "Work that ends after its outcome keeps the task (and its slot); the task "
                 "is then finalized once, on the owner context's thread, not the worker's");
  CORE_TEST_ADD ("/GtaskSup/Core/holders/work-before-outcome", test_holders_work_before_outcome,
                 "Work that ends before its outcome is reported leaves the supervisor's share "
                 "last: the complete hook frees the task, on the owner context");
  CORE_TEST_ADD ("/GtaskSup/Core/holders/race", test_holders_race,
                 "The end of the work racing the owner's dispatch frees each task exactly "
                 "once, on the owner context's thread, and starts it once");
  CORE_TEST_ADD ("/GtaskSup/Core/queue-fifo", test_queue_fifo,
                 "max-concurrency bounds the slots; queued tasks start in FIFO order, at once "
                 "when work_done() frees a slot or the limit grows; a cancelled one never starts");
  CORE_TEST_ADD ("/GtaskSup/Core/slot-until-work-done", test_slot_until_work_done,
                 "A kind that is not ENDS_AT_OUTCOME keeps its slot after its outcome, "
                 "until work_done(), which starts the next task on its own thread");
  CORE_TEST_ADD ("/GtaskSup/Core/ends-at-outcome", test_ends_at_outcome,
                 "A kind flagged ENDS_AT_OUTCOME frees its slot when its outcome becomes "
                 "final, and never in work_done()");
  CORE_TEST_ADD ("/GtaskSup/Core/cancellable-when", test_cancellable_when,
                 "A task handed a cancellable gets it at start() in a group with a limit "
                 "(a stream's items) on a supervisor without one, and only when it runs "
                 "otherwise: queued tasks do not pay for one");
  CORE_TEST_ADD ("/GtaskSup/Core/group", test_group,
                 "A group's limit holds within the core's: its tasks start in order, one "
                 "slot held until work_done(), a timeout counting from the slot, and the "
                 "group hears of each outcome on the owner context");
  CORE_TEST_ADD ("/GtaskSup/Core/deadline/service-thread", test_deadline_service_thread,
                 "A deadline expires on the service thread (cancellable cancelled, interrupt "
                 "with TIMED_OUT) while the owner context is not iterated; the complete hook "
                 "only comes once it is");
  CORE_TEST_ADD ("/GtaskSup/Core/deadline/order", test_deadline_order,
                 "Deadlines armed out of order, or moved, expire in deadline order and "
                 "never early");
  CORE_TEST_ADD ("/GtaskSup/Core/kill-silences", test_kill_silences,
                 "After kill and silence, no hook runs: pending outcomes, notifies, owner "
                 "starts and deadlines are dropped, and every task is freed once");

  return g_test_run ();
}
