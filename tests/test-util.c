/* test-util.c: bounded iteration, timing bounds and gates for the C test suites
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

gboolean
test_is_slow (void)
{
  return g_getenv ("GTASK_SUP_TEST_SLOW") != NULL;
}

gint64
test_upper_ms (gint64 ms)
{
  return test_is_slow () ? ms * 20 : ms;
}

guint
test_count (guint normal,
            guint slow)
{
  return test_is_slow () ? slow : normal;
}

gint64
test_elapsed_ms (gint64 since_us)
{
  return (g_get_monotonic_time () - since_us) / G_TIME_SPAN_MILLISECOND;
}

/* -------------------------------------------------------------------------- */
/* Bounded iteration                                                          */
/* -------------------------------------------------------------------------- */

static gboolean
test_set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
test_tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates @ctx until @cond holds or @timeout_ms passed. Worker threads change
 * atomics without waking the context, hence the short tick. */
gboolean
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

gboolean
test_never_cb (gpointer data)
{
  return FALSE;
}

/* For iterate_until (ctx, test_weak_null_cb, &weak_pointer, ...). */
gboolean
test_weak_null_cb (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Iterates @ctx for @ms milliseconds (not scaled): "nothing more happens". */
void
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

gboolean
test_int_ge_cb (gpointer data)
{
  TestIntCond *c = data;
  return g_atomic_int_get (c->ptr) >= c->target;
}

gboolean
test_int_eq_cb (gpointer data)
{
  TestIntCond *c = data;
  return g_atomic_int_get (c->ptr) == c->target;
}

/* -------------------------------------------------------------------------- */
/* Gate: what a worker function blocks on, always with a deadline             */
/* -------------------------------------------------------------------------- */

void
test_gate_init (TestGate *gate)
{
  g_mutex_init (&gate->mutex);
  g_cond_init (&gate->cond);
  gate->open = FALSE;
}

void
test_gate_clear (TestGate *gate)
{
  g_mutex_clear (&gate->mutex);
  g_cond_clear (&gate->cond);
}

void
test_gate_open (TestGate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

static void
test_gate_cancelled_cb (GCancellable *cancellable,
                        gpointer      user_data)
{
  TestGate *gate = user_data;

  g_mutex_lock (&gate->mutex);
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

/* Blocks until @gate opens, @cancellable (nullable) is cancelled, or @max_ms. */
TestWaitResult
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
