/* gtask-sup-pool.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-pool-private.h"

/* Jobs wait in one FIFO of the process, so every supervisor gets its turn.
 * Threads come from a GThreadPool, but each of them runs a *drainer*: a
 * loop that takes jobs from the FIFO until it is empty, so that a worker
 * that finishes a job takes the next one itself, with no wakeup, and a
 * push wakes a thread only when no drainer is free to take the job. (A
 * drainer that spun a while for more work before leaving was tried: on two
 * cores it took more time from the owner thread than it saved.)
 *
 * The pool keeps as many drainers as there are processors while they make
 * progress: more threads than cores only add contention for short jobs.
 * Blocking jobs must not starve, though (a job may block until another one
 * runs): a monitor thread watches the pool while jobs wait, and each time
 * no job finished for GTASK_SUP_POOL_STALL_USEC, it doubles the number of
 * drainers allowed (but starts no more than there are waiting jobs), up to
 * GTASK_SUP_POOL_MAX_THREADS in the process. The window is longer than a
 * scheduler time slice, and the growth is geometric rather than all at
 * once, so that workers which are merely descheduled on a loaded machine
 * do not make the pool balloon. After 100 ms with nothing waiting, the
 * limit goes back to the number of processors.
 *
 * So 32 jobs that each block until all 32 run start within about 4 × 5 ms
 * on a 2-core machine; GTask's pool takes seconds. */

#define IDLE_TICKS (100 * G_TIME_SPAN_MILLISECOND / GTASK_SUP_POOL_STALL_USEC)

static struct {
  GThreadPool      *threads;      /* runs pool_drain() */
  GMutex            mutex;        /* guards what follows */
  GCond             cond;         /* the monitor waits on it */
  GtaskSupPoolJob  *ring;         /* the FIFO of waiting jobs */
  guint             ring_size;    /* a power of 2 */
  guint             head;
  int               len;          /* jobs waiting; written under mutex, read atomically */
  guint             n_drainers;   /* drainers under way, or asked for */
  guint             n_busy;       /* drainers running a job */
  guint             base_threads;
  guint             max_threads;  /* the current limit of drainers */
  int               n_finished;   /* jobs done, wraps; atomic */
  gboolean          sleeping;     /* the monitor waits for a push */
} pool;

static GPrivate is_worker;

static void
ring_push_locked (GtaskSupPoolFunc func,
                  gpointer         data)
{
  GtaskSupPoolJob *job;

  if ((guint)pool.len == pool.ring_size)
    {
      guint old_size = pool.ring_size;
      guint new_size = MAX (64, 2 * old_size);
      GtaskSupPoolJob *ring = g_new (GtaskSupPoolJob, new_size);

      /* Unwrap into the new ring. */
      for (guint i = 0; i < (guint)pool.len; i++)
        ring[i] = pool.ring[(pool.head + i) & (old_size - 1)];
      g_free (pool.ring);
      pool.ring = ring;
      pool.ring_size = new_size;
      pool.head = 0;
    }

  job = &pool.ring[(pool.head + pool.len) & (pool.ring_size - 1)];
  job->func = func;
  job->data = data;
  g_atomic_int_set (&pool.len, pool.len + 1);
}

static gboolean
ring_pop_locked (GtaskSupPoolJob *job)
{
  if (pool.len == 0)
    return FALSE;

  *job = pool.ring[pool.head];
  pool.head = (pool.head + 1) & (pool.ring_size - 1);
  g_atomic_int_set (&pool.len, pool.len - 1);

  return TRUE;
}

/* Asks for drainers while more jobs wait than drainers are free to take
 * them (free: not running a job, so starting or about to pop),
 * within the limit. Returns how many GThreadPool must start. */
static guint
pool_want_drainers_locked (void)
{
  guint n = 0;

  while (pool.n_drainers < pool.max_threads &&
         pool.n_drainers - pool.n_busy < (guint)pool.len)
    {
      pool.n_drainers++;
      n++;
    }

  return n;
}

static void
pool_start_drainers (guint n)
{
  for (guint i = 0; i < n; i++)
    g_thread_pool_push (pool.threads, GUINT_TO_POINTER (1), NULL);
}

/* A GThreadPool function: runs jobs until none is left. */
static void
pool_drain (gpointer data,
            gpointer user_data)
{
  g_private_set (&is_worker, GINT_TO_POINTER (TRUE));

  g_mutex_lock (&pool.mutex);

  for (;;)
    {
      GtaskSupPoolJob job;

      if (!ring_pop_locked (&job))
        {
          pool.n_drainers--;
          break;
        }

      pool.n_busy++;
      g_mutex_unlock (&pool.mutex);

      job.func (job.data);
      g_atomic_int_inc (&pool.n_finished);

      g_mutex_lock (&pool.mutex);
      pool.n_busy--;
    }

  g_mutex_unlock (&pool.mutex);
}

static void
pool_set_max_threads_locked (guint max_threads)
{
  if (pool.max_threads == max_threads)
    return;

  g_debug ("Worker pool limit: %u threads", max_threads);
  pool.max_threads = max_threads;
  /* As many threads as drainers: a drainer that leaves keeps its thread
   * waiting a while for the next one, rather than a new thread being made
   * for it. */
  g_thread_pool_set_max_threads (pool.threads, max_threads, NULL);
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

      if (pool.len > 0)
        idle_ticks = 0;
      else if (++idle_ticks > IDLE_TICKS)
        {
          pool_set_max_threads_locked (pool.base_threads);

          pool.sleeping = TRUE;
          while (pool.len == 0)
            g_cond_wait (&pool.cond, &pool.mutex);
          pool.sleeping = FALSE;
          idle_ticks = 0;
        }

      waited_before = pool.len > 0;
      n_finished = g_atomic_int_get (&pool.n_finished);

      g_cond_wait_until (&pool.cond, &pool.mutex,
                         g_get_monotonic_time () + GTASK_SUP_POOL_STALL_USEC);

      if (waited_before &&
          pool.len > 0 &&
          g_atomic_int_get (&pool.n_finished) == n_finished &&
          pool.max_threads < GTASK_SUP_POOL_MAX_THREADS)
        {
          guint wanted = MIN (2 * pool.max_threads, pool.n_drainers + (guint)pool.len);
          guint n;

          pool_set_max_threads_locked (CLAMP (wanted, pool.max_threads,
                                              GTASK_SUP_POOL_MAX_THREADS));
          n = pool_want_drainers_locked ();
          g_mutex_unlock (&pool.mutex);
          pool_start_drainers (n);
          g_mutex_lock (&pool.mutex);
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
      pool.threads = g_thread_pool_new (pool_drain, NULL, pool.base_threads, FALSE, NULL);
      g_thread_unref (g_thread_new ("gtask-sup-pool", pool_monitor_thread, NULL));
      g_once_init_leave (&initialized, 1);
    }
}

/* Runs @func (@data) on a worker, from any thread. */
void
_gtask_sup_pool_push (GtaskSupPoolFunc func,
                      gpointer         data)
{
  guint n;

  pool_init ();

  g_mutex_lock (&pool.mutex);
  ring_push_locked (func, data);
  n = pool_want_drainers_locked ();
  if (pool.sleeping)
    g_cond_signal (&pool.cond);
  g_mutex_unlock (&pool.mutex);

  pool_start_drainers (n);
}

/* Whether the calling thread is one of the pool's workers. */
gboolean
_gtask_sup_pool_is_worker (void)
{
  return GPOINTER_TO_INT (g_private_get (&is_worker));
}
