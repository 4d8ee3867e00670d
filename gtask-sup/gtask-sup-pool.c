/* gtask-sup-pool.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-pool-private.h"

/* Thread tasks run on a GThreadPool that keeps as many workers as there are
 * processors while they make progress: more threads than cores only add
 * contention for short tasks. Blocking tasks must not starve, though (a
 * task may block until another one runs): a monitor thread watches the
 * pool while tasks wait, and each time no worker finished anything for
 * GTASK_SUP_POOL_STALL_USEC, it doubles the number of workers (but starts
 * no more than there are waiting tasks), up to GTASK_SUP_POOL_MAX_THREADS
 * in the process. The window is longer than a scheduler time slice, and the
 * growth is geometric rather than all at once, so that workers which are
 * merely descheduled on a loaded machine do not make the pool balloon.
 * After 100 ms with nothing waiting, the limit goes back to the number of
 * processors; busy extra workers finish their task first.
 *
 * So 32 tasks that each block until all 32 run start within about
 * 4 × 5 ms on a 2-core machine; GTask's pool takes seconds. */

#define IDLE_TICKS (100 * G_TIME_SPAN_MILLISECOND / GTASK_SUP_POOL_STALL_USEC)

static struct {
  GThreadPool *pool;
  GMutex       mutex;
  GCond        cond;
  guint        base_threads;
  guint        max_threads;   /* the pool's current limit; under mutex */
  int          n_waiting;     /* pushed, not started yet; atomic */
  int          n_finished;    /* tasks done, wraps; atomic */
  int          sleeping;      /* the monitor waits for a push; atomic */
} pool;

static GPrivate is_worker;

static void
pool_thread_func (gpointer data,
                  gpointer user_data)
{
  GtaskSupPoolJob *job = data;

  g_private_set (&is_worker, GINT_TO_POINTER (TRUE));
  g_atomic_int_add (&pool.n_waiting, -1);
  job->func (job);
  g_atomic_int_inc (&pool.n_finished);
}

static void
pool_set_max_threads_locked (guint max_threads)
{
  if (pool.max_threads == max_threads)
    return;

  g_debug ("Worker pool limit: %u threads", max_threads);
  pool.max_threads = max_threads;
  /* Starts a worker for each waiting task, up to the new limit. */
  g_thread_pool_set_max_threads (pool.pool, max_threads, NULL);
}

static gpointer
pool_monitor_thread (gpointer data)
{
  guint idle_ticks = 0;

  g_mutex_lock (&pool.mutex);

  for (;;)
    {
      int n_finished;
      gboolean waited_before;

      if (g_atomic_int_get (&pool.n_waiting) > 0)
        idle_ticks = 0;
      else if (++idle_ticks > IDLE_TICKS)
        {
          pool_set_max_threads_locked (pool.base_threads);

          /* Dekker with gtask_sup_pool_push(): it bumps n_waiting, then
           * reads sleeping; we set sleeping, then read n_waiting. */
          g_atomic_int_set (&pool.sleeping, TRUE);
          while (g_atomic_int_get (&pool.n_waiting) == 0)
            g_cond_wait (&pool.cond, &pool.mutex);
          g_atomic_int_set (&pool.sleeping, FALSE);
          idle_ticks = 0;
        }

      waited_before = g_atomic_int_get (&pool.n_waiting) > 0;
      n_finished = g_atomic_int_get (&pool.n_finished);

      g_cond_wait_until (&pool.cond, &pool.mutex,
                         g_get_monotonic_time () + GTASK_SUP_POOL_STALL_USEC);

      if (waited_before &&
          g_atomic_int_get (&pool.n_waiting) > 0 &&
          g_atomic_int_get (&pool.n_finished) == n_finished &&
          pool.max_threads < GTASK_SUP_POOL_MAX_THREADS)
        {
          guint n_threads = g_thread_pool_get_num_threads (pool.pool);
          guint wanted = MIN (2 * pool.max_threads,
                              n_threads + (guint)g_atomic_int_get (&pool.n_waiting));

          pool_set_max_threads_locked (CLAMP (wanted, pool.max_threads,
                                              GTASK_SUP_POOL_MAX_THREADS));
        }
    }

  g_assert_not_reached ();
}

static void
pool_init (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      g_mutex_init (&pool.mutex);
      g_cond_init (&pool.cond);
      pool.base_threads = MAX (2, g_get_num_processors ());
      pool.max_threads = pool.base_threads;
      /* Not exclusive: idle threads are shared with GLib's other pools. */
      pool.pool = g_thread_pool_new (pool_thread_func, NULL, pool.base_threads, FALSE, NULL);
      g_thread_unref (g_thread_new ("gtask-sup-pool", pool_monitor_thread, NULL));
      g_once_init_leave (&initialized, 1);
    }
}

/* Runs @job->func (@job) on a worker, from any thread. */
void
_gtask_sup_pool_push (GtaskSupPoolJob *job)
{
  pool_init ();

  g_atomic_int_inc (&pool.n_waiting);
  if (g_atomic_int_get (&pool.sleeping))
    {
      g_mutex_lock (&pool.mutex);
      g_cond_signal (&pool.cond);
      g_mutex_unlock (&pool.mutex);
    }

  g_thread_pool_push (pool.pool, job, NULL);
}

/* Whether the calling thread is one of the pool's workers. */
gboolean
_gtask_sup_pool_is_worker (void)
{
  return GPOINTER_TO_INT (g_private_get (&is_worker));
}

/* Whether jobs wait for a worker: a worker that could run more work itself
 * should rather leave its place to them. */
gboolean
_gtask_sup_pool_is_backlogged (void)
{
  return g_atomic_int_get (&pool.n_waiting) > 0;
}
