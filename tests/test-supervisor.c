/* test-supervisor.c: GtaskSupSupervisor with thread tasks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-recorder.h"
#include "test-util.h"

/* Starts @p as a new task on @f, watching its notifies; returns the task (owned). */
static GtaskSupTask *
start_probe (Fixture *f,
             Probe   *p)
{
  GtaskSupTask *task = probe_task_new (p);

  recorder_watch (f->rec, task);
  fixture_start (f, task);
  return task;
}

static GtaskSupTask *
probe_run_in_thread (GtaskSupSupervisor  *sup,
                     Probe               *p,
                     GError             **error)
{
  g_atomic_int_inc (&test_probes_held);
  return gtask_sup_supervisor_run_in_thread (sup, probe_thread_func,
                                             g_atomic_rc_box_acquire (p),
                                             probe_task_destroy, error);
}

static void
test_properties (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GObject) owner = NULL;
  g_autoptr(GObject) owner_prop = NULL;
  g_autoptr(GMainContext) ctx_prop = NULL;
  g_autoptr(GtaskSupSupervisor) orphan = NULL;
  guint max_children = 99, max_concurrency = 99, n_running = 99, n_queued = 99;
  gboolean closed = TRUE;
  guint n_notify;

  TEST_SUMMARY ();

  owner = gtask_sup_supervisor_dup_owner (f->sup);
  g_assert_true (owner == f->owner);
  g_assert_true (gtask_sup_supervisor_get_main_context (f->sup) == f->ctx);
  g_assert_cmpuint (gtask_sup_supervisor_get_max_children (f->sup), ==, 0);
  g_assert_cmpuint (gtask_sup_supervisor_get_max_concurrency (f->sup), ==, 0);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_running (f->sup), ==, 0);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_queued (f->sup), ==, 0);
  g_assert_false (gtask_sup_supervisor_get_closed (f->sup));
  g_assert_nonnull (gtask_sup_supervisor_get_children (f->sup));
  g_assert_true (gtask_sup_supervisor_get_children (f->sup) ==
                 gtask_sup_supervisor_get_children (f->sup));
  g_assert_true (g_list_model_get_item_type (gtask_sup_supervisor_get_children (f->sup)) ==
                 GTASK_SUP_TYPE_TASK);
  g_assert_cmpuint (g_list_model_get_n_items (gtask_sup_supervisor_get_children (f->sup)), ==, 0);

  g_object_get (f->sup,
                "owner", &owner_prop,
                "main-context", &ctx_prop,
                "max-children", &max_children,
                "max-concurrency", &max_concurrency,
                "n-running", &n_running,
                "n-queued", &n_queued,
                "closed", &closed,
                NULL);
  g_assert_true (owner_prop == f->owner);
  g_assert_true (ctx_prop == f->ctx);
  g_assert_cmpuint (max_children, ==, 0);
  g_assert_cmpuint (max_concurrency, ==, 0);
  g_assert_cmpuint (n_running, ==, 0);
  g_assert_cmpuint (n_queued, ==, 0);
  g_assert_false (closed);

  /* Writable properties notify on real changes only. */
  n_notify = f->rec->n_sup_notify;
  gtask_sup_supervisor_set_max_children (f->sup, 4);
  g_assert_cmpuint (f->rec->n_sup_notify, ==, n_notify + 1);
  gtask_sup_supervisor_set_max_children (f->sup, 4);
  g_assert_cmpuint (f->rec->n_sup_notify, ==, n_notify + 1);
  g_assert_cmpuint (gtask_sup_supervisor_get_max_children (f->sup), ==, 4);
  gtask_sup_supervisor_set_max_concurrency (f->sup, 2);
  g_assert_cmpuint (f->rec->n_sup_notify, ==, n_notify + 2);
  gtask_sup_supervisor_set_max_concurrency (f->sup, 2);
  g_assert_cmpuint (f->rec->n_sup_notify, ==, n_notify + 2);
  g_assert_cmpuint (gtask_sup_supervisor_get_max_concurrency (f->sup), ==, 2);
  g_object_set (f->sup, "max-children", 0, "max-concurrency", 0, NULL);
  g_assert_cmpuint (f->rec->n_sup_notify, ==, n_notify + 4);
  g_assert_cmpuint (gtask_sup_supervisor_get_max_children (f->sup), ==, 0);
  g_assert_cmpuint (gtask_sup_supervisor_get_max_concurrency (f->sup), ==, 0);

  /* No owner at all is fine. */
  orphan = gtask_sup_supervisor_new (NULL);
  g_assert_null (gtask_sup_supervisor_dup_owner (orphan));
  g_assert_true (gtask_sup_supervisor_get_main_context (orphan) == f->ctx);
  g_assert_false (gtask_sup_supervisor_get_closed (orphan));
}

static void
test_main_context_override (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GMainContext) ctx2 = g_main_context_new ();
  g_autoptr(GtaskSupSupervisor) sup2 = NULL;
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 5);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Recorder *rec2;

  TEST_SUMMARY ();

  sup2 = g_object_new (GTASK_SUP_TYPE_SUPERVISOR,
                       "owner", f->owner,
                       "main-context", ctx2,
                       NULL);
  g_assert_true (gtask_sup_supervisor_get_main_context (sup2) == ctx2);
  rec2 = recorder_new (sup2, ctx2);

  task = probe_task_new (p);
  rec2->in_call = TRUE;
  g_assert_true (gtask_sup_supervisor_start (sup2, task, &error));
  rec2->in_call = FALSE;
  g_assert_no_error (error);

  /* Nothing arrives on the thread-default context (the work itself may only
   * be handed to a worker by the owner context: that is ctx2 here)... */
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (rec2->n_outcomes, ==, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  wait_outcome (ctx2, rec2, task);
  assert_outcome (rec2, task, OUTCOME_SUCCEEDED, 0, 0);
  recorder_assert_clean (rec2);

  recorder_free (rec2);
  g_clear_object (&sup2);
  g_clear_object (&task);
  iterate_until_int_eq (ctx2, &test_probes_held, 0, TEST_WAIT_MS);
}

static void
test_owner_context (Fixture       *f,
                    gconstpointer  data)
{
  enum { N = 12 };
  GtaskSupTask *tasks[N];
  Probe *probes[N];
  guint i;

  TEST_SUMMARY ();

  for (i = 0; i < N; i++)
    {
      static const ProbeResult results[] = {
        PROBE_RESULT_INT, PROBE_RESULT_ERROR, PROBE_RESULT_NONE, PROBE_RESULT_BOOLEAN,
      };
      probes[i] = probe_new (results[i % G_N_ELEMENTS (results)], i);
      if (i % 2 == 0)
        {
          tasks[i] = start_probe (f, probes[i]);
        }
      else
        {
          g_autoptr(GError) error = NULL;

          f->rec->in_call = TRUE;
          tasks[i] = probe_run_in_thread (f->sup, probes[i], &error);
          f->rec->in_call = FALSE;
          g_assert_no_error (error);
          g_assert_nonnull (tasks[i]);
          g_object_ref (tasks[i]);
        }
    }

  wait_n_outcomes (f->ctx, f->rec, N, TEST_WAIT_MS);

  for (i = 0; i < N; i++)
    {
      /* the work ran on a worker, the outcome on the owner context */
      g_assert_cmpint (probes[i]->n_runs, ==, 1);
      g_assert_true (probes[i]->thread != g_thread_self ());
      g_assert_cmpuint (recorder_count (f->rec, tasks[i]), ==, 1);
      g_object_unref (tasks[i]);
      probe_unref (probes[i]);
    }
  /* recorder_check asserted (in teardown) thread, is_owner and current source */
}

/* The owner context lives on a secondary thread running a GMainLoop. */
typedef struct
{
  guint     n_tasks;
  GThread  *thread;
  gboolean  loop_timed_out;
  guint     n_outcomes;
  guint     n_duplicates;
  int       n_wrong_context;
  int       n_sync;
  int       n_wrong_state;
  int       n_off_thread_runs;
  gboolean  start_failed;
  GMainLoop *loop;
  Recorder  *rec;
} OwnerThread;

static gboolean
owner_thread_check_cb (gpointer user_data)
{
  OwnerThread *ot = user_data;

  if (ot->rec->n_outcomes >= ot->n_tasks)
    g_main_loop_quit (ot->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
owner_thread_guard_cb (gpointer user_data)
{
  OwnerThread *ot = user_data;

  ot->loop_timed_out = TRUE;
  g_main_loop_quit (ot->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
owner_thread_func (gpointer user_data)
{
  OwnerThread *ot = user_data;
  GMainContext *ctx = g_main_context_new ();
  GObject *owner;
  GtaskSupSupervisor *sup;
  GPtrArray *tasks = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *probes = g_ptr_array_new_with_free_func ((GDestroyNotify) probe_unref);
  GSource *check, *guard;
  guint i;

  g_main_context_push_thread_default (ctx);
  ot->thread = g_thread_self ();
  owner = g_object_new (G_TYPE_OBJECT, NULL);
  sup = gtask_sup_supervisor_new (owner);
  gtask_sup_supervisor_set_max_concurrency (sup, 3);
  ot->rec = recorder_new (sup, ctx);
  ot->loop = g_main_loop_new (ctx, FALSE);

  for (i = 0; i < ot->n_tasks; i++)
    {
      Probe *p = probe_new (i % 3 == 0 ? PROBE_RESULT_ERROR : PROBE_RESULT_INT, i);
      GtaskSupTask *task = probe_task_new (p);
      GError *error = NULL;

      recorder_watch (ot->rec, task);
      ot->rec->in_call = TRUE;
      if (!gtask_sup_supervisor_start (sup, task, &error))
        ot->start_failed = TRUE;
      ot->rec->in_call = FALSE;
      g_clear_error (&error);
      g_ptr_array_add (tasks, task);
      g_ptr_array_add (probes, p);
    }

  check = g_timeout_source_new (5);
  g_source_set_callback (check, owner_thread_check_cb, ot, NULL);
  g_source_attach (check, ctx);
  guard = g_timeout_source_new ((guint) test_upper_ms (TEST_WAIT_MS));
  g_source_set_callback (guard, owner_thread_guard_cb, ot, NULL);
  g_source_attach (guard, ctx);

  g_main_loop_run (ot->loop);

  g_source_destroy (check);
  g_source_unref (check);
  g_source_destroy (guard);
  g_source_unref (guard);

  ot->n_outcomes = ot->rec->n_outcomes;
  ot->n_duplicates = g_atomic_int_get (&ot->rec->n_duplicate);
  ot->n_wrong_context = g_atomic_int_get (&ot->rec->n_wrong_context);
  ot->n_sync = g_atomic_int_get (&ot->rec->n_sync);
  ot->n_wrong_state = g_atomic_int_get (&ot->rec->n_wrong_state);
  for (i = 0; i < probes->len; i++)
    {
      Probe *p = g_ptr_array_index (probes, i);
      if (p->thread == ot->thread || p->n_runs != 1)
        ot->n_off_thread_runs++;
    }

  recorder_free (ot->rec);
  ot->rec = NULL;
  g_object_unref (sup);
  g_object_unref (owner);
  g_ptr_array_unref (tasks);
  g_ptr_array_unref (probes);

  /* let pending sources of this context release their task references */
  {
    TestIntCond c = { &test_probes_held, 0 };
    test_iterate_until_impl (ctx, test_int_eq_cb, &c, test_upper_ms (TEST_WAIT_MS));
  }

  g_main_loop_unref (ot->loop);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
  return NULL;
}

static void
test_owner_context_thread (Fixture       *f,
                           gconstpointer  data)
{
  OwnerThread ot = { 0, };
  GThread *thread;

  TEST_SUMMARY ();

  ot.n_tasks = 10;
  thread = g_thread_new ("owner-thread", owner_thread_func, &ot);
  g_thread_join (thread);

  g_assert_false (ot.start_failed);
  g_assert_false (ot.loop_timed_out);
  g_assert_cmpuint (ot.n_outcomes, ==, ot.n_tasks);
  g_assert_cmpuint (ot.n_duplicates, ==, 0);
  g_assert_cmpint (ot.n_wrong_context, ==, 0);
  g_assert_cmpint (ot.n_sync, ==, 0);
  g_assert_cmpint (ot.n_wrong_state, ==, 0);
  g_assert_cmpint (ot.n_off_thread_runs, ==, 0);

  /* and nothing was delivered to this thread's context */
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
}

static void
test_never_synchronous (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Probe) pa = probe_new_blocking (TRUE);
  g_autoptr(Probe) pb = probe_new (PROBE_RESULT_INT, 2);
  g_autoptr(Probe) pc = probe_new (PROBE_RESULT_INT, 3);
  g_autoptr(Probe) pd = probe_new (PROBE_RESULT_INT, 4);
  g_autoptr(GtaskSupTask) a = NULL;
  g_autoptr(GtaskSupTask) b = NULL;
  g_autoptr(GtaskSupTask) c = NULL;
  g_autoptr(GtaskSupTask) d = NULL;
  g_autoptr(GPtrArray) quick = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) quick_probes = g_ptr_array_new_with_free_func ((GDestroyNotify) probe_unref);
  guint n_quick = 20;
  guint i;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);

  /* a running, b/c/d queued behind it */
  a = start_probe (f, pa);
  b = start_probe (f, pb);
  c = start_probe (f, pc);
  d = start_probe (f, pd);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  /* cancel and shut down queued tasks: their outcome comes later */
  f->rec->in_call = TRUE;
  gtask_sup_task_cancel (c);
  f->rec->in_call = FALSE;
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (d, 0);
  f->rec->in_call = FALSE;
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  /* cancel the running one once it runs */
  iterate_until_int_eq (f->ctx, &pa->n_runs, 1, TEST_WAIT_MS);
  f->rec->in_call = TRUE;
  gtask_sup_task_cancel (a);
  f->rec->in_call = FALSE;

  wait_n_outcomes (f->ctx, f->rec, 4, TEST_WAIT_MS);
  assert_outcome (f->rec, a, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, b, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, c, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (recorder_count (f->rec, d), ==, 1);
  g_assert_cmpint (recorder_get (f->rec, d)->kind, ==, OUTCOME_FAILED);
  g_assert_cmpint (pc->n_runs, ==, 0);
  g_assert_cmpint (pd->n_runs, ==, 0);

  /* tasks that complete at once, unlimited concurrency */
  gtask_sup_supervisor_set_max_concurrency (f->sup, 0);
  for (i = 0; i < n_quick; i++)
    {
      Probe *p = probe_new (i % 2 ? PROBE_RESULT_INT : PROBE_RESULT_NONE, i);
      guint before = f->rec->n_outcomes;

      g_ptr_array_add (quick_probes, p);
      if (i % 4 == 3)
        {
          g_autoptr(GError) error = NULL;
          GtaskSupTask *t;

          f->rec->in_call = TRUE;
          t = probe_run_in_thread (f->sup, p, &error);
          f->rec->in_call = FALSE;
          g_assert_no_error (error);
          g_ptr_array_add (quick, g_object_ref (t));
        }
      else
        g_ptr_array_add (quick, start_probe (f, p));
      g_assert_cmpuint (f->rec->n_outcomes, ==, before);
    }
  wait_n_outcomes (f->ctx, f->rec, 4 + n_quick, TEST_WAIT_MS);

  /* cancel and shutdown of finished tasks: nothing at all */
  for (i = 0; i < quick->len; i++)
    {
      f->rec->in_call = TRUE;
      gtask_sup_task_cancel (g_ptr_array_index (quick, i));
      gtask_sup_task_shutdown (g_ptr_array_index (quick, i), 0);
      f->rec->in_call = FALSE;
    }
  f->rec->in_call = TRUE;
  gtask_sup_task_cancel (b);
  gtask_sup_task_shutdown (a, 0);
  f->rec->in_call = FALSE;
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 4 + n_quick);
  for (i = 0; i < quick->len; i++)
    g_assert_cmpuint (recorder_count (f->rec, g_ptr_array_index (quick, i)), ==, 1);
  assert_outcome (f->rec, b, OUTCOME_SUCCEEDED, 0, 0);
}

static void
test_owner_finalized (Fixture       *f,
                      gconstpointer  data)
{
  enum { N_RUNNING = 2, N_QUEUED = 3 };
  ProbeShared shared = { 0, };
  GtaskSupTask *running[N_RUNNING];
  GtaskSupTask *queued[N_QUEUED];
  Probe *running_p[N_RUNNING];
  Probe *queued_p[N_QUEUED];
  g_autoptr(GtaskSupTask) late = NULL;
  g_autoptr(GError) error = NULL;
  GObject *weak_owner;
  guint i;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, N_RUNNING);

  for (i = 0; i < N_RUNNING; i++)
    {
      running_p[i] = probe_new_blocking (TRUE);
      running_p[i]->shared = &shared;
      running[i] = start_probe (f, running_p[i]);
    }
  for (i = 0; i < N_QUEUED; i++)
    {
      queued_p[i] = probe_new (PROBE_RESULT_INT, i);
      queued[i] = start_probe (f, queued_p[i]);
    }

  iterate_until_int_eq (f->ctx, &shared.started, N_RUNNING, TEST_WAIT_MS);

  /* Tasks hold no strong reference on the owner: this unref finalizes it. */
  weak_owner = f->owner;
  g_object_add_weak_pointer (weak_owner, (gpointer *) &weak_owner);
  f->rec->closed = TRUE;
  g_clear_object (&f->owner);
  g_assert_null (weak_owner);

  /* Running tasks are cancelled at once... */
  for (i = 0; i < N_RUNNING; i++)
    g_assert_true (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (running[i])));
  g_assert_true (gtask_sup_supervisor_get_closed (f->sup));

  for (i = 0; i < N_RUNNING; i++)
    iterate_until_int_eq (f->ctx, &running_p[i]->n_returns, 1, TEST_WAIT_MS);
  for (i = 0; i < N_RUNNING; i++)
    g_assert_cmpint (running_p[i]->saw_cancel, ==, 1);

  /* ...nothing is emitted any more, and queued work never runs. */
  iterate_for (f->ctx, 200);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  for (i = 0; i < N_QUEUED; i++)
    g_assert_cmpint (queued_p[i]->n_runs, ==, 0);
  g_assert_cmpint (shared.started, ==, N_RUNNING);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_running (f->sup), ==, 0);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_queued (f->sup), ==, 0);

  /* A closed supervisor rejects new work at once. */
  {
    g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 0);

    late = probe_task_new (p);
    g_assert_false (gtask_sup_supervisor_start (f->sup, late, &error));
    g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
    g_clear_error (&error);
    g_assert_null (probe_run_in_thread (f->sup, p, &error));
    g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
    iterate_for (f->ctx, 50);
    g_assert_cmpint (p->n_runs, ==, 0);
  }

  for (i = 0; i < N_RUNNING; i++)
    {
      g_object_unref (running[i]);
      probe_unref (running_p[i]);
    }
  for (i = 0; i < N_QUEUED; i++)
    {
      g_object_unref (queued[i]);
      probe_unref (queued_p[i]);
    }
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  /* teardown: every task's destroy notify runs (no leak), still no signal */
}

static gboolean
weak_null_cb (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
test_supervisor_disposed (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Probe) pa = probe_new_blocking (TRUE);
  g_autoptr(Probe) pb = probe_new (PROBE_RESULT_INT, 2);
  g_autoptr(GtaskSupTask) a = NULL;
  g_autoptr(GtaskSupTask) b = NULL;
  gpointer weak_sup;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  a = start_probe (f, pa);
  b = start_probe (f, pb);
  iterate_until_int_eq (f->ctx, &pa->n_runs, 1, TEST_WAIT_MS);

  weak_sup = f->sup;
  g_object_add_weak_pointer (weak_sup, &weak_sup);
  f->rec->closed = TRUE;
  g_clear_object (&f->sup);

  /* Dropping the last reference disposes the supervisor (its tasks do not
   * keep it alive) and cancels everything; nothing is emitted after. */
  iterate_until (f->ctx, weak_null_cb, &weak_sup, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &pa->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (pa->saw_cancel, ==, 1);
  iterate_for (f->ctx, 200);
  g_assert_cmpint (pb->n_runs, ==, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_nonnull (f->owner);
}

static gboolean
n_items_is_cb (gpointer data)
{
  Fixture *f = ((gpointer *) data)[0];
  guint n = GPOINTER_TO_UINT (((gpointer *) data)[1]);

  return g_list_model_get_n_items (gtask_sup_supervisor_get_children (f->sup)) == n;
}

#define iterate_until_n_items(f, n) \
  G_STMT_START { \
    gpointer d_[2] = { (f), GUINT_TO_POINTER (n) }; \
    iterate_until ((f)->ctx, n_items_is_cb, d_, TEST_WAIT_MS); \
  } G_STMT_END

typedef struct
{
  Fixture *f;
  guint    n_running;
  guint    n_queued;
} CountsCond;

static gboolean
counts_are_cb (gpointer data)
{
  CountsCond *c = data;

  return gtask_sup_supervisor_get_n_running (c->f->sup) == c->n_running &&
         gtask_sup_supervisor_get_n_queued (c->f->sup) == c->n_queued;
}

#define iterate_until_counts(fx, running, queued) \
  G_STMT_START { \
    CountsCond cc_ = { (fx), (running), (queued) }; \
    iterate_until ((fx)->ctx, counts_are_cb, &cc_, TEST_WAIT_MS); \
  } G_STMT_END

static void
test_max_children (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Probe) pa = probe_new_blocking (TRUE);
  g_autoptr(Probe) pb = probe_new_blocking (TRUE);
  g_autoptr(Probe) pc = probe_new (PROBE_RESULT_INT, 3);
  g_autoptr(Probe) pd = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) a = NULL;
  g_autoptr(GtaskSupTask) b = NULL;
  g_autoptr(GtaskSupTask) c = NULL;
  g_autoptr(GtaskSupTask) d = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *children = gtask_sup_supervisor_get_children (f->sup);
  gboolean ok;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_children (f->sup, 2);
  a = start_probe (f, pa);
  b = start_probe (f, pb);
  iterate_until_n_items (f, 2);
  iterate_until_counts (f, 2, 0);

  /* At the limit: fails at once, nothing queued, nothing signalled. */
  c = probe_task_new (pc);
  recorder_watch (f->rec, c);
  f->rec->in_call = TRUE;
  ok = gtask_sup_supervisor_start (f->sup, c, &error);
  f->rec->in_call = FALSE;
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_MAX_CHILDREN);
  g_assert_false (ok);
  g_clear_error (&error);
  g_assert_cmpint (gtask_sup_task_get_state (c), ==, GTASK_SUP_TASK_STATE_NEW);

  f->rec->in_call = TRUE;
  g_assert_null (probe_run_in_thread (f->sup, pc, &error));
  f->rec->in_call = FALSE;
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_MAX_CHILDREN);
  g_clear_error (&error);

  iterate_for (f->ctx, 100);
  g_assert_cmpuint (g_list_model_get_n_items (children), ==, 2);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_running (f->sup), ==, 2);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_queued (f->sup), ==, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_null (recorder_get (f->rec, c));
  g_assert_cmpint (pc->n_runs, ==, 0);

  /* Once one finished, there is room again. */
  gtask_sup_task_cancel (a);
  wait_outcome (f->ctx, f->rec, a);
  assert_outcome (f->rec, a, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  d = start_probe (f, pd);

  f->rec->in_call = TRUE;
  ok = gtask_sup_supervisor_start (f->sup, c, &error);
  f->rec->in_call = FALSE;
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_MAX_CHILDREN);
  g_assert_false (ok);
  g_clear_error (&error);

  gtask_sup_task_cancel (b);
  gtask_sup_task_cancel (d);
  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);
  assert_outcome (f->rec, b, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, d, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_until_n_items (f, 0);
  g_assert_null (recorder_get (f->rec, c));
  g_assert_cmpint (pc->n_runs, ==, 0);
}

typedef struct
{
  GPtrArray *tasks;
  guint      n_running;
  guint      n_queued;
} StatesCond;

static gboolean
states_are_cb (gpointer data)
{
  StatesCond *c = data;
  guint running = 0, queued = 0;
  guint i;

  for (i = 0; i < c->tasks->len; i++)
    {
      GtaskSupTaskState state = gtask_sup_task_get_state (g_ptr_array_index (c->tasks, i));
      running += state == GTASK_SUP_TASK_STATE_RUNNING;
      queued += state == GTASK_SUP_TASK_STATE_QUEUED;
    }
  return running == c->n_running && queued == c->n_queued;
}

static void
test_max_concurrency (Fixture       *f,
                      gconstpointer  data)
{
  enum { N = 20, MAX = 3 };
  ProbeShared shared = { 0, };
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) probes = g_ptr_array_new_with_free_func ((GDestroyNotify) probe_unref);
  StatesCond sc;
  guint i;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, MAX);
  for (i = 0; i < N; i++)
    {
      Probe *p = probe_new (PROBE_RESULT_INT, i);

      p->shared = &shared;
      p->block = TRUE;
      g_ptr_array_add (probes, p);
      g_ptr_array_add (tasks, start_probe (f, p));
    }

  /* MAX functions run, the rest wait in QUEUED */
  iterate_until_int_eq (f->ctx, &shared.started, MAX, TEST_WAIT_MS);
  iterate_until_counts (f, MAX, N - MAX);
  sc.tasks = tasks;
  sc.n_running = MAX;
  sc.n_queued = N - MAX;
  iterate_until (f->ctx, states_are_cb, &sc, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpint (g_atomic_int_get (&shared.started), ==, MAX);
  g_assert_cmpint (g_atomic_int_get (&shared.current), ==, MAX);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  for (i = 0; i < N; i++)
    test_gate_open (&((Probe *) g_ptr_array_index (probes, i))->gate);

  wait_n_outcomes (f->ctx, f->rec, N, TEST_WAIT_MS);
  g_assert_cmpuint (f->rec->n_succeeded, ==, N);
  g_assert_cmpint (g_atomic_int_get (&shared.peak), ==, MAX);
  g_assert_cmpint (g_atomic_int_get (&shared.started), ==, N);
  iterate_until_counts (f, 0, 0);
  for (i = 0; i < N; i++)
    iterate_until_int_eq (f->ctx, &((Probe *) g_ptr_array_index (probes, i))->n_returns, 1,
                          TEST_WAIT_MS);
}

static void
test_fifo (Fixture       *f,
           gconstpointer  data)
{
  enum { N = 16 };
  ProbeShared shared = { 0, };
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) probes = g_ptr_array_new_with_free_func ((GDestroyNotify) probe_unref);
  guint i;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  for (i = 0; i < N; i++)
    {
      Probe *p = probe_new (PROBE_RESULT_INT, i);

      p->shared = &shared;
      g_ptr_array_add (probes, p);
      g_ptr_array_add (tasks, start_probe (f, p));
    }

  wait_n_outcomes (f->ctx, f->rec, N, TEST_WAIT_MS);
  g_assert_cmpint (shared.peak, ==, 1);
  for (i = 0; i < N; i++)
    {
      Probe *p = g_ptr_array_index (probes, i);
      Outcome *o = recorder_get (f->rec, g_ptr_array_index (tasks, i));

      iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
      g_assert_cmpint (p->order, ==, i);
      g_assert_nonnull (o);
      g_assert_cmpint (o->kind, ==, OUTCOME_SUCCEEDED);
    }
}

/* 32 functions that only finish once all 32 run at the same time. */
typedef struct
{
  GMutex mutex;
  GCond  cond;
  int    entered;
  int    returned;
  int    target;
} Rendezvous;

static void
rendezvous_func (GtaskSupTask *task,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  Rendezvous *r = user_data;
  gint64 deadline = g_get_monotonic_time () + test_upper_ms (TEST_WAIT_MS) * G_TIME_SPAN_MILLISECOND;
  gboolean all = TRUE;

  g_mutex_lock (&r->mutex);
  r->entered++;
  g_cond_broadcast (&r->cond);
  while (r->entered < r->target)
    {
      if (!g_cond_wait_until (&r->cond, &r->mutex, deadline) &&
          r->entered < r->target)
        {
          all = FALSE;
          break;
        }
    }
  g_mutex_unlock (&r->mutex);

  if (all)
    gtask_sup_task_return_boolean (task, TRUE);
  else
    gtask_sup_task_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                                    "starved: not all tasks ran at once"));
  g_atomic_int_inc (&r->returned);
}

static void
test_no_starvation (Fixture       *f,
                    gconstpointer  data)
{
  Rendezvous r;
  guint i;

  TEST_SUMMARY ();

  g_mutex_init (&r.mutex);
  g_cond_init (&r.cond);
  r.entered = 0;
  r.returned = 0;
  r.target = 32;

  for (i = 0; i < (guint) r.target; i++)
    {
      g_autoptr(GError) error = NULL;
      GtaskSupTask *task;

      f->rec->in_call = TRUE;
      task = gtask_sup_supervisor_run_in_thread (f->sup, rendezvous_func, &r, NULL, &error);
      f->rec->in_call = FALSE;
      g_assert_no_error (error);
      g_assert_nonnull (task);
    }

  wait_n_outcomes (f->ctx, f->rec, (guint) r.target, TEST_WAIT_MS * 2);
  iterate_until_int_eq (f->ctx, &r.returned, r.target, TEST_WAIT_MS);
  g_assert_cmpuint (f->rec->n_succeeded, ==, (guint) r.target);

  g_mutex_clear (&r.mutex);
  g_cond_clear (&r.cond);
}

static void
many_func (GtaskSupTask *task,
           GCancellable *cancellable,
           gpointer      user_data)
{
  guint i = GPOINTER_TO_UINT (user_data);

  switch (i % 3)
    {
    case 0:
      gtask_sup_task_return_int (task, i);
      break;
    case 1:
      gtask_sup_task_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "%u", i));
      break;
    default:
      break;
    }
}

static void
test_many_tasks (Fixture       *f,
                 gconstpointer  data)
{
  guint n = test_count (10000, 1000);
  guint n_ok = 0, n_err = 0, n_none = 0;
  GHashTableIter iter;
  gpointer value;
  guint i;

  TEST_SUMMARY ();

  for (i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      GtaskSupTask *task;

      task = gtask_sup_supervisor_run_in_thread (f->sup, many_func, GUINT_TO_POINTER (i),
                                                 NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (task);
    }

  wait_n_outcomes (f->ctx, f->rec, n, 120000);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_outcomes, ==, n);
  g_assert_cmpuint (g_hash_table_size (f->rec->outcomes), ==, n);

  g_hash_table_iter_init (&iter, f->rec->outcomes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Outcome *o = value;

      g_assert_cmpuint (o->count, ==, 1);
      if (o->kind == OUTCOME_SUCCEEDED)
        n_ok++;
      else if (o->kind == OUTCOME_FAILED && g_error_matches (o->error, G_IO_ERROR, G_IO_ERROR_FAILED))
        n_err++;
      else if (o->kind == OUTCOME_FAILED &&
               g_error_matches (o->error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NO_RESULT))
        n_none++;
      else
        g_assert_not_reached ();
    }
  g_assert_cmpuint (n_ok, ==, (n + 2) / 3);
  g_assert_cmpuint (n_err, ==, (n + 1) / 3);
  g_assert_cmpuint (n_none, ==, n / 3);

  iterate_until_n_items (f, 0);
  iterate_until_counts (f, 0, 0);
}

static gboolean
model_contains (GListModel   *model,
                GtaskSupTask *task)
{
  guint n = g_list_model_get_n_items (model);
  guint i;

  for (i = 0; i < n; i++)
    {
      g_autoptr(GtaskSupTask) item = g_list_model_get_item (model, i);
      if (item == task)
        return TRUE;
    }
  return FALSE;
}

static void
test_children_model (Fixture       *f,
                     gconstpointer  data)
{
  enum { N = 5 };
  GListModel *children = gtask_sup_supervisor_get_children (f->sup);
  GtaskSupTask *tasks[N];
  Probe *probes[N];
  static const guint finish_order[N] = { 2, 4, 0, 3, 1 };
  guint i;

  TEST_SUMMARY ();

  g_assert_true (g_list_model_get_item_type (children) == GTASK_SUP_TYPE_TASK);
  g_assert_cmpuint (g_list_model_get_n_items (children), ==, 0);

  for (i = 0; i < N; i++)
    {
      probes[i] = probe_new (PROBE_RESULT_INT, i);
      probes[i]->block = TRUE;
      tasks[i] = start_probe (f, probes[i]);
      /* the model changes on a later iteration, with items-changed */
      g_assert_cmpuint (g_list_model_get_n_items (children), ==, 0);
      g_assert_cmpuint (f->rec->n_items_changed, ==, 0);
    }

  iterate_until_n_items (f, N);
  g_assert_cmpuint (f->rec->n_items_changed, >, 0);
  for (i = 0; i < N; i++)
    g_assert_true (model_contains (children, tasks[i]));

  for (i = 0; i < N; i++)
    {
      guint k = finish_order[i];

      test_gate_open (&probes[k]->gate);
      wait_outcome (f->ctx, f->rec, tasks[k]);
      assert_outcome (f->rec, tasks[k], OUTCOME_SUCCEEDED, 0, 0);
      iterate_until_n_items (f, N - i - 1);
      g_assert_false (model_contains (children, tasks[k]));
    }

  for (i = 0; i < N; i++)
    {
      iterate_until_int_eq (f->ctx, &probes[i]->n_returns, 1, TEST_WAIT_MS);
      g_object_unref (tasks[i]);
      probe_unref (probes[i]);
    }
  /* the recorder's shadow copy agreed with every items-changed (teardown) */
  g_assert_cmpuint (f->rec->shadow->len, ==, 0);
}

static void
count_cb (GtaskSupSupervisor *sup,
          GtaskSupTask       *task,
          gpointer            user_data)
{
  (*(guint *) user_data)++;
}

static void
count_failed_cb (GtaskSupSupervisor *sup,
                 GtaskSupTask       *task,
                 const GError       *error,
                 gpointer            user_data)
{
  (*(guint *) user_data)++;
}

static void
test_detailed_signals (Fixture       *f,
                       gconstpointer  data)
{
  guint n_thumb_ok = 0, n_thumb_failed = 0, n_thumb_timed_out = 0, n_other_failed = 0;
  g_autoptr(Probe) p1 = probe_new (PROBE_RESULT_ERROR, 1);
  g_autoptr(Probe) p2 = probe_new (PROBE_RESULT_ERROR, 2);
  g_autoptr(Probe) p3 = probe_new (PROBE_RESULT_INT, 3);
  g_autoptr(Probe) p4 = probe_new (PROBE_RESULT_INT, 4);
  g_autoptr(Probe) p5 = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) t1 = probe_task_new (p1);
  g_autoptr(GtaskSupTask) t2 = probe_task_new (p2);
  g_autoptr(GtaskSupTask) t3 = probe_task_new (p3);
  g_autoptr(GtaskSupTask) t4 = probe_task_new (p4);
  g_autoptr(GtaskSupTask) t5 = probe_task_new (p5);

  TEST_SUMMARY ();

  g_signal_connect (f->sup, "succeeded::thumb", G_CALLBACK (count_cb), &n_thumb_ok);
  g_signal_connect (f->sup, "failed::thumb", G_CALLBACK (count_failed_cb), &n_thumb_failed);
  g_signal_connect (f->sup, "timed-out::thumb", G_CALLBACK (count_cb), &n_thumb_timed_out);
  g_signal_connect (f->sup, "failed::other", G_CALLBACK (count_failed_cb), &n_other_failed);

  gtask_sup_task_set_name (t1, "thumb");
  gtask_sup_task_set_name (t2, "other");
  gtask_sup_task_set_name (t3, "thumb");
  gtask_sup_task_set_name (t5, "thumb");
  gtask_sup_task_set_timeout (t5, 20);
  g_assert_cmpstr (gtask_sup_task_get_name (t1), ==, "thumb");
  g_assert_null (gtask_sup_task_get_name (t4));

  fixture_start (f, t1);
  fixture_start (f, t2);
  fixture_start (f, t3);
  fixture_start (f, t4);
  fixture_start (f, t5);
  wait_n_outcomes (f->ctx, f->rec, 5, TEST_WAIT_MS);

  g_assert_cmpuint (n_thumb_ok, ==, 1);
  g_assert_cmpuint (n_thumb_failed, ==, 1);
  g_assert_cmpuint (n_thumb_timed_out, ==, 1);
  g_assert_cmpuint (n_other_failed, ==, 1);
  g_assert_cmpuint (f->rec->n_succeeded, ==, 2);
  g_assert_cmpuint (f->rec->n_failed, ==, 2);
  g_assert_cmpuint (f->rec->n_timed_out, ==, 1);

  g_signal_handlers_disconnect_by_func (f->sup, count_cb, &n_thumb_ok);
  g_signal_handlers_disconnect_by_func (f->sup, count_cb, &n_thumb_timed_out);
  g_signal_handlers_disconnect_by_func (f->sup, count_failed_cb, &n_thumb_failed);
  g_signal_handlers_disconnect_by_func (f->sup, count_failed_cb, &n_other_failed);
}

static void
test_run_in_thread (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 77);
  g_autoptr(GtaskSupSupervisor) orphan = gtask_sup_supervisor_new (NULL);
  g_autoptr(GError) error = NULL;
  GtaskSupTask *task;
  GtaskSupTask *task2;
  Recorder *rec2;
  GtaskSupTaskState state;

  TEST_SUMMARY ();

  f->rec->in_call = TRUE;
  task = probe_run_in_thread (f->sup, p, &error);
  f->rec->in_call = FALSE;
  g_assert_no_error (error);
  g_assert_true (GTASK_SUP_IS_TASK (task));
  g_assert_cmpint (gtask_sup_task_get_kind (task), ==, GTASK_SUP_TASK_KIND_THREAD);
  state = gtask_sup_task_get_state (task);
  g_assert_true (state != GTASK_SUP_TASK_STATE_NEW);

  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (task)), ==, 77);

  /* a supervisor without owner works the same */
  rec2 = recorder_new (orphan, f->ctx);
  rec2->in_call = TRUE;
  task2 = probe_run_in_thread (orphan, p, &error);
  rec2->in_call = FALSE;
  g_assert_no_error (error);
  g_assert_nonnull (task2);
  wait_outcome (f->ctx, rec2, task2);
  assert_outcome (rec2, task2, OUTCOME_SUCCEEDED, 0, 0);
  recorder_assert_clean (rec2);
  recorder_free (rec2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Supervisor/properties", test_properties,
            "Default property values, getters, notify on real change, NULL owner");
  TEST_ADD ("/GtaskSup/Supervisor/main-context-override", test_main_context_override,
            "The main-context construct property chooses where signals are emitted");
  TEST_ADD ("/GtaskSup/Supervisor/owner-context", test_owner_context,
            "Functions run on workers; every signal is emitted on the owner context's thread "
            "while it dispatches a source of that context");
  TEST_ADD ("/GtaskSup/Supervisor/owner-context-thread", test_owner_context_thread,
            "An owner context that lives on a secondary thread running a GMainLoop receives "
            "every signal on that thread");
  TEST_ADD ("/GtaskSup/Supervisor/never-synchronous", test_never_synchronous,
            "No signal or notify is emitted inside start(), run_in_thread(), cancel() or "
            "shutdown(), even for tasks that complete at once or are still queued");
  TEST_ADD ("/GtaskSup/Supervisor/owner-finalized", test_owner_finalized,
            "Finalizing the owner cancels running tasks at once, queued ones never run, no "
            "signal follows, the supervisor is closed and every task is released");
  TEST_ADD ("/GtaskSup/Supervisor/disposed", test_supervisor_disposed,
            "Dropping the last reference on a supervisor cancels its tasks; nothing is emitted");
  TEST_ADD ("/GtaskSup/Supervisor/max-children", test_max_children,
            "At max-children start() fails at once with MAX_CHILDREN, nothing is signalled, and "
            "a start succeeds again once a child finished");
  TEST_ADD ("/GtaskSup/Supervisor/max-concurrency", test_max_concurrency,
            "With max-concurrency 3, exactly 3 functions run at once, the others are QUEUED; "
            "n-running and n-queued follow");
  TEST_ADD ("/GtaskSup/Supervisor/fifo", test_fifo,
            "With max-concurrency 1, queued functions run in start() order (FIFO)");
  TEST_ADD ("/GtaskSup/Supervisor/no-starvation", test_no_starvation,
            "32 tasks that only finish once all 32 run at the same time all succeed");
  TEST_ADD ("/GtaskSup/Supervisor/many-tasks", test_many_tasks,
            "10 000 tasks give exactly 10 000 outcomes, one per task");
  TEST_ADD ("/GtaskSup/Supervisor/children-model", test_children_model,
            "get_children() lists live tasks: added on a later iteration, removed after the "
            "outcome, items-changed consistent and never synchronous");
  TEST_ADD ("/GtaskSup/Supervisor/detailed-signals", test_detailed_signals,
            "Outcome signals are detailed by the task name");
  TEST_ADD ("/GtaskSup/Supervisor/run-in-thread", test_run_in_thread,
            "run_in_thread() starts a task (transfer none), also on an owner-less supervisor");

  return g_test_run ();
}
