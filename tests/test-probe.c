/* test-probe.c: the Probe, a configurable thread function and what it observed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-probe.h"

int test_probes_held = 0;

Probe *
probe_new (ProbeResult result,
           gint64      value)
{
  Probe *p = g_atomic_rc_box_new0 (Probe);

  p->result = result;
  p->value = value;
  test_gate_init (&p->gate);
  return p;
}

static void
probe_clear_func (gpointer data)
{
  Probe *p = data;
  test_gate_clear (&p->gate);
}

void
probe_unref (Probe *p)
{
  g_atomic_rc_box_release_full (p, probe_clear_func);
}

void
probe_task_destroy (gpointer data)
{
  probe_unref (data);
  g_atomic_int_add (&test_probes_held, -1);
}

void
pointer_result_free (gpointer data)
{
  PointerResult *r = data;

  if (r->alive != NULL)
    g_atomic_int_add (r->alive, -1);
  g_free (r);
}

void
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

void
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
GtaskSupTask *
probe_task_new (Probe *p)
{
  g_atomic_int_inc (&test_probes_held);
  return gtask_sup_task_new_thread (probe_thread_func,
                                    g_atomic_rc_box_acquire (p),
                                    probe_task_destroy);
}

Probe *
probe_new_blocking (gboolean cooperative)
{
  Probe *p = probe_new (PROBE_RESULT_INT, 1);
  p->block = TRUE;
  p->cooperative = cooperative;
  return p;
}
