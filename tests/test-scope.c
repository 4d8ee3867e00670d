/* test-scope.c: supervisors run as tasks of other supervisors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-recorder.h"
#include "test-util.h"

/* One sequence over the outcomes of both supervisors, to check their order. */
typedef struct
{
  guint seq;
  guint last_child_outcome;   /* seq of the child's last outcome */
  guint scope_outcome;        /* seq of the scope task's outcome in the parent */
  guint parent_stopped;       /* seq of the parent's ::stopped */
  guint child_outcomes;
} Order;

static void
child_outcome_cb (GtaskSupSupervisor *sup,
                  GtaskSupTask       *task,
                  gpointer            user_data)
{
  Order *order = user_data;

  order->last_child_outcome = ++order->seq;
  order->child_outcomes++;
}

static void
child_failed_cb (GtaskSupSupervisor *sup,
                 GtaskSupTask       *task,
                 const GError       *error,
                 gpointer            user_data)
{
  child_outcome_cb (sup, task, user_data);
}

static void
parent_outcome_cb (GtaskSupSupervisor *sup,
                   GtaskSupTask       *task,
                   gpointer            user_data)
{
  Order *order = user_data;

  if (gtask_sup_task_get_kind (task) == GTASK_SUP_TASK_KIND_SUPERVISOR)
    order->scope_outcome = ++order->seq;
}

static void
parent_stopped_cb (GtaskSupSupervisor *sup,
                   const GError       *reason,
                   gpointer            user_data)
{
  Order *order = user_data;

  order->parent_stopped = ++order->seq;
}

static void
watch_child (GtaskSupSupervisor *child,
             Order              *order)
{
  g_signal_connect (child, "succeeded", G_CALLBACK (child_outcome_cb), order);
  g_signal_connect (child, "failed", G_CALLBACK (child_failed_cb), order);
  g_signal_connect (child, "timed-out", G_CALLBACK (child_outcome_cb), order);
}

/* A child supervisor of @parent, watched in @order, running the blocking
 * task of @p (returned in @task) once this returns. */
static GtaskSupSupervisor *
child_running (Fixture             *f,
               GtaskSupSupervisor  *parent,
               Probe               *p,
               Order               *order,
               GtaskSupTask       **task)
{
  GtaskSupSupervisor *child = gtask_sup_supervisor_new_child (parent, NULL);

  watch_child (child, order);
  *task = test_track_task (probe_task_new (p));
  g_assert_true (gtask_sup_supervisor_start (child, *task, NULL));
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);

  return child;
}

static GtaskSupTask *
scope_task_of (Fixture *f)
{
  GListModel *children = gtask_sup_supervisor_get_children (f->sup);

  for (guint i = 0; i < g_list_model_get_n_items (children); i++)
    {
      g_autoptr(GtaskSupTask) task = g_list_model_get_item (children, i);

      if (gtask_sup_task_get_kind (task) == GTASK_SUP_TASK_KIND_SUPERVISOR)
        return task;
    }

  return NULL;
}

static gboolean
has_scope_task_cb (gpointer data)
{
  return scope_task_of (data) != NULL;
}

typedef struct
{
  int  n_done;
  gboolean ok;
} Done;

static void
shutdown_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Done *done = user_data;

  done->ok = gtask_sup_supervisor_shutdown_finish (GTASK_SUP_SUPERVISOR (source), result, NULL);
  done->n_done++;
}

static void
test_shutdown_reaches_descendants (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GtaskSupSupervisor) child = NULL;
  g_autoptr(GtaskSupSupervisor) grandchild = NULL;
  g_autoptr(Probe) p1 = probe_new_blocking (TRUE);
  g_autoptr(Probe) p2 = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) t1 = NULL;
  g_autoptr(GtaskSupTask) t2 = NULL;
  GtaskSupTask *scope;
  g_autoptr(GError) error = NULL;
  Order order = { 0, };
  Done done = { 0, };

  TEST_SUMMARY ();

  child = gtask_sup_supervisor_new_child (f->sup, &error);
  g_assert_no_error (error);
  grandchild = gtask_sup_supervisor_new_child (child, &error);
  g_assert_no_error (error);
  g_assert_true (gtask_sup_supervisor_get_main_context (child) == f->ctx);
  watch_child (child, &order);
  watch_child (grandchild, &order);
  g_signal_connect (f->sup, "succeeded", G_CALLBACK (parent_outcome_cb), &order);
  g_signal_connect (f->sup, "stopped", G_CALLBACK (parent_stopped_cb), &order);

  p1->result = PROBE_RESULT_NONE;
  p2->result = PROBE_RESULT_NONE;
  t1 = test_track_task (probe_task_new (p1));
  t2 = test_track_task (probe_task_new (p2));
  g_assert_true (gtask_sup_supervisor_start (child, t1, NULL));
  g_assert_true (gtask_sup_supervisor_start (grandchild, t2, NULL));

  iterate_until_int_eq (f->ctx, &p1->n_runs, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &p2->n_runs, 1, TEST_WAIT_MS);

  /* The child is a task of the parent, in its children model. */
  iterate_until (f->ctx, has_scope_task_cb, f, TEST_WAIT_MS);
  scope = scope_task_of (f);
  g_assert_true (gtask_sup_task_get_child_supervisor (scope) == child);
  g_assert_cmpint (gtask_sup_task_get_state (scope), ==, GTASK_SUP_TASK_STATE_RUNNING);
  g_assert_cmpint (gtask_sup_task_get_shutdown_timeout (scope), ==, -1);

  gtask_sup_supervisor_shutdown_async (f->sup, NULL, shutdown_done_cb, &done);
  iterate_until_int_eq (f->ctx, &done.n_done, 1, TEST_WAIT_MS);
  g_assert_true (done.ok);

  /* Every descendant task had its outcome (cancelled, cooperatively; the
   * grandchild's run in the child), then the child's run succeeded, then
   * the parent stopped. */
  g_assert_cmpuint (order.child_outcomes, ==, 3);
  g_assert_true (g_atomic_int_get (&p1->saw_cancel));
  g_assert_true (g_atomic_int_get (&p2->saw_cancel));
  g_assert_cmpint (gtask_sup_task_get_state (t1), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_cmpint (gtask_sup_task_get_state (t2), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_cmpuint (order.scope_outcome, >, order.last_child_outcome);
  g_assert_cmpuint (order.parent_stopped, >, order.scope_outcome);
  g_assert_true (gtask_sup_supervisor_get_closed (child));
  g_assert_true (gtask_sup_supervisor_get_closed (grandchild));

  g_signal_handlers_disconnect_by_data (f->sup, &order);
  g_signal_handlers_disconnect_by_data (child, &order);
  g_signal_handlers_disconnect_by_data (grandchild, &order);
}

static void
fail_func (GtaskSupTask *task,
           GCancellable *cancellable,
           gpointer      user_data)
{
  gtask_sup_task_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "boom"));
}

static void
test_gives_up_and_restarts (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GtaskSupSupervisor) child = gtask_sup_supervisor_new (f->owner);
  g_autoptr(GtaskSupTask) scope = NULL;
  g_autoptr(GtaskSupTask) crasher = NULL;
  GtaskSupSupervisor *second;
  Outcome *o;
  guint n_scope_failed = 0;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_restarts (child, 1);
  gtask_sup_supervisor_set_max_concurrency (child, 3);
  gtask_sup_supervisor_set_log_unhandled (child, FALSE);
  scope = test_track_task (gtask_sup_task_new_supervisor (child));
  gtask_sup_task_set_name (scope, "workers");
  gtask_sup_task_set_restart (scope, GTASK_SUP_RESTART_TRANSIENT);
  gtask_sup_supervisor_set_max_restarts (f->sup, 1);
  fixture_start (f, scope);
  g_assert_cmpint (gtask_sup_task_get_kind (scope), ==, GTASK_SUP_TASK_KIND_SUPERVISOR);

  /* A PERMANENT crasher makes the child give up... */
  crasher = test_track_task (gtask_sup_task_new_thread (fail_func, NULL, NULL));
  gtask_sup_task_set_restart (crasher, GTASK_SUP_RESTART_PERMANENT);
  g_assert_true (gtask_sup_supervisor_start (child, crasher, NULL));

  /* ...which fails its run in the parent, with the child's reason. */
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  o = recorder_get (f->rec, scope);
  g_assert_nonnull (o);
  g_assert_cmpint (o->kind, ==, OUTCOME_FAILED);
  g_assert_error (o->error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_RESTART_INTENSITY);
  n_scope_failed++;

  /* TRANSIENT: the parent runs a new child supervisor, configured alike. */
  iterate_until (f->ctx, has_scope_task_cb, f, TEST_WAIT_MS);
  second = gtask_sup_task_get_child_supervisor (scope_task_of (f));
  g_assert_true (second != child);
  g_assert_false (gtask_sup_supervisor_get_closed (second));
  g_assert_cmpuint (gtask_sup_supervisor_get_max_restarts (second), ==, 1);
  g_assert_cmpuint (gtask_sup_supervisor_get_max_concurrency (second), ==, 3);
  g_assert_false (gtask_sup_supervisor_get_log_unhandled (second));
  g_assert_cmpint (n_scope_failed, ==, 1);
}

static void
test_cancel_scope (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GtaskSupSupervisor) child = NULL;
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) t = NULL;
  GtaskSupTask *scope;
  Order order = { 0, };

  TEST_SUMMARY ();

  child = child_running (f, f->sup, p, &order, &t);
  iterate_until (f->ctx, has_scope_task_cb, f, TEST_WAIT_MS);
  scope = scope_task_of (f);

  gtask_sup_task_cancel (scope);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  assert_outcome (f->rec, scope, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The child was shut down: its task saw its cancellable, and ended. */
  iterate_until_int_eq (f->ctx, (int *)&order.child_outcomes, 1, TEST_WAIT_MS);
  g_assert_true (g_atomic_int_get (&p->saw_cancel));
  g_assert_true (gtask_sup_supervisor_get_closed (child));
  g_signal_handlers_disconnect_by_data (child, &order);
}

static void
test_parent_silence (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) t = NULL;
  GtaskSupSupervisor *parent;
  GtaskSupSupervisor *child;
  Order order = { 0, };

  TEST_SUMMARY ();

  /* A parent of its own: the fixture's recorder holds the items of its
   * supervisor's children model. */
  parent = gtask_sup_supervisor_new (f->owner);
  child = child_running (f, parent, p, &order, &t);
  g_object_add_weak_pointer (G_OBJECT (child), (gpointer *)&child);
  g_object_unref (child);   /* the parent's task keeps it */
  g_assert_nonnull (child);

  /* The parent goes (its owner lives on): the child is silenced with it. */
  g_clear_object (&parent);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  g_assert_true (g_atomic_int_get (&p->saw_cancel));
  iterate_for (f->ctx, 20);
  g_assert_cmpuint (order.child_outcomes, ==, 0);
  /* Nothing keeps the child: no cycle through its ::stopped handler. */
  iterate_until (f->ctx, test_weak_null_cb, &child, TEST_WAIT_MS);
}

static void
test_owner_gone (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GtaskSupSupervisor) child = NULL;
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) t = NULL;
  Order order = { 0, };

  TEST_SUMMARY ();

  child = child_running (f, f->sup, p, &order, &t);

  f->rec->closed = TRUE;
  g_clear_object (&f->owner);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  g_assert_true (g_atomic_int_get (&p->saw_cancel));
  iterate_for (f->ctx, 20);
  g_assert_cmpuint (order.child_outcomes, ==, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_true (gtask_sup_supervisor_get_closed (child));
  g_signal_handlers_disconnect_by_data (child, &order);
}

static void
test_child_shutdown_ends_run (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GtaskSupSupervisor) child = NULL;
  Done done = { 0, };

  TEST_SUMMARY ();

  child = gtask_sup_supervisor_new_child (f->sup, NULL);
  iterate_until (f->ctx, has_scope_task_cb, f, TEST_WAIT_MS);
  gtask_sup_supervisor_shutdown_async (child, NULL, shutdown_done_cb, &done);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  g_assert_cmpuint (f->rec->n_succeeded, ==, 1);
  iterate_until_int_eq (f->ctx, &done.n_done, 1, TEST_WAIT_MS);

  /* A closed supervisor cannot run as a task. */
  {
    g_autoptr(GtaskSupTask) again = test_track_task (gtask_sup_task_new_supervisor (child));

    fixture_start (f, again);
    wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
    assert_outcome (f->rec, again, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
  }
}

typedef struct
{
  GtaskSupSupervisor *child;
  GtaskSupSupervisor *same;
  Probe              *on_child;
  Probe              *on_same;
  GtaskSupTask       *started[2];
} CancelWith;

/* An async parent that starts work on the child supervisor and on its own,
 * and never completes. */
static void
start_work_async (GtaskSupTask *task,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  CancelWith *cw = user_data;

  cw->started[0] = test_track_task (probe_task_new (cw->on_child));
  cw->started[1] = test_track_task (probe_task_new (cw->on_same));
  g_assert_true (gtask_sup_supervisor_start (cw->child, cw->started[0], NULL));
  g_assert_true (gtask_sup_supervisor_start (cw->same, cw->started[1], NULL));
}

static void
test_cancel_with_parent (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GtaskSupSupervisor) child = gtask_sup_supervisor_new_child (f->sup, NULL);
  g_autoptr(Probe) on_child = probe_new_blocking (TRUE);
  g_autoptr(Probe) on_same = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) parent = NULL;
  CancelWith cw = { child, f->sup, on_child, on_same, { NULL, NULL } };

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_log_unhandled (child, FALSE);
  on_child->result = PROBE_RESULT_NONE;
  parent = test_track_task (gtask_sup_task_new_async (start_work_async, &cw, NULL));
  fixture_start (f, parent);
  iterate_until_int_eq (f->ctx, &on_child->n_runs, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &on_same->n_runs, 1, TEST_WAIT_MS);
  g_assert_true (gtask_sup_task_get_parent (cw.started[0]) == parent);
  g_assert_true (gtask_sup_task_get_parent (cw.started[1]) == parent);

  /* The work it started on the child supervisor ends with it; what it
   * started on its own supervisor is its sibling, and goes on. */
  gtask_sup_task_cancel (parent);
  iterate_until_int_eq (f->ctx, &on_child->n_returns, 1, TEST_WAIT_MS);
  g_assert_true (g_atomic_int_get (&on_child->saw_cancel));
  iterate_until (f->ctx, test_task_final_cb, cw.started[0], TEST_WAIT_MS);
  g_assert_cmpint (gtask_sup_task_get_state (cw.started[0]), ==, GTASK_SUP_TASK_STATE_FAILED);
  iterate_for (f->ctx, 30);
  g_assert_cmpint (g_atomic_int_get (&on_same->n_returns), ==, 0);

  test_gate_open (&on_same->gate);
  iterate_until (f->ctx, test_task_final_cb, cw.started[1], TEST_WAIT_MS);
  g_assert_cmpint (gtask_sup_task_get_state (cw.started[1]), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);

  g_object_unref (cw.started[0]);
  g_object_unref (cw.started[1]);
}

/* The race: parent shutdown vs child results vs owner finalization. {{{1 */

typedef struct
{
  GHashTable *counts;    /* task → outcomes emitted */
  gboolean    owner_gone;
  int         after_gone;
  int         stopped;
  int         outcomes_after_stopped;
} RaceLog;

static void
race_outcome (RaceLog      *log,
              GtaskSupTask *task)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (log->counts, task));

  g_hash_table_insert (log->counts, task, GUINT_TO_POINTER (n + 1));
  if (log->owner_gone)
    log->after_gone++;
  if (log->stopped)
    {
      if (g_getenv ("SCOPE_DEBUG"))
        g_printerr ("after stopped: kind %d state %d error %s\n",
                    gtask_sup_task_get_kind (task), gtask_sup_task_get_state (task),
                    gtask_sup_task_get_error (task) ? gtask_sup_task_get_error (task)->message : "-");
      log->outcomes_after_stopped++;
    }
}

static void
race_succeeded_cb (GtaskSupSupervisor *sup,
                   GtaskSupTask       *task,
                   gpointer            user_data)
{
  race_outcome (user_data, task);
}

static void
race_failed_cb (GtaskSupSupervisor *sup,
                GtaskSupTask       *task,
                const GError       *error,
                gpointer            user_data)
{
  race_outcome (user_data, task);
}

static void
race_stopped_cb (GtaskSupSupervisor *sup,
                 const GError       *reason,
                 gpointer            user_data)
{
  ((RaceLog *)user_data)->stopped++;
}

static void
race_connect (GtaskSupSupervisor *sup,
              RaceLog            *log)
{
  g_signal_connect (sup, "succeeded", G_CALLBACK (race_succeeded_cb), log);
  g_signal_connect (sup, "failed", G_CALLBACK (race_failed_cb), log);
  g_signal_connect (sup, "timed-out", G_CALLBACK (race_succeeded_cb), log);
}

static void
quick_func (GtaskSupTask *task,
            GCancellable *cancellable,
            gpointer      user_data)
{
  guint spin = GPOINTER_TO_UINT (user_data);

  for (guint i = 0; i < spin && !g_cancellable_is_cancelled (cancellable); i++)
    g_thread_yield ();
  gtask_sup_task_return_int (task, spin);
}

static void
test_race (void)
{
  guint iterations = test_count (1000, 100);
  GRand *rand = g_rand_new ();
  guint n_owner_gone = 0;
  guint n_tasks = 0;

  g_test_summary ("Parent shutdown vs child results vs owner finalization, many times: "
                  "exactly one outcome per descendant while the owner lives, none after, "
                  "and the parent's ::stopped after all of them");

  for (guint it = 0; it < iterations; it++)
    {
      GMainContext *ctx = g_main_context_new ();
      GObject *owner = g_object_new (G_TYPE_OBJECT, NULL);
      GtaskSupSupervisor *parent;
      GtaskSupSupervisor *child;
      GtaskSupSupervisor *grandchild;
      GPtrArray *tasks = g_ptr_array_new_with_free_func (g_object_unref);
      RaceLog log = { g_hash_table_new (NULL, NULL), FALSE, 0, 0, 0 };
      Done done = { 0, };
      guint action = g_rand_int_range (rand, 0, 3);

      g_main_context_push_thread_default (ctx);
      parent = gtask_sup_supervisor_new (owner);
      child = gtask_sup_supervisor_new_child (parent, NULL);
      grandchild = gtask_sup_supervisor_new_child (child, NULL);
      race_connect (parent, &log);
      race_connect (child, &log);
      race_connect (grandchild, &log);
      g_signal_connect (parent, "stopped", G_CALLBACK (race_stopped_cb), &log);

      for (guint i = 0; i < 6; i++)
        {
          GtaskSupSupervisor *sup = i % 3 == 0 ? parent : i % 3 == 1 ? child : grandchild;
          GtaskSupTask *task = gtask_sup_task_new_thread (quick_func,
                                                          GUINT_TO_POINTER (g_rand_int_range (rand, 0, 200)),
                                                          NULL);

          if (g_rand_boolean (rand))
            gtask_sup_task_set_timeout (task, g_rand_int_range (rand, 0, 3));
          g_assert_true (gtask_sup_supervisor_start (sup, task, NULL));
          g_ptr_array_add (tasks, task);
        }
      n_tasks += tasks->len;

      /* Let some finish first. */
      for (guint i = g_rand_int_range (rand, 0, 4); i > 0; i--)
        g_main_context_iteration (ctx, FALSE);

      if (action == 0 || action == 1)
        gtask_sup_supervisor_shutdown_async (parent, NULL, shutdown_done_cb, &done);
      if (action == 1 || action == 2)
        {
          /* The owner goes: nothing more may be emitted. */
          if (action == 2)
            for (guint i = g_rand_int_range (rand, 0, 3); i > 0; i--)
              g_main_context_iteration (ctx, FALSE);
          log.owner_gone = TRUE;
          g_clear_object (&owner);
          n_owner_gone++;
        }

      if (owner != NULL)
        {
          /* Every descendant ends once, then the parent stops. */
          while (done.n_done == 0)
            g_main_context_iteration (ctx, TRUE);
          g_assert_cmpint (log.stopped, ==, 1);
          for (guint i = 0; i < tasks->len; i++)
            g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (log.counts,
                                                                     g_ptr_array_index (tasks, i))),
                              ==, 1);
          /* The two scope tasks too, before ::stopped. */
          g_assert_cmpuint (g_hash_table_size (log.counts), ==, tasks->len + 2);
          g_assert_cmpint (log.outcomes_after_stopped, ==, 0);
        }
      else
        {
          /* Let the cancelled work return; a pending shutdown completes. */
          for (guint i = 0; i < tasks->len; i++)
            while (gtask_sup_task_get_state (g_ptr_array_index (tasks, i)) <
                   GTASK_SUP_TASK_STATE_SUCCEEDED)
              g_main_context_iteration (ctx, TRUE);
          if (action == 1)
            while (done.n_done == 0)
              g_main_context_iteration (ctx, TRUE);
          g_assert_cmpint (log.after_gone, ==, 0);
          for (guint i = 0; i < tasks->len; i++)
            g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (log.counts,
                                                                     g_ptr_array_index (tasks, i))),
                              <=, 1);
        }

      g_signal_handlers_disconnect_by_data (parent, &log);
      g_signal_handlers_disconnect_by_data (child, &log);
      g_signal_handlers_disconnect_by_data (grandchild, &log);
      g_object_unref (grandchild);
      g_object_unref (child);
      g_object_unref (parent);
      g_clear_object (&owner);
      g_ptr_array_unref (tasks);
      iterate_for (ctx, 1);
      g_hash_table_unref (log.counts);
      g_main_context_pop_thread_default (ctx);
      g_main_context_unref (ctx);
    }

  g_test_message ("%u iterations, %u tasks, owner gone in %u", iterations, n_tasks, n_owner_gone);
  g_rand_free (rand);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Scope/shutdown-reaches-descendants", test_shutdown_reaches_descendants,
            "The parent's shutdown shuts down children and grandchildren; every descendant "
            "ends once, the child's run succeeds, then the parent stops");
  TEST_ADD ("/GtaskSup/Scope/gives-up-and-restarts", test_gives_up_and_restarts,
            "A child that gives up fails its run with its reason; TRANSIENT runs a new child "
            "supervisor configured alike");
  TEST_ADD ("/GtaskSup/Scope/cancel", test_cancel_scope,
            "Cancelling the child's run shuts the child down");
  TEST_ADD ("/GtaskSup/Scope/parent-silence", test_parent_silence,
            "A finalized parent silences its child, whose tasks are cancelled, and frees it");
  TEST_ADD ("/GtaskSup/Scope/owner-gone", test_owner_gone,
            "The owner's disposal cancels the child's tasks silently");
  TEST_ADD ("/GtaskSup/Scope/child-shutdown", test_child_shutdown_ends_run,
            "Shutting the child down ends its run with success; a closed child cannot run");
  TEST_ADD ("/GtaskSup/Scope/cancel-with-parent", test_cancel_with_parent,
            "Work a task starts on a child supervisor is cancelled with it; on its own "
            "supervisor it is not");
  g_test_add_func ("/GtaskSup/Scope/race", test_race);

  return g_test_run ();
}

/* vim:set foldmethod=marker: */
