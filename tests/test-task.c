/* test-task.c: GtaskSupTask (thread kind): outcomes, timeouts, cancel,
 * shutdown, wait/join, results and progress
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-recorder.h"
#include "test-util.h"

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
start_probe_with_timeout (Fixture *f,
                          Probe   *p,
                          int      timeout_ms)
{
  GtaskSupTask *task = probe_task_new (p);

  gtask_sup_task_set_timeout (task, timeout_ms);
  recorder_watch (f->rec, task);
  fixture_start (f, task);
  return task;
}

/* After the outcome of a task that may have ended before any worker picked
 * it up: did its function run? (A function that starts after the outcome is
 * never called.) */
static gboolean
probe_ran (Fixture *f,
           Probe   *p)
{
  if (g_atomic_int_get (&p->n_runs) == 0)
    iterate_for (f->ctx, 50);
  return g_atomic_int_get (&p->n_runs) > 0;
}

static gboolean
weak_is_null_cb (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Drops the test's references on *task and waits (bounded) until it is finalized. */
static void
release_task (Fixture       *f,
              GtaskSupTask **task)
{
  gpointer weak = *task;

  g_object_add_weak_pointer (weak, &weak);
  g_hash_table_remove (f->rec->outcomes, *task);
  g_clear_object (task);
  iterate_until (f->ctx, weak_is_null_cb, &weak, TEST_WAIT_MS);
}

static gboolean
task_is_final (GtaskSupTask *task)
{
  GtaskSupTaskState state = gtask_sup_task_get_state (task);

  return state == GTASK_SUP_TASK_STATE_SUCCEEDED ||
         state == GTASK_SUP_TASK_STATE_FAILED ||
         state == GTASK_SUP_TASK_STATE_TIMED_OUT;
}

static void
nop_func (GtaskSupTask *task,
          GCancellable *cancellable,
          gpointer      user_data)
{
}

typedef struct
{
  GHashTable *counts; /* property name → count */
} NotifyCounter;

static void
test_defaults (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (nop_func, NULL, NULL);
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *name = NULL;
  GtaskSupTaskKind kind = 99;
  GtaskSupTaskState state = 99;
  int timeout = 0, shutdown_timeout = 0;
  double progress = -1;

  TEST_SUMMARY ();

  g_assert_true (GTASK_SUP_IS_TASK (task));
  g_assert_cmpint (gtask_sup_task_get_kind (task), ==, GTASK_SUP_TASK_KIND_THREAD);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_NEW);
  g_assert_cmpint (gtask_sup_task_get_timeout (task), ==, -1);
  g_assert_cmpint (gtask_sup_task_get_shutdown_timeout (task), ==, 5000);
  g_assert_cmpfloat (gtask_sup_task_get_progress (task), ==, 0.0);
  g_assert_null (gtask_sup_task_get_name (task));
  g_assert_null (gtask_sup_task_get_value (task));
  g_assert_null (gtask_sup_task_get_error (task));

  g_object_get (task,
                "name", &name,
                "kind", &kind,
                "state", &state,
                "timeout", &timeout,
                "shutdown-timeout", &shutdown_timeout,
                "progress", &progress,
                NULL);
  g_assert_null (name);
  g_assert_cmpint (kind, ==, GTASK_SUP_TASK_KIND_THREAD);
  g_assert_cmpint (state, ==, GTASK_SUP_TASK_STATE_NEW);
  g_assert_cmpint (timeout, ==, -1);
  g_assert_cmpint (shutdown_timeout, ==, 5000);
  g_assert_cmpfloat (progress, ==, 0.0);

  /* setters notify on real changes only */
  g_signal_connect (task, "notify", G_CALLBACK (notify_count_cb), counts);
  gtask_sup_task_set_name (task, "thumb");
  gtask_sup_task_set_name (task, "thumb");
  g_assert_cmpstr (gtask_sup_task_get_name (task), ==, "thumb");
  g_assert_cmpuint (notify_count (counts, "name"), ==, 1);
  gtask_sup_task_set_timeout (task, 250);
  gtask_sup_task_set_timeout (task, 250);
  g_assert_cmpint (gtask_sup_task_get_timeout (task), ==, 250);
  g_assert_cmpuint (notify_count (counts, "timeout"), ==, 1);
  gtask_sup_task_set_timeout (task, -1);
  g_assert_cmpint (gtask_sup_task_get_timeout (task), ==, -1);
  g_assert_cmpuint (notify_count (counts, "timeout"), ==, 2);
  gtask_sup_task_set_shutdown_timeout (task, 0);
  gtask_sup_task_set_shutdown_timeout (task, 0);
  g_assert_cmpint (gtask_sup_task_get_shutdown_timeout (task), ==, 0);
  g_assert_cmpuint (notify_count (counts, "shutdown-timeout"), ==, 1);
  gtask_sup_task_set_shutdown_timeout (task, -1);
  g_assert_cmpint (gtask_sup_task_get_shutdown_timeout (task), ==, -1);
  g_object_set (task, "name", NULL, "timeout", 10, NULL);
  g_assert_null (gtask_sup_task_get_name (task));
  g_assert_cmpint (gtask_sup_task_get_timeout (task), ==, 10);
  g_assert_cmpuint (notify_count (counts, "name"), ==, 2);
  g_assert_cmpuint (notify_count (counts, "timeout"), ==, 3);
  g_assert_cmpuint (notify_count (counts, "state"), ==, 0);
  g_signal_handlers_disconnect_by_data (task, counts);
}

static void
test_exactly_one_outcome (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Probe) p_int = probe_new (PROBE_RESULT_INT, 1);
  g_autoptr(Probe) p_err = probe_new (PROBE_RESULT_ERROR, 2);
  g_autoptr(Probe) p_none = probe_new (PROBE_RESULT_NONE, 3);
  g_autoptr(Probe) p_cancel = probe_new_blocking (TRUE);
  g_autoptr(Probe) p_timeout = probe_new_blocking (TRUE);
  g_autoptr(Probe) p_kill = probe_new_blocking (FALSE);
  g_autoptr(Probe) p_late_cancel = probe_new (PROBE_RESULT_INT, 7);
  g_autoptr(GtaskSupTask) t_int = NULL;
  g_autoptr(GtaskSupTask) t_err = NULL;
  g_autoptr(GtaskSupTask) t_none = NULL;
  g_autoptr(GtaskSupTask) t_cancel = NULL;
  g_autoptr(GtaskSupTask) t_timeout = NULL;
  g_autoptr(GtaskSupTask) t_kill = NULL;
  g_autoptr(GtaskSupTask) t_late_cancel = NULL;

  TEST_SUMMARY ();

  t_int = start_probe (f, p_int);
  t_err = start_probe (f, p_err);
  t_none = start_probe (f, p_none);
  t_cancel = start_probe (f, p_cancel);
  t_timeout = start_probe_with_timeout (f, p_timeout, 30);
  t_kill = start_probe (f, p_kill);
  t_late_cancel = start_probe (f, p_late_cancel);

  iterate_until_int_eq (f->ctx, &p_cancel->n_runs, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &p_kill->n_runs, 1, TEST_WAIT_MS);
  gtask_sup_task_cancel (t_cancel);
  gtask_sup_task_shutdown (t_kill, 0);
  wait_outcome (f->ctx, f->rec, t_late_cancel);
  gtask_sup_task_cancel (t_late_cancel);

  wait_n_outcomes (f->ctx, f->rec, 7, TEST_WAIT_MS);
  test_gate_open (&p_kill->gate);
  iterate_until_int_eq (f->ctx, &p_kill->n_returns, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &p_cancel->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 200);

  g_assert_cmpuint (f->rec->n_outcomes, ==, 7);
  assert_outcome (f->rec, t_int, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, t_err, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  assert_outcome (f->rec, t_none, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NO_RESULT);
  assert_outcome (f->rec, t_cancel, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, t_timeout, OUTCOME_TIMED_OUT, 0, 0);
  assert_outcome (f->rec, t_kill, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);
  assert_outcome (f->rec, t_late_cancel, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_get_state (t_late_cancel), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
}

static void
test_no_result (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_NONE, 0);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  task = start_probe (f, p);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NO_RESULT);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_error ((GError *) gtask_sup_task_get_error (task),
                  GTASK_SUP_ERROR, GTASK_SUP_ERROR_NO_RESULT);
  g_assert_null (gtask_sup_task_get_value (task));
}

static void
test_timeout (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  Outcome *o;
  gint64 t0;

  TEST_SUMMARY ();

  p->value = 99; /* returned late, after the timeout */
  task = probe_task_new (p);
  gtask_sup_task_set_timeout (task, 100);
  recorder_watch (f->rec, task);
  t0 = g_get_monotonic_time ();
  fixture_start (f, task);

  wait_outcome (f->ctx, f->rec, task);
  o = recorder_get (f->rec, task);
  g_assert_cmpint (o->time_us - t0, >=, 100 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (o->time_us - t0, <=, (100 + test_upper_ms (TEST_SLACK_MS)) * G_TIME_SPAN_MILLISECOND);
  assert_outcome (f->rec, task, OUTCOME_TIMED_OUT, 0, 0);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
  g_assert_error ((GError *) gtask_sup_task_get_error (task), G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (task)));

  /* the function saw its cancellable cancelled, and its late result is dropped */
  if (!probe_ran (f, p))
    {
      g_test_message ("no worker picked the task up within its timeout: machine too slow");
      return;
    }
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (p->saw_cancel, ==, 1);
  g_assert_cmpint (p->n_completed, ==, 1);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (recorder_count (f->rec, task), ==, 1);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
  g_assert_null (gtask_sup_task_get_value (task));
  g_assert_error ((GError *) gtask_sup_task_get_error (task), G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

static void
test_timeout_queued (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Probe) pa = probe_new_blocking (TRUE);
  g_autoptr(Probe) pb = probe_new (PROBE_RESULT_INT, 2);
  g_autoptr(GtaskSupTask) a = NULL;
  g_autoptr(GtaskSupTask) b = NULL;
  Outcome *o;
  gint64 t0;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  a = start_probe (f, pa);
  t0 = g_get_monotonic_time ();
  b = start_probe_with_timeout (f, pb, 50);
  iterate_until_int_eq (f->ctx, &pa->n_runs, 1, TEST_WAIT_MS);

  wait_outcome (f->ctx, f->rec, b);
  o = recorder_get (f->rec, b);
  g_assert_cmpint (o->time_us - t0, >=, 50 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (o->time_us - t0, <=, (50 + test_upper_ms (TEST_SLACK_MS)) * G_TIME_SPAN_MILLISECOND);
  assert_outcome (f->rec, b, OUTCOME_TIMED_OUT, 0, 0);
  g_assert_cmpint (pb->n_runs, ==, 0);
  g_assert_null (recorder_get (f->rec, a));

  /* even once the slot is free, the timed-out task never runs */
  gtask_sup_task_cancel (a);
  wait_outcome (f->ctx, f->rec, a);
  assert_outcome (f->rec, a, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_until_int_eq (f->ctx, &pa->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpint (pb->n_runs, ==, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
}

static void
test_timeout_late_result_freed (Fixture       *f,
                                gconstpointer  data)
{
  ProbeShared shared = { 0, };
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  p->result = PROBE_RESULT_POINTER;
  p->shared = &shared;
  task = start_probe_with_timeout (f, p, 100);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_TIMED_OUT, 0, 0);
  if (!probe_ran (f, p))
    {
      g_test_skip ("no worker picked the task up within its timeout: machine too slow");
      return;
    }
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (p->n_completed, ==, 1);
  /* the pointer returned after the timeout is freed, never reported */
  iterate_until_int_eq (f->ctx, &shared.pointers_alive, 0, TEST_WAIT_MS);
  g_assert_null (gtask_sup_task_get_value (task));
}

static void
test_cancel_queued (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(Probe) pa = probe_new_blocking (TRUE);
  g_autoptr(Probe) pb = probe_new (PROBE_RESULT_INT, 2);
  g_autoptr(GtaskSupTask) a = NULL;
  g_autoptr(GtaskSupTask) b = NULL;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  a = start_probe (f, pa);
  b = start_probe (f, pb);
  iterate_until_int_eq (f->ctx, &pa->n_runs, 1, TEST_WAIT_MS);

  f->rec->in_call = TRUE;
  gtask_sup_task_cancel (b);
  gtask_sup_task_cancel (b);
  f->rec->in_call = FALSE;
  wait_outcome (f->ctx, f->rec, b);
  assert_outcome (f->rec, b, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error ((GError *) gtask_sup_task_get_error (b), G_IO_ERROR, G_IO_ERROR_CANCELLED);

  gtask_sup_task_cancel (a);
  wait_outcome (f->ctx, f->rec, a);
  iterate_until_int_eq (f->ctx, &pa->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpint (pb->n_runs, ==, 0);
  g_assert_cmpuint (recorder_count (f->rec, b), ==, 1);
}

static void
test_cancel_running (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  p->value = 5; /* returned after the cancel: must not be reported */
  task = start_probe (f, p);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);
  g_assert_false (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (task)));

  f->rec->in_call = TRUE;
  gtask_sup_task_cancel (task);
  f->rec->in_call = FALSE;
  g_assert_true (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (task)));

  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (p->saw_cancel, ==, 1);
  gtask_sup_task_cancel (task);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (recorder_count (f->rec, task), ==, 1);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_null (gtask_sup_task_get_value (task));
}

static void
cancel_from_thread_func (GtaskSupTask *task,
                         GCancellable *cancellable,
                         gpointer      user_data)
{
  int *done = user_data;

  /* cancel is allowed from any thread, including the task's own worker */
  gtask_sup_task_cancel (task);
  if (g_cancellable_is_cancelled (cancellable))
    gtask_sup_task_return_int (task, 1);
  g_atomic_int_set (done, 1);
}

static void
test_cancel_from_worker (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = NULL;
  int done = 0;

  TEST_SUMMARY ();

  task = gtask_sup_task_new_thread (cancel_from_thread_func, &done, NULL);
  recorder_watch (f->rec, task);
  fixture_start (f, task);
  wait_outcome (f->ctx, f->rec, task);
  iterate_until_int_eq (f->ctx, &done, 1, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_result_before_cancel (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 31);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  /* The result is committed, then the function blocks (ignoring the
   * cancellable) and the task is cancelled: the committed result wins. */
  p->result_first = TRUE;
  p->block = TRUE;
  task = start_probe (f, p);
  iterate_until_int_eq (f->ctx, &p->n_completed, 1, TEST_WAIT_MS);
  gtask_sup_task_cancel (task);
  test_gate_open (&p->gate);
  wait_outcome (f->ctx, f->rec, task);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 50);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_propagate_int (task, NULL), ==, 31);
}

static void
test_result_before_timeout (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 32);
  g_autoptr(GtaskSupTask) task = NULL;
  int timeout = (int) test_upper_ms (300);
  gint64 t0;

  TEST_SUMMARY ();

  p->result_first = TRUE;
  p->block = TRUE;
  t0 = g_get_monotonic_time ();
  task = start_probe_with_timeout (f, p, timeout);
  iterate_until_int_eq (f->ctx, &p->n_completed, 1, TEST_WAIT_MS);
  if (p->completed_us - t0 >= timeout * G_TIME_SPAN_MILLISECOND)
    {
      test_gate_open (&p->gate);
      iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
      g_test_skip ("the worker did not even start before the timeout: machine too slow");
      return;
    }
  /* let the timeout expire while the function still runs */
  iterate_for (f->ctx, timeout + 100);
  test_gate_open (&p->gate);
  wait_outcome (f->ctx, f->rec, task);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 50);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_propagate_int (task, NULL), ==, 32);
}

static void
test_wait (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 7);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0;
  gboolean ok;

  TEST_SUMMARY ();

  p->block = TRUE;
  task = start_probe (f, p);

  /* like Elixir's Task.yield: times out, the task keeps running */
  t0 = g_get_monotonic_time ();
  ok = gtask_sup_task_wait (task, 50, &error);
  assert_elapsed_between (t0, 50, 50 + TEST_SLACK_MS);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_false (ok);
  g_clear_error (&error);
  g_assert_false (task_is_final (task));
  g_assert_null (recorder_get (f->rec, task));
  g_assert_false (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (task)));

  /* it later succeeds; wait() iterates the owner context meanwhile */
  test_gate_open (&p->gate);
  ok = gtask_sup_task_wait (task, (int) test_upper_ms (TEST_WAIT_MS), &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (task)), ==, 7);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
}

typedef struct
{
  GtaskSupTask *task;
  int           done;
  gboolean      ok;
  GError       *error;
} WaiterThread;

static gpointer
waiter_thread_func (gpointer user_data)
{
  WaiterThread *w = user_data;

  w->ok = gtask_sup_task_wait (w->task, (int) test_upper_ms (TEST_WAIT_MS), &w->error);
  g_atomic_int_set (&w->done, 1);
  return NULL;
}

static void
test_wait_other_thread (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 8);
  g_autoptr(GtaskSupTask) task = NULL;
  WaiterThread w = { 0, };
  GThread *thread;

  TEST_SUMMARY ();

  p->block = TRUE;
  task = start_probe (f, p);
  w.task = task;
  thread = g_thread_new ("waiter", waiter_thread_func, &w);

  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (g_atomic_int_get (&w.done), ==, 0);
  test_gate_open (&p->gate);
  iterate_until_int_eq (f->ctx, &w.done, 1, TEST_WAIT_MS);
  g_thread_join (thread);

  g_assert_no_error (w.error);
  g_assert_true (w.ok);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
}

static void
test_join_success (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 42);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  TEST_SUMMARY ();

  p->work_ms = 20;
  task = start_probe (f, p);
  ok = gtask_sup_task_join (task, -1, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  /* the outcome was delivered while joining on the owner thread */
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  g_assert_true (G_VALUE_HOLDS_INT64 (gtask_sup_task_get_value (task)));
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (task)), ==, 42);
  g_assert_cmpint (gtask_sup_task_propagate_int (task, &error), ==, 42);
  g_assert_no_error (error);
}

static void
test_join_failure (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_ERROR, 4);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  TEST_SUMMARY ();

  p->work_ms = 20;
  task = start_probe (f, p);
  ok = gtask_sup_task_join (task, (int) test_upper_ms (TEST_WAIT_MS), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (ok);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_join_timeout (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0;
  gboolean ok;

  TEST_SUMMARY ();

  p->result = PROBE_RESULT_OWN_ERROR_IF_CANCELLED;
  task = probe_task_new (p);
  gtask_sup_task_set_shutdown_timeout (task, (int) test_upper_ms (1000));
  recorder_watch (f->rec, task);
  fixture_start (f, task);

  /* like Elixir's Task.await: on timeout the task is shut down */
  t0 = g_get_monotonic_time ();
  ok = gtask_sup_task_join (task, 50, &error);
  assert_elapsed_between (t0, 50, 50 + TEST_SLACK_MS + 1000);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_false (ok);
  g_assert_true (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (task)));

  wait_outcome (f->ctx, f->rec, task);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (p->saw_cancel, ==, 1);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (recorder_count (f->rec, task), ==, 1);
  g_assert_cmpint (recorder_get (f->rec, task)->kind, ==, OUTCOME_FAILED);
}

static void
test_join_timed_out_task (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  TEST_SUMMARY ();

  task = start_probe_with_timeout (f, p, 30);
  ok = gtask_sup_task_join (task, (int) test_upper_ms (TEST_WAIT_MS), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_false (ok);
  assert_outcome (f->rec, task, OUTCOME_TIMED_OUT, 0, 0);
}

static void
test_wait_join_done (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Probe) p_ok = probe_new (PROBE_RESULT_INT, 3);
  g_autoptr(Probe) p_err = probe_new (PROBE_RESULT_ERROR, 4);
  g_autoptr(GtaskSupTask) t_ok = NULL;
  g_autoptr(GtaskSupTask) t_err = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0;

  TEST_SUMMARY ();

  t_ok = start_probe (f, p_ok);
  t_err = start_probe (f, p_err);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);

  /* done tasks: wait and join return at once (not after their timeout) */
  t0 = g_get_monotonic_time ();
  g_assert_true (gtask_sup_task_wait (t_ok, 0, &error));
  g_assert_no_error (error);
  g_assert_true (gtask_sup_task_wait (t_ok, 5000, &error));
  g_assert_no_error (error);
  g_assert_true (gtask_sup_task_wait (t_ok, -1, &error));
  g_assert_no_error (error);
  g_assert_true (gtask_sup_task_join (t_ok, 0, &error));
  g_assert_no_error (error);
  g_assert_true (gtask_sup_task_join (t_ok, 5000, &error));
  g_assert_no_error (error);
  g_assert_true (gtask_sup_task_join (t_ok, -1, &error));
  g_assert_no_error (error);

  g_assert_true (gtask_sup_task_wait (t_err, 5000, &error));
  g_assert_no_error (error);
  g_assert_false (gtask_sup_task_join (t_err, 5000, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (gtask_sup_task_join (t_err, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_elapsed_between (t0, 0, 1000);

  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  g_assert_cmpint (gtask_sup_task_get_state (t_ok), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
}

typedef struct
{
  Fixture      *f;
  int           called;
  gboolean      ok;
  GError       *error;
  gboolean      was_sync;
  gboolean      wrong_context;
} JoinAsync;

static void
join_async_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  JoinAsync *j = user_data;
  GSource *source = g_main_current_source ();

  if (j->f->rec->in_call)
    j->was_sync = TRUE;
  if (!g_main_context_is_owner (j->f->ctx) || source == NULL ||
      g_source_get_context (source) != j->f->ctx)
    j->wrong_context = TRUE;
  g_assert_true (GTASK_SUP_IS_TASK (object));
  j->ok = gtask_sup_task_join_finish (GTASK_SUP_TASK (object), result, &j->error);
  j->called++;
}

static void
test_join_async (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(Probe) p_ok = probe_new (PROBE_RESULT_INT, 12);
  g_autoptr(Probe) p_err = probe_new (PROBE_RESULT_ERROR, 13);
  g_autoptr(GtaskSupTask) t_ok = NULL;
  g_autoptr(GtaskSupTask) t_err = NULL;
  JoinAsync j_ok = { f, 0, }, j_err = { f, 0, }, j_done = { f, 0, };

  TEST_SUMMARY ();

  p_ok->block = TRUE;
  t_ok = start_probe (f, p_ok);
  t_err = start_probe (f, p_err);

  f->rec->in_call = TRUE;
  gtask_sup_task_join_async (t_ok, NULL, join_async_cb, &j_ok);
  gtask_sup_task_join_async (t_err, NULL, join_async_cb, &j_err);
  f->rec->in_call = FALSE;

  iterate_until_int_eq (f->ctx, &j_err.called, 1, TEST_WAIT_MS);
  g_assert_false (j_err.ok);
  g_assert_error (j_err.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  assert_outcome (f->rec, t_err, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  iterate_for (f->ctx, 50);
  g_assert_cmpint (j_ok.called, ==, 0);
  test_gate_open (&p_ok->gate);
  iterate_until_int_eq (f->ctx, &j_ok.called, 1, TEST_WAIT_MS);
  g_assert_no_error (j_ok.error);
  g_assert_true (j_ok.ok);
  assert_outcome (f->rec, t_ok, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (t_ok)), ==, 12);

  /* on a finished task the callback still comes from a later iteration */
  f->rec->in_call = TRUE;
  gtask_sup_task_join_async (t_ok, NULL, join_async_cb, &j_done);
  f->rec->in_call = FALSE;
  g_assert_cmpint (j_done.called, ==, 0);
  iterate_until_int_eq (f->ctx, &j_done.called, 1, TEST_WAIT_MS);
  g_assert_true (j_done.ok);
  g_assert_no_error (j_done.error);

  iterate_for (f->ctx, 50);
  g_assert_cmpint (j_ok.called, ==, 1);
  g_assert_cmpint (j_err.called, ==, 1);
  g_assert_cmpint (j_done.called, ==, 1);
  g_assert_false (j_ok.was_sync || j_err.was_sync || j_done.was_sync);
  g_assert_false (j_ok.wrong_context || j_err.wrong_context || j_done.wrong_context);
  g_clear_error (&j_err.error);
  iterate_until_int_eq (f->ctx, &p_ok->n_returns, 1, TEST_WAIT_MS);
}

static void
test_join_async_timed_out (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  JoinAsync j = { f, 0, };

  TEST_SUMMARY ();

  task = start_probe_with_timeout (f, p, 30);
  gtask_sup_task_join_async (task, NULL, join_async_cb, &j);
  iterate_until_int_eq (f->ctx, &j.called, 1, TEST_WAIT_MS);
  g_assert_false (j.ok);
  g_assert_error (j.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&j.error);
  assert_outcome (f->rec, task, OUTCOME_TIMED_OUT, 0, 0);
}

static void
test_join_async_cancelled (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  GtaskSupTask *task = NULL;
  GCancellable *cancellable = g_cancellable_new ();
  gpointer weak_cancellable = cancellable;
  JoinAsync j = { f, 0, };

  TEST_SUMMARY ();

  /* GIO convention: cancelling the join's own cancellable ends the join
   * with G_IO_ERROR_CANCELLED (the task goes on). */
  task = probe_task_new (p);
  fixture_start (f, task);
  gtask_sup_task_join_async (task, cancellable, join_async_cb, &j);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);
  g_cancellable_cancel (cancellable);
  iterate_until_int_eq (f->ctx, &j.called, 1, TEST_WAIT_MS);
  g_assert_false (j.ok);
  g_assert_error (j.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&j.error);
  g_assert_false (j.was_sync || j.wrong_context);
  g_assert_false (task_is_final (task));

  gtask_sup_task_cancel (task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (j.called, ==, 1);

  /* Nothing of the cancelled join keeps the task or the cancellable alive. */
  g_object_add_weak_pointer (G_OBJECT (cancellable), (gpointer *) &weak_cancellable);
  g_clear_object (&cancellable);
  release_task (f, &task);
  iterate_until (f->ctx, weak_is_null_cb, &weak_cancellable, TEST_WAIT_MS);
}

typedef struct
{
  Fixture   *f;
  TestGate   gate;
  int        returned;
  GArray    *seen;          /* double, read in the notify handler */
  gboolean   wrong_context;
  gboolean   was_sync;
} ProgressData;

static void
progress_func (GtaskSupTask *task,
               GCancellable *cancellable,
               gpointer      user_data)
{
  ProgressData *pd = user_data;

  gtask_sup_task_set_progress (task, 0.25);
  gtask_sup_task_set_progress (task, 0.5);
  test_gate_wait (&pd->gate, cancellable, test_upper_ms (TEST_WAIT_MS));
  gtask_sup_task_set_progress (task, 1.0);
  gtask_sup_task_return_int (task, 1);
  g_atomic_int_set (&pd->returned, 1);
}

static void
progress_notify_cb (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  ProgressData *pd = user_data;
  GSource *source = g_main_current_source ();
  double progress = gtask_sup_task_get_progress (GTASK_SUP_TASK (object));

  if (!g_main_context_is_owner (pd->f->ctx) || source == NULL ||
      g_source_get_context (source) != pd->f->ctx)
    pd->wrong_context = TRUE;
  if (pd->f->rec->in_call)
    pd->was_sync = TRUE;
  g_array_append_val (pd->seen, progress);
}

static gboolean
progress_seen_cb (gpointer user_data)
{
  ProgressData *pd = user_data;

  return pd->seen->len > 0 && g_array_index (pd->seen, double, pd->seen->len - 1) == 0.5;
}

static void
test_progress (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = NULL;
  ProgressData pd = { f, };
  guint i;

  TEST_SUMMARY ();

  test_gate_init (&pd.gate);
  pd.seen = g_array_new (FALSE, FALSE, sizeof (double));
  task = gtask_sup_task_new_thread (progress_func, &pd, NULL);
  g_signal_connect (task, "notify::progress", G_CALLBACK (progress_notify_cb), &pd);
  recorder_watch (f->rec, task);
  fixture_start (f, task);

  /* progress set on the worker is notified on the owner context */
  iterate_until (f->ctx, progress_seen_cb, &pd, TEST_WAIT_MS);
  g_assert_cmpfloat (gtask_sup_task_get_progress (task), ==, 0.5);
  g_assert_false (pd.wrong_context);
  g_assert_false (pd.was_sync);

  test_gate_open (&pd.gate);
  wait_outcome (f->ctx, f->rec, task);
  iterate_until_int_eq (f->ctx, &pd.returned, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 50);
  g_assert_cmpfloat (gtask_sup_task_get_progress (task), ==, 1.0);
  g_assert_false (pd.wrong_context);
  for (i = 1; i < pd.seen->len; i++)
    g_assert_cmpfloat (g_array_index (pd.seen, double, i - 1), <=,
                       g_array_index (pd.seen, double, i));

  g_signal_handlers_disconnect_by_data (task, &pd);
  g_array_unref (pd.seen);
  test_gate_clear (&pd.gate);
}

static void
test_return_int (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(Probe) p1 = probe_new (PROBE_RESULT_INT, G_MAXINT64);
  g_autoptr(Probe) p2 = probe_new (PROBE_RESULT_INT, -5);
  g_autoptr(GtaskSupTask) t1 = NULL;
  g_autoptr(GtaskSupTask) t2 = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;

  TEST_SUMMARY ();

  t1 = start_probe (f, p1);
  t2 = start_probe (f, p2);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, t1, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, t2, OUTCOME_SUCCEEDED, 0, 0);

  value = gtask_sup_task_get_value (t1);
  g_assert_nonnull (value);
  g_assert_true (G_VALUE_HOLDS_INT64 (value));
  g_assert_cmpint (g_value_get_int64 (value), ==, G_MAXINT64);
  g_assert_cmpint (gtask_sup_task_propagate_int (t1, &error), ==, G_MAXINT64);
  g_assert_no_error (error);
  g_assert_cmpint (gtask_sup_task_propagate_int (t2, &error), ==, -5);
  g_assert_no_error (error);
  g_assert_null (gtask_sup_task_get_error (t1));
}

static void
test_return_boolean (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Probe) p1 = probe_new (PROBE_RESULT_BOOLEAN, 1);
  g_autoptr(Probe) p2 = probe_new (PROBE_RESULT_BOOLEAN, 0);
  g_autoptr(GtaskSupTask) t1 = NULL;
  g_autoptr(GtaskSupTask) t2 = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;

  TEST_SUMMARY ();

  t1 = start_probe (f, p1);
  t2 = start_probe (f, p2);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, t1, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, t2, OUTCOME_SUCCEEDED, 0, 0);

  value = gtask_sup_task_get_value (t1);
  g_assert_true (G_VALUE_HOLDS_BOOLEAN (value));
  g_assert_true (g_value_get_boolean (value));
  g_assert_true (gtask_sup_task_propagate_boolean (t1, &error));
  g_assert_no_error (error);
  /* FALSE is a result too: a success */
  g_assert_true (G_VALUE_HOLDS_BOOLEAN (gtask_sup_task_get_value (t2)));
  g_assert_false (gtask_sup_task_propagate_boolean (t2, &error));
  g_assert_no_error (error);
}

static void
test_return_pointer (Fixture       *f,
                     gconstpointer  data)
{
  static ProbeShared shared;
  g_autoptr(Probe) p1 = probe_new (PROBE_RESULT_POINTER, 21);
  g_autoptr(Probe) p2 = probe_new (PROBE_RESULT_POINTER, 22);
  g_autoptr(GtaskSupTask) t1 = NULL;
  g_autoptr(GtaskSupTask) t2 = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;
  PointerResult *r;

  TEST_SUMMARY ();

  shared = (ProbeShared) { 0, };
  p1->shared = &shared;
  p2->shared = &shared;
  /* not watched: the recorder must not keep them alive */
  t1 = probe_task_new (p1);
  t2 = probe_task_new (p2);
  fixture_start (f, t1);
  fixture_start (f, t2);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, t1, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, t2, OUTCOME_SUCCEEDED, 0, 0);
  iterate_until_int_eq (f->ctx, &p1->n_returns, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &p2->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (shared.pointers_alive, ==, 2);

  value = gtask_sup_task_get_value (t1);
  g_assert_true (G_VALUE_HOLDS_POINTER (value));
  r = g_value_get_pointer (value);
  g_assert_cmpint (r->value, ==, 21);

  /* propagate_pointer steals: the task no longer frees it */
  r = gtask_sup_task_propagate_pointer (t1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_cmpint (r->value, ==, 21);
  release_task (f, &t1);
  g_assert_cmpint (shared.pointers_alive, ==, 2);
  pointer_result_free (r);
  g_assert_cmpint (shared.pointers_alive, ==, 1);

  /* not stolen: freed (once) with the task */
  release_task (f, &t2);
  g_assert_cmpint (shared.pointers_alive, ==, 0);
}

static void
test_return_value (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_STRING_VALUE, 9);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;
  GValue out = G_VALUE_INIT;
  const GValue *value;

  TEST_SUMMARY ();

  task = start_probe (f, p);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);

  value = gtask_sup_task_get_value (task);
  g_assert_true (G_VALUE_HOLDS_STRING (value));
  g_assert_cmpstr (g_value_get_string (value), ==, "probe-9");

  g_assert_true (gtask_sup_task_propagate_value (task, &out, &error));
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_STRING (&out));
  g_assert_cmpstr (g_value_get_string (&out), ==, "probe-9");
  g_value_unset (&out);
  /* still there: propagate_value copies */
  g_assert_cmpstr (g_value_get_string (gtask_sup_task_get_value (task)), ==, "probe-9");
}

static void
return_null_value_func (GtaskSupTask *task,
                        GCancellable *cancellable,
                        gpointer      user_data)
{
  gtask_sup_task_return_value (task, NULL);
}

static void
test_return_value_null (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;
  GValue out = G_VALUE_INIT;

  TEST_SUMMARY ();

  task = gtask_sup_task_new_thread (return_null_value_func, NULL, NULL);
  fixture_start (f, task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_null (gtask_sup_task_get_value (task));
  g_assert_null (gtask_sup_task_get_error (task));
  g_assert_true (gtask_sup_task_propagate_value (task, &out, &error));
  g_assert_no_error (error);
  g_assert_false (G_IS_VALUE (&out));
}

static void
test_return_error (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_ERROR, 6);
  g_autoptr(Probe) pt = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) timed_out = NULL;
  GError *error = NULL;
  GValue out = G_VALUE_INIT;

  TEST_SUMMARY ();

  task = start_probe (f, p);
  timed_out = start_probe_with_timeout (f, pt, 20);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (recorder_get (f->rec, task)->error->message, ==, "probe 6");
  g_assert_error ((GError *) gtask_sup_task_get_error (task), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (gtask_sup_task_get_value (task));

  /* like g_task_propagate_int(): -1 on error */
  g_assert_cmpint (gtask_sup_task_propagate_int (task, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (gtask_sup_task_propagate_boolean (task, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (gtask_sup_task_propagate_pointer (task, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (gtask_sup_task_propagate_value (task, &out, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* the error stays with the task */
  g_assert_error ((GError *) gtask_sup_task_get_error (task), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  g_assert_cmpint (gtask_sup_task_propagate_int (timed_out, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
}

static void
test_shutdown_brutal (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (FALSE);
  g_autoptr(GtaskSupTask) task = NULL;
  Outcome *o;
  gint64 t0;

  TEST_SUMMARY ();

  task = start_probe (f, p);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);

  t0 = g_get_monotonic_time ();
  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (task, 0);
  f->rec->in_call = FALSE;
  g_assert_null (recorder_get (f->rec, task));
  g_assert_true (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (task)));

  /* grace 0: killed at once, although the function ignores the cancellable */
  wait_outcome (f->ctx, f->rec, task);
  o = recorder_get (f->rec, task);
  g_assert_cmpint (o->time_us - t0, <=, test_upper_ms (TEST_SLACK_MS) * G_TIME_SPAN_MILLISECOND);
  assert_outcome (f->rec, task, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);
  g_assert_cmpint (p->n_returns, ==, 0);

  /* the abandoned thread's late result is freed and never reported */
  test_gate_open (&p->gate);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (recorder_count (f->rec, task), ==, 1);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_error ((GError *) gtask_sup_task_get_error (task), GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);
  g_assert_null (gtask_sup_task_get_value (task));
}

static void
test_shutdown_cooperative (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Probe) p_err = probe_new_blocking (TRUE);
  g_autoptr(Probe) p_ok = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) t_err = NULL;
  g_autoptr(GtaskSupTask) t_ok = NULL;
  int grace = (int) test_upper_ms (200);

  TEST_SUMMARY ();

  p_err->result = PROBE_RESULT_OWN_ERROR_IF_CANCELLED;
  p_ok->value = 17;
  t_err = start_probe (f, p_err);
  t_ok = start_probe (f, p_ok);
  iterate_until_int_eq (f->ctx, &p_err->n_runs, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &p_ok->n_runs, 1, TEST_WAIT_MS);

  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (t_err, grace);
  gtask_sup_task_shutdown (t_ok, grace);
  f->rec->in_call = FALSE;

  /* the function stops within the grace period: its own result wins */
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &p_err->n_returns, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &p_ok->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (p_err->saw_cancel, ==, 1);
  g_assert_cmpint (p_ok->saw_cancel, ==, 1);
  assert_outcome (f->rec, t_err, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_BUSY);
  assert_outcome (f->rec, t_ok, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_propagate_int (t_ok, NULL), ==, 17);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
}

static void
test_shutdown_uncooperative (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (FALSE);
  g_autoptr(GtaskSupTask) task = NULL;
  Outcome *o;
  gint64 t0;

  TEST_SUMMARY ();

  /* ignores the cancellable for 500 ms (then until the gate opens) */
  p->work_ms = 500;
  task = start_probe (f, p);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);

  t0 = g_get_monotonic_time ();
  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (task, 200);
  f->rec->in_call = FALSE;

  wait_outcome (f->ctx, f->rec, task);
  o = recorder_get (f->rec, task);
  g_assert_cmpint (o->time_us - t0, >=, 200 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (o->time_us - t0, <=, (200 + test_upper_ms (TEST_SLACK_MS)) * G_TIME_SPAN_MILLISECOND);
  assert_outcome (f->rec, task, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);

  test_gate_open (&p->gate);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (recorder_count (f->rec, task), ==, 1);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_null (gtask_sup_task_get_value (task));
}

static void
test_shutdown_done (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 55);
  g_autoptr(Probe) pe = probe_new (PROBE_RESULT_ERROR, 56);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) failed = NULL;

  TEST_SUMMARY ();

  task = start_probe (f, p);
  failed = start_probe (f, pe);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);

  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (task, 0);
  gtask_sup_task_shutdown (task, 100);
  gtask_sup_task_shutdown (failed, 0);
  f->rec->in_call = FALSE;
  iterate_for (f->ctx, 200);

  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (task)), ==, 55);
  g_assert_null (gtask_sup_task_get_error (task));
  g_assert_cmpint (gtask_sup_task_get_state (failed), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_error ((GError *) gtask_sup_task_get_error (failed), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_shutdown_queued (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(Probe) pa = probe_new_blocking (TRUE);
  g_autoptr(Probe) pb = probe_new (PROBE_RESULT_INT, 2);
  g_autoptr(GtaskSupTask) a = NULL;
  g_autoptr(GtaskSupTask) b = NULL;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  a = start_probe (f, pa);
  b = start_probe (f, pb);
  iterate_until_int_eq (f->ctx, &pa->n_runs, 1, TEST_WAIT_MS);
  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (b, 1000);
  f->rec->in_call = FALSE;
  wait_outcome (f->ctx, f->rec, b);
  g_assert_cmpint (recorder_get (f->rec, b)->kind, ==, OUTCOME_FAILED);

  gtask_sup_task_cancel (a);
  wait_outcome (f->ctx, f->rec, a);
  iterate_until_int_eq (f->ctx, &pa->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpint (pb->n_runs, ==, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
}

static void
test_cancellable (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 1);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  task = start_probe (f, p);
  g_assert_true (G_IS_CANCELLABLE (gtask_sup_task_get_cancellable (task)));
  wait_outcome (f->ctx, f->rec, task);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  /* the function is given the task's own cancellable */
  g_assert_cmpint (p->cancellable_ok, ==, 1);
  g_assert_true (G_IS_CANCELLABLE (gtask_sup_task_get_cancellable (task)));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Task/defaults", test_defaults,
            "A new thread task: state NEW, timeout -1, shutdown-timeout 5000, progress 0; "
            "setters notify on real change only");
  TEST_ADD ("/GtaskSup/Task/exactly-one-outcome", test_exactly_one_outcome,
            "Result, error, no result, cancel, timeout, kill, and a cancel after success each "
            "give exactly one outcome of the right kind");
  TEST_ADD ("/GtaskSup/Task/no-result", test_no_result,
            "A function that returns without completing fails with NO_RESULT");
  TEST_ADD ("/GtaskSup/Task/timeout", test_timeout,
            "timeout 100: timed-out at >= 100 ms, the function sees the cancellable, "
            "get_error is TIMED_OUT and its late result is never reported");
  TEST_ADD ("/GtaskSup/Task/timeout-queued", test_timeout_queued,
            "A task that times out while QUEUED never runs");
  TEST_ADD ("/GtaskSup/Task/timeout-late-result-freed", test_timeout_late_result_freed,
            "A pointer returned after the timeout is freed with its destroy notify");
  TEST_ADD ("/GtaskSup/Task/cancel-queued", test_cancel_queued,
            "Cancelling a queued task fails it once with CANCELLED, it never runs");
  TEST_ADD ("/GtaskSup/Task/cancel-running", test_cancel_running,
            "Cancelling a running task cancels its cancellable and fails it once with "
            "CANCELLED; its later result is dropped");
  TEST_ADD ("/GtaskSup/Task/cancel-from-worker", test_cancel_from_worker,
            "cancel() from the task's own worker thread: one failed outcome, CANCELLED");
  TEST_ADD ("/GtaskSup/Task/result-before-cancel", test_result_before_cancel,
            "A result committed before the cancel wins");
  TEST_ADD ("/GtaskSup/Task/result-before-timeout", test_result_before_timeout,
            "A result committed before the timeout expires wins, even if the function "
            "returns after it");
  TEST_ADD ("/GtaskSup/Task/wait", test_wait,
            "wait() times out with TIMED_OUT leaving the task running, later returns TRUE "
            "after delivering the outcome");
  TEST_ADD ("/GtaskSup/Task/wait-other-thread", test_wait_other_thread,
            "wait() from a thread that does not own the owner context blocks until done");
  TEST_ADD ("/GtaskSup/Task/join-success", test_join_success,
            "join() returns TRUE on success and the value is available");
  TEST_ADD ("/GtaskSup/Task/join-failure", test_join_failure,
            "join() returns the task's error");
  TEST_ADD ("/GtaskSup/Task/join-timeout", test_join_timeout,
            "join() with a short timeout shuts the task down and fails with TIMED_OUT");
  TEST_ADD ("/GtaskSup/Task/join-timed-out-task", test_join_timed_out_task,
            "join() on a task that times out fails with TIMED_OUT");
  TEST_ADD ("/GtaskSup/Task/wait-join-done", test_wait_join_done,
            "wait() and join() on a finished task return at once");
  TEST_ADD ("/GtaskSup/Task/join-async", test_join_async,
            "join_async()/join_finish() report success and failure, never synchronously, on "
            "the owner context");
  TEST_ADD ("/GtaskSup/Task/join-async-timed-out", test_join_async_timed_out,
            "join_finish() reports TIMED_OUT for a task that timed out");
  TEST_ADD ("/GtaskSup/Task/join-async-cancelled", test_join_async_cancelled,
            "Cancelling the join_async() cancellable ends the join with CANCELLED");
  TEST_ADD ("/GtaskSup/Task/progress", test_progress,
            "set_progress() on the worker notifies progress on the owner context");
  TEST_ADD ("/GtaskSup/Task/return-int", test_return_int,
            "return_int: G_TYPE_INT64 value, propagate_int");
  TEST_ADD ("/GtaskSup/Task/return-boolean", test_return_boolean,
            "return_boolean: G_TYPE_BOOLEAN value, propagate_boolean, FALSE is a success");
  TEST_ADD ("/GtaskSup/Task/return-pointer", test_return_pointer,
            "return_pointer: G_TYPE_POINTER value, propagate_pointer steals, otherwise freed "
            "once with the task");
  TEST_ADD ("/GtaskSup/Task/return-value", test_return_value,
            "return_value: get_value and propagate_value (a copy)");
  TEST_ADD ("/GtaskSup/Task/return-value-null", test_return_value_null,
            "return_value (NULL) succeeds without a value");
  TEST_ADD ("/GtaskSup/Task/return-error", test_return_error,
            "return_error: get_error and every propagate_* give the error");
  TEST_ADD ("/GtaskSup/Task/shutdown-brutal", test_shutdown_brutal,
            "shutdown grace 0: KILLED at once; the abandoned result is dropped");
  TEST_ADD ("/GtaskSup/Task/shutdown-cooperative", test_shutdown_cooperative,
            "shutdown with grace: a function that stops in time reports its own error/result");
  TEST_ADD ("/GtaskSup/Task/shutdown-uncooperative", test_shutdown_uncooperative,
            "shutdown grace 200 on a function ignoring the cancellable: KILLED after >= 200 ms");
  TEST_ADD ("/GtaskSup/Task/shutdown-done", test_shutdown_done,
            "shutdown of a finished task emits nothing and keeps its outcome");
  TEST_ADD ("/GtaskSup/Task/shutdown-queued", test_shutdown_queued,
            "shutdown of a queued task fails it, it never runs");
  TEST_ADD ("/GtaskSup/Task/cancellable", test_cancellable,
            "The function receives the task's own cancellable");

  return g_test_run ();
}
