/* test-engine.c: the engine's rules, through the public API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Work never waits for the owner context (DESIGN §4 rule 2): these tests
 * block the owner thread on a GCond, never iterating its context, and
 * check that the work runs, times out and is killed all the same, while
 * the outcome signal waits for the next iteration. They also check that
 * max-concurrency bounds what really runs (rule 7), that n-running counts
 * exactly the functions that run, and that stream items never restart
 * (rule 8).
 */

#include <stdlib.h>

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-process.h"
#include "test-recorder.h"
#include "test-util.h"

/* The worker pool's limit (gtask-sup-pool-private.h). */
#define POOL_MAX_THREADS 128

/* -------------------------------------------------------------------------- */
/* Blocking the owner thread without iterating its context                    */
/* -------------------------------------------------------------------------- */

typedef struct
{
  GMutex mutex;
  GCond  cond;
} Waiter;

static void
waiter_init (Waiter *w)
{
  g_mutex_init (&w->mutex);
  g_cond_init (&w->cond);
}

static void
waiter_clear (Waiter *w)
{
  g_mutex_clear (&w->mutex);
  g_cond_clear (&w->cond);
}

/* Blocks (no iteration of any context) until @cond (@data) holds or the
 * monotonic @deadline passed, checking it at least every @poll_ms; returns
 * the monotonic time at which it held, or 0. */
static gint64
block_until (Waiter        *w,
             TestCondition  cond,
             gpointer       data,
             gint64         deadline,
             guint          poll_ms)
{
  gint64 held = 0;

  g_mutex_lock (&w->mutex);
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();

      if (cond (data))
        {
          held = now;
          break;
        }
      if (now >= deadline)
        break;
      g_cond_wait_until (&w->cond, &w->mutex,
                         MIN (deadline, now + poll_ms * G_TIME_SPAN_MILLISECOND));
    }
  g_mutex_unlock (&w->mutex);

  return held;
}

static gboolean
final_state (GtaskSupTaskState state)
{
  return state == GTASK_SUP_TASK_STATE_SUCCEEDED ||
         state == GTASK_SUP_TASK_STATE_FAILED ||
         state == GTASK_SUP_TASK_STATE_TIMED_OUT;
}

/* -------------------------------------------------------------------------- */
/* A thread task while the owner thread blocks                                */
/* -------------------------------------------------------------------------- */

typedef struct
{
  Waiter   waiter;
  gboolean completed;   /* under waiter.mutex */
  GThread *thread;
} Signaller;

static void
signal_after_return_func (GtaskSupTask *task,
                          GCancellable *cancellable,
                          gpointer      user_data)
{
  Signaller *s = user_data;

  gtask_sup_task_return_int (task, 42);

  g_mutex_lock (&s->waiter.mutex);
  s->thread = g_thread_self ();
  s->completed = TRUE;
  g_cond_broadcast (&s->waiter.cond);
  g_mutex_unlock (&s->waiter.mutex);
}

/* The task's data: freed with it, so the function may touch it until it
 * returns. */
static void
signaller_free (gpointer data)
{
  Signaller *s = data;

  waiter_clear (&s->waiter);
  g_free (s);
}

static gboolean
signaller_completed_cb (gpointer data)
{
  /* Called with the waiter's mutex held. */
  return ((Signaller *)data)->completed;
}

static void
test_thread_owner_blocked (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = NULL;
  Signaller *s = g_new0 (Signaller, 1);
  gint64 deadline;
  gint64 iterate_us;
  Outcome *o;

  TEST_SUMMARY ();

  waiter_init (&s->waiter);

  task = test_track_task (gtask_sup_task_new_thread (signal_after_return_func, s,
                                                     signaller_free));
  recorder_watch (f->rec, task);
  fixture_start (f, task);

  /* The owner thread blocks; the function runs and completes anyway. */
  deadline = g_get_monotonic_time () + test_upper_ms (TEST_WAIT_MS) * G_TIME_SPAN_MILLISECOND;
  g_assert_cmpint (block_until (&s->waiter, signaller_completed_cb, s, deadline, 1000), >, 0);
  g_assert_true (s->thread != g_thread_self ());

  /* Decided, not reported: that waits for the owner context. */
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_cmpuint (f->rec->n_task_notify, ==, 0);
  g_assert_false (final_state (gtask_sup_task_get_state (task)));
  g_assert_null (gtask_sup_task_get_value (task));

  iterate_us = g_get_monotonic_time ();
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  o = recorder_get (f->rec, task);
  g_assert_cmpint (o->time_us, >=, iterate_us);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (task)), ==, 42);
}

/* -------------------------------------------------------------------------- */
/* A subprocess times out while the owner thread blocks                       */
/* -------------------------------------------------------------------------- */

static gboolean
pid_gone_cb (gpointer data)
{
  return !test_pid_alive (GPOINTER_TO_INT (data));
}

static void
test_subprocess_timeout_owner_blocked (Fixture       *f,
                                       gconstpointer  data)
{
  const char *argv[] = { "sleep", "30", NULL };
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GSubprocess) process = NULL;
  Waiter w;
  gint64 t0, deadline, gone_us;
  const char *identifier;
  int pid;

  TEST_SUMMARY ();

  waiter_init (&w);

  task = test_track_task (gtask_sup_task_new_subprocess (argv, G_SUBPROCESS_FLAGS_NONE));
  gtask_sup_task_set_timeout (task, 200);
  recorder_watch (f->rec, task);

  t0 = g_get_monotonic_time ();
  fixture_start (f, task);

  /* Spawned without any iteration of the owner context. */
  deadline = t0 + test_upper_ms (TEST_WAIT_MS) * G_TIME_SPAN_MILLISECOND;
  g_assert_cmpint (block_until (&w, test_task_spawned_cb, task, deadline, 2), >, 0);
  process = gtask_sup_task_dup_subprocess (task);
  identifier = g_subprocess_get_identifier (process);
  g_assert_nonnull (identifier);
  pid = atoi (identifier);
  g_assert_cmpint (pid, >, 1);

  /* Gone on time, though the owner context is still not iterated: not
   * before the timeout, and within a generous slack after it. */
  deadline = t0 + (200 + test_upper_ms (TEST_SLACK_MS)) * G_TIME_SPAN_MILLISECOND;
  gone_us = block_until (&w, pid_gone_cb, GINT_TO_POINTER (pid), deadline, 2);
  g_assert_cmpint (gone_us, >, 0);
  g_assert_cmpint (gone_us - t0, >=, 200 * G_TIME_SPAN_MILLISECOND);
  g_test_message ("gone %" G_GINT64_FORMAT " ms after start()", (gone_us - t0) / 1000);

  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_false (final_state (gtask_sup_task_get_state (task)));

  /* Now the owner hears of it, once. */
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_TIMED_OUT, 0, 0);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  g_assert_cmpuint (recorder_count (f->rec, task), ==, 1);

  g_clear_object (&process);
  g_clear_object (&task);
  waiter_clear (&w);
}

/* -------------------------------------------------------------------------- */
/* max-concurrency bounds what really runs                                    */
/* -------------------------------------------------------------------------- */

static GtaskSupTask *
start_probe (Fixture *f,
             Probe   *p)
{
  GtaskSupTask *task = test_track_task (probe_task_new (p));

  recorder_watch (f->rec, task);
  fixture_start (f, task);
  return task;
}

static void
test_max_concurrency_abandoned (Fixture       *f,
                                gconstpointer  data)
{
  ProbeShared shared = { 0, };
  g_autoptr(Probe) a = probe_new_blocking (FALSE);
  g_autoptr(Probe) b = probe_new (PROBE_RESULT_INT, 2);
  g_autoptr(GtaskSupTask) ta = NULL;
  g_autoptr(GtaskSupTask) tb = NULL;
  gint64 t0, opened_us;

  TEST_SUMMARY ();

  a->shared = &shared;
  b->shared = &shared;
  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);

  ta = test_track_task (probe_task_new (a));
  gtask_sup_task_set_timeout (ta, 100);
  recorder_watch (f->rec, ta);
  t0 = g_get_monotonic_time ();
  fixture_start (f, ta);
  tb = start_probe (f, b);

  /* A ignores its cancellable: it times out on time... */
  wait_outcome (f->ctx, f->rec, ta);
  assert_outcome (f->rec, ta, OUTCOME_TIMED_OUT, 0, 0);
  assert_outcome_after (recorder_get (f->rec, ta), t0, 100);
  g_assert_cmpint (g_atomic_int_get (&a->n_runs), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&a->n_returns), ==, 0);

  /* ...but its function still runs, so B waits. */
  iterate_for (f->ctx, 100);
  g_assert_cmpint (g_atomic_int_get (&b->n_runs), ==, 0);
  g_assert_cmpint (gtask_sup_task_get_state (tb), ==, GTASK_SUP_TASK_STATE_QUEUED);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_running (f->sup), ==, 1);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_queued (f->sup), ==, 1);

  opened_us = g_get_monotonic_time ();
  test_gate_open (&a->gate);

  wait_outcome (f->ctx, f->rec, tb);
  assert_outcome (f->rec, tb, OUTCOME_SUCCEEDED, 0, 0);
  iterate_until_int_eq (f->ctx, &a->n_returns, 1, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &b->n_returns, 1, TEST_WAIT_MS);

  /* B started once A's function had returned: never two at once. */
  g_assert_cmpint (b->run_us, >=, opened_us);
  g_assert_cmpint (b->run_us, >=, a->completed_us);
  g_assert_cmpint (g_atomic_int_get (&shared.peak), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&shared.started), ==, 2);
  /* A's late result was dropped. */
  g_assert_cmpint (gtask_sup_task_get_state (ta), ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
  g_assert_null (gtask_sup_task_get_value (ta));
}

typedef struct
{
  Probe   **probes;
  guint     n;
  guint     n_items;
  gboolean  finished;
  GError   *error;
  gint64    first_item_us;
} StreamInput;

static GtaskSupTask *
stream_next_cb (GtaskSupStream *stream,
                guint64         index,
                gpointer        user_data)
{
  StreamInput *in = user_data;

  if (index >= in->n)
    return NULL;

  return test_track_task (probe_task_new (in->probes[index]));
}

static void
stream_item_cb (GtaskSupStream *stream,
                guint64         index,
                GtaskSupTask   *task,
                gpointer        user_data)
{
  StreamInput *in = user_data;

  if (in->n_items++ == 0)
    in->first_item_us = g_get_monotonic_time ();
}

static void
stream_finished_cb (GtaskSupStream *stream,
                    const GError   *error,
                    gpointer        user_data)
{
  StreamInput *in = user_data;

  g_assert_false (in->finished);
  in->finished = TRUE;
  if (error != NULL)
    in->error = g_error_copy (error);
}

static gboolean
stream_finished_cond_cb (gpointer data)
{
  return ((StreamInput *)data)->finished;
}

static gboolean
stream_first_item_cb (gpointer data)
{
  return ((StreamInput *)data)->n_items > 0;
}

static void
test_stream_max_concurrency_abandoned (Fixture       *f,
                                       gconstpointer  data)
{
  enum { N = 3 };
  ProbeShared shared = { 0, };
  Probe *probes[N];
  StreamInput in = { probes, N, 0, };
  g_autoptr(GtaskSupStream) stream = NULL;
  gint64 t0;

  TEST_SUMMARY ();

  for (guint i = 0; i < N; i++)
    {
      probes[i] = probe_new_blocking (FALSE);
      probes[i]->shared = &shared;
    }

  stream = gtask_sup_supervisor_map (f->sup, stream_next_cb, &in, NULL);
  g_object_set (stream,
                "max-concurrency", 1,
                "timeout", 100,
                "on-timeout", GTASK_SUP_ON_TIMEOUT_KILL_TASK,
                NULL);
  g_signal_connect (stream, "item", G_CALLBACK (stream_item_cb), &in);
  g_signal_connect (stream, "finished", G_CALLBACK (stream_finished_cb), &in);

  t0 = g_get_monotonic_time ();
  gtask_sup_stream_start (stream);

  /* Item 0 ignores its cancellable: it is reported timed out... */
  iterate_until (f->ctx, stream_first_item_cb, &in, TEST_WAIT_MS);
  g_assert_cmpint (in.first_item_us - t0, >=, 100 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (f->rec->n_timed_out, ==, 1);

  /* ...but its function still runs: with max-concurrency 1, no other item
   * may run until it returns. */
  iterate_for (f->ctx, 150);
  g_assert_cmpint (g_atomic_int_get (&probes[0]->n_returns), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&shared.peak), <=, 1);
  g_assert_cmpint (g_atomic_int_get (&shared.started), ==, 1);

  for (guint i = 0; i < N; i++)
    test_gate_open (&probes[i]->gate);

  iterate_until (f->ctx, stream_finished_cond_cb, &in, TEST_WAIT_MS);
  g_assert_no_error (in.error);
  g_assert_cmpuint (in.n_items, ==, N);
  for (guint i = 0; i < N; i++)
    iterate_until_int_eq (f->ctx, &probes[i]->n_returns, 1, TEST_WAIT_MS);

  g_assert_cmpint (g_atomic_int_get (&shared.peak), <=, 1);
  g_assert_cmpint (g_atomic_int_get (&shared.started), ==, N);

  for (guint i = 0; i < N; i++)
    probe_unref (probes[i]);
}

/* -------------------------------------------------------------------------- */
/* n-running counts the functions that run                                    */
/* -------------------------------------------------------------------------- */

typedef struct
{
  TestGate gate;
  int      inside;     /* functions in their body right now */
  int      peak;
  int      returned;
} Crowd;

static void
crowd_func (GtaskSupTask *task,
            GCancellable *cancellable,
            gpointer      user_data)
{
  Crowd *c = user_data;
  int now = g_atomic_int_add (&c->inside, 1) + 1;
  int peak;

  while ((peak = g_atomic_int_get (&c->peak)) < now &&
         !g_atomic_int_compare_and_exchange (&c->peak, peak, now))
    ;

  /* Bounded: a library bug fails the test, it does not hang it. */
  test_gate_wait (&c->gate, NULL, test_upper_ms (TEST_WAIT_MS));
  gtask_sup_task_return_int (task, 1);

  g_atomic_int_add (&c->inside, -1);
  g_atomic_int_inc (&c->returned);
}

typedef struct
{
  Fixture *f;
  Crowd   *crowd;
  int      last_inside;
  guint    last_running;
  gint64   since_us;
} Stable;

/* The count of functions inside, and n-running, are equal and have not
 * changed for 300 ms. */
static gboolean
crowd_stable_cb (gpointer data)
{
  Stable *s = data;
  int inside = g_atomic_int_get (&s->crowd->inside);
  guint running = gtask_sup_supervisor_get_n_running (s->f->sup);
  gint64 now = g_get_monotonic_time ();

  if (inside != s->last_inside || running != s->last_running)
    {
      s->last_inside = inside;
      s->last_running = running;
      s->since_us = now;
      return FALSE;
    }

  return inside > 0 && (guint) inside == running &&
         now - s->since_us >= 300 * G_TIME_SPAN_MILLISECOND;
}

typedef struct
{
  Fixture *f;
  Crowd   *crowd;
  guint    n;
  guint    running;
  guint    queued;
  int      inside;
} Snapshot;

/* n-running equals the functions inside, and n-running + n-queued the
 * tasks, in one snapshot (the count of functions inside read twice around
 * the properties, so that a worker between work_begin and its function's
 * first line only delays it). */
static gboolean
crowd_consistent_cb (gpointer data)
{
  Snapshot *s = data;
  int before = g_atomic_int_get (&s->crowd->inside);

  g_object_get (s->f->sup, "n-running", &s->running, "n-queued", &s->queued, NULL);
  s->inside = g_atomic_int_get (&s->crowd->inside);

  return before == s->inside && (guint) s->inside == s->running &&
         s->running + s->queued == s->n;
}

static gboolean
n_running_zero_cb (gpointer data)
{
  Fixture *f = data;

  return gtask_sup_supervisor_get_n_running (f->sup) == 0 &&
         gtask_sup_supervisor_get_n_queued (f->sup) == 0;
}

static void
test_n_running_crowd (Fixture       *f,
                      gconstpointer  data)
{
  guint n = test_count (1000, 150);
  Crowd crowd = { 0, };
  Stable stable = { f, &crowd, -1, G_MAXUINT, 0 };
  Snapshot snap = { f, &crowd, n, 0, 0, 0 };

  TEST_SUMMARY ();

  test_gate_init (&crowd.gate);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      GtaskSupTask *task;

      f->rec->in_call = TRUE;
      task = gtask_sup_supervisor_run_in_thread (f->sup, crowd_func, &crowd, NULL, &error);
      f->rec->in_call = FALSE;
      g_assert_no_error (error);
      g_assert_nonnull (task);
      test_track_task (task);
    }

  /* Once the pool stopped growing, the counts agree (a library that
   * counted a task waiting for a worker as running never gets there). */
  iterate_until (f->ctx, crowd_stable_cb, &stable, TEST_WAIT_MS);
  iterate_until (f->ctx, crowd_consistent_cb, &snap, TEST_WAIT_MS);
  g_test_message ("%u running, %u queued, %d inside", snap.running, snap.queued, snap.inside);
  g_assert_cmpuint (snap.running, ==, (guint) snap.inside);
  g_assert_cmpuint (snap.running, >, 0);
  g_assert_cmpuint (snap.running, <=, POOL_MAX_THREADS);
  g_assert_cmpuint (snap.running + snap.queued, ==, n);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_running (f->sup), <=, POOL_MAX_THREADS);
  g_assert_cmpint (g_atomic_int_get (&crowd.peak), <=, POOL_MAX_THREADS);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  test_gate_open (&crowd.gate);

  wait_n_outcomes (f->ctx, f->rec, n, TEST_WAIT_MS);
  iterate_until (f->ctx, n_running_zero_cb, f, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &crowd.returned, (int) n, TEST_WAIT_MS);
  g_assert_cmpuint (f->rec->n_succeeded, ==, n);
  g_assert_cmpint (g_atomic_int_get (&crowd.peak), <=, POOL_MAX_THREADS);

  /* Every function is done with @crowd (its last access is `returned`). */
  test_gate_clear (&crowd.gate);
}

/* -------------------------------------------------------------------------- */
/* max-seconds                                                                */
/* -------------------------------------------------------------------------- */

static void
test_max_seconds_zero (Fixture       *f,
                       gconstpointer  data)
{
  GParamSpec *pspec;
  guint n_notify = f->rec->n_sup_notify;
  guint value = 0;

  TEST_SUMMARY ();

  g_assert_cmpuint (gtask_sup_supervisor_get_max_seconds (f->sup), ==, 5);

  /* A programmer error: refused with a critical. */
  g_test_expect_message ("GtaskSup", G_LOG_LEVEL_CRITICAL, "*max_seconds >= 1*");
  gtask_sup_supervisor_set_max_seconds (f->sup, 0);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (gtask_sup_supervisor_get_max_seconds (f->sup), ==, 5);
  g_assert_cmpuint (f->rec->n_sup_notify, ==, n_notify);

  /* The property refuses it too: its minimum is 1. */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (f->sup), "max-seconds");
  g_assert_nonnull (pspec);
  g_assert_cmpuint (G_PARAM_SPEC_UINT (pspec)->minimum, ==, 1);
  g_assert_cmpuint (G_PARAM_SPEC_UINT (pspec)->default_value, ==, 5);

  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING, "*out of range*max-seconds*");
  g_object_set (f->sup, "max-seconds", 0, NULL);
  g_test_assert_expected_messages ();
  g_object_get (f->sup, "max-seconds", &value, NULL);
  g_assert_cmpuint (value, ==, 5);
  g_assert_cmpuint (f->rec->n_sup_notify, ==, n_notify);

  /* The smallest valid window is taken, and notified. */
  g_object_set (f->sup, "max-seconds", 1, NULL);
  g_assert_cmpuint (gtask_sup_supervisor_get_max_seconds (f->sup), ==, 1);
  g_assert_cmpuint (f->rec->n_sup_notify, ==, n_notify + 1);
}

/* -------------------------------------------------------------------------- */
/* Stream items never restart                                                 */
/* -------------------------------------------------------------------------- */

static GtaskSupTask *
permanent_next_cb (GtaskSupStream *stream,
                   guint64         index,
                   gpointer        user_data)
{
  StreamInput *in = user_data;
  GtaskSupTask *task;

  if (index >= in->n)
    return NULL;

  task = test_track_task (probe_task_new (in->probes[index]));
  gtask_sup_task_set_restart (task, GTASK_SUP_RESTART_PERMANENT);
  return task;
}

static void
test_stream_permanent_items (Fixture       *f,
                             gconstpointer  data)
{
  enum { N = 6 };
  static const ProbeResult results[] = {
    PROBE_RESULT_INT, PROBE_RESULT_ERROR, PROBE_RESULT_NONE,
  };
  ProbeShared shared = { 0, };
  Probe *probes[N];
  StreamInput in = { probes, N, 0, };
  g_autoptr(GtaskSupStream) stream = NULL;

  TEST_SUMMARY ();

  for (guint i = 0; i < N; i++)
    {
      probes[i] = probe_new (results[i % G_N_ELEMENTS (results)], i);
      probes[i]->shared = &shared;
    }

  stream = gtask_sup_supervisor_map (f->sup, permanent_next_cb, &in, NULL);
  gtask_sup_stream_set_max_concurrency (stream, 2);
  g_signal_connect (stream, "item", G_CALLBACK (stream_item_cb), &in);
  g_signal_connect (stream, "finished", G_CALLBACK (stream_finished_cb), &in);
  gtask_sup_stream_start (stream);

  iterate_until (f->ctx, stream_finished_cond_cb, &in, TEST_WAIT_MS);
  g_assert_no_error (in.error);
  g_assert_cmpuint (in.n_items, ==, N);

  /* Nothing runs after ::finished: no restart of any item. */
  iterate_for (f->ctx, 300);
  for (guint i = 0; i < N; i++)
    {
      g_assert_cmpint (g_atomic_int_get (&probes[i]->n_runs), ==, 1);
      g_assert_cmpint (g_atomic_int_get (&probes[i]->n_returns), ==, 1);
    }
  g_assert_cmpint (g_atomic_int_get (&shared.started), ==, N);
  g_assert_cmpuint (f->rec->n_outcomes, ==, N);
  g_assert_cmpuint (in.n_items, ==, N);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_running (f->sup), ==, 0);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_queued (f->sup), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (gtask_sup_supervisor_get_children (f->sup)), ==, 0);
  /* (Six restarts would also have made the supervisor give up.) */
  g_assert_cmpuint (f->rec->n_stopped, ==, 0);
  g_assert_false (gtask_sup_supervisor_get_closed (f->sup));

  for (guint i = 0; i < N; i++)
    probe_unref (probes[i]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Engine/thread-owner-blocked", test_thread_owner_blocked,
            "A thread task runs and completes while the owner thread blocks without "
            "iterating its context; its outcome comes only from a later iteration");
  TEST_ADD ("/GtaskSup/Engine/process-timeout-owner-blocked",
            test_subprocess_timeout_owner_blocked,
            "A subprocess with a 200 ms timeout is spawned and killed on time while the "
            "owner thread blocks; timed-out is emitted once, when the context is iterated");
  TEST_ADD ("/GtaskSup/Engine/max-concurrency-abandoned", test_max_concurrency_abandoned,
            "With max-concurrency 1, a thread function that ignores its cancellable times "
            "out on time, but the next task starts only after that function returns");
  TEST_ADD ("/GtaskSup/Engine/stream-max-concurrency-abandoned",
            test_stream_max_concurrency_abandoned,
            "A stream with max-concurrency 1 whose items ignore their cancellable and time "
            "out (on-timeout KILL_TASK) never runs two item functions at once");
  TEST_ADD ("/GtaskSup/Engine/n-running-crowd", test_n_running_crowd,
            "With many blocking tasks, n-running equals the number of functions in their "
            "body, at most the pool's 128 workers, n-running + n-queued is the number of "
            "tasks, and n-running drops to 0 once they are released");
  TEST_ADD ("/GtaskSup/Engine/max-seconds-zero", test_max_seconds_zero,
            "max-seconds 0 is a programmer error (a critical) and refused by the property's "
            "minimum of 1; the value stays 5 and nothing is notified");
  TEST_ADD ("/GtaskSup/Engine/stream-permanent-items", test_stream_permanent_items,
            "Stream items whose restart is PERMANENT run exactly once each, and nothing "
            "runs or is emitted after ::finished");

  return g_test_run ();
}
