/* test-lifecycle.c: supervisor shutdown, task shutdown, restarts and restart intensity
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-process.h"
#include "test-recorder.h"
#include "test-util.h"

/* -------------------------------------------------------------------------- */
/* Runs: the work of a restarted task, shared by all its runs                 */
/* -------------------------------------------------------------------------- */

typedef enum
{
  RUN_SUCCEED,        /* return_int (100 + run) */
  RUN_FAIL,           /* return_error (G_IO_ERROR_FAILED) */
  RUN_BLOCK_COOP,     /* until cancelled: return_error (G_IO_ERROR_BUSY); gate: return_int */
  RUN_BLOCK_IGNORE,   /* until its gate opens, ignoring the cancellable: return_int */
  RUN_WAIT_PREV,      /* until every earlier run returned: return_int */
  RUN_SLEEP_FAIL,     /* works sleep_ms, ignoring the cancellable, then fails */
  RUN_ASYNC_FAIL,     /* (async) return_error inside the function */
  RUN_ASYNC_SUCCEED,  /* (async) return_int inside the function */
  RUN_ASYNC_UNTIL_CANCELLED, /* (async) completes when its cancellable fires, with CANCELLED */
} RunBehaviour;

#define MAX_RUNS 8

typedef struct
{
  RunBehaviour  behaviour[MAX_RUNS]; /* runs past the last one repeat it */
  guint         n_behaviours;
  guint         sleep_ms;
  TestGate      gates[MAX_RUNS];

  int           n_claimed;           /* run indices handed out */
  int           n_started;           /* runs whose task is in tasks[] */
  int           n_returns;           /* functions that returned */
  GtaskSupTask *tasks[MAX_RUNS];     /* the task of each run, no reference */
} Runs;

static void
runs_clear (gpointer data)
{
  Runs *r = data;
  guint i;

  for (i = 0; i < MAX_RUNS; i++)
    test_gate_clear (&r->gates[i]);
}

static void
runs_unref (Runs *r)
{
  g_atomic_rc_box_release_full (r, runs_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Runs, runs_unref)

static void
runs_task_destroy (gpointer data)
{
  runs_unref (data);
  g_atomic_int_add (&test_probes_held, -1);
}

static Runs *
runs_new_impl (const RunBehaviour *behaviour,
               guint               n)
{
  Runs *r = g_atomic_rc_box_new0 (Runs);
  guint i;

  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <=, MAX_RUNS);
  memcpy (r->behaviour, behaviour, n * sizeof *behaviour);
  r->n_behaviours = n;
  for (i = 0; i < MAX_RUNS; i++)
    test_gate_init (&r->gates[i]);
  return r;
}

#define runs_new(...) \
  runs_new_impl ((const RunBehaviour[]) { __VA_ARGS__ }, \
                 G_N_ELEMENTS (((const RunBehaviour[]) { __VA_ARGS__ })))

static gboolean
async_cancelled_cb (GCancellable *cancellable,
                    gpointer      data)
{
  gtask_sup_task_return_error (data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                          "operation cancelled"));
  return G_SOURCE_REMOVE;
}

static void
runs_func (GtaskSupTask *task,
           GCancellable *cancellable,
           gpointer      data)
{
  Runs *r = data;
  int i = g_atomic_int_add (&r->n_claimed, 1);
  RunBehaviour b = r->behaviour[MIN ((guint) i, r->n_behaviours - 1)];
  TestGate *gate = &r->gates[MIN (i, MAX_RUNS - 1)];

  if (i < MAX_RUNS)
    g_atomic_pointer_set (&r->tasks[i], task);
  g_atomic_int_inc (&r->n_started);

  switch (b)
    {
    case RUN_SUCCEED:
    case RUN_ASYNC_SUCCEED:
      gtask_sup_task_return_int (task, 100 + i);
      break;

    case RUN_FAIL:
    case RUN_ASYNC_FAIL:
      gtask_sup_task_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "run %d", i));
      break;

    case RUN_BLOCK_COOP:
    case RUN_BLOCK_IGNORE:
      switch (test_gate_wait (gate, b == RUN_BLOCK_COOP ? cancellable : NULL,
                              test_upper_ms (TEST_WAIT_MS)))
        {
        case TEST_WAIT_OPENED:
          gtask_sup_task_return_int (task, 100 + i);
          break;
        case TEST_WAIT_CANCELLED:
          gtask_sup_task_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BUSY,
                                                                  "stopped cleanly"));
          break;
        case TEST_WAIT_EXPIRED:
        default:
          gtask_sup_task_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                                  "the gate never opened"));
          break;
        }
      break;

    case RUN_WAIT_PREV:
      {
        gint64 deadline = g_get_monotonic_time () +
                          test_upper_ms (TEST_WAIT_MS) * G_TIME_SPAN_MILLISECOND;

        while (g_atomic_int_get (&r->n_returns) < i && g_get_monotonic_time () < deadline)
          g_usleep (1000);
        gtask_sup_task_return_int (task, 100 + i);
      }
      break;

    case RUN_SLEEP_FAIL:
      g_usleep (r->sleep_ms * G_TIME_SPAN_MILLISECOND);
      gtask_sup_task_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "run %d", i));
      break;

    case RUN_ASYNC_UNTIL_CANCELLED:
      {
        GSource *source = g_cancellable_source_new (cancellable);

        g_source_set_callback (source, G_SOURCE_FUNC (async_cancelled_cb),
                               g_object_ref (task), g_object_unref);
        g_source_attach (source, g_main_context_get_thread_default ());
        g_source_unref (source);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  g_atomic_int_inc (&r->n_returns);
}

static GtaskSupTask *
runs_task_new (Runs             *r,
               GtaskSupTaskKind  kind,
               const char       *name,
               GtaskSupRestart   restart)
{
  GtaskSupTask *task;

  g_atomic_int_inc (&test_probes_held);
  if (kind == GTASK_SUP_TASK_KIND_ASYNC)
    task = gtask_sup_task_new_async (runs_func, g_atomic_rc_box_acquire (r), runs_task_destroy);
  else
    task = gtask_sup_task_new_thread (runs_func, g_atomic_rc_box_acquire (r), runs_task_destroy);
  gtask_sup_task_set_name (task, name);
  gtask_sup_task_set_restart (task, restart);
  return task;
}

static GtaskSupTask *
runs_get_task (Runs *r,
               guint i)
{
  g_assert_cmpuint (i, <, MAX_RUNS);
  g_assert_cmpint (g_atomic_int_get (&r->n_started), >, (int) i);
  return g_atomic_pointer_get (&r->tasks[i]);
}

/* The outcomes of @rec in the order they were emitted. */
static GPtrArray *
outcomes_in_order (Recorder *rec)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  guint i;

  g_ptr_array_set_size (list, rec->n_outcomes);
  g_hash_table_iter_init (&iter, rec->outcomes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Outcome *o = value;

      g_assert_cmpuint (o->seq, <, list->len);
      g_assert_null (list->pdata[o->seq]);
      list->pdata[o->seq] = o;
    }
  for (i = 0; i < list->len; i++)
    g_assert_nonnull (list->pdata[i]);
  return list;
}

/* Asserts that the outcomes come from distinct tasks (each run is a new
 * object) of the same name and settings. */
static void
assert_distinct_runs (GPtrArray  *outcomes,
                      const char *name)
{
  guint i, j;

  for (i = 0; i < outcomes->len; i++)
    {
      Outcome *o = g_ptr_array_index (outcomes, i);

      g_assert_cmpuint (o->count, ==, 1);
      g_assert_cmpstr (gtask_sup_task_get_name (o->task), ==, name);
      for (j = 0; j < i; j++)
        g_assert_true (o->task != ((Outcome *) g_ptr_array_index (outcomes, j))->task);
    }
}

/* -------------------------------------------------------------------------- */
/* shutdown_async() results                                                   */
/* -------------------------------------------------------------------------- */

typedef struct
{
  Fixture  *f;
  guint     n_calls;
  gboolean  ok;
  GError   *error;
  guint     n_stopped_before;   /* ::stopped emissions seen when it ran */
  guint     n_wrong;            /* inside a call, or off the owner context */
} ShutdownResult;

static void
shutdown_result_clear (ShutdownResult *r)
{
  g_clear_error (&r->error);
}

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  ShutdownResult *r = data;

  if (r->f->rec->in_call || g_thread_self () != r->f->rec->thread ||
      !g_main_context_is_owner (r->f->ctx))
    r->n_wrong++;
  g_clear_error (&r->error);
  r->ok = gtask_sup_supervisor_shutdown_finish (GTASK_SUP_SUPERVISOR (source), result, &r->error);
  r->n_stopped_before = r->f->rec->n_stopped;
  r->n_calls++;
}

static gboolean
shutdown_done_cb (gpointer data)
{
  ShutdownResult *r = data;
  return r->n_calls > 0;
}

static void
call_shutdown (Fixture        *f,
               ShutdownResult *r)
{
  r->f = f;
  f->rec->in_call = TRUE;
  gtask_sup_supervisor_shutdown_async (f->sup, NULL, shutdown_cb, r);
  f->rec->in_call = FALSE;
  /* never from inside the call */
  g_assert_cmpuint (r->n_calls, ==, 0);
}

static void
assert_start_closed (Fixture *f)
{
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 0);
  g_autoptr(GtaskSupTask) task = probe_task_new (p);
  g_autoptr(GError) error = NULL;

  g_assert_true (gtask_sup_supervisor_get_closed (f->sup));
  g_assert_false (gtask_sup_supervisor_start (f->sup, task, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
  g_clear_error (&error);
  g_atomic_int_inc (&test_probes_held);
  g_assert_null (gtask_sup_supervisor_run_in_thread (f->sup, probe_thread_func,
                                                     g_atomic_rc_box_acquire (p),
                                                     probe_task_destroy, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_NEW);
}

static gboolean
spawned_cb (gpointer data)
{
  g_autoptr(GSubprocess) process = gtask_sup_task_dup_subprocess (data);

  return process != NULL && g_subprocess_get_identifier (process) != NULL;
}

static guint
n_children (Fixture *f)
{
  return g_list_model_get_n_items (gtask_sup_supervisor_get_children (f->sup));
}

/* -------------------------------------------------------------------------- */
/* Supervisor shutdown                                                        */
/* -------------------------------------------------------------------------- */

static gboolean
n_running_is_zero_cb (gpointer data)
{
  return gtask_sup_supervisor_get_n_running (data) == 0;
}

static void
test_shutdown_mixed (Fixture       *f,
                     gconstpointer  data)
{
  const char *sleep_argv[] = { "sleep", "30", NULL };
  g_autoptr(Probe) thread_p = probe_new_blocking (TRUE);
  g_autoptr(Probe) queued_p = probe_new (PROBE_RESULT_INT, 4);
  g_autoptr(Runs) async_r = runs_new (RUN_ASYNC_UNTIL_CANCELLED);
  g_autoptr(GtaskSupTask) thread = NULL;
  g_autoptr(GtaskSupTask) async = NULL;
  g_autoptr(GtaskSupTask) proc = NULL;
  g_autoptr(GtaskSupTask) queued = NULL;
  g_autoptr(GSubprocess) process = NULL;
  ShutdownResult r = { 0, };
  int pid;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 3);
  thread_p->result = PROBE_RESULT_OWN_ERROR_IF_CANCELLED;
  thread = probe_task_new (thread_p);
  fixture_start (f, thread);
  async = runs_task_new (async_r, GTASK_SUP_TASK_KIND_ASYNC, "async", GTASK_SUP_RESTART_TEMPORARY);
  fixture_start (f, async);
  proc = test_track_task (gtask_sup_task_new_subprocess (sleep_argv, G_SUBPROCESS_FLAGS_NONE));
  fixture_start (f, proc);
  queued = probe_task_new (queued_p);
  fixture_start (f, queued);

  iterate_until_int_eq (f->ctx, &thread_p->n_runs, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &async_r->n_started, 1, TEST_WAIT_MS);
  iterate_until (f->ctx, spawned_cb, proc, TEST_WAIT_MS);
  process = gtask_sup_task_dup_subprocess (proc);
  pid = atoi (g_subprocess_get_identifier (process));
  g_assert_cmpint (gtask_sup_task_get_state (queued), ==, GTASK_SUP_TASK_STATE_QUEUED);
  g_assert_cmpuint (n_children (f), ==, 4);

  call_shutdown (f, &r);
  g_assert_cmpuint (f->rec->n_stopped, ==, 0);
  /* closed at once */
  assert_start_closed (f);

  iterate_until (f->ctx, shutdown_done_cb, &r, TEST_WAIT_MS);
  wait_stopped (f->ctx, f->rec, TEST_WAIT_MS);
  g_assert_true (r.ok);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.n_wrong, ==, 0);

  /* ::stopped once, with no reason, after every child's outcome */
  g_assert_cmpuint (f->rec->n_stopped, ==, 1);
  g_assert_null (f->rec->stop_reason);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 4);
  g_assert_cmpuint (f->rec->stopped_seq, ==, 4);
  g_assert_cmpuint (n_children (f), ==, 0);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_queued (f->sup), ==, 0);

  /* each stopped the way it was asked to */
  assert_outcome (f->rec, thread, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_BUSY);
  assert_outcome (f->rec, async, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, proc, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, queued, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (test_pid_alive (pid));

  /* the queued one never ran, and nothing more happens; n-running counts
   * functions that run: the thread's, which returned its error first, until
   * it returns */
  iterate_until_int_eq (f->ctx, &thread_p->n_returns, 1, TEST_WAIT_MS);
  iterate_until (f->ctx, n_running_is_zero_cb, f->sup, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpint (queued_p->n_runs, ==, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 4);
  g_assert_cmpuint (f->rec->n_stopped, ==, 1);
  g_assert_cmpuint (r.n_calls, ==, 1);
  assert_start_closed (f);
  shutdown_result_clear (&r);
}

static void
test_shutdown_twice (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  ShutdownResult r1 = { 0, }, r2 = { 0, }, r3 = { 0, };

  TEST_SUMMARY ();

  task = probe_task_new (p);
  fixture_start (f, task);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);

  call_shutdown (f, &r1);
  call_shutdown (f, &r2);
  iterate_until (f->ctx, shutdown_done_cb, &r1, TEST_WAIT_MS);
  iterate_until (f->ctx, shutdown_done_cb, &r2, TEST_WAIT_MS);
  wait_stopped (f->ctx, f->rec, TEST_WAIT_MS);
  g_assert_true (r1.ok);
  g_assert_true (r2.ok);
  g_assert_cmpuint (r1.n_wrong + r2.n_wrong, ==, 0);

  /* after it stopped: completes too, from a later iteration */
  call_shutdown (f, &r3);
  iterate_until (f->ctx, shutdown_done_cb, &r3, TEST_WAIT_MS);
  g_assert_true (r3.ok);
  g_assert_cmpuint (r3.n_wrong, ==, 0);

  iterate_for (f->ctx, 100);
  g_assert_cmpuint (r1.n_calls, ==, 1);
  g_assert_cmpuint (r2.n_calls, ==, 1);
  g_assert_cmpuint (r3.n_calls, ==, 1);
  g_assert_cmpuint (f->rec->n_stopped, ==, 1);
  g_assert_null (f->rec->stop_reason);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
}

static void
test_shutdown_empty (Fixture       *f,
                     gconstpointer  data)
{
  ShutdownResult r = { 0, };

  TEST_SUMMARY ();

  g_assert_false (gtask_sup_supervisor_get_closed (f->sup));
  call_shutdown (f, &r);
  g_assert_cmpuint (f->rec->n_stopped, ==, 0);
  g_assert_true (gtask_sup_supervisor_get_closed (f->sup));

  /* no child to wait for, still from a later iteration */
  iterate_until (f->ctx, shutdown_done_cb, &r, TEST_WAIT_MS);
  wait_stopped (f->ctx, f->rec, TEST_WAIT_MS);
  g_assert_true (r.ok);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.n_wrong, ==, 0);
  g_assert_null (f->rec->stop_reason);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_stopped, ==, 1);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  assert_start_closed (f);
}

static void
test_shutdown_finished (Fixture       *f,
                        gconstpointer  data)
{
  const char *echo_argv[] = { "echo", "done", NULL };
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 31);
  g_autoptr(Runs) ar = runs_new (RUN_ASYNC_FAIL);
  g_autoptr(GtaskSupTask) thread = NULL;
  g_autoptr(GtaskSupTask) async = NULL;
  g_autoptr(GtaskSupTask) proc = NULL;
  ShutdownResult r = { 0, };
  GBytes *bytes;

  TEST_SUMMARY ();

  thread = probe_task_new (p);
  fixture_start (f, thread);
  async = runs_task_new (ar, GTASK_SUP_TASK_KIND_ASYNC, "async", GTASK_SUP_RESTART_TEMPORARY);
  fixture_start (f, async);
  proc = gtask_sup_task_new_subprocess (echo_argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  test_track_task (proc);
  fixture_start (f, proc);
  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);

  /* a finished task keeps its recorded outcome */
  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (thread, 0);
  gtask_sup_task_shutdown (async, 0);
  gtask_sup_task_shutdown (proc, 0);
  gtask_sup_task_shutdown (thread, 100);
  gtask_sup_task_shutdown (async, -1);
  gtask_sup_task_shutdown (proc, 100);
  f->rec->in_call = FALSE;
  iterate_for (f->ctx, 200);

  g_assert_cmpuint (f->rec->n_outcomes, ==, 3);
  assert_outcome (f->rec, thread, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (thread)), ==, 31);
  assert_outcome (f->rec, async, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_error ((GError *) gtask_sup_task_get_error (async), G_IO_ERROR, G_IO_ERROR_FAILED);
  assert_outcome (f->rec, proc, OUTCOME_SUCCEEDED, 0, 0);
  bytes = g_value_get_boxed (gtask_sup_task_get_value (proc));
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "done\n", 5);

  /* nor does a supervisor shutdown change them */
  call_shutdown (f, &r);
  iterate_until (f->ctx, shutdown_done_cb, &r, TEST_WAIT_MS);
  wait_stopped (f->ctx, f->rec, TEST_WAIT_MS);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 3);
  g_assert_cmpuint (f->rec->stopped_seq, ==, 3);
  g_assert_cmpint (gtask_sup_task_get_state (thread), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  g_assert_cmpint (gtask_sup_task_get_state (async), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_cmpint (gtask_sup_task_get_state (proc), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  shutdown_result_clear (&r);
}

static void
test_shutdown_grace (Fixture       *f,
                     gconstpointer  data)
{
  const int GRACE = (int) test_upper_ms (300);
  ProbeShared shared = { 0, };
  g_autoptr(Probe) brutal_p = probe_new_blocking (FALSE);
  g_autoptr(Probe) graceful_p = probe_new_blocking (FALSE);
  g_autoptr(GtaskSupTask) brutal = NULL;
  g_autoptr(GtaskSupTask) graceful = NULL;
  ShutdownResult r = { 0, };
  Outcome *o;
  gint64 t0;

  TEST_SUMMARY ();

  /* Both ignore their cancellable. */
  brutal_p->result = PROBE_RESULT_POINTER;
  brutal_p->shared = &shared;
  brutal = probe_task_new (brutal_p);
  gtask_sup_task_set_shutdown_timeout (brutal, 0);
  fixture_start (f, brutal);
  graceful = probe_task_new (graceful_p);
  gtask_sup_task_set_shutdown_timeout (graceful, GRACE);
  fixture_start (f, graceful);
  iterate_until_int_eq (f->ctx, &brutal_p->n_runs, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &graceful_p->n_runs, 1, TEST_WAIT_MS);

  t0 = g_get_monotonic_time ();
  call_shutdown (f, &r);

  /* grace 0: killed at once */
  wait_outcome (f->ctx, f->rec, brutal);
  o = recorder_get (f->rec, brutal);
  g_assert_cmpint (o->time_us - t0, <, GRACE * G_TIME_SPAN_MILLISECOND);
  assert_outcome (f->rec, brutal, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);

  /* the other after its grace, and only then is the supervisor stopped */
  wait_stopped (f->ctx, f->rec, GRACE + TEST_SLACK_MS);
  o = recorder_get (f->rec, graceful);
  g_assert_nonnull (o);
  assert_outcome_after (o, t0, GRACE);
  assert_outcome (f->rec, graceful, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);
  g_assert_cmpuint (f->rec->stopped_seq, ==, 2);
  iterate_until (f->ctx, shutdown_done_cb, &r, TEST_WAIT_MS);
  g_assert_true (r.ok);

  /* The abandoned threads return late: their results are dropped (freed). */
  g_assert_cmpint (brutal_p->n_returns, ==, 0);
  test_gate_open (&brutal_p->gate);
  test_gate_open (&graceful_p->gate);
  iterate_until_int_eq (f->ctx, &brutal_p->n_returns, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &graceful_p->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (g_atomic_int_get (&shared.pointers_alive), ==, 0);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  g_assert_null (gtask_sup_task_get_value (brutal));
  g_assert_error ((GError *) gtask_sup_task_get_error (brutal),
                  GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);
  shutdown_result_clear (&r);
}

static void
test_shutdown_owner_disposed (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(Probe) p = probe_new_blocking (FALSE);
  g_autoptr(GtaskSupTask) task = NULL;
  ShutdownResult r = { 0, };

  TEST_SUMMARY ();

  task = probe_task_new (p);
  fixture_start (f, task);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);

  /* stuck in the (default 5 s) grace when the owner goes */
  call_shutdown (f, &r);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (r.n_calls, ==, 0);

  f->rec->closed = TRUE;
  f->rec->in_call = TRUE;
  g_clear_object (&f->owner);
  f->rec->in_call = FALSE;
  g_assert_cmpuint (r.n_calls, ==, 0);

  /* completes, TRUE, and ::stopped is never emitted */
  iterate_until (f->ctx, shutdown_done_cb, &r, TEST_SLACK_MS);
  g_assert_true (r.ok);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.n_wrong, ==, 0);

  test_gate_open (&p->gate);
  iterate_until_int_eq (f->ctx, &p->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_stopped, ==, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_cmpuint (r.n_calls, ==, 1);
  shutdown_result_clear (&r);
}

/* -------------------------------------------------------------------------- */
/* Restarts                                                                   */
/* -------------------------------------------------------------------------- */

static void
test_restart_temporary (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Runs) r = runs_new (RUN_FAIL);
  g_autoptr(Runs) rt = runs_new (RUN_BLOCK_COOP);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) timed = NULL;

  TEST_SUMMARY ();

  task = runs_task_new (r, GTASK_SUP_TASK_KIND_THREAD, "temp", GTASK_SUP_RESTART_TEMPORARY);
  g_assert_cmpint (gtask_sup_task_get_restart (task), ==, GTASK_SUP_RESTART_TEMPORARY);
  fixture_start (f, task);
  timed = runs_task_new (rt, GTASK_SUP_TASK_KIND_THREAD, "temp", GTASK_SUP_RESTART_TEMPORARY);
  gtask_sup_task_set_timeout (timed, 50);
  fixture_start (f, timed);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_FAILED);
  assert_outcome (f->rec, timed, OUTCOME_TIMED_OUT, 0, 0);
  iterate_for (f->ctx, 200);
  g_assert_cmpint (r->n_claimed, ==, 1);
  /* (on a loaded machine it may time out before a worker runs it) */
  g_assert_cmpint (rt->n_claimed, <=, 1);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  g_assert_cmpuint (n_children (f), ==, 0);
  g_assert_false (gtask_sup_supervisor_get_closed (f->sup));
}

static void
count_cb (GtaskSupSupervisor *sup,
          GtaskSupTask       *task,
          const GError       *error,
          gpointer            data)
{
  (*(guint *) data)++;
}

static void
test_restart_transient_failure (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(Runs) r = runs_new (RUN_FAIL, RUN_SUCCEED);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  GtaskSupTask *run1;
  guint n_failed_detail = 0;
  Outcome *o;

  TEST_SUMMARY ();

  g_signal_connect (f->sup, "failed::worker", G_CALLBACK (count_cb), &n_failed_detail);
  task = runs_task_new (r, GTASK_SUP_TASK_KIND_THREAD, "worker", GTASK_SUP_RESTART_TRANSIENT);
  gtask_sup_task_set_shutdown_timeout (task, 1234);
  fixture_start (f, task);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  iterate_for (f->ctx, 200);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  g_assert_cmpint (r->n_claimed, ==, 2);

  outcomes = outcomes_in_order (f->rec);
  assert_distinct_runs (outcomes, "worker");
  o = g_ptr_array_index (outcomes, 0);
  g_assert_true (o->task == task);
  g_assert_cmpint (o->kind, ==, OUTCOME_FAILED);
  g_assert_error (o->error, G_IO_ERROR, G_IO_ERROR_FAILED);

  /* the new run: a new object with the same work and settings */
  o = g_ptr_array_index (outcomes, 1);
  run1 = runs_get_task (r, 1);
  g_assert_true (o->task == run1);
  g_assert_true (run1 != task);
  g_assert_cmpint (o->kind, ==, OUTCOME_SUCCEEDED);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (run1)), ==, 101);
  g_assert_cmpint (gtask_sup_task_get_kind (run1), ==, GTASK_SUP_TASK_KIND_THREAD);
  g_assert_cmpint (gtask_sup_task_get_restart (run1), ==, GTASK_SUP_RESTART_TRANSIENT);
  g_assert_cmpint (gtask_sup_task_get_shutdown_timeout (run1), ==, 1234);
  g_assert_cmpint (gtask_sup_task_get_timeout (run1), ==, -1);
  /* the first run keeps its own outcome */
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_cmpuint (n_failed_detail, ==, 1);
  g_assert_cmpuint (n_children (f), ==, 0);
  g_signal_handlers_disconnect_by_func (f->sup, count_cb, &n_failed_detail);
}

static void
test_restart_transient_timeout (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(Runs) r = runs_new (RUN_BLOCK_COOP, RUN_SUCCEED);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  int timeout = (int) test_upper_ms (150);
  Outcome *o0, *o1;

  TEST_SUMMARY ();

  task = runs_task_new (r, GTASK_SUP_TASK_KIND_THREAD, "slow", GTASK_SUP_RESTART_TRANSIENT);
  gtask_sup_task_set_timeout (task, timeout);
  fixture_start (f, task);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &r->n_returns, 2, TEST_WAIT_MS);
  iterate_for (f->ctx, 200);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  g_assert_cmpint (r->n_claimed, ==, 2);

  outcomes = outcomes_in_order (f->rec);
  assert_distinct_runs (outcomes, "slow");
  o0 = g_ptr_array_index (outcomes, 0);
  o1 = g_ptr_array_index (outcomes, 1);
  g_assert_true (o0->task == task);
  g_assert_cmpint (o0->kind, ==, OUTCOME_TIMED_OUT);
  g_assert_cmpint (o1->kind, ==, OUTCOME_SUCCEEDED);
  g_assert_cmpint (gtask_sup_task_get_timeout (o1->task), ==, timeout);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (o1->task)), ==, 101);
}

static void
test_restart_transient_no_restart (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(Runs) rs = runs_new (RUN_SUCCEED, RUN_FAIL);
  g_autoptr(Runs) rc = runs_new (RUN_BLOCK_COOP, RUN_FAIL);
  g_autoptr(Runs) rd = runs_new (RUN_BLOCK_COOP, RUN_FAIL);
  g_autoptr(GtaskSupTask) succeeds = NULL;
  g_autoptr(GtaskSupTask) cancelled = NULL;
  g_autoptr(GtaskSupTask) shut = NULL;

  TEST_SUMMARY ();

  succeeds = runs_task_new (rs, GTASK_SUP_TASK_KIND_THREAD, "a", GTASK_SUP_RESTART_TRANSIENT);
  fixture_start (f, succeeds);
  cancelled = runs_task_new (rc, GTASK_SUP_TASK_KIND_THREAD, "b", GTASK_SUP_RESTART_TRANSIENT);
  fixture_start (f, cancelled);
  shut = runs_task_new (rd, GTASK_SUP_TASK_KIND_THREAD, "c", GTASK_SUP_RESTART_TRANSIENT);
  fixture_start (f, shut);
  iterate_until_int_eq (f->ctx, &rc->n_started, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &rd->n_started, 1, TEST_WAIT_MS);

  gtask_sup_task_cancel (cancelled);
  /* it stops within the grace with its own error: a failure, but asked for */
  gtask_sup_task_shutdown (shut, (int) test_upper_ms (5000));

  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &rc->n_returns, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &rd->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 200);

  assert_outcome (f->rec, succeeds, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, cancelled, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, shut, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 3);
  g_assert_cmpint (rs->n_claimed, ==, 1);
  g_assert_cmpint (rc->n_claimed, ==, 1);
  g_assert_cmpint (rd->n_claimed, ==, 1);
  g_assert_cmpuint (n_children (f), ==, 0);
}

typedef struct
{
  Fixture      *f;
  GtaskSupTask *task;
} ChildCond;

static gboolean
only_child_is_cb (gpointer data)
{
  ChildCond *c = data;
  GListModel *children = gtask_sup_supervisor_get_children (c->f->sup);
  g_autoptr(GtaskSupTask) item = NULL;

  if (g_list_model_get_n_items (children) != 1)
    return FALSE;
  item = g_list_model_get_item (children, 0);
  return item == c->task;
}

/* Iterates until the children model holds only run @i of @r. */
static GtaskSupTask *
wait_live_run (Fixture *f,
               Runs    *r,
               guint    i)
{
  ChildCond c = { f, NULL };

  iterate_until_int_ge (f->ctx, &r->n_started, (int) i + 1, TEST_WAIT_MS);
  c.task = runs_get_task (r, i);
  iterate_until (f->ctx, only_child_is_cb, &c, TEST_WAIT_MS);
  return c.task;
}

static void
test_restart_permanent (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Runs) r = runs_new (RUN_SUCCEED, RUN_BLOCK_COOP, RUN_BLOCK_COOP, RUN_FAIL);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  GtaskSupTask *run1, *run2;
  Outcome *o;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_restarts (f->sup, 10);
  task = runs_task_new (r, GTASK_SUP_TASK_KIND_THREAD, "forever", GTASK_SUP_RESTART_PERMANENT);
  fixture_start (f, task);

  /* restarted after a success; the live run is the one listed */
  run1 = wait_live_run (f, r, 1);
  g_assert_true (run1 != task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);

  /* restarted after cancel() too */
  gtask_sup_task_cancel (run1);
  run2 = wait_live_run (f, r, 2);
  g_assert_true (run2 != run1 && run2 != task);
  assert_outcome (f->rec, run1, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* not after a shutdown */
  gtask_sup_task_shutdown (run2, (int) test_upper_ms (5000));
  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &r->n_returns, 3, TEST_WAIT_MS);
  iterate_for (f->ctx, 200);

  g_assert_cmpint (r->n_claimed, ==, 3);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 3);
  outcomes = outcomes_in_order (f->rec);
  assert_distinct_runs (outcomes, "forever");
  o = g_ptr_array_index (outcomes, 2);
  g_assert_true (o->task == run2);
  g_assert_cmpint (o->kind, ==, OUTCOME_FAILED);
  g_assert_error (o->error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_cmpint (gtask_sup_task_get_restart (run2), ==, GTASK_SUP_RESTART_PERMANENT);
  g_assert_cmpuint (n_children (f), ==, 0);
  g_assert_false (gtask_sup_supervisor_get_closed (f->sup));
}

static void
test_restart_late_result (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Runs) r = runs_new (RUN_BLOCK_IGNORE, RUN_WAIT_PREV, RUN_BLOCK_COOP);
  g_autoptr(GtaskSupTask) task = NULL;
  ShutdownResult sr = { 0, };
  GtaskSupTask *run1;

  TEST_SUMMARY ();

  task = runs_task_new (r, GTASK_SUP_TASK_KIND_THREAD, "late", GTASK_SUP_RESTART_PERMANENT);
  fixture_start (f, task);
  iterate_until_int_eq (f->ctx, &r->n_started, 1, TEST_WAIT_MS);

  /* run 0 ignores the cancel: abandoned, it still runs when run 1 starts */
  gtask_sup_task_cancel (task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_until_int_eq (f->ctx, &r->n_started, 2, TEST_WAIT_MS);
  g_assert_cmpint (r->n_returns, ==, 0);

  /* run 0 returns 100 now; run 1 returns 101 only after that */
  test_gate_open (&r->gates[0]);
  run1 = runs_get_task (r, 1);
  wait_outcome (f->ctx, f->rec, run1);
  assert_outcome (f->rec, run1, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (run1)), ==, 101);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_null (gtask_sup_task_get_value (task));
  g_assert_cmpuint (recorder_count (f->rec, task), ==, 1);

  /* run 2 (permanent: restarted after the success) ends with the supervisor */
  iterate_until_int_eq (f->ctx, &r->n_started, 3, TEST_WAIT_MS);
  call_shutdown (f, &sr);
  wait_stopped (f->ctx, f->rec, TEST_WAIT_MS);
  iterate_until (f->ctx, shutdown_done_cb, &sr, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &r->n_returns, 3, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 3);
  g_assert_cmpint (r->n_claimed, ==, 3);
  assert_outcome (f->rec, runs_get_task (r, 2), OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_BUSY);
  shutdown_result_clear (&sr);
}

static void
test_restart_during_shutdown (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(Runs) rp = runs_new (RUN_BLOCK_COOP, RUN_FAIL);
  g_autoptr(Runs) rt = runs_new (RUN_BLOCK_COOP, RUN_FAIL);
  g_autoptr(Runs) rk = runs_new (RUN_BLOCK_IGNORE, RUN_FAIL);
  g_autoptr(GtaskSupTask) permanent = NULL;
  g_autoptr(GtaskSupTask) transient = NULL;
  g_autoptr(GtaskSupTask) killed = NULL;
  ShutdownResult sr = { 0, };

  TEST_SUMMARY ();

  permanent = runs_task_new (rp, GTASK_SUP_TASK_KIND_THREAD, "p", GTASK_SUP_RESTART_PERMANENT);
  fixture_start (f, permanent);
  transient = runs_task_new (rt, GTASK_SUP_TASK_KIND_THREAD, "t", GTASK_SUP_RESTART_TRANSIENT);
  fixture_start (f, transient);
  killed = runs_task_new (rk, GTASK_SUP_TASK_KIND_THREAD, "k", GTASK_SUP_RESTART_PERMANENT);
  gtask_sup_task_set_shutdown_timeout (killed, 50);
  fixture_start (f, killed);
  iterate_until_int_eq (f->ctx, &rp->n_started, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &rt->n_started, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &rk->n_started, 1, TEST_WAIT_MS);

  call_shutdown (f, &sr);
  wait_stopped (f->ctx, f->rec, TEST_WAIT_MS);
  iterate_until (f->ctx, shutdown_done_cb, &sr, TEST_WAIT_MS);
  test_gate_open (&rk->gates[0]);
  iterate_until_int_eq (f->ctx, &rk->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 200);

  /* failures and kills during the shutdown restart nothing */
  assert_outcome (f->rec, permanent, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_BUSY);
  assert_outcome (f->rec, transient, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_BUSY);
  assert_outcome (f->rec, killed, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 3);
  g_assert_cmpuint (f->rec->stopped_seq, ==, 3);
  g_assert_null (f->rec->stop_reason);
  g_assert_cmpint (rp->n_claimed, ==, 1);
  g_assert_cmpint (rt->n_claimed, ==, 1);
  g_assert_cmpint (rk->n_claimed, ==, 1);
  g_assert_cmpuint (n_children (f), ==, 0);
  shutdown_result_clear (&sr);
}

static void
test_restart_intensity (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Runs) r = runs_new (RUN_FAIL);
  g_autoptr(Probe) sibling_p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) sibling = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  guint i, n_failing = 0;

  TEST_SUMMARY ();

  g_assert_cmpuint (gtask_sup_supervisor_get_max_restarts (f->sup), ==, 3);
  g_assert_cmpuint (gtask_sup_supervisor_get_max_seconds (f->sup), ==, 5);
  sibling_p->result = PROBE_RESULT_OWN_ERROR_IF_CANCELLED;
  sibling = probe_task_new (sibling_p);
  fixture_start (f, sibling);
  iterate_until_int_eq (f->ctx, &sibling_p->n_runs, 1, TEST_WAIT_MS);

  task = runs_task_new (r, GTASK_SUP_TASK_KIND_THREAD, "crashy", GTASK_SUP_RESTART_PERMANENT);
  fixture_start (f, task);

  wait_stopped (f->ctx, f->rec, TEST_WAIT_MS);
  g_assert_error (f->rec->stop_reason, GTASK_SUP_ERROR, GTASK_SUP_ERROR_RESTART_INTENSITY);
  assert_start_closed (f);
  iterate_until_int_eq (f->ctx, &sibling_p->n_returns, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 200);

  /* 1 run + 3 restarts, then the supervisor gave up */
  g_assert_cmpint (r->n_claimed, ==, 4);
  outcomes = outcomes_in_order (f->rec);
  for (i = 0; i < outcomes->len; i++)
    {
      Outcome *o = g_ptr_array_index (outcomes, i);

      if (o->task == sibling)
        continue;
      n_failing++;
      g_assert_cmpint (o->kind, ==, OUTCOME_FAILED);
      g_assert_error (o->error, G_IO_ERROR, G_IO_ERROR_FAILED);
    }
  g_assert_cmpuint (n_failing, ==, 4);
  /* ...and shut its other children down before ::stopped */
  assert_outcome (f->rec, sibling, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 5);
  g_assert_cmpuint (f->rec->stopped_seq, ==, 5);
  g_assert_cmpuint (f->rec->n_stopped, ==, 1);
  g_assert_cmpuint (n_children (f), ==, 0);
}

static void
test_restart_intensity_zero (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(Runs) r = runs_new (RUN_FAIL);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_restarts (f->sup, 0);
  task = runs_task_new (r, GTASK_SUP_TASK_KIND_THREAD, "once", GTASK_SUP_RESTART_TRANSIENT);
  fixture_start (f, task);

  /* gives up at the first restart */
  wait_stopped (f->ctx, f->rec, TEST_WAIT_MS);
  iterate_for (f->ctx, 200);
  g_assert_error (f->rec->stop_reason, GTASK_SUP_ERROR, GTASK_SUP_ERROR_RESTART_INTENSITY);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  g_assert_cmpuint (f->rec->stopped_seq, ==, 1);
  g_assert_cmpint (r->n_claimed, ==, 1);
  assert_start_closed (f);
}

static void
test_restart_window (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Runs) r = runs_new (RUN_FAIL, RUN_SLEEP_FAIL, RUN_FAIL, RUN_FAIL);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  /* 1 restart per second: run 1 fails 1.3 s after the first restart, which
   * has left the window then; the one after run 2 is one too many. */
  gtask_sup_supervisor_set_max_restarts (f->sup, 1);
  gtask_sup_supervisor_set_max_seconds (f->sup, 1);
  r->sleep_ms = 1300;
  task = runs_task_new (r, GTASK_SUP_TASK_KIND_THREAD, "window", GTASK_SUP_RESTART_TRANSIENT);
  fixture_start (f, task);

  wait_stopped (f->ctx, f->rec, 1300 + TEST_WAIT_MS);
  iterate_for (f->ctx, 200);
  g_assert_error (f->rec->stop_reason, GTASK_SUP_ERROR, GTASK_SUP_ERROR_RESTART_INTENSITY);
  g_assert_cmpint (r->n_claimed, ==, 3);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 3);
  g_assert_cmpuint (f->rec->n_failed, ==, 3);
}

static void
test_restart_kinds (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *marker = g_build_filename (dir, "marker", NULL);
  g_autofree char *quoted = g_shell_quote (marker);
  g_autofree char *script = g_strdup_printf ("if [ -e %s ]; then echo second; "
                                             "else : > %s; exit 1; fi", quoted, quoted);
  const char *argv[] = { "sh", "-c", script, NULL };
  g_autoptr(Runs) ra = runs_new (RUN_ASYNC_FAIL, RUN_ASYNC_SUCCEED);
  g_autoptr(GtaskSupTask) async = NULL;
  g_autoptr(GtaskSupTask) proc = NULL;
  GtaskSupTask *async1;
  GHashTableIter iter;
  gpointer value;
  guint n_proc = 0;

  TEST_SUMMARY ();

  async = runs_task_new (ra, GTASK_SUP_TASK_KIND_ASYNC, "async", GTASK_SUP_RESTART_TRANSIENT);
  fixture_start (f, async);
  proc = test_track_task (gtask_sup_task_new_subprocess (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE));
  gtask_sup_task_set_name (proc, "proc");
  gtask_sup_task_set_restart (proc, GTASK_SUP_RESTART_TRANSIENT);
  fixture_start (f, proc);

  wait_n_outcomes (f->ctx, f->rec, 4, TEST_WAIT_MS);
  iterate_for (f->ctx, 200);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 4);

  assert_outcome (f->rec, async, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_FAILED);
  async1 = runs_get_task (ra, 1);
  g_assert_true (async1 != async);
  assert_outcome (f->rec, async1, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_get_kind (async1), ==, GTASK_SUP_TASK_KIND_ASYNC);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (async1)), ==, 101);
  g_assert_cmpint (ra->n_claimed, ==, 2);

  assert_outcome (f->rec, proc, OUTCOME_FAILED, G_SPAWN_EXIT_ERROR, 1);
  g_hash_table_iter_init (&iter, f->rec->outcomes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Outcome *o = value;
      GBytes *bytes;

      if (g_strcmp0 (gtask_sup_task_get_name (o->task), "proc") != 0)
        continue;
      n_proc++;
      g_assert_cmpint (gtask_sup_task_get_kind (o->task), ==, GTASK_SUP_TASK_KIND_SUBPROCESS);
      if (o->task == proc)
        continue;
      /* the new run too must be released before the test ends */
      test_track_task (o->task);
      g_assert_cmpint (o->kind, ==, OUTCOME_SUCCEEDED);
      bytes = g_value_get_boxed (gtask_sup_task_get_value (o->task));
      g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "second\n", 7);
    }
  g_assert_cmpuint (n_proc, ==, 2);
  test_tmpdir_remove (dir);
}

typedef struct
{
  GMutex    mutex;
  GCond     cond;
  gpointer  task;
  gboolean  done;
} Dropper;

static gpointer
dropper_thread (gpointer data)
{
  Dropper *d = data;

  g_object_unref (d->task);
  g_mutex_lock (&d->mutex);
  d->done = TRUE;
  g_cond_signal (&d->cond);
  g_mutex_unlock (&d->mutex);
  return NULL;
}

/* The last reference to a task is dropped after its supervisor and the
 * owner context (the app's last reference to it) are gone: the task must
 * not use the freed context. The drop runs on a helper thread, so that a
 * hang on a freed mutex fails the test instead of hanging it. */
static void
test_task_outlives_context (Fixture       *f,
                            gconstpointer  data)
{
  GMainContext *ctx2 = g_main_context_new ();
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 3);
  GtaskSupSupervisor *sup2;
  Recorder *rec2;
  GtaskSupTask *task;
  GThread *thread;
  Dropper d;
  gint64 deadline;
  gboolean done;

  TEST_SUMMARY ();

  sup2 = g_object_new (GTASK_SUP_TYPE_SUPERVISOR, "main-context", ctx2, NULL);
  rec2 = recorder_new (sup2, ctx2);
  task = probe_task_new (p);
  g_assert_true (gtask_sup_supervisor_start (sup2, task, NULL));
  wait_outcome (ctx2, rec2, task);
  assert_outcome (rec2, task, OUTCOME_SUCCEEDED, 0, 0);
  recorder_assert_clean (rec2);
  recorder_free (rec2);

  g_object_unref (sup2);
  g_main_context_unref (ctx2);

  g_mutex_init (&d.mutex);
  g_cond_init (&d.cond);
  d.task = task;
  d.done = FALSE;
  thread = g_thread_new ("dropper", dropper_thread, &d);
  deadline = g_get_monotonic_time () + test_upper_ms (TEST_WAIT_MS) * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&d.mutex);
  while (!d.done && g_cond_wait_until (&d.cond, &d.mutex, deadline))
    ;
  done = d.done;
  g_mutex_unlock (&d.mutex);
  if (!done)
    g_error ("dropping the last reference to a task whose owner context is gone hung "
             "(its supervisor's GSource locks the freed GMainContext)");
  g_thread_join (thread);
  g_mutex_clear (&d.mutex);
  g_cond_clear (&d.cond);
  g_assert_cmpint (p->n_returns, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Lifecycle/shutdown-mixed", test_shutdown_mixed,
            "shutdown_async() with a thread, an async, a subprocess and a queued task: closed at "
            "once, every child one outcome, the queued one never ran, ::stopped once with no "
            "reason after them, an empty children model");
  TEST_ADD ("/GtaskSup/Lifecycle/shutdown-twice", test_shutdown_twice,
            "Two shutdown_async() calls both complete, ::stopped is emitted once; a call after "
            "it stopped completes from a later iteration");
  TEST_ADD ("/GtaskSup/Lifecycle/shutdown-empty", test_shutdown_empty,
            "shutdown_async() with no children completes and emits ::stopped from a later "
            "iteration, never inside the call");
  TEST_ADD ("/GtaskSup/Lifecycle/shutdown-finished", test_shutdown_finished,
            "Shutting down finished tasks of each kind keeps their outcome and emits nothing");
  TEST_ADD ("/GtaskSup/Lifecycle/shutdown-grace", test_shutdown_grace,
            "A supervisor shutdown kills a blocked thread with grace 0 at once, one with grace "
            "300 ms at >= 300 ms, then stops; the late results are dropped");
  TEST_ADD ("/GtaskSup/Lifecycle/shutdown-owner-disposed", test_shutdown_owner_disposed,
            "An owner disposed during shutdown_async(): it completes with TRUE and ::stopped is "
            "never emitted");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-temporary", test_restart_temporary,
            "TEMPORARY tasks never restart, after a failure or a timeout");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-transient-failure", test_restart_transient_failure,
            "TRANSIENT restarts after a failure: a new task object with the same name and "
            "settings, its own outcome, then no restart after its success");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-transient-timeout", test_restart_transient_timeout,
            "TRANSIENT restarts after a timeout");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-transient-no-restart", test_restart_transient_no_restart,
            "TRANSIENT does not restart after a success, cancel() or a shutdown");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-permanent", test_restart_permanent,
            "PERMANENT restarts after a success and after cancel(), not after a shutdown; the "
            "children model lists the live run");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-late-result", test_restart_late_result,
            "The late result of an abandoned run is dropped, never attributed to the next run");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-during-shutdown", test_restart_during_shutdown,
            "No restart while the supervisor shuts down");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-intensity", test_restart_intensity,
            "A PERMANENT task failing at once with max-restarts 3 / max-seconds 5: exactly 4 "
            "outcomes, its siblings shut down, ::stopped with RESTART_INTENSITY, closed");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-intensity-zero", test_restart_intensity_zero,
            "max-restarts 0 gives up at the first restart");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-window", test_restart_window,
            "Restarts older than max-seconds leave the window and no longer count");
  TEST_ADD ("/GtaskSup/Lifecycle/restart-kinds", test_restart_kinds,
            "Async and subprocess tasks restart too, with the same work");
  TEST_ADD ("/GtaskSup/Lifecycle/task-outlives-context", test_task_outlives_context,
            "Dropping the last reference to a task after its supervisor and owner context are "
            "gone uses no freed memory");

  return g_test_run ();
}
