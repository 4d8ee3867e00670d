/* test-race.c: results racing cancel, timeouts, shutdown and owner finalization
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Thousands of short runs where a result, a cancel (from the owner thread or
 * another thread, or the worker itself), a 0–2 ms timeout, a shutdown and the
 * finalization of the owner or the supervisor race each other. While the
 * owner lives every task has exactly one outcome; once it is gone, nothing
 * at all. Use after free and leaks are for the valgrind and ASan runs.
 * Randomness comes from g_test_rand_int(): rerun with --seed to reproduce.
 */

#include <gtask-sup/gtask-sup.h>

#include "test-recorder.h"
#include "test-util.h"

typedef enum
{
  RACE_RETURN_INT,
  RACE_RETURN_ERROR,
  RACE_NO_RESULT,
  RACE_WORK_THEN_INT,        /* 0–2 ms of uncooperative work, then a result */
  RACE_WAIT_CANCEL_THEN_INT, /* up to 3 ms waiting for the cancellable, then a result */
  RACE_CANCEL_SELF_THEN_INT,
  RACE_INT_THEN_CANCEL_SELF,
  RACE_PROGRESS_THEN_BOOLEAN,
  RACE_N_ACTIONS
} RaceAction;

typedef struct
{
  RaceAction action;
  guint      work_us;
} RaceData;

static int race_funcs_running;
static int race_data_alive;
static int race_funcs_run;

static void
race_data_free (gpointer data)
{
  g_free (data);
  g_atomic_int_add (&race_data_alive, -1);
}

static void
race_func (GtaskSupTask *task,
           GCancellable *cancellable,
           gpointer      user_data)
{
  RaceData *d = user_data;
  gint64 deadline;

  g_atomic_int_inc (&race_funcs_running);
  g_atomic_int_inc (&race_funcs_run);

  switch (d->action)
    {
    case RACE_RETURN_INT:
      gtask_sup_task_return_int (task, 1);
      break;
    case RACE_RETURN_ERROR:
      gtask_sup_task_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "race"));
      break;
    case RACE_NO_RESULT:
      break;
    case RACE_WORK_THEN_INT:
      g_usleep (d->work_us);
      gtask_sup_task_return_int (task, 1);
      break;
    case RACE_WAIT_CANCEL_THEN_INT:
      deadline = g_get_monotonic_time () + 3 * G_TIME_SPAN_MILLISECOND;
      while (!g_cancellable_is_cancelled (cancellable) && g_get_monotonic_time () < deadline)
        g_usleep (100);
      gtask_sup_task_return_int (task, 1);
      break;
    case RACE_CANCEL_SELF_THEN_INT:
      gtask_sup_task_cancel (task);
      gtask_sup_task_return_int (task, 1);
      break;
    case RACE_INT_THEN_CANCEL_SELF:
      gtask_sup_task_return_int (task, 1);
      gtask_sup_task_cancel (task);
      break;
    case RACE_PROGRESS_THEN_BOOLEAN:
      gtask_sup_task_set_progress (task, 0.5);
      gtask_sup_task_set_progress (task, 1.0);
      gtask_sup_task_return_boolean (task, TRUE);
      break;
    default:
      g_assert_not_reached ();
    }

  g_atomic_int_add (&race_funcs_running, -1);
}

static GtaskSupTask *
race_task_new (RaceAction action)
{
  RaceData *d = g_new0 (RaceData, 1);

  d->action = action;
  d->work_us = g_test_rand_int_range (0, 2001);
  g_atomic_int_inc (&race_data_alive);
  return gtask_sup_task_new_thread (race_func, d, race_data_free);
}

/* A thread that cancels the tasks it is given: cancel() from any thread. */
static GAsyncQueue *canceller_queue;
static GThread *canceller_thread;
static char canceller_stop;

static gpointer
canceller_func (gpointer data)
{
  for (;;)
    {
      gpointer item = g_async_queue_pop (canceller_queue);

      if (item == &canceller_stop)
        break;
      gtask_sup_task_cancel (item);
      g_object_unref (item);
    }
  return NULL;
}

static void
canceller_start (void)
{
  canceller_queue = g_async_queue_new ();
  canceller_thread = g_thread_new ("canceller", canceller_func, NULL);
}

static void
canceller_stop_and_join (void)
{
  g_async_queue_push (canceller_queue, &canceller_stop);
  g_thread_join (canceller_thread);
  g_async_queue_unref (canceller_queue);
  canceller_queue = NULL;
  canceller_thread = NULL;
}

/* Checks an outcome against what the task could legitimately produce. */
static void
assert_plausible (Outcome *o)
{
  const GValue *value;

  switch (o->kind)
    {
    case OUTCOME_SUCCEEDED:
      value = gtask_sup_task_get_value (o->task);
      g_assert_nonnull (value);
      g_assert_true (G_VALUE_HOLDS_INT64 (value) || G_VALUE_HOLDS_BOOLEAN (value));
      break;
    case OUTCOME_FAILED:
      g_assert_true (g_error_matches (o->error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
                     g_error_matches (o->error, G_IO_ERROR, G_IO_ERROR_FAILED) ||
                     g_error_matches (o->error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_NO_RESULT) ||
                     g_error_matches (o->error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED));
      break;
    case OUTCOME_TIMED_OUT:
      g_assert_error ((GError *) gtask_sup_task_get_error (o->task), G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      break;
    default:
      g_assert_not_reached ();
    }
}

typedef struct
{
  GObject            *owner;
  GtaskSupSupervisor *sup;
  Recorder           *rec;
  GPtrArray          *tasks;
  gboolean            owner_lived; /* the owner outlived every outcome */
} RaceRun;

static void
race_run_free (gpointer data)
{
  RaceRun *run = data;

  recorder_disconnect (run->rec);
  g_clear_object (&run->sup);
  g_clear_object (&run->owner);
  recorder_free (run->rec);
  g_ptr_array_unref (run->tasks);
  g_free (run);
}

/* Jitter on the owner thread (busy, so that the race window moves). */
static void
spin_us (guint us)
{
  gint64 until = g_get_monotonic_time () + us;

  while (g_get_monotonic_time () < until)
    ;
}

static void
iterate_some (GMainContext *ctx,
              guint         n)
{
  guint i;

  for (i = 0; i < n; i++)
    g_main_context_iteration (ctx, FALSE);
}

typedef struct
{
  GMainContext *ctx;
} RaceFixture;

static void
race_setup (RaceFixture   *f,
            gconstpointer  data)
{
  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
  canceller_start ();
}

static void
race_teardown (RaceFixture   *f,
               gconstpointer  data)
{
  canceller_stop_and_join ();
  /* every function returned, every task released its data */
  iterate_until_int_eq (f->ctx, &race_funcs_running, 0, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &race_data_alive, 0, TEST_WAIT_MS);
  g_main_context_pop_thread_default (f->ctx);
  g_main_context_unref (f->ctx);
}

#define RACE_TASKS_PER_RUN 4

static void
test_mixed (RaceFixture   *f,
            gconstpointer  data)
{
  guint n_runs = test_count (1000, 100);
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func (race_run_free);
  guint n_lived = 0, n_owner_gone = 0, n_sup_gone = 0;
  guint kinds[3] = { 0, };
  guint i, k;

  g_test_summary ((const char *) data);

  for (i = 0; i < n_runs; i++)
    {
      RaceRun *run = g_new0 (RaceRun, 1);
      guint fate = g_test_rand_int_range (0, 8);

      run->owner = g_object_new (G_TYPE_OBJECT, NULL);
      run->sup = gtask_sup_supervisor_new (run->owner);
      run->rec = recorder_new (run->sup, f->ctx);
      run->tasks = g_ptr_array_new_with_free_func (g_object_unref);
      gtask_sup_supervisor_set_max_concurrency (run->sup, g_test_rand_int_range (0, 3));
      g_ptr_array_add (runs, run);

      for (k = 0; k < RACE_TASKS_PER_RUN; k++)
        {
          GtaskSupTask *task = race_task_new (g_test_rand_int_range (0, RACE_N_ACTIONS));
          GError *error = NULL;
          gboolean ok;

          if (g_test_rand_int_range (0, 3) != 0)
            gtask_sup_task_set_timeout (task, g_test_rand_int_range (0, 3));
          recorder_watch (run->rec, task);
          g_ptr_array_add (run->tasks, task);

          run->rec->in_call = TRUE;
          ok = gtask_sup_supervisor_start (run->sup, task, &error);
          g_assert_no_error (error);
          g_assert_true (ok);

          switch (g_test_rand_int_range (0, 6))
            {
            case 0:
              gtask_sup_task_cancel (task);
              break;
            case 1:
              g_async_queue_push (canceller_queue, g_object_ref (task));
              break;
            case 2:
              gtask_sup_task_shutdown (task, g_test_rand_int_range (0, 3));
              break;
            default:
              break;
            }
          run->rec->in_call = FALSE;

          if (g_test_rand_bit ())
            iterate_some (f->ctx, 1);
        }

      switch (fate)
        {
        case 0: /* the owner goes away while things run */
        case 1:
          iterate_some (f->ctx, g_test_rand_int_range (0, 4));
          run->rec->closed = TRUE;
          g_clear_object (&run->owner);
          iterate_some (f->ctx, g_test_rand_int_range (0, 4));
          n_owner_gone++;
          break;

        case 2: /* the supervisor goes away while things run */
          iterate_some (f->ctx, g_test_rand_int_range (0, 4));
          run->rec->closed = TRUE;
          g_clear_object (&run->sup); /* the recorder keeps a weak pointer */
          iterate_some (f->ctx, g_test_rand_int_range (0, 4));
          n_sup_gone++;
          break;

        default: /* the owner lives: exactly one outcome per task */
          wait_n_outcomes (f->ctx, run->rec, RACE_TASKS_PER_RUN, TEST_WAIT_MS);
          run->owner_lived = TRUE;
          n_lived++;
          if (fate == 3)
            {
              /* and goes away afterwards: nothing more */
              run->rec->closed = TRUE;
              g_clear_object (&run->owner);
            }
          break;
        }

      recorder_assert_clean (run->rec);
    }

  /* Late signals would show up now. */
  iterate_for (f->ctx, 200);
  iterate_until_int_eq (f->ctx, &race_funcs_running, 0, TEST_WAIT_MS);
  iterate_for (f->ctx, 50);

  for (i = 0; i < runs->len; i++)
    {
      RaceRun *run = g_ptr_array_index (runs, i);

      recorder_assert_clean (run->rec);
      for (k = 0; k < run->tasks->len; k++)
        {
          GtaskSupTask *task = g_ptr_array_index (run->tasks, k);
          Outcome *o = recorder_get (run->rec, task);

          if (run->owner_lived)
            {
              g_assert_nonnull (o);
              g_assert_cmpuint (o->count, ==, 1);
            }
          if (o != NULL)
            {
              g_assert_cmpuint (o->count, ==, 1);
              assert_plausible (o);
              kinds[o->kind]++;
            }
        }
      if (run->owner_lived)
        g_assert_cmpuint (run->rec->n_outcomes, ==, RACE_TASKS_PER_RUN);
    }

  g_test_message ("%u runs: owner lived %u, owner finalized %u, supervisor disposed %u; "
                  "outcomes: %u succeeded, %u failed, %u timed out; %d functions ran",
                  n_runs, n_lived, n_owner_gone, n_sup_gone,
                  kinds[OUTCOME_SUCCEEDED], kinds[OUTCOME_FAILED], kinds[OUTCOME_TIMED_OUT],
                  g_atomic_int_get (&race_funcs_run));

  g_clear_pointer (&runs, g_ptr_array_unref);
}

/* One supervisor, many tasks: a result against one other event. */
typedef enum
{
  DUEL_CANCEL_NOW,
  DUEL_CANCEL_OTHER_THREAD,
  DUEL_TIMEOUT,
  DUEL_SHUTDOWN,
} Duel;

static void
run_duel (RaceFixture *f,
          Duel         duel)
{
  guint n = test_count (1000, 100);
  guint batch = 10;
  GObject *owner = g_object_new (G_TYPE_OBJECT, NULL);
  GtaskSupSupervisor *sup = gtask_sup_supervisor_new (owner);
  Recorder *rec = recorder_new (sup, f->ctx);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  guint kinds[3] = { 0, };
  guint i, j;

  for (i = 0; i < n; i += batch)
    {
      for (j = 0; j < batch; j++)
        {
          RaceAction action = duel == DUEL_TIMEOUT ? RACE_WORK_THEN_INT : RACE_RETURN_INT;
          GtaskSupTask *task = race_task_new (action);
          GError *error = NULL;

          if (duel == DUEL_TIMEOUT)
            gtask_sup_task_set_timeout (task, g_test_rand_int_range (0, 3));
          g_ptr_array_add (tasks, task);

          rec->in_call = TRUE;
          g_assert_true (gtask_sup_supervisor_start (sup, task, &error));
          g_assert_no_error (error);
          if (g_test_rand_bit ())
            {
              rec->in_call = FALSE;
              iterate_some (f->ctx, 1);
              rec->in_call = TRUE;
              spin_us (g_test_rand_int_range (0, 300));
            }
          switch (duel)
            {
            case DUEL_CANCEL_NOW:
              gtask_sup_task_cancel (task);
              break;
            case DUEL_CANCEL_OTHER_THREAD:
              g_async_queue_push (canceller_queue, g_object_ref (task));
              break;
            case DUEL_SHUTDOWN:
              gtask_sup_task_shutdown (task, g_test_rand_int_range (0, 2));
              break;
            case DUEL_TIMEOUT:
            default:
              break;
            }
          rec->in_call = FALSE;
        }
      wait_n_outcomes (f->ctx, rec, i + batch, TEST_WAIT_MS);
    }

  iterate_until_int_eq (f->ctx, &race_funcs_running, 0, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  recorder_assert_clean (rec);
  g_assert_cmpuint (rec->n_outcomes, ==, tasks->len);

  for (i = 0; i < tasks->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (tasks, i);
      Outcome *o = recorder_get (rec, task);

      g_assert_nonnull (o);
      g_assert_cmpuint (o->count, ==, 1);
      kinds[o->kind]++;
      switch (o->kind)
        {
        case OUTCOME_SUCCEEDED:
          g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (task)), ==, 1);
          break;
        case OUTCOME_FAILED:
          g_assert_true (duel != DUEL_TIMEOUT);
          if (duel == DUEL_SHUTDOWN)
            g_assert_true (g_error_matches (o->error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED) ||
                           g_error_matches (o->error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
          else
            g_assert_error (o->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          g_assert_null (gtask_sup_task_get_value (task));
          break;
        case OUTCOME_TIMED_OUT:
          g_assert_true (duel == DUEL_TIMEOUT);
          g_assert_null (gtask_sup_task_get_value (task));
          break;
        default:
          g_assert_not_reached ();
        }
    }

  g_test_message ("%u tasks: %u succeeded, %u failed, %u timed out",
                  tasks->len, kinds[OUTCOME_SUCCEEDED], kinds[OUTCOME_FAILED],
                  kinds[OUTCOME_TIMED_OUT]);

  recorder_free (rec);
  g_object_unref (sup);
  g_object_unref (owner);
}

static void
test_cancel_vs_result (RaceFixture   *f,
                       gconstpointer  data)
{
  g_test_summary ((const char *) data);
  run_duel (f, DUEL_CANCEL_NOW);
}

static void
test_cancel_other_thread_vs_result (RaceFixture   *f,
                                    gconstpointer  data)
{
  g_test_summary ((const char *) data);
  run_duel (f, DUEL_CANCEL_OTHER_THREAD);
}

static void
test_timeout_vs_result (RaceFixture   *f,
                        gconstpointer  data)
{
  g_test_summary ((const char *) data);
  run_duel (f, DUEL_TIMEOUT);
}

static void
test_shutdown_vs_result (RaceFixture   *f,
                         gconstpointer  data)
{
  g_test_summary ((const char *) data);
  run_duel (f, DUEL_SHUTDOWN);
}

#define RACE_ADD(path, func, summary) \
  g_test_add ((path), RaceFixture, (summary), race_setup, (func), race_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  RACE_ADD ("/GtaskSup/Race/mixed", test_mixed,
            "1000 runs of 4 tasks mixing results, errors, cancel (owner thread, other "
            "thread, worker), 0-2 ms timeouts, shutdown, and finalization of the owner or "
            "supervisor at random: one outcome per task while the owner lives, none after");
  RACE_ADD ("/GtaskSup/Race/cancel-vs-result", test_cancel_vs_result,
            "A result races cancel() from the owner thread: exactly one outcome, "
            "succeeded or CANCELLED");
  RACE_ADD ("/GtaskSup/Race/cancel-other-thread-vs-result", test_cancel_other_thread_vs_result,
            "A result races cancel() from another thread: exactly one outcome");
  RACE_ADD ("/GtaskSup/Race/timeout-vs-result", test_timeout_vs_result,
            "A result after 0-2 ms of work races a 0-2 ms timeout: exactly one outcome, "
            "succeeded or timed-out");
  RACE_ADD ("/GtaskSup/Race/shutdown-vs-result", test_shutdown_vs_result,
            "A result races shutdown() with a 0-1 ms grace: exactly one outcome");

  return g_test_run ();
}
