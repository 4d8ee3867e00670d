/* test-util.h: helpers shared by the C test suites
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Everything here is `static inline` so that each suite only pays for what
 * it uses. Nothing here sleeps to wait for an event: the owner context is
 * iterated until a condition holds, with an upper bound that fails the test.
 * Worker functions (the Probe) may block on a gate or a cancellable, always
 * with a deadline, so that a library bug shows up as a failure, not a hang.
 */

#pragma once

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <gtask-sup/gtask-sup.h>

G_BEGIN_DECLS

/* Upper bounds are for a loaded machine with 2 shared cores. Under valgrind
 * (GTASK_SUP_TEST_SLOW set by the `valgrind` test setup) they grow 20 times
 * and the big loops shrink. Lower bounds are never scaled. */
#define TEST_SLACK_MS 2000
#define TEST_WAIT_MS  10000

static inline gboolean
test_is_slow (void)
{
  return g_getenv ("GTASK_SUP_TEST_SLOW") != NULL;
}

static inline gint64
test_upper_ms (gint64 ms)
{
  return test_is_slow () ? ms * 20 : ms;
}

static inline guint
test_count (guint normal,
            guint slow)
{
  return test_is_slow () ? slow : normal;
}

static inline gint64
test_elapsed_ms (gint64 since_us)
{
  return (g_get_monotonic_time () - since_us) / G_TIME_SPAN_MILLISECOND;
}

/* Lower bound strict (in microseconds), upper bound generous (slack scaled). */
#define assert_elapsed_between(since_us, lower_ms, upper_ms) \
  G_STMT_START { \
    gint64 elapsed_us_ = g_get_monotonic_time () - (since_us); \
    g_assert_cmpint (elapsed_us_, >=, (gint64) (lower_ms) * G_TIME_SPAN_MILLISECOND); \
    g_assert_cmpint (elapsed_us_, <=, test_upper_ms (upper_ms) * G_TIME_SPAN_MILLISECOND); \
  } G_STMT_END

/* -------------------------------------------------------------------------- */
/* Bounded iteration                                                          */
/* -------------------------------------------------------------------------- */

typedef gboolean (*TestCondition) (gpointer user_data);

static inline gboolean
test_set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static inline gboolean
test_tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates @ctx until @cond holds or @timeout_ms passed. Worker threads change
 * atomics without waking the context, hence the short tick. */
static inline gboolean
test_iterate_until_impl (GMainContext  *ctx,
                         TestCondition  cond,
                         gpointer       data,
                         gint64         timeout_ms)
{
  gboolean expired = FALSE;
  gboolean ok;
  GSource *guard;
  GSource *tick;

  guard = g_timeout_source_new ((guint) timeout_ms);
  g_source_set_callback (guard, test_set_flag_cb, &expired, NULL);
  g_source_attach (guard, ctx);

  tick = g_timeout_source_new (5);
  g_source_set_callback (tick, test_tick_cb, NULL, NULL);
  g_source_attach (tick, ctx);

  while (!(ok = cond (data)) && !expired)
    g_main_context_iteration (ctx, TRUE);

  g_source_destroy (tick);
  g_source_unref (tick);
  g_source_destroy (guard);
  g_source_unref (guard);

  return ok;
}

/* iterate_until (ctx, cond, data, timeout_ms): iterate @ctx until
 * cond (data) is TRUE; fails the test after timeout_ms (scaled when slow). */
#define iterate_until(ctx, cond, data, timeout_ms) \
  G_STMT_START { \
    gint64 bound_ms_ = test_upper_ms (timeout_ms); \
    if (!test_iterate_until_impl ((ctx), (cond), (data), bound_ms_)) \
      { \
        char *msg_ = g_strdup_printf ("iterate_until (%s, %s) did not hold within %" \
                                      G_GINT64_FORMAT " ms", #cond, #data, bound_ms_); \
        g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg_); \
        g_free (msg_); \
      } \
  } G_STMT_END

static inline gboolean
test_never_cb (gpointer data)
{
  return FALSE;
}

/* For iterate_until (ctx, test_weak_null_cb, &weak_pointer, ...). */
static inline gboolean
test_weak_null_cb (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Iterates @ctx for @ms milliseconds (not scaled): "nothing more happens". */
static inline void
iterate_for (GMainContext *ctx,
             guint         ms)
{
  gboolean done = FALSE;
  GSource *source;

  source = g_timeout_source_new (ms);
  g_source_set_callback (source, test_set_flag_cb, &done, NULL);
  g_source_attach (source, ctx);
  while (!done)
    g_main_context_iteration (ctx, TRUE);
  g_source_destroy (source);
  g_source_unref (source);
}

typedef struct
{
  const int *ptr;
  int        target;
} TestIntCond;

static inline gboolean
test_int_ge_cb (gpointer data)
{
  TestIntCond *c = data;
  return g_atomic_int_get (c->ptr) >= c->target;
}

static inline gboolean
test_int_eq_cb (gpointer data)
{
  TestIntCond *c = data;
  return g_atomic_int_get (c->ptr) == c->target;
}

#define iterate_until_int_ge(ctx, ptr, target, timeout_ms) \
  G_STMT_START { \
    TestIntCond c_ = { (const int *) (ptr), (target) }; \
    iterate_until ((ctx), test_int_ge_cb, &c_, (timeout_ms)); \
  } G_STMT_END

#define iterate_until_int_eq(ctx, ptr, target, timeout_ms) \
  G_STMT_START { \
    TestIntCond c_ = { (const int *) (ptr), (target) }; \
    iterate_until ((ctx), test_int_eq_cb, &c_, (timeout_ms)); \
  } G_STMT_END

/* -------------------------------------------------------------------------- */
/* Gate: what a worker function blocks on, always with a deadline             */
/* -------------------------------------------------------------------------- */

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean open;
} TestGate;

typedef enum
{
  TEST_WAIT_OPENED,
  TEST_WAIT_CANCELLED,
  TEST_WAIT_EXPIRED,
} TestWaitResult;

static inline void
test_gate_init (TestGate *gate)
{
  g_mutex_init (&gate->mutex);
  g_cond_init (&gate->cond);
  gate->open = FALSE;
}

static inline void
test_gate_clear (TestGate *gate)
{
  g_mutex_clear (&gate->mutex);
  g_cond_clear (&gate->cond);
}

static inline void
test_gate_open (TestGate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

static inline void
test_gate_cancelled_cb (GCancellable *cancellable,
                        gpointer      user_data)
{
  TestGate *gate = user_data;

  g_mutex_lock (&gate->mutex);
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

/* Blocks until @gate opens, @cancellable (nullable) is cancelled, or @max_ms. */
static inline TestWaitResult
test_gate_wait (TestGate     *gate,
                GCancellable *cancellable,
                gint64        max_ms)
{
  gint64 deadline = g_get_monotonic_time () + max_ms * G_TIME_SPAN_MILLISECOND;
  TestWaitResult res;
  gulong id = 0;

  if (cancellable != NULL)
    id = g_cancellable_connect (cancellable, G_CALLBACK (test_gate_cancelled_cb), gate, NULL);

  g_mutex_lock (&gate->mutex);
  for (;;)
    {
      if (gate->open)
        {
          res = TEST_WAIT_OPENED;
          break;
        }
      if (cancellable != NULL && g_cancellable_is_cancelled (cancellable))
        {
          res = TEST_WAIT_CANCELLED;
          break;
        }
      if (!g_cond_wait_until (&gate->cond, &gate->mutex, deadline) &&
          g_get_monotonic_time () >= deadline)
        {
          res = gate->open ? TEST_WAIT_OPENED :
                (cancellable != NULL && g_cancellable_is_cancelled (cancellable)) ?
                  TEST_WAIT_CANCELLED : TEST_WAIT_EXPIRED;
          break;
        }
    }
  g_mutex_unlock (&gate->mutex);

  if (id != 0)
    g_cancellable_disconnect (cancellable, id);

  return res;
}

/* -------------------------------------------------------------------------- */
/* Probe: a configurable thread function and what it observed                 */
/* -------------------------------------------------------------------------- */

typedef enum
{
  PROBE_RESULT_INT,            /* return_int (value) */
  PROBE_RESULT_BOOLEAN,        /* return_boolean (value != 0) */
  PROBE_RESULT_POINTER,        /* return_pointer (a PointerResult, freed by its destroy) */
  PROBE_RESULT_STRING_VALUE,   /* return_value (G_TYPE_STRING "probe-<value>") */
  PROBE_RESULT_ERROR,          /* return_error (G_IO_ERROR_NOT_FOUND) */
  PROBE_RESULT_NONE,           /* return without a result */
  PROBE_RESULT_OWN_ERROR_IF_CANCELLED, /* G_IO_ERROR_BUSY if cancelled, else int */
} ProbeResult;

/* Shared between the probes of one test (outlives every worker function). */
typedef struct
{
  int current;     /* functions running right now */
  int peak;        /* max of current */
  int wait_peak;   /* if > 0: each function waits (bounded) until peak >= wait_peak */
  int order;       /* start order counter */
  int started;     /* functions entered */
  int pointers_alive; /* PointerResult alive */
} ProbeShared;

typedef struct
{
  ProbeResult   result;
  gint64        value;
  gboolean      block;        /* block on the gate before completing */
  gboolean      cooperative;  /* ...or until the cancellable is cancelled */
  gboolean      result_first; /* complete before blocking */
  guint         work_ms;      /* uncooperative work (g_usleep) first */
  ProbeShared  *shared;       /* nullable */

  TestGate      gate;

  /* observations, atomics */
  int           n_runs;
  int           n_returns;
  int           n_completed;  /* return_* (or nothing) was called */
  gint64        completed_us;
  int           saw_cancel;   /* the wait ended because of the cancellable */
  int           cancelled_at_return; /* the cancellable was cancelled when it returned */
  int           cancellable_ok;      /* the func's cancellable is the task's */
  int           order;        /* start order among probes of @shared */
  GThread      *thread;
  gint64        run_us;
} Probe;

typedef struct
{
  int *alive;
  gint64 value;
} PointerResult;

/* Task data still alive (probe refs held by tasks). Checked at teardown. */
static int test_probes_held G_GNUC_UNUSED = 0;

/* Tasks given to test_track_task() and not finalized yet. Checked at
 * teardown, before the owner context goes: a task that the library still
 * holds then (say, a subprocess task its service thread is done with a bit
 * later) would be finalized after the test, in the next one. */
static int test_tasks_alive G_GNUC_UNUSED = 0;

static inline void
test_task_finalized_cb (gpointer  data,
                        GObject  *where_the_object_was)
{
  g_atomic_int_add (&test_tasks_alive, -1);
}

/* Counts @task in test_tasks_alive until it is finalized; returns it. */
static inline gpointer
test_track_task (gpointer task)
{
  g_atomic_int_inc (&test_tasks_alive);
  g_object_weak_ref (task, test_task_finalized_cb, NULL);
  return task;
}

static inline Probe *
probe_new (ProbeResult result,
           gint64      value)
{
  Probe *p = g_atomic_rc_box_new0 (Probe);

  p->result = result;
  p->value = value;
  test_gate_init (&p->gate);
  return p;
}

static inline void
probe_clear_func (gpointer data)
{
  Probe *p = data;
  test_gate_clear (&p->gate);
}

static inline void
probe_unref (Probe *p)
{
  g_atomic_rc_box_release_full (p, probe_clear_func);
}

static inline void
probe_task_destroy (gpointer data)
{
  probe_unref (data);
  g_atomic_int_add (&test_probes_held, -1);
}

static inline void
pointer_result_free (gpointer data)
{
  PointerResult *r = data;

  if (r->alive != NULL)
    g_atomic_int_add (r->alive, -1);
  g_free (r);
}

static inline void
probe_complete (Probe        *p,
                GtaskSupTask *task,
                gboolean      cancelled)
{
  switch (p->result)
    {
    case PROBE_RESULT_INT:
      gtask_sup_task_return_int (task, p->value);
      break;
    case PROBE_RESULT_BOOLEAN:
      gtask_sup_task_return_boolean (task, p->value != 0);
      break;
    case PROBE_RESULT_POINTER:
      {
        PointerResult *r = g_new0 (PointerResult, 1);
        r->value = p->value;
        if (p->shared != NULL)
          {
            r->alive = &p->shared->pointers_alive;
            g_atomic_int_inc (r->alive);
          }
        gtask_sup_task_return_pointer (task, r, pointer_result_free);
      }
      break;
    case PROBE_RESULT_STRING_VALUE:
      {
        GValue v = G_VALUE_INIT;
        g_value_init (&v, G_TYPE_STRING);
        g_value_take_string (&v, g_strdup_printf ("probe-%" G_GINT64_FORMAT, p->value));
        gtask_sup_task_return_value (task, &v);
        g_value_unset (&v);
      }
      break;
    case PROBE_RESULT_ERROR:
      gtask_sup_task_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                                      "probe %" G_GINT64_FORMAT, p->value));
      break;
    case PROBE_RESULT_NONE:
      break;
    case PROBE_RESULT_OWN_ERROR_IF_CANCELLED:
      if (cancelled)
        gtask_sup_task_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BUSY,
                                                                "stopped cleanly"));
      else
        gtask_sup_task_return_int (task, p->value);
      break;
    default:
      g_assert_not_reached ();
    }
}

static inline void
probe_thread_func (GtaskSupTask *task,
                   GCancellable *cancellable,
                   gpointer      user_data)
{
  Probe *p = user_data;
  gboolean cancelled = FALSE;

  p->thread = g_thread_self ();
  p->run_us = g_get_monotonic_time ();
  g_atomic_int_set (&p->cancellable_ok,
                    cancellable != NULL && cancellable == gtask_sup_task_get_cancellable (task));

  if (p->shared != NULL)
    {
      int now = g_atomic_int_add (&p->shared->current, 1) + 1;
      int peak;

      while ((peak = g_atomic_int_get (&p->shared->peak)) < now &&
             !g_atomic_int_compare_and_exchange (&p->shared->peak, peak, now))
        ;
      p->order = g_atomic_int_add (&p->shared->order, 1);
      g_atomic_int_inc (&p->shared->started);
    }

  g_atomic_int_inc (&p->n_runs);

  if (p->shared != NULL && p->shared->wait_peak > 0)
    {
      /* Work until the expected number of functions ran at once (bounded). */
      gint64 deadline = g_get_monotonic_time () +
                        test_upper_ms (2000) * G_TIME_SPAN_MILLISECOND;
      while (g_atomic_int_get (&p->shared->peak) < p->shared->wait_peak &&
             g_get_monotonic_time () < deadline)
        g_usleep (1000);
      g_usleep (2000);
    }

  if (p->work_ms > 0)
    g_usleep (p->work_ms * G_TIME_SPAN_MILLISECOND);

  if (p->result_first)
    {
      probe_complete (p, task, FALSE);
      p->completed_us = g_get_monotonic_time ();
      g_atomic_int_inc (&p->n_completed);
    }

  if (p->block)
    {
      TestWaitResult r = test_gate_wait (&p->gate, p->cooperative ? cancellable : NULL,
                                         test_upper_ms (TEST_WAIT_MS));
      cancelled = (r == TEST_WAIT_CANCELLED);
      g_atomic_int_set (&p->saw_cancel, cancelled);
    }

  if (!p->result_first)
    {
      probe_complete (p, task, cancelled);
      p->completed_us = g_get_monotonic_time ();
      g_atomic_int_inc (&p->n_completed);
    }

  if (p->shared != NULL)
    g_atomic_int_add (&p->shared->current, -1);

  g_atomic_int_set (&p->cancelled_at_return,
                    cancellable != NULL && g_cancellable_is_cancelled (cancellable));
  g_atomic_int_inc (&p->n_returns);
}

/* A new thread task running @p (the task holds its own ref on @p). */
static inline GtaskSupTask *
probe_task_new (Probe *p)
{
  g_atomic_int_inc (&test_probes_held);
  return gtask_sup_task_new_thread (probe_thread_func,
                                    g_atomic_rc_box_acquire (p),
                                    probe_task_destroy);
}

static inline Probe *
probe_new_blocking (gboolean cooperative)
{
  Probe *p = probe_new (PROBE_RESULT_INT, 1);
  p->block = TRUE;
  p->cooperative = cooperative;
  return p;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Probe, probe_unref)

/* -------------------------------------------------------------------------- */
/* Recorder: every signal of a supervisor, checked for context and count     */
/* -------------------------------------------------------------------------- */

typedef enum
{
  OUTCOME_SUCCEEDED,
  OUTCOME_FAILED,
  OUTCOME_TIMED_OUT,
} OutcomeKind;

typedef struct
{
  GtaskSupTask *task;   /* owned */
  OutcomeKind   kind;   /* of the first outcome */
  guint         count;  /* outcomes emitted for this task: must stay 1 */
  GError       *error;  /* copy of the failed error */
  gint64        time_us;
  guint         seq;
} Outcome;

typedef struct
{
  GtaskSupSupervisor *sup;       /* weak pointer */
  GListModel         *children;  /* borrowed from sup */
  GMainContext       *ctx;
  GThread            *thread;

  GHashTable         *outcomes;  /* task → Outcome */
  GPtrArray          *watched;   /* tasks with a notify handler, owned */
  GPtrArray          *shadow;    /* what items-changed told us the model holds */

  guint               n_outcomes;
  guint               n_succeeded;
  guint               n_failed;
  guint               n_timed_out;
  guint               n_items_changed;
  guint               n_sup_notify;
  guint               n_task_notify;

  /* ::stopped */
  guint               n_stopped;
  GError             *stop_reason;   /* copy of the first reason, if any */
  guint               stopped_seq;   /* n_outcomes when ::stopped was emitted */

  /* set by the test: no signal may be emitted while set */
  gboolean            in_call;
  gboolean            closed;

  /* violations (atomic: may come from a wrong thread) */
  int                 n_wrong_context;
  int                 n_sync;
  int                 n_after_close;
  int                 n_wrong_state;
  int                 n_duplicate;
  int                 n_bad_model;
  int                 n_after_stopped; /* an outcome emitted after ::stopped */
} Recorder;

static inline void
outcome_free (gpointer data)
{
  Outcome *o = data;

  g_clear_object (&o->task);
  g_clear_error (&o->error);
  g_free (o);
}

/* Checks that we run on the recorder's thread, inside a dispatch of its
 * context, and that the test did not forbid emissions. */
static inline void
recorder_check (Recorder *rec,
                gboolean  need_source)
{
  GSource *source = g_main_current_source ();

  if (g_thread_self () != rec->thread || !g_main_context_is_owner (rec->ctx))
    g_atomic_int_inc (&rec->n_wrong_context);
  else if (need_source && (source == NULL || g_source_get_context (source) != rec->ctx))
    g_atomic_int_inc (&rec->n_wrong_context);
  if (rec->in_call)
    g_atomic_int_inc (&rec->n_sync);
  if (rec->closed)
    g_atomic_int_inc (&rec->n_after_close);
}

static inline void
recorder_record (Recorder     *rec,
                 GtaskSupTask *task,
                 OutcomeKind   kind,
                 const GError *error)
{
  Outcome *o;
  GtaskSupTaskState expected;

  recorder_check (rec, TRUE);

  switch (kind)
    {
    case OUTCOME_SUCCEEDED:
      expected = GTASK_SUP_TASK_STATE_SUCCEEDED;
      rec->n_succeeded++;
      /* (return_value (task, NULL) succeeds without a value) */
      if (gtask_sup_task_get_error (task) != NULL)
        g_atomic_int_inc (&rec->n_wrong_state);
      break;
    case OUTCOME_FAILED:
      expected = GTASK_SUP_TASK_STATE_FAILED;
      rec->n_failed++;
      if (error == NULL || gtask_sup_task_get_error (task) == NULL ||
          !g_error_matches (gtask_sup_task_get_error (task), error->domain, error->code) ||
          gtask_sup_task_get_value (task) != NULL)
        g_atomic_int_inc (&rec->n_wrong_state);
      break;
    case OUTCOME_TIMED_OUT:
      expected = GTASK_SUP_TASK_STATE_TIMED_OUT;
      rec->n_timed_out++;
      if (!g_error_matches (gtask_sup_task_get_error (task), G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
          gtask_sup_task_get_value (task) != NULL)
        g_atomic_int_inc (&rec->n_wrong_state);
      break;
    default:
      g_assert_not_reached ();
    }

  if (gtask_sup_task_get_state (task) != expected)
    g_atomic_int_inc (&rec->n_wrong_state);

  o = g_hash_table_lookup (rec->outcomes, task);
  if (o == NULL)
    {
      o = g_new0 (Outcome, 1);
      o->task = g_object_ref (task);
      o->kind = kind;
      o->error = error != NULL ? g_error_copy (error) : NULL;
      o->time_us = g_get_monotonic_time ();
      o->seq = rec->n_outcomes;
      g_hash_table_insert (rec->outcomes, task, o);
    }
  else
    g_atomic_int_inc (&rec->n_duplicate);

  o->count++;
  rec->n_outcomes++;

  if (rec->n_stopped > 0)
    g_atomic_int_inc (&rec->n_after_stopped);
}

static inline void
recorder_succeeded_cb (GtaskSupSupervisor *sup,
                       GtaskSupTask       *task,
                       gpointer            user_data)
{
  recorder_record (user_data, task, OUTCOME_SUCCEEDED, NULL);
}

static inline void
recorder_failed_cb (GtaskSupSupervisor *sup,
                    GtaskSupTask       *task,
                    const GError       *error,
                    gpointer            user_data)
{
  recorder_record (user_data, task, OUTCOME_FAILED, error);
}

static inline void
recorder_timed_out_cb (GtaskSupSupervisor *sup,
                       GtaskSupTask       *task,
                       gpointer            user_data)
{
  recorder_record (user_data, task, OUTCOME_TIMED_OUT, NULL);
}

static inline void
recorder_stopped_cb (GtaskSupSupervisor *sup,
                     const GError       *reason,
                     gpointer            user_data)
{
  Recorder *rec = user_data;

  recorder_check (rec, TRUE);
  if (rec->n_stopped == 0)
    {
      rec->stop_reason = reason != NULL ? g_error_copy (reason) : NULL;
      rec->stopped_seq = rec->n_outcomes;
    }
  rec->n_stopped++;
}

/* Notifies may come from our own setters (synchronous, not in a source). */
static inline void
recorder_sup_notify_cb (GObject    *object,
                        GParamSpec *pspec,
                        gpointer    user_data)
{
  Recorder *rec = user_data;

  recorder_check (rec, FALSE);
  rec->n_sup_notify++;
}

static inline void
recorder_task_notify_cb (GObject    *object,
                         GParamSpec *pspec,
                         gpointer    user_data)
{
  Recorder *rec = user_data;

  recorder_check (rec, FALSE);
  rec->n_task_notify++;
}

static inline void
recorder_items_changed_cb (GListModel *model,
                           guint       position,
                           guint       removed,
                           guint       added,
                           gpointer    user_data)
{
  Recorder *rec = user_data;
  guint i;

  recorder_check (rec, TRUE);
  rec->n_items_changed++;

  if (position + removed > rec->shadow->len)
    {
      g_atomic_int_inc (&rec->n_bad_model);
      return;
    }
  g_ptr_array_remove_range (rec->shadow, position, removed);
  for (i = 0; i < added; i++)
    {
      gpointer item = g_list_model_get_item (model, position + i);

      if (item == NULL || !GTASK_SUP_IS_TASK (item))
        g_atomic_int_inc (&rec->n_bad_model);
      g_ptr_array_insert (rec->shadow, position + i, item);
    }
  if (rec->shadow->len != g_list_model_get_n_items (model))
    g_atomic_int_inc (&rec->n_bad_model);
}

static inline Recorder *
recorder_new (GtaskSupSupervisor *sup,
              GMainContext       *ctx)
{
  Recorder *rec = g_new0 (Recorder, 1);

  rec->sup = sup;
  g_object_add_weak_pointer (G_OBJECT (sup), (gpointer *) &rec->sup);
  rec->ctx = g_main_context_ref (ctx);
  rec->thread = g_thread_self ();
  rec->outcomes = g_hash_table_new_full (NULL, NULL, NULL, outcome_free);
  rec->watched = g_ptr_array_new_with_free_func (g_object_unref);
  rec->shadow = g_ptr_array_new_with_free_func ((GDestroyNotify) g_object_unref);

  g_signal_connect (sup, "succeeded", G_CALLBACK (recorder_succeeded_cb), rec);
  g_signal_connect (sup, "failed", G_CALLBACK (recorder_failed_cb), rec);
  g_signal_connect (sup, "timed-out", G_CALLBACK (recorder_timed_out_cb), rec);
  g_signal_connect (sup, "stopped", G_CALLBACK (recorder_stopped_cb), rec);
  g_signal_connect (sup, "notify", G_CALLBACK (recorder_sup_notify_cb), rec);

  rec->children = gtask_sup_supervisor_get_children (sup);
  if (rec->children != NULL)
    {
      guint n = g_list_model_get_n_items (rec->children);
      guint i;

      for (i = 0; i < n; i++)
        g_ptr_array_add (rec->shadow, g_list_model_get_item (rec->children, i));
      g_signal_connect (rec->children, "items-changed",
                        G_CALLBACK (recorder_items_changed_cb), rec);
    }

  return rec;
}

/* Connects a notify handler to @task too (any notify while in_call/closed,
 * or off the owner thread, is a violation). */
static inline void
recorder_watch (Recorder     *rec,
                GtaskSupTask *task)
{
  g_ptr_array_add (rec->watched, g_object_ref (task));
  g_signal_connect (task, "notify", G_CALLBACK (recorder_task_notify_cb), rec);
}

static inline Outcome *
recorder_get (Recorder     *rec,
              GtaskSupTask *task)
{
  return g_hash_table_lookup (rec->outcomes, task);
}

static inline guint
recorder_count (Recorder     *rec,
                GtaskSupTask *task)
{
  Outcome *o = recorder_get (rec, task);
  return o != NULL ? o->count : 0;
}

/* Stops listening (before the supervisor goes away or the recorder is freed). */
static inline void
recorder_disconnect (Recorder *rec)
{
  guint i;

  if (rec->sup != NULL)
    {
      g_signal_handlers_disconnect_by_data (rec->sup, rec);
      if (rec->children != NULL)
        g_signal_handlers_disconnect_by_data (rec->children, rec);
      g_object_remove_weak_pointer (G_OBJECT (rec->sup), (gpointer *) &rec->sup);
      rec->sup = NULL;
    }
  for (i = 0; i < rec->watched->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (rec->watched, i), rec);
  g_ptr_array_set_size (rec->watched, 0);
}

/* The invariants every test shares. */
#define recorder_assert_clean(rec) \
  G_STMT_START { \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_wrong_context), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_sync), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_after_close), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_wrong_state), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_duplicate), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_bad_model), ==, 0); \
    g_assert_cmpint (g_atomic_int_get (&(rec)->n_after_stopped), ==, 0); \
    g_assert_cmpuint ((rec)->n_stopped, <=, 1); \
  } G_STMT_END

static inline void
recorder_free (Recorder *rec)
{
  recorder_disconnect (rec);
  g_hash_table_unref (rec->outcomes);
  g_ptr_array_unref (rec->watched);
  g_ptr_array_unref (rec->shadow);
  g_clear_error (&rec->stop_reason);
  g_main_context_unref (rec->ctx);
  g_free (rec);
}

typedef struct
{
  Recorder     *rec;
  GtaskSupTask *task;
  guint         n;
} RecorderCond;

static inline gboolean
recorder_has_outcome_cb (gpointer data)
{
  RecorderCond *c = data;
  return recorder_get (c->rec, c->task) != NULL;
}

static inline gboolean
recorder_n_outcomes_cb (gpointer data)
{
  RecorderCond *c = data;
  return c->rec->n_outcomes >= c->n;
}

#define wait_outcome(ctx, rec, task) \
  G_STMT_START { \
    RecorderCond rc_ = { (rec), (task), 0 }; \
    iterate_until ((ctx), recorder_has_outcome_cb, &rc_, TEST_WAIT_MS); \
  } G_STMT_END

#define wait_n_outcomes(ctx, rec, count, timeout_ms) \
  G_STMT_START { \
    RecorderCond rc_ = { (rec), NULL, (count) }; \
    iterate_until ((ctx), recorder_n_outcomes_cb, &rc_, (timeout_ms)); \
  } G_STMT_END

/* Asserts @task ended exactly once with @kind (and @domain/@code for errors). */
#define assert_outcome(rec, task, expected_kind, domain, code) \
  G_STMT_START { \
    Outcome *o_ = recorder_get ((rec), (task)); \
    g_assert_nonnull (o_); \
    g_assert_cmpuint (o_->count, ==, 1); \
    g_assert_cmpint (o_->kind, ==, (expected_kind)); \
    if ((expected_kind) == OUTCOME_FAILED) \
      g_assert_error (o_->error, (domain), (code)); \
  } G_STMT_END

static inline gboolean
recorder_stopped_cond_cb (gpointer data)
{
  return ((Recorder *) data)->n_stopped > 0;
}

/* Iterates until ::stopped was emitted. */
#define wait_stopped(ctx, rec, timeout_ms) \
  iterate_until ((ctx), recorder_stopped_cond_cb, (rec), (timeout_ms))

/* -------------------------------------------------------------------------- */
/* Processes and files (subprocess tasks)                                     */
/* -------------------------------------------------------------------------- */

/* Whether @pid is a live process: it exists and is not a zombie. GLib reaps
 * our children on its own worker thread, and an orphaned grandchild may stay
 * a zombie for as long as PID 1 does not reap it: a zombie is dead. */
static inline gboolean
test_pid_alive (int pid)
{
  g_autofree char *path = NULL;
  g_autofree char *stat = NULL;
  const char *paren;

  g_assert_cmpint (pid, >, 1);

  if (kill (pid, 0) != 0)
    return errno == EPERM;

  path = g_strdup_printf ("/proc/%d/stat", pid);
  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;   /* gone between the two checks */

  /* "pid (comm) S ...": comm may hold spaces and parentheses */
  paren = strrchr (stat, ')');
  if (paren == NULL || paren[1] != ' ')
    return TRUE;

  return paren[2] != 'Z' && paren[2] != 'X';
}

static inline gboolean
test_pid_gone_cb (gpointer data)
{
  return !test_pid_alive (GPOINTER_TO_INT (data));
}

/* Iterates @ctx until @pid is gone (bounded). */
#define iterate_until_pid_gone(ctx, pid, timeout_ms) \
  iterate_until ((ctx), test_pid_gone_cb, GINT_TO_POINTER (pid), (timeout_ms))

/* Without iterating any context (the owner context may be gone): polls
 * until @pid is gone or @timeout_ms (scaled) passed. Returns the monotonic
 * time at which it was seen gone, or 0. */
static inline gint64
test_poll_pid_gone (int    pid,
                    gint64 timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () +
                    test_upper_ms (timeout_ms) * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();

      if (!test_pid_alive (pid))
        return now;
      if (now > deadline)
        return 0;
      g_usleep (2 * 1000);
    }
}

/* Reads a pid written as "PID\n" by a child; 0 if not (completely) there. */
static inline int
test_read_pid_file (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  gint64 pid;

  if (!g_file_get_contents (path, &contents, &len, NULL) ||
      len == 0 || contents[len - 1] != '\n')
    return 0;

  pid = g_ascii_strtoll (contents, NULL, 10);
  return pid > 1 && pid < G_MAXINT ? (int) pid : 0;
}

static inline gboolean
test_pid_file_ready_cb (gpointer data)
{
  return test_read_pid_file (data) > 0;
}

/* Iterates @ctx until a child wrote its pid in @path; returns the pid. */
static inline int
test_wait_pid_file (GMainContext *ctx,
                    const char   *path)
{
  iterate_until (ctx, test_pid_file_ready_cb, (gpointer) path, TEST_WAIT_MS);
  return test_read_pid_file (path);
}

/* A new private directory for the files of one test. */
static inline char *
test_tmpdir_new (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("gtask-sup-test-XXXXXX", &error);

  g_assert_no_error (error);
  g_assert_nonnull (dir);
  return dir;
}

/* Removes @dir and the files in it (no subdirectories). */
static inline void
test_tmpdir_remove (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_unlink (path);
        }
      g_dir_close (d);
    }
  g_rmdir (dir);
}

/* The outcome @o came at least @lower_ms after @t0 (strict), and at most a
 * generous slack (scaled) after that. */
#define assert_outcome_after(o, t0, lower_ms) \
  G_STMT_START { \
    gint64 d_ = (o)->time_us - (t0); \
    g_assert_cmpint (d_, >=, (gint64) (lower_ms) * G_TIME_SPAN_MILLISECOND); \
    g_assert_cmpint (d_, <=, ((gint64) (lower_ms) + test_upper_ms (TEST_SLACK_MS)) * \
                             G_TIME_SPAN_MILLISECOND); \
  } G_STMT_END

/* -------------------------------------------------------------------------- */
/* Fixture: own context pushed, an owner, a supervisor, a recorder            */
/* -------------------------------------------------------------------------- */

typedef struct
{
  GMainContext       *ctx;
  GObject            *owner;
  GtaskSupSupervisor *sup;
  Recorder           *rec;
} Fixture;

static inline void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
  f->owner = g_object_new (G_TYPE_OBJECT, NULL);
  f->sup = gtask_sup_supervisor_new (f->owner);
  g_assert_true (GTASK_SUP_IS_SUPERVISOR (f->sup));
  f->rec = recorder_new (f->sup, f->ctx);
}

static inline void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  recorder_assert_clean (f->rec);
  recorder_disconnect (f->rec);

  g_clear_object (&f->sup);
  g_clear_object (&f->owner);
  g_clear_pointer (&f->rec, recorder_free);

  /* Every task must eventually be finalized and release its data: threads
   * that were abandoned drop their references when they return. */
  iterate_until_int_eq (f->ctx, &test_probes_held, 0, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &test_tasks_alive, 0, TEST_WAIT_MS);

  g_main_context_pop_thread_default (f->ctx);
  g_main_context_unref (f->ctx);
}

/* Starts @task on @f's supervisor, asserting that nothing is emitted inside. */
static inline void
fixture_start (Fixture      *f,
               GtaskSupTask *task)
{
  GError *error = NULL;
  gboolean ok;

  f->rec->in_call = TRUE;
  ok = gtask_sup_supervisor_start (f->sup, task, &error);
  f->rec->in_call = FALSE;
  g_assert_no_error (error);
  g_assert_true (ok);
}

#define TEST_ADD(path, func, summary) \
  g_test_add ((path), Fixture, (summary), fixture_setup, (func), fixture_teardown)

/* Tests call g_test_summary (data) first thing: the summary is the test data. */
#define TEST_SUMMARY() g_test_summary ((const char *) data)

/* Counts notify emissions by property name, in a GHashTable (name → count). */
static inline void
notify_count_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  GHashTable *counts = user_data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, pspec->name));

  g_hash_table_insert (counts, (gpointer) pspec->name, GUINT_TO_POINTER (n + 1));
}

static inline guint
notify_count (GHashTable *counts,
              const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));
}

G_END_DECLS
