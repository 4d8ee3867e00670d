/* test-waiters.c: the engine's waiter queue: results, copies, idles,
 * cancellation, and cancellation racing completion
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Nothing sleeps to wait for an event: the test's own context is iterated
 * until every expected callback ran, with a generous upper bound.
 */

#include "config.h"

#include <gio/gio.h>

#include "gtask-sup-waiters-private.h"

#define WAIT_MS 10000

static gboolean
test_is_slow (void)
{
  return g_getenv ("GTASK_SUP_TEST_SLOW") != NULL;
}

/* -------------------------------------------------------------------------- */
/* One waiter's outcome                                                       */
/* -------------------------------------------------------------------------- */

typedef struct
{
  int       n_calls;
  gboolean  value;
  GError   *error;
  gpointer  task;      /* weak: NULL once the GTask is finalized */
} Result;

static void
result_clear (Result *r)
{
  g_assert_null (r->task);
  g_clear_error (&r->error);
}

static void
result_cb (GObject      *source_object,
           GAsyncResult *res,
           gpointer      user_data)
{
  Result *r = user_data;

  g_assert_true (g_task_is_valid (res, source_object));
  r->n_calls++;
  g_assert_cmpint (r->n_calls, ==, 1);
  r->value = g_task_propagate_boolean (G_TASK (res), &r->error);
}

static gboolean
result_done (const Result *r)
{
  return r->n_calls > 0 && r->task == NULL;
}

static void
assert_result_true (const Result *r)
{
  g_assert_cmpint (r->n_calls, ==, 1);
  g_assert_no_error (r->error);
  g_assert_true (r->value);
}

static void
assert_result_error (const Result *r,
                     GQuark        domain,
                     int           code)
{
  g_assert_cmpint (r->n_calls, ==, 1);
  g_assert_error (r->error, domain, code);
  g_assert_false (r->value);
}

/* Makes a GTask on the thread-default context, adds it to @waiters and
 * drops the test's reference: the queue's is the only one left. Without
 * @check_cancellable, the callback sees what the waiter returned, not
 * CANCELLED because the cancellable is cancelled by then. */
static void
add_waiter_full (GtaskSupWaiters *waiters,
                 GCancellable    *cancellable,
                 gboolean         check_cancellable,
                 Result          *r)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, result_cb, r);

  g_task_set_source_tag (task, add_waiter_full);
  g_task_set_check_cancellable (task, check_cancellable);
  r->task = task;
  g_object_add_weak_pointer (G_OBJECT (task), &r->task);
  _gtask_sup_waiters_add (waiters, task);
}

static void
add_waiter (GtaskSupWaiters *waiters,
            GCancellable    *cancellable,
            Result          *r)
{
  add_waiter_full (waiters, cancellable, TRUE, r);
}

static guint
n_cancelled_handlers (GCancellable *cancellable)
{
  guint signal_id = g_signal_lookup ("cancelled", G_TYPE_CANCELLABLE);

  return g_signal_has_handler_pending (cancellable, signal_id, 0, TRUE);
}

/* -------------------------------------------------------------------------- */
/* Bounded iteration                                                          */
/* -------------------------------------------------------------------------- */

typedef struct
{
  Result *results;
  guint   n_results;
} ResultSet;

static gboolean
all_done (gpointer data)
{
  ResultSet *set = data;

  for (guint i = 0; i < set->n_results; i++)
    if (!result_done (&set->results[i]))
      return FALSE;
  return TRUE;
}

static gboolean
flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
iterate_until (GMainContext *ctx,
               gboolean    (*cond) (gpointer data),
               gpointer      data)
{
  gboolean timed_out = FALSE;
  g_autoptr(GSource) timeout = g_timeout_source_new (test_is_slow () ? 20 * WAIT_MS : WAIT_MS);

  g_source_set_callback (timeout, flag_cb, &timed_out, NULL);
  g_source_attach (timeout, ctx);

  while (!cond (data) && !timed_out)
    g_main_context_iteration (ctx, TRUE);

  g_source_destroy (timeout);
  g_assert_false (timed_out);
}

static void
iterate_until_results (GMainContext *ctx,
                       Result       *results,
                       guint         n_results)
{
  ResultSet set = { results, n_results };

  iterate_until (ctx, all_done, &set);
}

/* Runs @func (@data) inside a dispatch of @ctx, in a later iteration than
 * the one the tasks were made in: GTask would call a callback at once
 * there, so this is where "never inside this call" means something. */
static void
run_in_source (GMainContext *ctx,
               GSourceFunc   func,
               gpointer      data)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, ctx);
  while (!g_source_is_destroyed (source))
    g_main_context_iteration (ctx, TRUE);
}

/* -------------------------------------------------------------------------- */
/* Fixture: the test's own context                                            */
/* -------------------------------------------------------------------------- */

typedef struct
{
  GMainContext    *ctx;
  GtaskSupWaiters  waiters;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
  _gtask_sup_waiters_init (&f->waiters);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_true (_gtask_sup_waiters_is_empty (&f->waiters));
  while (g_main_context_iteration (f->ctx, FALSE))
    ;
  g_main_context_pop_thread_default (f->ctx);
  g_main_context_unref (f->ctx);
}

/* -------------------------------------------------------------------------- */
/* Tests                                                                      */
/* -------------------------------------------------------------------------- */

static void
test_waiters_static_init (void)
{
  GtaskSupWaiters waiters = GTASK_SUP_WAITERS_INIT;

  g_test_summary ("GTASK_SUP_WAITERS_INIT makes an empty queue; completing it does nothing");

  g_assert_true (_gtask_sup_waiters_is_empty (&waiters));
  _gtask_sup_waiters_complete (&waiters, NULL, FALSE);
  _gtask_sup_waiters_complete (&waiters, NULL, TRUE);
  g_assert_true (_gtask_sup_waiters_is_empty (&waiters));
}

static void
test_waiters_complete_true (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Result results[3] = { { 0, }, };

  g_test_summary ("Completing without an error returns TRUE to every waiter, "
                  "and disconnects their cancellables");

  add_waiter (&f->waiters, NULL, &results[0]);
  add_waiter (&f->waiters, cancellable, &results[1]);
  add_waiter (&f->waiters, NULL, &results[2]);
  g_assert_false (_gtask_sup_waiters_is_empty (&f->waiters));
  g_assert_cmpuint (n_cancelled_handlers (cancellable), ==, 1);

  _gtask_sup_waiters_complete (&f->waiters, NULL, FALSE);
  g_assert_true (_gtask_sup_waiters_is_empty (&f->waiters));
  g_assert_cmpuint (n_cancelled_handlers (cancellable), ==, 0);

  iterate_until_results (f->ctx, results, G_N_ELEMENTS (results));
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      assert_result_true (&results[i]);
      result_clear (&results[i]);
    }

  /* Cancelling afterwards changes nothing. */
  g_cancellable_cancel (cancellable);
  while (g_main_context_iteration (f->ctx, FALSE))
    ;
  g_assert_cmpint (results[1].n_calls, ==, 1);
}

static void
test_waiters_complete_error (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "Gone");
  Result results[4] = { { 0, }, };

  g_test_summary ("Completing with an error returns a copy of it to every waiter");

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    add_waiter (&f->waiters, NULL, &results[i]);

  _gtask_sup_waiters_complete (&f->waiters, error, FALSE);
  iterate_until_results (f->ctx, results, G_N_ELEMENTS (results));

  /* The caller's error is untouched, each waiter has its own. */
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpstr (error->message, ==, "Gone");
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      assert_result_error (&results[i], G_IO_ERROR, G_IO_ERROR_CLOSED);
      g_assert_cmpstr (results[i].error->message, ==, "Gone");
      g_assert_true (results[i].error != error);
      for (guint j = 0; j < i; j++)
        g_assert_true (results[i].error != results[j].error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    result_clear (&results[i]);
}

typedef struct
{
  Fixture *f;
  Result  *results;
  guint    n_results;
  GError  *error;
  gboolean later;
  int      n_calls_inside;  /* callbacks that ran inside the call */
} CompleteInSource;

static gboolean
complete_in_source_cb (gpointer data)
{
  CompleteInSource *c = data;

  _gtask_sup_waiters_complete (&c->f->waiters, c->error, c->later);
  for (guint i = 0; i < c->n_results; i++)
    c->n_calls_inside += c->results[i].n_calls;

  return G_SOURCE_REMOVE;
}

static void
test_waiters_complete_later (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "Later");
  Result results[3] = { { 0, }, };
  CompleteInSource c = { f, results, G_N_ELEMENTS (results), NULL, FALSE, 0 };

  g_test_summary ("With later, waiters return from an idle, never inside the call, "
                  "even where GTask would call back at once");

  /* Without later, inside a dispatch, GTask calls back at once: the case
   * @later exists for. */
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    add_waiter (&f->waiters, NULL, &results[i]);
  run_in_source (f->ctx, complete_in_source_cb, &c);
  g_assert_cmpint (c.n_calls_inside, ==, G_N_ELEMENTS (results));
  iterate_until_results (f->ctx, results, G_N_ELEMENTS (results));
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      assert_result_true (&results[i]);
      result_clear (&results[i]);
    }

  /* With later, TRUE. */
  memset (results, 0, sizeof results);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    add_waiter (&f->waiters, NULL, &results[i]);
  c.later = TRUE;
  c.n_calls_inside = 0;
  run_in_source (f->ctx, complete_in_source_cb, &c);
  g_assert_cmpint (c.n_calls_inside, ==, 0);
  g_assert_true (_gtask_sup_waiters_is_empty (&f->waiters));
  iterate_until_results (f->ctx, results, G_N_ELEMENTS (results));
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      assert_result_true (&results[i]);
      result_clear (&results[i]);
    }

  /* With later, an error. */
  memset (results, 0, sizeof results);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    add_waiter (&f->waiters, NULL, &results[i]);
  c.error = error;
  c.n_calls_inside = 0;
  run_in_source (f->ctx, complete_in_source_cb, &c);
  g_assert_cmpint (c.n_calls_inside, ==, 0);
  iterate_until_results (f->ctx, results, G_N_ELEMENTS (results));
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      assert_result_error (&results[i], G_IO_ERROR, G_IO_ERROR_FAILED);
      g_assert_cmpstr (results[i].error->message, ==, "Later");
      result_clear (&results[i]);
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
}

static gboolean
mark_order_cb (gpointer data)
{
  GPtrArray *order = data;

  g_ptr_array_add (order, (gpointer) "default-idle");
  return G_SOURCE_REMOVE;
}

static void
order_result_cb (GObject      *source_object,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  GPtrArray *order = user_data;
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (res), &error))
    g_ptr_array_add (order, (gpointer) "true");
  else
    g_ptr_array_add (order, (gpointer) g_intern_string (error->message));
}

static gboolean
order_has_1 (gpointer data)
{
  return ((GPtrArray *) data)->len >= 1;
}

static gboolean
order_has_3 (gpointer data)
{
  return ((GPtrArray *) data)->len >= 3;
}

static void
test_waiters_return_later (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GMainContext) other = g_main_context_new ();
  g_autoptr(GTask) task1 = g_task_new (NULL, NULL, order_result_cb, order);
  g_autoptr(GTask) task2 = g_task_new (NULL, NULL, order_result_cb, order);
  g_autoptr(GTask) task3 = NULL;
  g_autoptr(GSource) low = g_idle_source_new ();

  g_test_summary ("_gtask_sup_return_later returns from an idle of default priority "
                  "on the GTask's own context");

  /* An idle of lower priority, attached first, runs after both. */
  g_source_set_callback (low, mark_order_cb, order, NULL);
  g_source_attach (low, f->ctx);

  _gtask_sup_return_later (task1, NULL);
  _gtask_sup_return_later (task2, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "err"));
  g_assert_cmpuint (order->len, ==, 0);
  g_assert_false (g_task_get_completed (task1));

  iterate_until (f->ctx, order_has_3, order);
  g_assert_cmpstr (order->pdata[0], ==, "true");
  g_assert_cmpstr (order->pdata[1], ==, "err");
  g_assert_cmpstr (order->pdata[2], ==, "default-idle");

  /* A task made under another thread-default context returns there. */
  g_main_context_push_thread_default (other);
  task3 = g_task_new (NULL, NULL, order_result_cb, order);
  g_main_context_pop_thread_default (other);
  g_ptr_array_set_size (order, 0);

  _gtask_sup_return_later (task3, NULL);
  while (g_main_context_iteration (f->ctx, FALSE))
    ;
  g_assert_cmpuint (order->len, ==, 0);

  iterate_until (other, order_has_1, order);
  g_assert_cmpuint (order->len, ==, 1);
  g_assert_cmpstr (order->pdata[0], ==, "true");
}

typedef struct
{
  Fixture      *f;
  GCancellable *cancellable;
  Result       *result;
  int           n_calls_inside;
} AddInSource;

static gboolean
add_in_source_cb (gpointer data)
{
  AddInSource *a = data;

  add_waiter (&a->f->waiters, a->cancellable, a->result);
  a->n_calls_inside = a->result->n_calls;
  return G_SOURCE_REMOVE;
}

static void
test_waiters_cancel_before_add (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Result result = { 0, };
  AddInSource a = { f, cancellable, &result, -1 };
  Result other = { 0, };

  g_test_summary ("A waiter whose cancellable is already cancelled is not added, and "
                  "returns CANCELLED from an idle, never inside the add");

  g_cancellable_cancel (cancellable);

  run_in_source (f->ctx, add_in_source_cb, &a);
  g_assert_cmpint (a.n_calls_inside, ==, 0);
  g_assert_true (_gtask_sup_waiters_is_empty (&f->waiters));
  g_assert_cmpuint (n_cancelled_handlers (cancellable), ==, 0);

  iterate_until_results (f->ctx, &result, 1);
  assert_result_error (&result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  result_clear (&result);

  /* Completing the queue afterwards does not reach it. */
  add_waiter (&f->waiters, NULL, &other);
  _gtask_sup_waiters_complete (&f->waiters, NULL, FALSE);
  iterate_until_results (f->ctx, &other, 1);
  assert_result_true (&other);
  g_assert_cmpint (result.n_calls, ==, 1);
  result_clear (&other);
}

static void
test_waiters_cancel_while_queued (Fixture       *f,
                                  gconstpointer  data)
{
  GCancellable *cancellables[3];
  Result results[3] = { { 0, }, };

  g_test_summary ("Cancelling a queued waiter returns CANCELLED to it alone, outside "
                  "g_cancellable_cancel; the others still get the result");

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      cancellables[i] = g_cancellable_new ();
      add_waiter (&f->waiters, cancellables[i], &results[i]);
    }
  g_assert_cmpuint (f->waiters.queue.length, ==, 3);

  g_cancellable_cancel (cancellables[1]);
  g_assert_cmpint (results[1].n_calls, ==, 0);
  g_assert_cmpuint (f->waiters.queue.length, ==, 2);
  g_assert_cmpuint (n_cancelled_handlers (cancellables[1]), ==, 0);

  iterate_until_results (f->ctx, &results[1], 1);
  assert_result_error (&results[1], G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (results[0].n_calls, ==, 0);
  g_assert_cmpint (results[2].n_calls, ==, 0);

  _gtask_sup_waiters_complete (&f->waiters, NULL, FALSE);
  iterate_until_results (f->ctx, results, G_N_ELEMENTS (results));
  assert_result_true (&results[0]);
  assert_result_error (&results[1], G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_result_true (&results[2]);

  /* Cancelling after completion returns nothing twice. */
  g_cancellable_cancel (cancellables[0]);
  g_cancellable_cancel (cancellables[2]);
  while (g_main_context_iteration (f->ctx, FALSE))
    ;

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_assert_cmpint (results[i].n_calls, ==, 1);
      g_assert_cmpuint (n_cancelled_handlers (cancellables[i]), ==, 0);
      result_clear (&results[i]);
      g_object_unref (cancellables[i]);
    }
}

typedef struct
{
  GtaskSupWaiters *waiters;
  Result          *late;
} ReAdd;

static void
re_add_cb (GObject      *source_object,
           GAsyncResult *res,
           gpointer      user_data)
{
  ReAdd *r = user_data;

  g_assert_true (g_task_propagate_boolean (G_TASK (res), NULL));
  add_waiter (r->waiters, NULL, r->late);
}

static gboolean
complete_sync_cb (gpointer data)
{
  _gtask_sup_waiters_complete (data, NULL, FALSE);
  return G_SOURCE_REMOVE;
}

static void
test_waiters_add_after_complete (Fixture       *f,
                                 gconstpointer  data)
{
  Result late = { 0, };
  ReAdd re_add = { &f->waiters, &late };
  g_autoptr(GTask) task = g_task_new (NULL, NULL, re_add_cb, &re_add);

  g_test_summary ("Waiters added after (or during) a completion wait for the next one");

  /* Its callback runs inside the completion and adds another waiter. */
  _gtask_sup_waiters_add (&f->waiters, task);
  g_clear_object (&task);
  run_in_source (f->ctx, complete_sync_cb, &f->waiters);
  g_assert_nonnull (late.task);
  g_assert_false (_gtask_sup_waiters_is_empty (&f->waiters));

  while (g_main_context_iteration (f->ctx, FALSE))
    ;
  g_assert_cmpint (late.n_calls, ==, 0);

  _gtask_sup_waiters_complete (&f->waiters, NULL, TRUE);
  iterate_until_results (f->ctx, &late, 1);
  assert_result_true (&late);
  result_clear (&late);
}

static void
test_waiters_many (Fixture       *f,
                   gconstpointer  data)
{
  const guint n = test_is_slow () ? 300 : 3000;
  g_autofree Result *results = g_new0 (Result, n);
  g_autoptr(GPtrArray) cancellables = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BUSY, "Many");

  g_test_summary ("Many waiters on one queue, some cancelled, the rest get the error");

  for (guint i = 0; i < n; i++)
    {
      GCancellable *cancellable = NULL;

      if (i % 2 == 0)
        {
          cancellable = g_cancellable_new ();
          g_ptr_array_add (cancellables, cancellable);
        }
      add_waiter (&f->waiters, cancellable, &results[i]);
    }

  /* Every third one with a cancellable. */
  for (guint i = 0; i < cancellables->len; i += 3)
    g_cancellable_cancel (cancellables->pdata[i]);
  g_assert_cmpuint (f->waiters.queue.length, ==, n - (cancellables->len + 2) / 3);

  _gtask_sup_waiters_complete (&f->waiters, error, FALSE);
  iterate_until_results (f->ctx, results, n);

  for (guint i = 0; i < n; i++)
    {
      if (i % 6 == 0)
        assert_result_error (&results[i], G_IO_ERROR, G_IO_ERROR_CANCELLED);
      else
        assert_result_error (&results[i], G_IO_ERROR, G_IO_ERROR_BUSY);
      result_clear (&results[i]);
    }
  for (guint i = 0; i < cancellables->len; i++)
    g_assert_cmpuint (n_cancelled_handlers (cancellables->pdata[i]), ==, 0);
}

/* Races: a racer thread cancels while the main thread adds or completes.
 * On a loaded machine two threads rarely run at the same instant by
 * chance, so they meet at a flag: either the main thread goes first and
 * the racer cancels after a random spin, or the racer starts cancelling
 * and the main thread goes on after a random spin (cancelling takes a few
 * microseconds, adding or completing less). */

typedef struct
{
  GCancellable *cancellable;
  gboolean      racer_leads;
  guint         spin;        /* busy loops before the follower goes on */
  int           ready;       /* racer → main */
  int           go;          /* main → racer */
  int           cancelling;  /* racer → main */
  GThread      *thread;
} Racer;

static void
spin_for (guint n)
{
  for (volatile guint i = 0; i < n; i++)
    ;
}

/* Busy-waits for a flag the other thread sets in a moment; yields now
 * and then for a machine with fewer free cores than threads. */
static void
wait_flag (int *flag)
{
  for (guint n = 1; !g_atomic_int_get (flag); n++)
    if (n % 1024 == 0)
      g_thread_yield ();
}

static gpointer
racer_thread (gpointer data)
{
  Racer *racer = data;

  if (!racer->racer_leads)
    {
      g_atomic_int_set (&racer->ready, 1);
      wait_flag (&racer->go);
      spin_for (racer->spin);
    }
  g_atomic_int_set (&racer->cancelling, 1);
  g_cancellable_cancel (racer->cancellable);
  return NULL;
}

static void
racer_init (Racer *racer,
            GRand *rng)
{
  racer->cancellable = g_cancellable_new ();
  racer->racer_leads = g_rand_boolean (rng);
  racer->spin = g_rand_int_range (rng, 0, 40000);  /* up to ~10 µs */
  racer->ready = 0;
  racer->go = 0;
  racer->cancelling = 0;
  racer->thread = NULL;
}

/* Starts the racer and returns when the main thread should go on. */
static void
racer_start (Racer *racer)
{
  racer->thread = g_thread_new ("racer", racer_thread, racer);
  if (racer->racer_leads)
    {
      wait_flag (&racer->cancelling);
      spin_for (racer->spin);
    }
  else
    {
      wait_flag (&racer->ready);
      g_atomic_int_set (&racer->go, 1);
    }
}

static void
racer_join (Racer *racer)
{
  g_thread_join (g_steal_pointer (&racer->thread));
}

/* Whoever won, the handlers are gone and nothing else holds the
 * cancellable. */
static void
racer_clear (Racer *racer)
{
  gpointer weak = racer->cancellable;

  g_assert_cmpuint (n_cancelled_handlers (racer->cancellable), ==, 0);
  g_object_add_weak_pointer (G_OBJECT (racer->cancellable), &weak);
  g_clear_object (&racer->cancellable);
  g_assert_null (weak);
}

static void
test_waiters_race_cancel_complete (Fixture       *f,
                                   gconstpointer  data)
{
  const guint n_iterations = test_is_slow () ? 200 : 2000;
  g_autoptr(GRand) rng = g_rand_new_with_seed (4242);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "Done");
  guint n_cancelled = 0;
  guint n_completed = 0;

  g_test_summary ("Cancel on one thread racing completion on another: each waiter's "
                  "callback runs exactly once, nothing leaks");

  for (guint iter = 0; iter < n_iterations; iter++)
    {
      Racer racer;
      Result results[3] = { { 0, }, };
      gboolean use_error = g_rand_boolean (rng);
      gboolean later = g_rand_boolean (rng);

      racer_init (&racer, rng);

      /* Two on the racing cancellable, one without any. */
      add_waiter_full (&f->waiters, racer.cancellable, FALSE, &results[0]);
      add_waiter_full (&f->waiters, NULL, FALSE, &results[1]);
      add_waiter_full (&f->waiters, racer.cancellable, FALSE, &results[2]);

      racer_start (&racer);
      _gtask_sup_waiters_complete (&f->waiters, use_error ? error : NULL, later);
      racer_join (&racer);

      g_assert_true (_gtask_sup_waiters_is_empty (&f->waiters));
      iterate_until_results (f->ctx, results, G_N_ELEMENTS (results));

      for (guint i = 0; i < G_N_ELEMENTS (results); i++)
        {
          Result *r = &results[i];

          g_assert_cmpint (r->n_calls, ==, 1);
          if (i == 1 && use_error)
            assert_result_error (r, G_IO_ERROR, G_IO_ERROR_CLOSED);
          else if (i == 1)
            assert_result_true (r);
          else if (g_error_matches (r->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            n_cancelled++;
          else if (use_error)
            {
              assert_result_error (r, G_IO_ERROR, G_IO_ERROR_CLOSED);
              n_completed++;
            }
          else
            {
              assert_result_true (r);
              n_completed++;
            }
          result_clear (r);
        }

      racer_clear (&racer);
    }

  /* Either side may win any number of times. */
  g_test_message ("%u cancelled, %u completed", n_cancelled, n_completed);
  g_assert_cmpuint (n_cancelled + n_completed, ==, 2 * n_iterations);
}

static void
test_waiters_race_cancel_add (Fixture       *f,
                              gconstpointer  data)
{
  const guint n_iterations = test_is_slow () ? 200 : 2000;
  g_autoptr(GRand) rng = g_rand_new_with_seed (2424);

  g_test_summary ("Cancel on one thread racing the add on another: the waiter returns "
                  "CANCELLED exactly once and never stays in the queue");

  for (guint iter = 0; iter < n_iterations; iter++)
    {
      Racer racer;
      Result result = { 0, };
      g_autoptr(GTask) task = NULL;

      racer_init (&racer, rng);
      task = g_task_new (NULL, racer.cancellable, result_cb, &result);
      g_task_set_check_cancellable (task, FALSE);
      result.task = task;
      g_object_add_weak_pointer (G_OBJECT (task), &result.task);

      racer_start (&racer);
      _gtask_sup_waiters_add (&f->waiters, task);
      g_clear_object (&task);
      racer_join (&racer);

      /* Cancelled before, during or after the add: it is not queued. */
      g_assert_true (_gtask_sup_waiters_is_empty (&f->waiters));
      iterate_until_results (f->ctx, &result, 1);
      assert_result_error (&result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      result_clear (&result);

      racer_clear (&racer);
    }
}

/* Race: one thread adds and cancels while another completes over and over. */

typedef struct
{
  GtaskSupWaiters *waiters;
  GTask          **tasks;
  guint            n;
  int              done;
} Adder;

static gpointer
adder_thread (gpointer data)
{
  Adder *adder = data;

  for (guint i = 0; i < adder->n; i++)
    {
      GCancellable *cancellable = g_task_get_cancellable (adder->tasks[i]);

      _gtask_sup_waiters_add (adder->waiters, adder->tasks[i]);
      if (i % 2 == 0)
        g_cancellable_cancel (cancellable);
    }

  g_atomic_int_set (&adder->done, 1);
  return NULL;
}

static void
test_waiters_race_add (Fixture       *f,
                       gconstpointer  data)
{
  const guint n = test_is_slow () ? 100 : 1000;
  g_autofree Result *results = g_new0 (Result, n);
  g_autofree GTask **tasks = g_new0 (GTask *, n);
  Adder adder = { &f->waiters, tasks, n, 0 };
  GThread *thread;
  guint n_completions = 0;

  g_test_summary ("Adding and cancelling on one thread while another completes the "
                  "queue over and over: every waiter returns exactly once");

  /* Made here: the GTasks belong to the test's context. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();

      tasks[i] = g_task_new (NULL, cancellable, result_cb, &results[i]);
      results[i].task = tasks[i];
      g_object_add_weak_pointer (G_OBJECT (tasks[i]), &results[i].task);
    }

  thread = g_thread_new ("adder", adder_thread, &adder);
  while (!g_atomic_int_get (&adder.done))
    {
      _gtask_sup_waiters_complete (&f->waiters, NULL, n_completions % 2 == 0);
      n_completions++;
    }
  g_thread_join (thread);
  _gtask_sup_waiters_complete (&f->waiters, NULL, FALSE);
  g_test_message ("%u completions", n_completions);

  for (guint i = 0; i < n; i++)
    g_clear_object (&tasks[i]);

  iterate_until_results (f->ctx, results, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpint (results[i].n_calls, ==, 1);
      /* Even ones are cancelled; GTask reports that even after TRUE. */
      if (i % 2 == 0)
        assert_result_error (&results[i], G_IO_ERROR, G_IO_ERROR_CANCELLED);
      else
        assert_result_true (&results[i]);
      result_clear (&results[i]);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/GtaskSup/Waiters/static-init", test_waiters_static_init);
#define ADD(path, func) \
  g_test_add ("/GtaskSup/Waiters/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("complete-true", test_waiters_complete_true);
  ADD ("complete-error", test_waiters_complete_error);
  ADD ("complete-later", test_waiters_complete_later);
  ADD ("return-later", test_waiters_return_later);
  ADD ("cancel-before-add", test_waiters_cancel_before_add);
  ADD ("cancel-while-queued", test_waiters_cancel_while_queued);
  ADD ("add-after-complete", test_waiters_add_after_complete);
  ADD ("many", test_waiters_many);
  ADD ("race-cancel-complete", test_waiters_race_cancel_complete);
  ADD ("race-cancel-add", test_waiters_race_cancel_add);
  ADD ("race-add-cancel-complete", test_waiters_race_add);
#undef ADD

  return g_test_run ();
}
