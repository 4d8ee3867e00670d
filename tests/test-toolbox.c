/* test-toolbox.c: the smaller pieces Elixir and GTask users expect: the
 * current task and its parent, completed tasks, terminate_child(), close and
 * drain, logging of unheard failures, default names of subprocess tasks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-process.h"
#include "test-recorder.h"
#include "test-util.h"

#include "gtask-sup-task-private.h"

/* The current task {{{1 */

typedef struct
{
  GtaskSupTask *seen;        /* get_current() inside the function */
  GtaskSupTask *seen_later;  /* get_current() in the operation's callback */
  GThread      *thread;
  int           n_later;
} CurrentProbe;

static void
record_current_thread_func (GtaskSupTask *task,
                            GCancellable *cancellable,
                            gpointer      user_data)
{
  CurrentProbe *probe = user_data;

  probe->seen = gtask_sup_task_get_current ();
  probe->thread = g_thread_self ();
  gtask_sup_task_return_boolean (task, TRUE);
}

static void
test_current_thread (Fixture       *f,
                     gconstpointer  data)
{
  CurrentProbe probe = { NULL, };
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  g_assert_null (gtask_sup_task_get_current ());

  task = test_track_task (gtask_sup_task_new_thread (record_current_thread_func, &probe, NULL));
  fixture_start (f, task);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);

  g_assert_true (probe.seen == task);
  g_assert_true (probe.thread != g_thread_self ());
  /* Not on the owner thread, nor after the function. */
  g_assert_null (gtask_sup_task_get_current ());
}

static gboolean
complete_later_cb (gpointer data)
{
  GtaskSupTask *task = data;
  CurrentProbe *probe = g_object_get_data (G_OBJECT (task), "probe");

  probe->seen_later = gtask_sup_task_get_current ();
  probe->n_later++;
  gtask_sup_task_return_int (task, 7);

  return G_SOURCE_REMOVE;
}

static void
record_current_async_func (GtaskSupTask *task,
                           GCancellable *cancellable,
                           gpointer      user_data)
{
  CurrentProbe *probe = user_data;
  GSource *idle = g_idle_source_new ();

  probe->seen = gtask_sup_task_get_current ();
  g_object_set_data (G_OBJECT (task), "probe", probe);
  /* On the thread-default context, as GIO operations call back. */
  g_source_set_callback (idle, complete_later_cb, g_object_ref (task), g_object_unref);
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

static void
test_current_async (Fixture       *f,
                    gconstpointer  data)
{
  CurrentProbe probe = { NULL, };
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  task = test_track_task (gtask_sup_task_new_async (record_current_async_func, &probe, NULL));
  fixture_start (f, task);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);

  g_assert_true (probe.seen == task);
  /* The operation's callback is plain owner-context code. */
  g_assert_cmpint (probe.n_later, ==, 1);
  g_assert_null (probe.seen_later);
  g_assert_null (gtask_sup_task_get_current ());
}

typedef struct
{
  Fixture      *f;
  GtaskSupTask *child;   /* started by the parent's function */
} ParentData;

static void
start_child_async_func (GtaskSupTask *task,
                        GCancellable *cancellable,
                        gpointer      user_data)
{
  ParentData *pd = user_data;
  g_autoptr(GError) error = NULL;

  pd->child = test_track_task (gtask_sup_task_new_completed (NULL));
  g_assert_true (gtask_sup_supervisor_start (pd->f->sup, pd->child, &error));
  g_assert_no_error (error);
  gtask_sup_task_return_boolean (task, TRUE);
}

static void
test_parent (Fixture       *f,
             gconstpointer  data)
{
  ParentData pd = { f, NULL };
  g_autoptr(GtaskSupTask) parent = NULL;
  g_autoptr(GtaskSupTask) orphan = NULL;
  g_autoptr(GtaskSupTask) child = NULL;

  TEST_SUMMARY ();

  parent = test_track_task (gtask_sup_task_new_async (start_child_async_func, &pd, NULL));
  orphan = test_track_task (gtask_sup_task_new_completed (NULL));
  fixture_start (f, parent);
  fixture_start (f, orphan);
  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);

  child = g_steal_pointer (&pd.child);
  g_assert_nonnull (child);
  assert_outcome (f->rec, child, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_true (gtask_sup_task_get_parent (child) == parent);
  g_assert_null (gtask_sup_task_get_parent (parent));
  g_assert_null (gtask_sup_task_get_parent (orphan));

  /* The child keeps its parent alive. */
  g_clear_object (&parent);
  g_assert_nonnull (gtask_sup_task_get_parent (child));
  g_assert_cmpint (gtask_sup_task_get_state (gtask_sup_task_get_parent (child)), ==,
                   GTASK_SUP_TASK_STATE_SUCCEEDED);
}

/* Completed tasks {{{1 */

static void
test_completed_value (Fixture       *f,
                      gconstpointer  data)
{
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) empty = NULL;

  TEST_SUMMARY ();

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, "cached");
  task = test_track_task (gtask_sup_task_new_completed (&value));
  g_value_set_string (&value, "changed after");
  empty = test_track_task (gtask_sup_task_new_completed (NULL));

  g_assert_cmpint (gtask_sup_task_get_kind (task), ==, GTASK_SUP_TASK_KIND_COMPLETED);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_NEW);

  /* The recorder fails the test if anything is emitted inside start(). */
  fixture_start (f, task);
  fixture_start (f, empty);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, empty, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpstr (g_value_get_string (gtask_sup_task_get_value (task)), ==, "cached");
  g_assert_null (gtask_sup_task_get_value (empty));
  g_assert_null (gtask_sup_task_get_error (empty));
}

static void
test_completed_error (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) given = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  task = test_track_task (gtask_sup_task_new_failed (given));
  g_clear_error (&given);
  fixture_start (f, task);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (gtask_sup_task_get_error (task)->message, ==, "no such thing");
}

static void
test_completed_queued_cancel (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(Probe) blocker = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) first = NULL;
  g_autoptr(GtaskSupTask) queued = NULL;
  g_autoptr(GtaskSupTask) runs_later = NULL;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  first = test_track_task (probe_task_new (blocker));
  queued = test_track_task (gtask_sup_task_new_completed (NULL));
  runs_later = test_track_task (gtask_sup_task_new_completed (NULL));
  fixture_start (f, first);
  fixture_start (f, queued);
  fixture_start (f, runs_later);
  g_assert_cmpint (gtask_sup_task_get_state (queued), ==, GTASK_SUP_TASK_STATE_QUEUED);

  gtask_sup_task_cancel (queued);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  assert_outcome (f->rec, queued, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (gtask_sup_task_get_state (runs_later), ==, GTASK_SUP_TASK_STATE_QUEUED);

  /* Once the slot is free, the next completed task gets it and succeeds. */
  gtask_sup_task_cancel (first);
  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);
  assert_outcome (f->rec, runs_later, OUTCOME_SUCCEEDED, 0, 0);
}

/* terminate_child() {{{1 */

static void
test_terminate_child (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(Probe) blocker = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) never_started = NULL;
  g_autoptr(GtaskSupSupervisor) other = gtask_sup_supervisor_new (NULL);
  g_autoptr(GtaskSupTask) elsewhere = NULL;
  g_autoptr(GError) error = NULL;

  TEST_SUMMARY ();

  /* Returns without a result once cancelled. */
  blocker->result = PROBE_RESULT_NONE;
  task = test_track_task (probe_task_new (blocker));
  gtask_sup_task_set_name (task, "victim");
  fixture_start (f, task);

  f->rec->in_call = TRUE;
  g_assert_true (gtask_sup_supervisor_terminate_child (f->sup, task, 1000, &error));
  f->rec->in_call = FALSE;
  g_assert_no_error (error);

  /* A cooperative function stops when its cancellable is: the shutdown
   * ends it as cancelled. */
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Ended: no longer a child, and its outcome stands. */
  g_assert_false (gtask_sup_supervisor_terminate_child (f->sup, task, 0, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "“victim”"));
  g_assert_nonnull (strstr (error->message, "ended"));
  g_clear_error (&error);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);

  never_started = test_track_task (gtask_sup_task_new_completed (NULL));
  g_assert_false (gtask_sup_supervisor_terminate_child (f->sup, never_started, 0, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "not started there"));
  g_clear_error (&error);
  g_assert_cmpint (gtask_sup_task_get_state (never_started), ==, GTASK_SUP_TASK_STATE_NEW);

  /* A child of another supervisor is left alone. */
  gtask_sup_supervisor_set_log_unhandled (other, FALSE);
  elsewhere = test_track_task (gtask_sup_task_new_completed (NULL));
  g_assert_true (gtask_sup_supervisor_start (other, elsewhere, NULL));
  g_assert_false (gtask_sup_supervisor_terminate_child (f->sup, elsewhere, 0, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NOT_FOUND);
  g_clear_error (&error);
  iterate_until (f->ctx, test_task_final_cb, elsewhere, TEST_WAIT_MS);
  g_assert_cmpint (gtask_sup_task_get_state (elsewhere), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
}

/* close() and drain_async() {{{1 */

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(int *)user_data)++;
}

static void
test_close (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(Probe) blocker = probe_new_blocking (TRUE);
  g_autoptr(Probe) queued_probe = probe_new (PROBE_RESULT_INT, 3);
  g_autoptr(GtaskSupTask) running = NULL;
  g_autoptr(GtaskSupTask) queued = NULL;
  g_autoptr(GtaskSupTask) refused = NULL;
  g_autoptr(GError) error = NULL;
  int n_closed_notify = 0;

  TEST_SUMMARY ();

  g_signal_connect (f->sup, "notify::closed", G_CALLBACK (count_notify_cb), &n_closed_notify);
  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  running = test_track_task (probe_task_new (blocker));
  gtask_sup_task_set_restart (running, GTASK_SUP_RESTART_PERMANENT);
  queued = test_track_task (probe_task_new (queued_probe));
  fixture_start (f, running);
  fixture_start (f, queued);

  gtask_sup_supervisor_close (f->sup);
  g_assert_true (gtask_sup_supervisor_get_closed (f->sup));
  g_assert_cmpint (n_closed_notify, ==, 1);
  gtask_sup_supervisor_close (f->sup);
  g_assert_cmpint (n_closed_notify, ==, 1);

  refused = test_track_task (gtask_sup_task_new_completed (NULL));
  g_assert_false (gtask_sup_supervisor_start (f->sup, refused, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
  g_assert_nonnull (strstr (error->message, "no new one"));
  g_assert_cmpint (gtask_sup_task_get_state (refused), ==, GTASK_SUP_TASK_STATE_NEW);

  /* Nothing was cancelled: the running task ends its own way, the queued
   * one runs after it, and the PERMANENT one is not restarted. */
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_cmpint (gtask_sup_task_get_state (queued), ==, GTASK_SUP_TASK_STATE_QUEUED);
  test_gate_open (&blocker->gate);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, running, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, queued, OUTCOME_SUCCEEDED, 0, 0);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (gtask_sup_supervisor_get_children (f->sup)), ==, 0);
  g_assert_cmpuint (f->rec->n_stopped, ==, 0);
  g_signal_handlers_disconnect_by_data (f->sup, &n_closed_notify);
}

typedef struct
{
  int       n_done;
  gboolean  ok;
  GError   *error;
  guint     outcomes_then;
  Recorder *rec;
} DrainResult;

static void
drain_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  DrainResult *dr = user_data;

  dr->ok = gtask_sup_supervisor_drain_finish (GTASK_SUP_SUPERVISOR (source), result, &dr->error);
  dr->outcomes_then = dr->rec != NULL ? dr->rec->n_outcomes : 0;
  dr->n_done++;
}

static void
test_drain (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(Probe) p1 = probe_new_blocking (TRUE);
  g_autoptr(Probe) p2 = probe_new (PROBE_RESULT_ERROR, 0);
  g_autoptr(Probe) p3 = probe_new (PROBE_RESULT_INT, 3);
  GtaskSupTask *tasks[3];
  DrainResult dr = { 0, FALSE, NULL, 0, f->rec };
  DrainResult again = { 0, FALSE, NULL, 0, f->rec };

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 2);
  tasks[0] = test_track_task (probe_task_new (p1));
  tasks[1] = test_track_task (probe_task_new (p2));
  tasks[2] = test_track_task (probe_task_new (p3));
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    fixture_start (f, tasks[i]);

  /* It closes the supervisor (notify::closed comes from inside the call,
   * as from close()), and never calls back from inside it. */
  gtask_sup_supervisor_drain_async (f->sup, NULL, drain_done_cb, &dr);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_true (gtask_sup_supervisor_get_closed (f->sup));
  g_assert_cmpint (dr.n_done, ==, 0);

  /* Not done while the first task runs. */
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (dr.n_done, ==, 0);

  test_gate_open (&p1->gate);
  iterate_until_int_eq (f->ctx, &dr.n_done, 1, TEST_WAIT_MS);
  g_assert_true (dr.ok);
  g_assert_no_error (dr.error);
  /* After every outcome, which each task had as usual. */
  g_assert_cmpuint (dr.outcomes_then, ==, 3);
  assert_outcome (f->rec, tasks[0], OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, tasks[1], OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  assert_outcome (f->rec, tasks[2], OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpuint (f->rec->n_stopped, ==, 0);

  /* Draining an empty supervisor completes from the next iteration. */
  gtask_sup_supervisor_drain_async (f->sup, NULL, drain_done_cb, &again);
  g_assert_cmpint (again.n_done, ==, 0);
  iterate_until_int_eq (f->ctx, &again.n_done, 1, TEST_WAIT_MS);
  g_assert_true (again.ok);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_object_unref (tasks[i]);
}

static void
test_drain_owner_gone (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(Probe) blocker = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  DrainResult dr = { 0, FALSE, NULL, 0, NULL };

  TEST_SUMMARY ();

  task = test_track_task (probe_task_new (blocker));
  fixture_start (f, task);
  gtask_sup_supervisor_drain_async (f->sup, NULL, drain_done_cb, &dr);
  iterate_until_int_eq (f->ctx, &blocker->n_runs, 1, TEST_WAIT_MS);

  f->rec->closed = TRUE;
  g_clear_object (&f->owner);
  g_assert_cmpint (dr.n_done, ==, 0);
  iterate_until_int_eq (f->ctx, &dr.n_done, 1, TEST_WAIT_MS);
  g_assert_true (dr.ok);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  /* The task was cancelled, silently. */
  iterate_until_int_eq (f->ctx, &blocker->n_returns, 1, TEST_WAIT_MS);
  g_assert_true (g_atomic_int_get (&blocker->saw_cancel));
}

static void
test_drain_cancelled_wait (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Probe) blocker = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  DrainResult dr = { 0, FALSE, NULL, 0, NULL };

  TEST_SUMMARY ();

  task = test_track_task (probe_task_new (blocker));
  fixture_start (f, task);
  gtask_sup_supervisor_drain_async (f->sup, cancellable, drain_done_cb, &dr);
  g_cancellable_cancel (cancellable);

  iterate_until_int_eq (f->ctx, &dr.n_done, 1, TEST_WAIT_MS);
  g_assert_false (dr.ok);
  g_assert_error (dr.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&dr.error);

  /* The task goes on, and the supervisor stays closed. */
  iterate_until_int_eq (f->ctx, &blocker->n_runs, 1, TEST_WAIT_MS);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_RUNNING);
  g_assert_true (gtask_sup_supervisor_get_closed (f->sup));
  test_gate_open (&blocker->gate);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
}

/* await_many() and yield_many() {{{1 */

typedef struct
{
  int        n_done;
  gboolean   ok;
  GError    *error;
  GPtrArray *done;
  guint      outcomes_then;
  Recorder  *rec;
} ManyResult;

static void
many_result_clear (ManyResult *mr)
{
  g_clear_error (&mr->error);
  g_clear_pointer (&mr->done, g_ptr_array_unref);
}

static void
await_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ManyResult *mr = user_data;

  g_assert_null (source);
  mr->ok = gtask_sup_await_many_finish (result, &mr->error);
  mr->outcomes_then = mr->rec->n_outcomes;
  mr->n_done++;
}

static void
yield_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ManyResult *mr = user_data;

  mr->done = gtask_sup_yield_many_finish (result, &mr->error);
  mr->outcomes_then = mr->rec->n_outcomes;
  mr->n_done++;
}

static GtaskSupTask *
completed_int (gint64 v)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, v);
  return test_track_task (gtask_sup_task_new_completed (&value));
}

static void
test_await_many (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(Probe) slow = probe_new_blocking (FALSE);
  GtaskSupTask *tasks[3];
  ManyResult mr = { .rec = f->rec };
  ManyResult empty = { .rec = f->rec };

  TEST_SUMMARY ();

  slow->result = PROBE_RESULT_INT;
  slow->value = 30;
  tasks[0] = completed_int (10);
  tasks[1] = test_track_task (probe_task_new (slow));
  tasks[2] = completed_int (20);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    fixture_start (f, tasks[i]);

  gtask_sup_await_many_async (tasks, G_N_ELEMENTS (tasks), NULL, await_done_cb, &mr);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  iterate_for (f->ctx, 30);
  g_assert_cmpint (mr.n_done, ==, 0);

  test_gate_open (&slow->gate);
  iterate_until_int_eq (f->ctx, &mr.n_done, 1, TEST_WAIT_MS);
  g_assert_no_error (mr.error);
  g_assert_true (mr.ok);
  g_assert_cmpuint (mr.outcomes_then, ==, 3);
  /* The values, in input order, from the tasks. */
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (tasks[0])), ==, 10);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (tasks[1])), ==, 30);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (tasks[2])), ==, 20);

  /* An empty set, and tasks done already: from a later iteration. */
  gtask_sup_await_many_async (NULL, 0, NULL, await_done_cb, &empty);
  g_assert_cmpint (empty.n_done, ==, 0);
  iterate_until_int_eq (f->ctx, &empty.n_done, 1, TEST_WAIT_MS);
  g_assert_true (empty.ok);
  gtask_sup_await_many_async (tasks, G_N_ELEMENTS (tasks), NULL, await_done_cb, &empty);
  g_assert_cmpint (empty.n_done, ==, 1);
  iterate_until_int_eq (f->ctx, &empty.n_done, 2, TEST_WAIT_MS);
  g_assert_true (empty.ok);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_object_unref (tasks[i]);
}

static void
test_await_many_fail_fast (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Probe) slow = probe_new_blocking (FALSE);
  g_autoptr(GError) boom = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "denied");
  GtaskSupTask *tasks[2];
  ManyResult mr = { .rec = f->rec };

  TEST_SUMMARY ();

  tasks[0] = test_track_task (probe_task_new (slow));
  tasks[1] = test_track_task (gtask_sup_task_new_failed (boom));
  fixture_start (f, tasks[0]);
  fixture_start (f, tasks[1]);

  gtask_sup_await_many_async (tasks, G_N_ELEMENTS (tasks), NULL, await_done_cb, &mr);
  iterate_until_int_eq (f->ctx, &mr.n_done, 1, TEST_WAIT_MS);
  g_assert_false (mr.ok);
  g_assert_error (mr.error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (mr.error->message, ==, "denied");

  /* The other one keeps running, and has its own outcome. */
  g_assert_cmpint (gtask_sup_task_get_state (tasks[0]), <, GTASK_SUP_TASK_STATE_SUCCEEDED);
  test_gate_open (&slow->gate);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, tasks[0], OUTCOME_SUCCEEDED, 0, 0);
  iterate_for (f->ctx, 20);
  g_assert_cmpint (mr.n_done, ==, 1);

  many_result_clear (&mr);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_object_unref (tasks[i]);
}

static void
test_await_many_cancelled (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Probe) slow = probe_new_blocking (FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GtaskSupTask) task = NULL;
  ManyResult mr = { .rec = f->rec };

  TEST_SUMMARY ();

  task = test_track_task (probe_task_new (slow));
  fixture_start (f, task);
  gtask_sup_await_many_async (&task, 1, cancellable, await_done_cb, &mr);
  g_cancellable_cancel (cancellable);
  iterate_until_int_eq (f->ctx, &mr.n_done, 1, TEST_WAIT_MS);
  g_assert_error (mr.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Only the wait: the task goes on. */
  g_assert_cmpint (gtask_sup_task_get_state (task), <, GTASK_SUP_TASK_STATE_SUCCEEDED);
  test_gate_open (&slow->gate);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  many_result_clear (&mr);
}

static void
test_await_many_blocking (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Probe) stuck = probe_new_blocking (TRUE);
  GtaskSupTask *tasks[2];
  g_autoptr(GError) error = NULL;
  gint64 start;

  TEST_SUMMARY ();

  tasks[0] = completed_int (1);
  tasks[1] = completed_int (2);
  fixture_start (f, tasks[0]);
  fixture_start (f, tasks[1]);
  g_assert_true (gtask_sup_await_many (tasks, 2, -1, &error));
  g_assert_no_error (error);
  /* It iterated the owner context: the outcomes were emitted. */
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  g_object_unref (tasks[1]);

  /* Not done in time: the rest is shut down, as join() does. */
  stuck->result = PROBE_RESULT_NONE;
  tasks[1] = test_track_task (probe_task_new (stuck));
  fixture_start (f, tasks[1]);
  start = g_get_monotonic_time ();
  g_assert_false (gtask_sup_await_many (tasks, 2, 100, &error));
  assert_elapsed_between (start, 100, 100 + TEST_SLACK_MS);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);
  assert_outcome (f->rec, tasks[1], OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (g_atomic_int_get (&stuck->saw_cancel));

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_object_unref (tasks[i]);
}

static void
test_yield_many (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(Probe) slow = probe_new_blocking (TRUE);
  GtaskSupTask *tasks[3];
  ManyResult mr = { .rec = f->rec };
  ManyResult first = { .rec = f->rec };
  ManyResult shut = { .rec = f->rec };
  gint64 start;

  TEST_SUMMARY ();

  slow->result = PROBE_RESULT_NONE;
  tasks[0] = completed_int (1);
  tasks[1] = test_track_task (probe_task_new (slow));
  tasks[2] = completed_int (3);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    fixture_start (f, tasks[i]);

  /* A limit of 1: as soon as one is done, no matter the timeout. */
  gtask_sup_yield_many_async (tasks, 3, -1, 1, GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING, NULL,
                              yield_done_cb, &first);
  iterate_until_int_eq (f->ctx, &first.n_done, 1, TEST_WAIT_MS);
  g_assert_no_error (first.error);
  g_assert_cmpuint (first.done->len, >=, 1);

  /* The timeout: the two done ones, in input order; the other runs on. */
  start = g_get_monotonic_time ();
  gtask_sup_yield_many_async (tasks, 3, 100, 0, GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING, NULL,
                              yield_done_cb, &mr);
  iterate_until_int_eq (f->ctx, &mr.n_done, 1, TEST_WAIT_MS);
  assert_elapsed_between (start, 100, 100 + TEST_SLACK_MS);
  g_assert_no_error (mr.error);
  g_assert_cmpuint (mr.done->len, ==, 2);
  g_assert_true (g_ptr_array_index (mr.done, 0) == tasks[0]);
  g_assert_true (g_ptr_array_index (mr.done, 1) == tasks[2]);
  iterate_for (f->ctx, 20);
  g_assert_cmpint (gtask_sup_task_get_state (tasks[1]), ==, GTASK_SUP_TASK_STATE_RUNNING);

  /* With SHUTDOWN, the one not done is shut down and ends as usual. */
  gtask_sup_yield_many_async (tasks, 3, 10, 0, GTASK_SUP_YIELD_TIMEOUT_SHUTDOWN, NULL,
                              yield_done_cb, &shut);
  iterate_until_int_eq (f->ctx, &shut.n_done, 1, TEST_WAIT_MS);
  g_assert_cmpuint (shut.done->len, ==, 2);
  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);
  assert_outcome (f->rec, tasks[1], OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  many_result_clear (&mr);
  many_result_clear (&first);
  many_result_clear (&shut);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_object_unref (tasks[i]);
}

static void
test_yield_many_blocking (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Probe) slow = probe_new_blocking (TRUE);
  GtaskSupTask *tasks[2];
  g_autoptr(GPtrArray) done = NULL;
  g_autoptr(GPtrArray) all = NULL;

  TEST_SUMMARY ();

  tasks[0] = test_track_task (probe_task_new (slow));
  tasks[1] = completed_int (2);
  fixture_start (f, tasks[0]);
  fixture_start (f, tasks[1]);

  done = gtask_sup_yield_many (tasks, 2, 50, 0, GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING);
  g_assert_cmpuint (done->len, ==, 1);
  g_assert_true (g_ptr_array_index (done, 0) == tasks[1]);

  test_gate_open (&slow->gate);
  all = gtask_sup_yield_many (tasks, 2, -1, 0, GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING);
  g_assert_cmpuint (all->len, ==, 2);
  assert_outcome (f->rec, tasks[0], OUTCOME_SUCCEEDED, 0, 0);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_object_unref (tasks[i]);
}

/* Priority {{{1 */

static void
test_priority_queue (Fixture       *f,
                     gconstpointer  data)
{
  static const int priorities[] = { G_PRIORITY_LOW, G_PRIORITY_DEFAULT, G_PRIORITY_HIGH,
                                    G_PRIORITY_DEFAULT, G_PRIORITY_HIGH };
  /* Expected start order of each: HIGH first (FIFO), then DEFAULT, LOW. */
  static const int expected[] = { 4, 2, 0, 3, 1 };
  g_autoptr(Probe) blocker = probe_new_blocking (FALSE);
  g_autoptr(GtaskSupTask) first = NULL;
  ProbeShared shared = { 0, };
  Probe *probes[G_N_ELEMENTS (priorities)];
  GtaskSupTask *tasks[G_N_ELEMENTS (priorities)];

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  first = test_track_task (probe_task_new (blocker));
  fixture_start (f, first);

  for (guint i = 0; i < G_N_ELEMENTS (priorities); i++)
    {
      probes[i] = probe_new (PROBE_RESULT_INT, i);
      probes[i]->shared = &shared;
      tasks[i] = test_track_task (probe_task_new (probes[i]));
      gtask_sup_task_set_priority (tasks[i], priorities[i]);
      g_assert_cmpint (gtask_sup_task_get_priority (tasks[i]), ==, priorities[i]);
      fixture_start (f, tasks[i]);
    }

  test_gate_open (&blocker->gate);
  wait_n_outcomes (f->ctx, f->rec, 1 + G_N_ELEMENTS (tasks), TEST_WAIT_MS);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      g_assert_cmpint (probes[i]->order, ==, expected[i]);
      assert_outcome (f->rec, tasks[i], OUTCOME_SUCCEEDED, 0, 0);
      g_object_unref (tasks[i]);
      probe_unref (probes[i]);
    }
}

static void
test_priority_outcomes (Fixture       *f,
                        gconstpointer  data)
{
  static const int priorities[] = { G_PRIORITY_LOW, G_PRIORITY_DEFAULT, G_PRIORITY_HIGH,
                                    G_PRIORITY_LOW };
  GtaskSupTask *tasks[G_N_ELEMENTS (priorities)];
  guint seq[G_N_ELEMENTS (priorities)];

  TEST_SUMMARY ();

  /* Completed tasks are decided inside start(): all four are reported by
   * the same dispatch. */
  for (guint i = 0; i < G_N_ELEMENTS (priorities); i++)
    {
      tasks[i] = test_track_task (gtask_sup_task_new_completed (NULL));
      gtask_sup_task_set_priority (tasks[i], priorities[i]);
      fixture_start (f, tasks[i]);
    }
  wait_n_outcomes (f->ctx, f->rec, G_N_ELEMENTS (tasks), TEST_WAIT_MS);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    seq[i] = recorder_get (f->rec, tasks[i])->seq;
  /* HIGH, DEFAULT, then the two LOW in the order they were started. */
  g_assert_cmpuint (seq[2], <, seq[1]);
  g_assert_cmpuint (seq[1], <, seq[0]);
  g_assert_cmpuint (seq[0], <, seq[3]);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_object_unref (tasks[i]);
}

/* ignore() {{{1 */

static void
join_count_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (gtask_sup_task_join_finish (GTASK_SUP_TASK (source), result, &error));
  (*(int *)user_data)++;
}

static void
test_ignore (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(Probe) slow = probe_new_blocking (FALSE);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) other = NULL;
  g_autoptr(GtaskSupTask) done = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *children;
  int n_joined = 0;

  TEST_SUMMARY ();

  children = gtask_sup_supervisor_get_children (f->sup);
  gtask_sup_supervisor_set_max_children (f->sup, 1);
  slow->result = PROBE_RESULT_INT;
  slow->value = 42;
  task = test_track_task (probe_task_new (slow));
  fixture_start (f, task);
  iterate_until_int_eq (f->ctx, &slow->n_runs, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 10);
  g_assert_cmpuint (g_list_model_get_n_items (children), ==, 1);

  gtask_sup_task_join_async (task, NULL, join_count_cb, &n_joined);
  g_assert_true (gtask_sup_supervisor_ignore (f->sup, task, &error));
  g_assert_no_error (error);
  g_assert_true (gtask_sup_supervisor_ignore (f->sup, task, &error));
  g_assert_no_error (error);

  /* It leaves the model and the count of max-children... */
  iterate_for (f->ctx, 10);
  g_assert_cmpuint (g_list_model_get_n_items (children), ==, 0);
  other = test_track_task (gtask_sup_task_new_completed (NULL));
  fixture_start (f, other);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);

  /* ...but runs on, and ends unreported, with its result kept. */
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_RUNNING);
  test_gate_open (&slow->gate);
  iterate_until (f->ctx, test_task_final_cb, task, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &n_joined, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 20);
  g_assert_null (recorder_get (f->rec, task));
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (task)), ==, 42);

  /* Ended tasks are no children: their outcome stands. */
  g_assert_false (gtask_sup_supervisor_ignore (f->sup, task, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NOT_FOUND);
  g_clear_error (&error);
  done = test_track_task (gtask_sup_task_new_completed (NULL));
  g_assert_false (gtask_sup_supervisor_ignore (f->sup, done, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NOT_FOUND);
}

static void
test_ignore_owner_gone (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Probe) slow = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  task = test_track_task (probe_task_new (slow));
  fixture_start (f, task);
  iterate_until_int_eq (f->ctx, &slow->n_runs, 1, TEST_WAIT_MS);
  g_assert_true (gtask_sup_supervisor_ignore (f->sup, task, NULL));

  f->rec->closed = TRUE;
  g_clear_object (&f->owner);
  iterate_until_int_eq (f->ctx, &slow->n_returns, 1, TEST_WAIT_MS);
  g_assert_true (g_atomic_int_get (&slow->saw_cancel));
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
}

/* Progress at frame rate {{{1 */

typedef struct
{
  int    n_notifies;
  gint64 first_us;
  gint64 last_us;
  double last_value;
} ProgressLog;

static void
progress_notify_cb (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  ProgressLog *log = user_data;
  gint64 now = g_get_monotonic_time ();

  if (log->n_notifies++ == 0)
    log->first_us = now;
  log->last_us = now;
  log->last_value = gtask_sup_task_get_progress (GTASK_SUP_TASK (object));
}

/* Sets its progress as fast as it can, at least 100 000 times and for at
 * least 400 ms, then 1.0. */
static void
busy_progress_func (GtaskSupTask *task,
                    GCancellable *cancellable,
                    gpointer      user_data)
{
  gint64 start = g_get_monotonic_time ();
  guint n = 0;

  while (n < 100000 || g_get_monotonic_time () - start < 400 * G_TIME_SPAN_MILLISECOND)
    {
      gtask_sup_task_set_progress (task, (n % 1000) / 1000.0);
      n++;
    }
  gtask_sup_task_set_progress (task, 1.0);
  gtask_sup_task_return_int (task, n);
}

static gboolean
progress_one_cb (gpointer data)
{
  return ((ProgressLog *) data)->last_value == 1.0;
}

static void
test_progress_frame_rate (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = NULL;
  ProgressLog log = { 0, };
  double span_ms;

  TEST_SUMMARY ();

  g_assert_cmpuint (gtask_sup_supervisor_get_progress_interval (f->sup), ==, 16);
  task = test_track_task (gtask_sup_task_new_thread (busy_progress_func, NULL, NULL));
  g_signal_connect (task, "notify::progress", G_CALLBACK (progress_notify_cb), &log);
  fixture_start (f, task);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  /* The last value comes, even after the outcome. */
  iterate_until (f->ctx, progress_one_cb, &log, TEST_WAIT_MS);

  /* Rounds are at least 16 ms apart: about 60 a second, not one per
   * dispatch (thousands). */
  span_ms = (log.last_us - log.first_us) / 1000.0;
  g_test_message ("%d progress notifies over %.0f ms for %" G_GINT64_FORMAT " updates",
                  log.n_notifies, span_ms, g_value_get_int64 (gtask_sup_task_get_value (task)));
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (task)), >=, 100000);
  /* (Under valgrind, threads take turns: the worker may not let the
   * owner see more than the last value.) */
  g_assert_cmpint (log.n_notifies, >=, test_is_slow () ? 1 : 2);
  g_assert_cmpfloat (log.n_notifies, <=, span_ms / 16.0 + 2);
  g_assert_cmpfloat (log.last_value, ==, 1.0);
  g_signal_handlers_disconnect_by_data (task, &log);
}

/* Unheard failures are logged {{{1 */

typedef struct
{
  GMainContext       *ctx;
  GObject            *owner;
  GtaskSupSupervisor *sup;
} Bare;

/* A supervisor without the fixture's recorder, which connects a handler
 * to every outcome. */
static void
bare_setup (Bare *b)
{
  b->ctx = g_main_context_new ();
  g_main_context_push_thread_default (b->ctx);
  b->owner = g_object_new (G_TYPE_OBJECT, NULL);
  b->sup = gtask_sup_supervisor_new (b->owner);
}

static void
bare_teardown (Bare *b)
{
  g_clear_object (&b->sup);
  g_clear_object (&b->owner);
  iterate_until_int_eq (b->ctx, &test_tasks_alive, 0, TEST_WAIT_MS);
  g_main_context_pop_thread_default (b->ctx);
  g_main_context_unref (b->ctx);
}

static GtaskSupTask *
bare_start (Bare         *b,
            GtaskSupTask *task)
{
  g_assert_true (gtask_sup_supervisor_start (b->sup, task, NULL));
  return task;
}

static void
wait_final (Bare         *b,
            GtaskSupTask *task)
{
  iterate_until (b->ctx, test_task_final_cb, task, TEST_WAIT_MS);
  /* What the dispatch that reported it logs is logged by now. */
}

static void
ignore_failed_cb (GtaskSupSupervisor *sup,
                  GtaskSupTask       *task,
                  const GError       *error,
                  gpointer            user_data)
{
  (*(int *)user_data)++;
}

/* A ::timed-out handler: the timeout's error is not made yet (the
 * supervisor made it only to log it, when nobody listens). */
static void
heard_timed_out_cb (GtaskSupSupervisor *sup,
                    GtaskSupTask       *task,
                    gpointer            user_data)
{
  g_assert_null (g_atomic_pointer_get (&task->error));
  (*(int *)user_data)++;
}

static void
test_log_unhandled (void)
{
  g_autoptr(GError) boom = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "it broke");
  g_autoptr(GtaskSupTask) t1 = NULL;
  g_autoptr(GtaskSupTask) t2 = NULL;
  g_autoptr(GtaskSupTask) t3 = NULL;
  g_autoptr(GtaskSupTask) t4 = NULL;
  g_autoptr(GtaskSupTask) t5 = NULL;
  g_autoptr(Probe) slow = probe_new_blocking (TRUE);
  g_autoptr(Probe) cancelled_probe = probe_new_blocking (TRUE);
  Bare b;
  int n_heard = 0;
  gulong other;

  g_test_summary ("A failure or timeout nobody hears is logged once, with the task's name "
                  "and message; a handler (with or without the detail), a cancel, or "
                  "log-unhandled FALSE keeps it quiet");

  bare_setup (&b);
  g_assert_true (gtask_sup_supervisor_get_log_unhandled (b.sup));

  /* No handler at all; a handler for another name does not hear it. */
  other = g_signal_connect (b.sup, "failed::other", G_CALLBACK (ignore_failed_cb), &n_heard);
  t1 = test_track_task (gtask_sup_task_new_failed (boom));
  gtask_sup_task_set_name (t1, "fetch");
  g_test_expect_message ("GtaskSup", G_LOG_LEVEL_WARNING,
                         "Task “fetch” failed, and no handler of ::failed heard it: it broke");
  bare_start (&b, t1);
  wait_final (&b, t1);
  g_test_assert_expected_messages ();
  g_signal_handler_disconnect (b.sup, other);

  /* A timeout. */
  t2 = test_track_task (probe_task_new (slow));
  gtask_sup_task_set_name (t2, "slow");
  gtask_sup_task_set_timeout (t2, 10);
  g_test_expect_message ("GtaskSup", G_LOG_LEVEL_WARNING,
                         "Task “slow” timed out, and no handler of ::timed-out heard it: *");
  bare_start (&b, t2);
  wait_final (&b, t2);
  g_test_assert_expected_messages ();

  /* Heard with its detail, or without: nothing is logged (an unexpected
   * warning would end the test). */
  g_signal_connect (b.sup, "failed::fetch", G_CALLBACK (ignore_failed_cb), &n_heard);
  t3 = test_track_task (gtask_sup_task_new_failed (boom));
  gtask_sup_task_set_name (t3, "fetch");
  wait_final (&b, bare_start (&b, t3));
  g_assert_cmpint (n_heard, ==, 1);

  /* Cancelled on purpose: not logged. */
  t4 = test_track_task (probe_task_new (cancelled_probe));
  bare_start (&b, t4);
  gtask_sup_task_cancel (t4);
  wait_final (&b, t4);
  g_assert_cmpint (gtask_sup_task_get_state (t4), ==, GTASK_SUP_TASK_STATE_FAILED);

  /* A heard timeout: nothing logged, and its error is made only when read. */
  {
    g_autoptr(Probe) slow_heard = probe_new_blocking (TRUE);
    g_autoptr(GtaskSupTask) heard = test_track_task (probe_task_new (slow_heard));
    int n_timed_out = 0;
    gulong id = g_signal_connect (b.sup, "timed-out", G_CALLBACK (heard_timed_out_cb),
                                  &n_timed_out);

    gtask_sup_task_set_timeout (heard, 10);
    wait_final (&b, bare_start (&b, heard));
    g_assert_cmpint (n_timed_out, ==, 1);
    g_assert_null (g_atomic_pointer_get (&heard->error));
    g_assert_error (gtask_sup_task_get_error (heard), G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    g_signal_handler_disconnect (b.sup, id);
  }

  /* Ignored: nobody is meant to hear of it. */
  {
    g_autoptr(Probe) failing = probe_new_blocking (FALSE);
    g_autoptr(GtaskSupTask) ignored = NULL;

    failing->result = PROBE_RESULT_ERROR;
    ignored = test_track_task (probe_task_new (failing));
    bare_start (&b, ignored);
    g_assert_true (gtask_sup_supervisor_ignore (b.sup, ignored, NULL));
    test_gate_open (&failing->gate);
    wait_final (&b, ignored);
    iterate_for (b.ctx, 20);
  }

  /* Off. */
  g_signal_handlers_disconnect_by_data (b.sup, &n_heard);
  gtask_sup_supervisor_set_log_unhandled (b.sup, FALSE);
  g_assert_false (gtask_sup_supervisor_get_log_unhandled (b.sup));
  t5 = test_track_task (gtask_sup_task_new_failed (boom));
  wait_final (&b, bare_start (&b, t5));
  g_assert_cmpint (gtask_sup_task_get_state (t5), ==, GTASK_SUP_TASK_STATE_FAILED);

  g_clear_object (&t1);
  g_clear_object (&t2);
  g_clear_object (&t3);
  g_clear_object (&t4);
  g_clear_object (&t5);
  bare_teardown (&b);
}

/* Default names {{{1 */

static void
count_succeeded_cb (GtaskSupSupervisor *sup,
                    GtaskSupTask       *task,
                    gpointer            user_data)
{
  (*(int *)user_data)++;
}

static void
test_subprocess_default_name (Fixture       *f,
                              gconstpointer  data)
{
  const char *argv[] = { "/bin/true", NULL };
  const char *renamed_argv[] = { "true", NULL };
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) renamed = NULL;
  int n_heard = 0;

  TEST_SUMMARY ();

  task = test_track_task (gtask_sup_task_new_subprocess (argv, G_SUBPROCESS_FLAGS_NONE));
  g_assert_cmpstr (gtask_sup_task_get_name (task), ==, "true");
  renamed = test_track_task (gtask_sup_task_new_subprocess (renamed_argv, G_SUBPROCESS_FLAGS_NONE));
  gtask_sup_task_set_name (renamed, "mine");
  g_assert_cmpstr (gtask_sup_task_get_name (renamed), ==, "mine");

  /* The name is the detail of its signals. */
  g_signal_connect (f->sup, "succeeded::true", G_CALLBACK (count_succeeded_cb), &n_heard);
  fixture_start (f, task);
  fixture_start (f, renamed);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, renamed, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (n_heard, ==, 1);
  g_signal_handlers_disconnect_by_data (f->sup, &n_heard);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Toolbox/current-thread", test_current_thread,
            "A thread function's get_current() is its task; NULL elsewhere");
  TEST_ADD ("/GtaskSup/Toolbox/current-async", test_current_async,
            "An async function's get_current() is its task; NULL in its operation's callback");
  TEST_ADD ("/GtaskSup/Toolbox/parent", test_parent,
            "A task started from an async function records it as its parent, and keeps it alive");
  TEST_ADD ("/GtaskSup/Toolbox/completed-value", test_completed_value,
            "new_completed() succeeds with a copy of its value (or none), from a later dispatch");
  TEST_ADD ("/GtaskSup/Toolbox/completed-error", test_completed_error,
            "new_failed() fails with a copy of its error, from a later dispatch");
  TEST_ADD ("/GtaskSup/Toolbox/completed-queued-cancel", test_completed_queued_cancel,
            "A completed task waits for its slot like any other, and can be cancelled there");
  TEST_ADD ("/GtaskSup/Toolbox/terminate-child", test_terminate_child,
            "terminate_child() shuts a child down and says NOT_FOUND for an ended, foreign or new task");
  TEST_ADD ("/GtaskSup/Toolbox/close", test_close,
            "close() refuses new tasks, cancels none, restarts none, emits no ::stopped");
  TEST_ADD ("/GtaskSup/Toolbox/drain", test_drain,
            "drain_async() completes after the last outcome, later, and at once when empty");
  TEST_ADD ("/GtaskSup/Toolbox/drain-owner-gone", test_drain_owner_gone,
            "drain_async() completes when the owner goes; the tasks are cancelled silently");
  TEST_ADD ("/GtaskSup/Toolbox/drain-cancelled-wait", test_drain_cancelled_wait,
            "Cancelling drain_async()'s wait leaves the tasks running and the supervisor closed");
  TEST_ADD ("/GtaskSup/Toolbox/default-name-of-subprocess", test_subprocess_default_name,
            "A subprocess task is named after its program's basename unless named");
  TEST_ADD ("/GtaskSup/Toolbox/await-many", test_await_many,
            "await_many_async() completes after every task succeeded; values in input order");
  TEST_ADD ("/GtaskSup/Toolbox/await-many-fail-fast", test_await_many_fail_fast,
            "await_many_async() fails with the first error while the others go on");
  TEST_ADD ("/GtaskSup/Toolbox/await-many-cancelled", test_await_many_cancelled,
            "Cancelling await_many_async() stops the wait, not the tasks");
  TEST_ADD ("/GtaskSup/Toolbox/await-many-blocking", test_await_many_blocking,
            "await_many() iterates the owner context; on timeout it shuts the rest down");
  TEST_ADD ("/GtaskSup/Toolbox/yield-many", test_yield_many,
            "yield_many_async() returns the done tasks in input order at a limit or timeout");
  TEST_ADD ("/GtaskSup/Toolbox/yield-many-blocking", test_yield_many_blocking,
            "yield_many() waits up to its timeout and returns the done tasks");
  TEST_ADD ("/GtaskSup/Toolbox/priority-queue", test_priority_queue,
            "Queued tasks start in priority order, FIFO within a priority");
  TEST_ADD ("/GtaskSup/Toolbox/priority-outcomes", test_priority_outcomes,
            "Outcomes of one dispatch are emitted in priority order, FIFO within one");
  TEST_ADD ("/GtaskSup/Toolbox/ignore", test_ignore,
            "An ignored task runs on unreported, out of the model and of max-children");
  TEST_ADD ("/GtaskSup/Toolbox/ignore-owner-gone", test_ignore_owner_gone,
            "An ignored task is still cancelled when the owner goes");
  TEST_ADD ("/GtaskSup/Toolbox/progress-frame-rate", test_progress_frame_rate,
            "A worker setting progress 10^5 times costs the owner at most one notify per "
            "16 ms, and the last value is notified");
  g_test_add_func ("/GtaskSup/Toolbox/log-unhandled", test_log_unhandled);

  return g_test_run ();
}

/* vim:set foldmethod=marker: */
