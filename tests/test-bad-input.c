/* test-bad-input.c: programmer errors give criticals, never crashes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <math.h>

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-recorder.h"
#include "test-util.h"

#define EXPECT_CRITICAL(stmt) \
  G_STMT_START { \
    g_test_expect_message ("GtaskSup", G_LOG_LEVEL_CRITICAL, "*assertion*failed*"); \
    stmt; \
    g_test_assert_expected_messages (); \
  } G_STMT_END

static void
nop_func (GtaskSupTask *task,
          GCancellable *cancellable,
          gpointer      user_data)
{
  gtask_sup_task_return_int (task, 0);
}

static void
never_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  (*(int *) user_data)++;
}

static GtaskSupTask *
start_blocking (Fixture *f,
                Probe   *p)
{
  GtaskSupTask *task = probe_task_new (p);

  fixture_start (f, task);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);
  return task;
}

static void
finish_blocking (Fixture      *f,
                 Probe        *p,
                 GtaskSupTask *task)
{
  gtask_sup_task_cancel (task);
  wait_outcome (f->ctx, f->rec, task);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
}

static void
test_task_null (Fixture       *f,
                gconstpointer  data)
{
  GError *error = NULL;
  GValue value = G_VALUE_INIT;
  int called = 0;

  TEST_SUMMARY ();

  g_value_init (&value, G_TYPE_INT);

  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_new_thread (NULL, NULL, NULL)));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_get_name (NULL)));
  EXPECT_CRITICAL (gtask_sup_task_set_name (NULL, "x"));
  EXPECT_CRITICAL (gtask_sup_task_get_kind (NULL));
  EXPECT_CRITICAL (gtask_sup_task_get_state (NULL));
  EXPECT_CRITICAL (gtask_sup_task_get_timeout (NULL));
  EXPECT_CRITICAL (gtask_sup_task_set_timeout (NULL, 10));
  EXPECT_CRITICAL (gtask_sup_task_get_shutdown_timeout (NULL));
  EXPECT_CRITICAL (gtask_sup_task_set_shutdown_timeout (NULL, 10));
  EXPECT_CRITICAL (gtask_sup_task_get_progress (NULL));
  EXPECT_CRITICAL (gtask_sup_task_set_progress (NULL, 0.5));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_get_cancellable (NULL)));

  EXPECT_CRITICAL (gtask_sup_task_return_value (NULL, &value));
  EXPECT_CRITICAL (gtask_sup_task_return_pointer (NULL, NULL, NULL));
  EXPECT_CRITICAL (gtask_sup_task_return_boolean (NULL, TRUE));
  EXPECT_CRITICAL (gtask_sup_task_return_int (NULL, 1));
  /* return_error (NULL, error) is in /GtaskSup/BadInput/no-crash: it may leak the error */

  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_get_value (NULL)));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_get_error (NULL)));
  {
    GValue out = G_VALUE_INIT;
    EXPECT_CRITICAL (g_assert_false (gtask_sup_task_propagate_value (NULL, &out, &error)));
    g_assert_false (G_IS_VALUE (&out));
  }
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_propagate_pointer (NULL, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_task_propagate_boolean (NULL, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (gtask_sup_task_propagate_int (NULL, &error));
  g_assert_no_error (error);

  EXPECT_CRITICAL (gtask_sup_task_cancel (NULL));
  EXPECT_CRITICAL (gtask_sup_task_shutdown (NULL, 0));
  EXPECT_CRITICAL (g_assert_false (gtask_sup_task_wait (NULL, 0, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_task_join (NULL, 0, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (gtask_sup_task_join_async (NULL, NULL, never_cb, &called));
  {
    g_autoptr(GTask) other = g_task_new (NULL, NULL, NULL, NULL);
    EXPECT_CRITICAL (g_assert_false (gtask_sup_task_join_finish (NULL, G_ASYNC_RESULT (other),
                                                                 &error)));
  }
  g_assert_no_error (error);

  iterate_for (f->ctx, 50);
  g_assert_cmpint (called, ==, 0);
  g_value_unset (&value);
}

static void
test_supervisor_null (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (nop_func, NULL, NULL);
  GError *error = NULL;

  TEST_SUMMARY ();

  EXPECT_CRITICAL (g_assert_null (gtask_sup_supervisor_dup_owner (NULL)));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_supervisor_get_main_context (NULL)));
  EXPECT_CRITICAL (gtask_sup_supervisor_get_max_children (NULL));
  EXPECT_CRITICAL (gtask_sup_supervisor_set_max_children (NULL, 1));
  EXPECT_CRITICAL (gtask_sup_supervisor_get_max_concurrency (NULL));
  EXPECT_CRITICAL (gtask_sup_supervisor_set_max_concurrency (NULL, 1));
  EXPECT_CRITICAL (gtask_sup_supervisor_get_n_running (NULL));
  EXPECT_CRITICAL (gtask_sup_supervisor_get_n_queued (NULL));
  EXPECT_CRITICAL (gtask_sup_supervisor_get_closed (NULL));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_supervisor_get_children (NULL)));

  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_start (NULL, task, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_start (f->sup, NULL, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_null (gtask_sup_supervisor_run_in_thread (NULL, nop_func, NULL, NULL,
                                                                      &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_null (gtask_sup_supervisor_run_in_thread (f->sup, NULL, NULL, NULL,
                                                                      &error)));
  g_assert_no_error (error);

  /* the refused task was not started: it still can be */
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_NEW);
  fixture_start (f, task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
}

static void
test_wrong_type (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (nop_func, NULL, NULL);
  GObject *object = f->owner;
  GError *error = NULL;

  TEST_SUMMARY ();

  EXPECT_CRITICAL (gtask_sup_task_get_name ((GtaskSupTask *) object));
  EXPECT_CRITICAL (gtask_sup_task_set_timeout ((GtaskSupTask *) object, 1));
  EXPECT_CRITICAL (gtask_sup_task_cancel ((GtaskSupTask *) object));
  EXPECT_CRITICAL (gtask_sup_task_return_int ((GtaskSupTask *) object, 1));
  EXPECT_CRITICAL (gtask_sup_supervisor_get_children ((GtaskSupSupervisor *) task));
  EXPECT_CRITICAL (gtask_sup_supervisor_get_n_running ((GtaskSupSupervisor *) object));
  EXPECT_CRITICAL (gtask_sup_supervisor_set_max_concurrency ((GtaskSupSupervisor *) task, 1));
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_start ((GtaskSupSupervisor *) object,
                                                               task, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_start (f->sup,
                                                               (GtaskSupTask *) object,
                                                               &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_start (f->sup,
                                                               (GtaskSupTask *) f->sup,
                                                               &error)));
  g_assert_no_error (error);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_NEW);
}

static void
test_supervisor_new_non_object (Fixture       *f,
                                gconstpointer  data)
{
  TEST_SUMMARY ();

  if (g_test_subprocess ())
    {
      GTypeInstance fake = { NULL };   /* not an instance of anything */
      GParamSpec *pspec = g_param_spec_ref_sink (g_param_spec_int ("x", NULL, NULL, 0, 1, 0,
                                                                   G_PARAM_READWRITE));

      EXPECT_CRITICAL (g_assert_null (gtask_sup_supervisor_new (&fake)));
      /* a GTypeInstance that is not a GObject */
      EXPECT_CRITICAL (g_assert_null (gtask_sup_supervisor_new (pspec)));
      g_param_spec_unref (pspec);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_timeouts (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (nop_func, NULL, NULL);
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) running = NULL;
  GError *error = NULL;

  TEST_SUMMARY ();

  EXPECT_CRITICAL (gtask_sup_task_set_timeout (task, -2));
  EXPECT_CRITICAL (gtask_sup_task_set_timeout (task, G_MININT));
  g_assert_cmpint (gtask_sup_task_get_timeout (task), ==, -1);
  EXPECT_CRITICAL (gtask_sup_task_set_shutdown_timeout (task, -2));
  EXPECT_CRITICAL (gtask_sup_task_set_shutdown_timeout (task, G_MININT));
  g_assert_cmpint (gtask_sup_task_get_shutdown_timeout (task), ==, 5000);
  /* -1 and 0 are fine */
  gtask_sup_task_set_timeout (task, 0);
  gtask_sup_task_set_timeout (task, -1);
  gtask_sup_task_set_shutdown_timeout (task, 0);
  gtask_sup_task_set_shutdown_timeout (task, -1);

  running = start_blocking (f, p);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_task_wait (running, -2, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_task_join (running, -2, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (gtask_sup_task_shutdown (running, -2));

  /* none of these touched the running task */
  iterate_for (f->ctx, 50);
  g_assert_false (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (running)));
  g_assert_cmpint (gtask_sup_task_get_state (running), ==, GTASK_SUP_TASK_STATE_RUNNING);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  finish_blocking (f, p, running);
}

static void
test_progress (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  task = start_blocking (f, p);
  EXPECT_CRITICAL (gtask_sup_task_set_progress (task, -0.1));
  EXPECT_CRITICAL (gtask_sup_task_set_progress (task, 1.1));
  EXPECT_CRITICAL (gtask_sup_task_set_progress (task, NAN));
  EXPECT_CRITICAL (gtask_sup_task_set_progress (task, INFINITY));
  EXPECT_CRITICAL (gtask_sup_task_set_progress (task, -INFINITY));
  g_assert_cmpfloat (gtask_sup_task_get_progress (task), ==, 0.0);

  /* the bounds are valid */
  gtask_sup_task_set_progress (task, 1.0);
  g_assert_cmpfloat (gtask_sup_task_get_progress (task), ==, 1.0);
  gtask_sup_task_set_progress (task, 0.0);
  g_assert_cmpfloat (gtask_sup_task_get_progress (task), ==, 0.0);
  finish_blocking (f, p, task);
}

static void
test_start_twice (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(Probe) pdone = probe_new (PROBE_RESULT_INT, 1);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) done = NULL;
  g_autoptr(GtaskSupSupervisor) other = gtask_sup_supervisor_new (f->owner);
  GError *error = NULL;

  TEST_SUMMARY ();

  task = start_blocking (f, p);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_start (f->sup, task, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_start (other, task, &error)));
  g_assert_no_error (error);
  g_assert_cmpint (p->n_runs, ==, 1);

  /* a finished task cannot be started again either */
  done = probe_task_new (pdone);
  fixture_start (f, done);
  wait_outcome (f->ctx, f->rec, done);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_start (f->sup, done, &error)));
  g_assert_no_error (error);

  finish_blocking (f, p, task);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (p->n_runs, ==, 1);
  g_assert_cmpint (pdone->n_runs, ==, 1);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, done, OUTCOME_SUCCEEDED, 0, 0);
}

/* return_error (task, NULL) and return_value (task, unset GValue) from the
 * worker: criticals, and nothing is committed. (return_value (task, NULL) is
 * documented as a success without a value.) */
typedef struct
{
  int done;
} BadReturn;

static void
bad_return_func (GtaskSupTask *task,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  BadReturn *b = user_data;
  GValue invalid = G_VALUE_INIT;

  gtask_sup_task_return_error (task, NULL);
  gtask_sup_task_return_value (task, &invalid);
  gtask_sup_task_return_int (task, 3);
  g_atomic_int_set (&b->done, 1);
}

static void
test_return_null (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = NULL;
  BadReturn b = { 0 };

  TEST_SUMMARY ();

  g_test_expect_message ("GtaskSup", G_LOG_LEVEL_CRITICAL, "*assertion*failed*");
  g_test_expect_message ("GtaskSup", G_LOG_LEVEL_CRITICAL, "*assertion*failed*");
  task = gtask_sup_task_new_thread (bad_return_func, &b, NULL);
  fixture_start (f, task);
  wait_outcome (f->ctx, f->rec, task);
  iterate_until_int_eq (f->ctx, &b.done, 1, TEST_WAIT_MS);
  g_test_assert_expected_messages ();

  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_propagate_int (task, NULL), ==, 3);
}

static void
test_not_started (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (nop_func, NULL, NULL);
  GError *error = NULL;
  int called = 0;

  TEST_SUMMARY ();

  EXPECT_CRITICAL (gtask_sup_task_cancel (task));
  EXPECT_CRITICAL (gtask_sup_task_shutdown (task, 0));
  EXPECT_CRITICAL (g_assert_false (gtask_sup_task_wait (task, 0, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (g_assert_false (gtask_sup_task_join (task, 0, &error)));
  g_assert_no_error (error);
  EXPECT_CRITICAL (gtask_sup_task_join_async (task, NULL, never_cb, &called));
  {
    g_autoptr(GTask) other = g_task_new (NULL, NULL, NULL, NULL);
    EXPECT_CRITICAL (g_assert_false (gtask_sup_task_join_finish (task, G_ASYNC_RESULT (other),
                                                                 &error)));
    g_assert_no_error (error);
    EXPECT_CRITICAL (g_assert_false (gtask_sup_task_join_finish (task, NULL, &error)));
    g_assert_no_error (error);
  }

  /* still NEW and usable */
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_NEW);
  g_assert_false (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (task)));
  fixture_start (f, task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (called, ==, 0);
}

static GtaskSupTask *
never_next (GtaskSupStream *stream,
            guint64         index,
            gpointer        user_data)
{
  g_assert_not_reached ();
}

/* The calls of the toolbox (issue 9): criticals, nothing done. */
static void
test_toolbox (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GtaskSupTask) fresh = gtask_sup_task_new_thread (nop_func, NULL, NULL);
  g_autoptr(GtaskSupTask) started = NULL;
  g_autoptr(GTask) foreign = g_task_new (NULL, NULL, NULL, NULL);
  GtaskSupTask *tasks[1];
  GError *error = NULL;
  int called = 0;

  TEST_SUMMARY ();

  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_new_failed (NULL)));
  {
    GValue unset = G_VALUE_INIT;
    EXPECT_CRITICAL (g_assert_null (gtask_sup_task_new_completed (&unset)));
  }
  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_get_parent (NULL)));

  EXPECT_CRITICAL (gtask_sup_supervisor_close (NULL));
  EXPECT_CRITICAL (gtask_sup_supervisor_drain_async (NULL, NULL, never_cb, &called));
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_drain_finish (f->sup,
                                                                      G_ASYNC_RESULT (foreign),
                                                                      &error)));
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_terminate_child (f->sup, NULL, 0, &error)));
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_terminate_child (f->sup, fresh, -2,
                                                                        &error)));
  EXPECT_CRITICAL (gtask_sup_supervisor_set_log_unhandled (NULL, FALSE));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_new_supervisor (NULL)));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_task_get_child_supervisor (NULL)));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_supervisor_new_child (NULL, &error)));
  g_assert_null (gtask_sup_task_get_child_supervisor (fresh));
  {
    GParamSpec *not_an_object = g_param_spec_ref_sink (g_param_spec_int ("n", NULL, NULL,
                                                                         0, 1, 0, 0));

    EXPECT_CRITICAL (gtask_sup_task_set_input (fresh, not_an_object));
    g_param_spec_unref (not_an_object);
  }
  EXPECT_CRITICAL (g_assert_null (gtask_sup_supervisor_map_push (NULL)));
  EXPECT_CRITICAL (gtask_sup_supervisor_bind_lifetime (f->sup, NULL, "notify"));
  EXPECT_CRITICAL (gtask_sup_supervisor_bind_lifetime (f->sup, f->owner, "no-such-signal"));
  EXPECT_CRITICAL (gtask_sup_supervisor_bind_lifetime (f->sup, f->owner, NULL));
  EXPECT_CRITICAL (gtask_sup_supervisor_bind_bus_name (f->sup, NULL, ":1.1"));
  EXPECT_CRITICAL (gtask_sup_supervisor_set_progress_interval (f->sup, 60001));
  {
    g_autoptr(GtaskSupStream) pulled = gtask_sup_supervisor_map (f->sup, never_next, NULL, NULL);
    g_autoptr(GtaskSupStream) pushed = gtask_sup_supervisor_map_push (f->sup);

    EXPECT_CRITICAL (gtask_sup_stream_wait_for_input (pulled));
    EXPECT_CRITICAL (gtask_sup_stream_push_async (pulled, fresh, NULL, never_cb, &called));
    EXPECT_CRITICAL (gtask_sup_stream_close_input (pulled));
    EXPECT_CRITICAL (gtask_sup_stream_push_async (pushed, NULL, NULL, never_cb, &called));
    EXPECT_CRITICAL (g_assert_false (gtask_sup_stream_push_finish (pushed, G_ASYNC_RESULT (foreign),
                                                                   &error)));
  }
  EXPECT_CRITICAL (g_assert_false (gtask_sup_supervisor_ignore (f->sup, NULL, &error)));
  EXPECT_CRITICAL (gtask_sup_task_set_priority (fresh, G_MAXINT16 + 1));
  EXPECT_CRITICAL (gtask_sup_task_set_priority (fresh, G_MININT16 - 1));
  g_assert_cmpint (gtask_sup_task_get_priority (fresh), ==, G_PRIORITY_DEFAULT);
  g_assert_no_error (error);

  /* Waiting for many: a task never started would never end. */
  tasks[0] = fresh;
  EXPECT_CRITICAL (gtask_sup_await_many_async (tasks, 1, NULL, never_cb, &called));
  EXPECT_CRITICAL (gtask_sup_await_many_async (NULL, 1, NULL, never_cb, &called));
  EXPECT_CRITICAL (g_assert_false (gtask_sup_await_many (tasks, 1, -1, &error)));
  EXPECT_CRITICAL (gtask_sup_yield_many_async (tasks, 1, -1, 0,
                                               GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING,
                                               NULL, never_cb, &called));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_yield_many (tasks, 1, -1, 0, 7)));
  EXPECT_CRITICAL (g_assert_false (gtask_sup_await_many_finish (G_ASYNC_RESULT (foreign),
                                                                &error)));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_yield_many_finish (G_ASYNC_RESULT (foreign),
                                                               &error)));
  g_assert_no_error (error);

  started = gtask_sup_task_new_thread (nop_func, NULL, NULL);
  fixture_start (f, started);
  tasks[0] = started;
  EXPECT_CRITICAL (g_assert_false (gtask_sup_await_many (tasks, 1, -2, &error)));
  EXPECT_CRITICAL (g_assert_null (gtask_sup_yield_many (tasks, 1, -2, 0,
                                                        GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING)));
  EXPECT_CRITICAL (gtask_sup_task_set_priority (started, G_PRIORITY_HIGH));
  g_assert_no_error (error);

  /* The spawn mode is for subprocess tasks, before they start. */
  EXPECT_CRITICAL (gtask_sup_task_set_spawn_mode (started, GTASK_SUP_SPAWN_MODE_POSIX_SPAWN));
  EXPECT_CRITICAL (g_assert_cmpint (gtask_sup_task_get_spawn_mode (started), ==,
                                    GTASK_SUP_SPAWN_MODE_SUBPROCESS));
  EXPECT_CRITICAL (gtask_sup_task_set_spawn_mode (NULL, GTASK_SUP_SPAWN_MODE_POSIX_SPAWN));
  g_assert_null (gtask_sup_task_dup_identifier (started));
  {
    const char *true_argv[] = { "true", NULL };
    g_autoptr(GtaskSupTask) proc = gtask_sup_task_new_subprocess (true_argv, 0);
    g_autoptr(GtaskSupTask) proc_started = gtask_sup_task_new_subprocess (true_argv, 0);

    EXPECT_CRITICAL (gtask_sup_task_set_spawn_mode (proc, 7));
    g_assert_cmpint (gtask_sup_task_get_spawn_mode (proc), ==, GTASK_SUP_SPAWN_MODE_SUBPROCESS);
    fixture_start (f, proc_started);
    EXPECT_CRITICAL (gtask_sup_task_set_spawn_mode (proc_started,
                                                    GTASK_SUP_SPAWN_MODE_POSIX_SPAWN));
    g_assert_cmpint (gtask_sup_task_get_spawn_mode (proc_started), ==,
                     GTASK_SUP_SPAWN_MODE_SUBPROCESS);
    wait_outcome (f->ctx, f->rec, proc_started);
  }

  /* Nothing was closed, nothing calls back. */
  g_assert_false (gtask_sup_supervisor_get_closed (f->sup));
  wait_outcome (f->ctx, f->rec, started);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (called, ==, 0);
  g_assert_cmpint (gtask_sup_task_get_state (fresh), ==, GTASK_SUP_TASK_STATE_NEW);
}

/* GLib refuses these flags with a critical when the task starts, on the
 * service thread: the constructor must refuse them first. */
static void
test_new_subprocess_flags (Fixture       *f,
                           gconstpointer  data)
{
  const char *argv[] = { "true", NULL };
  const GSubprocessFlags bad[] = {
    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDIN_INHERIT,
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
    G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
    G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
    G_SUBPROCESS_FLAGS_STDERR_SILENCE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE,
    (GSubprocessFlags) (1u << 30),
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | (GSubprocessFlags) (1u << 20),
  };
  g_autoptr(GtaskSupTask) task = NULL;
  gsize i;

  TEST_SUMMARY ();

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    EXPECT_CRITICAL (g_assert_null (gtask_sup_task_new_subprocess (argv, bad[i])));

  /* one disposition per stream is fine, and runs */
  task = gtask_sup_task_new_subprocess (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                              G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                              G_SUBPROCESS_FLAGS_STDERR_MERGE |
                                              G_SUBPROCESS_FLAGS_INHERIT_FDS);
  g_assert_nonnull (task);
  test_track_task (task);
  fixture_start (f, task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
}

static void
destroy_count (gpointer data)
{
  (*(int *) data)++;
}

/* With criticals not fatal, every public function survives NULL/garbage. */
static void
test_no_crash (Fixture       *f,
               gconstpointer  data)
{
  TEST_SUMMARY ();

  if (g_test_subprocess ())
    {
      GError *error = NULL;
      GError *not_taken = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
      GValue value = G_VALUE_INIT;
      GValue out = G_VALUE_INIT;
      int destroyed = 0;
      int called = 0;
      g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (nop_func, NULL, NULL);

      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      g_log_set_fatal_mask ("GtaskSup", G_LOG_FATAL_MASK);

      g_value_init (&value, G_TYPE_INT);
      gtask_sup_task_new_thread (NULL, &destroyed, destroy_count);
      gtask_sup_task_get_name (NULL);
      gtask_sup_task_set_name (NULL, "x");
      gtask_sup_task_get_kind (NULL);
      gtask_sup_task_get_state (NULL);
      gtask_sup_task_get_timeout (NULL);
      gtask_sup_task_set_timeout (NULL, 1);
      gtask_sup_task_get_shutdown_timeout (NULL);
      gtask_sup_task_set_shutdown_timeout (NULL, 1);
      gtask_sup_task_get_progress (NULL);
      gtask_sup_task_set_progress (NULL, 0.5);
      gtask_sup_task_set_progress (task, NAN);
      gtask_sup_task_get_cancellable (NULL);
      gtask_sup_task_return_value (NULL, &value);
      gtask_sup_task_return_pointer (NULL, &destroyed, destroy_count);
      gtask_sup_task_return_boolean (NULL, TRUE);
      gtask_sup_task_return_int (NULL, 1);
      /* A rejected call takes nothing, as with GTask: the error stays ours. */
      gtask_sup_task_return_error (NULL, not_taken);
      g_clear_error (&not_taken);
      gtask_sup_task_return_error (task, NULL);
      gtask_sup_task_return_int (task, 1);
      gtask_sup_task_get_value (NULL);
      gtask_sup_task_get_error (NULL);
      gtask_sup_task_propagate_value (NULL, &out, &error);
      gtask_sup_task_propagate_pointer (NULL, &error);
      gtask_sup_task_propagate_boolean (NULL, &error);
      gtask_sup_task_propagate_int (NULL, &error);
      gtask_sup_task_propagate_int (task, &error);
      gtask_sup_task_cancel (NULL);
      gtask_sup_task_shutdown (NULL, 0);
      gtask_sup_task_shutdown (task, -5);
      gtask_sup_task_wait (NULL, 0, &error);
      gtask_sup_task_wait (task, -5, &error);
      gtask_sup_task_join (NULL, 0, &error);
      gtask_sup_task_join (task, -5, &error);
      gtask_sup_task_join_async (NULL, NULL, never_cb, &called);
      gtask_sup_task_join_finish (NULL, NULL, &error);
      gtask_sup_task_join_finish (task, NULL, &error);

      gtask_sup_supervisor_dup_owner (NULL);
      gtask_sup_supervisor_get_main_context (NULL);
      gtask_sup_supervisor_get_max_children (NULL);
      gtask_sup_supervisor_set_max_children (NULL, 1);
      gtask_sup_supervisor_get_max_concurrency (NULL);
      gtask_sup_supervisor_set_max_concurrency (NULL, 1);
      gtask_sup_supervisor_get_n_running (NULL);
      gtask_sup_supervisor_get_n_queued (NULL);
      gtask_sup_supervisor_get_closed (NULL);
      gtask_sup_supervisor_get_children (NULL);
      gtask_sup_supervisor_start (NULL, task, &error);
      gtask_sup_supervisor_start (f->sup, NULL, &error);
      gtask_sup_supervisor_start (f->sup, (GtaskSupTask *) f->owner, &error);
      gtask_sup_supervisor_run_in_thread (NULL, nop_func, NULL, NULL, &error);
      gtask_sup_supervisor_run_in_thread (f->sup, NULL, NULL, NULL, &error);
      g_assert_no_error (error);

      iterate_for (f->ctx, 50);
      g_assert_cmpint (called, ==, 0);
      g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
      g_value_unset (&value);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*GtaskSup-CRITICAL*assertion*failed*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/BadInput/task-null", test_task_null,
            "Every task function given a NULL task gives a critical and returns");
  TEST_ADD ("/GtaskSup/BadInput/supervisor-null", test_supervisor_null,
            "Every supervisor function given a NULL supervisor, a NULL task or a NULL "
            "function gives a critical and returns");
  TEST_ADD ("/GtaskSup/BadInput/wrong-type", test_wrong_type,
            "Objects of the wrong type are refused with a critical");
  TEST_ADD ("/GtaskSup/BadInput/supervisor-new-non-object", test_supervisor_new_non_object,
            "supervisor_new() with an owner that is not a GObject gives a critical");
  TEST_ADD ("/GtaskSup/BadInput/timeouts", test_timeouts,
            "Timeouts below -1 (set_timeout, set_shutdown_timeout, wait, join, shutdown) give "
            "a critical and change nothing");
  TEST_ADD ("/GtaskSup/BadInput/progress", test_progress,
            "Progress outside 0..1, NaN or infinite gives a critical and changes nothing");
  TEST_ADD ("/GtaskSup/BadInput/start-twice", test_start_twice,
            "Starting a started or finished task again (same or other supervisor) gives a "
            "critical");
  TEST_ADD ("/GtaskSup/BadInput/return-null", test_return_null,
            "return_error (NULL) and return_value (unset GValue) give a critical and commit "
            "nothing");
  TEST_ADD ("/GtaskSup/BadInput/toolbox", test_toolbox,
            "Bad arguments to the toolbox calls (completed, close, drain, terminate_child, "
            "await_many, yield_many) are criticals, and nothing happens");
  TEST_ADD ("/GtaskSup/BadInput/not-started", test_not_started,
            "cancel, shutdown, wait, join and join_async on a task never started give a "
            "critical and leave it startable");
  TEST_ADD ("/GtaskSup/BadInput/new-subprocess-flags", test_new_subprocess_flags,
            "new_subprocess() with two dispositions for one stream or unknown flags gives a "
            "critical and no task");
  TEST_ADD ("/GtaskSup/BadInput/no-crash", test_no_crash,
            "With criticals not fatal, every public function survives NULL and invalid "
            "arguments");

  return g_test_run ();
}
