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
 * on a 2-core machine; GTask's pool takes seconds.
 *
 * A process may run out of threads (RLIMIT_NPROC, memory): nothing here
 * aborts then. The pool and its monitor are made by the first push that
 * can make them. A drainer that GThreadPool could not start a thread for
 * still waits in its queue, and runs as soon as the pool has a thread; if
 * it has none, the drainers are stranded: the push takes its job back and
 * fails, so that the job's task fails rather than waits for a thread that
 * may never come, and the next push asks GThreadPool for a thread again. */

#define IDLE_TICKS (100 * G_TIME_SPAN_MILLISECOND / GTASK_SUP_POOL_STALL_USEC)

static struct {
  GThreadPool      *threads;      /* runs pool_drain(); set once, under mutex */
  int               started;      /* threads and the monitor exist; atomic */
  GMutex            mutex;        /* guards what follows (static: no init) */
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
  gboolean          stranded;     /* GThreadPool may hold drainers and no thread */
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

/* Takes the job back out of the FIFO, if no drainer took it yet. */
static gboolean
ring_remove_locked (GtaskSupPoolFunc func,
                    gpointer         data)
{
  guint mask = pool.ring_size - 1;

  /* From the tail: the job was pushed last, or nearly. */
  for (guint i = pool.len; i-- > 0;)
    {
      GtaskSupPoolJob *job = &pool.ring[(pool.head + i) & mask];

      if (job->func != func || job->data != data)
        continue;

      for (; i + 1 < (guint)pool.len; i++)
        pool.ring[(pool.head + i) & mask] = pool.ring[(pool.head + i + 1) & mask];
      g_atomic_int_set (&pool.len, pool.len - 1);
      return TRUE;
    }

  return FALSE;
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

/* Hands @n drainers to GThreadPool and, if earlier ones were stranded
 * (@retry), asks it again for threads for them. A drainer it could not
 * start a thread for stays in its queue; a thread of the pool takes every
 * queued drainer before it leaves, so that is fine unless the pool has no
 * thread at all: then they are stranded, and this returns FALSE. */
static gboolean
pool_start_drainers (guint      n,
                     gboolean   retry,
                     GError   **error)
{
  GError *local_error = NULL;
  gboolean failed = FALSE;

  for (guint i = 0; i < n; i++)
    {
      if (!g_thread_pool_push (pool.threads, GUINT_TO_POINTER (1),
                               local_error == NULL ? &local_error : NULL))
        failed = TRUE;
    }

  if (retry)
    {
      /* Setting its limit starts threads for what waits in its queue. */
      g_mutex_lock (&pool.mutex);
      if (!g_thread_pool_set_max_threads (pool.threads, pool.max_threads,
                                          local_error == NULL ? &local_error : NULL))
        failed = TRUE;
      g_mutex_unlock (&pool.mutex);
    }

  if (!failed || g_thread_pool_get_num_threads (pool.threads) > 0)
    {
      g_clear_error (&local_error);
      return TRUE;
    }

  g_mutex_lock (&pool.mutex);
  pool.stranded = TRUE;
  g_mutex_unlock (&pool.mutex);

  if (local_error == NULL)
    local_error = g_error_new_literal (G_THREAD_ERROR, G_THREAD_ERROR_AGAIN,
                                       "No thread for the worker pool");
  g_propagate_error (error, local_error);

  return FALSE;
}

/* A GThreadPool function: runs jobs until none is left. */
static void
pool_drain (gpointer data,
            gpointer user_data)
{
  g_private_set (&is_worker, GINT_TO_POINTER (TRUE));

  g_mutex_lock (&pool.mutex);

  /* GThreadPool has a thread: this one, which runs every queued drainer
   * before it leaves. None is stranded any more. */
  pool.stranded = FALSE;

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
          gboolean retry = pool.stranded;
          guint n;

          pool_set_max_threads_locked (CLAMP (wanted, pool.max_threads,
                                              GTASK_SUP_POOL_MAX_THREADS));
          n = pool_want_drainers_locked ();
          g_mutex_unlock (&pool.mutex);
          pool_start_drainers (n, retry, NULL);
          g_mutex_lock (&pool.mutex);
        }
      else if (pool.len > 0 && pool.stranded)
        {
          /* Jobs wait behind drainers that GThreadPool had no thread for
           * (pushed while another push found that out): try again. */
          g_mutex_unlock (&pool.mutex);
          pool_start_drainers (0, TRUE, NULL);
          g_mutex_lock (&pool.mutex);
        }
    }

  g_assert_not_reached ();
}

/* Makes the pool and starts its monitor, unless done. Fails if the
 * process is out of threads; a later call tries again. */
static gboolean
pool_init (GError **error)
{
  gboolean ok = TRUE;

  if (g_atomic_int_get (&pool.started))
    return TRUE;

  g_mutex_lock (&pool.mutex);

  if (pool.threads == NULL)
    {
      pool.base_threads = MAX (2, g_get_num_processors ());
      pool.max_threads = pool.base_threads;
      /* Not exclusive: idle threads are shared with GLib's other pools,
       * and none is made before the first push. */
      pool.threads = g_thread_pool_new (pool_drain, NULL, pool.base_threads, FALSE, error);
      ok = pool.threads != NULL;
    }

  if (ok && !pool.started)
    {
      GThread *monitor = g_thread_try_new ("gtask-sup-pool", pool_monitor_thread, NULL, error);

      ok = monitor != NULL;
      if (ok)
        {
          g_thread_unref (monitor);
          g_atomic_int_set (&pool.started, TRUE);
        }
    }

  g_mutex_unlock (&pool.mutex);

  return ok;
}

/* Runs @func (@data) on a worker, from any thread. Returns FALSE, with
 * @error, if the process has no thread to run it (see above): @func then
 * never runs. */
gboolean
_gtask_sup_pool_push (GtaskSupPoolFunc   func,
                      gpointer           data,
                      GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean withdrawn;
  gboolean retry;
  guint n;

  if (!pool_init (error))
    return FALSE;

  g_mutex_lock (&pool.mutex);
  ring_push_locked (func, data);
  n = pool_want_drainers_locked ();
  retry = pool.stranded;
  if (pool.sleeping)
    g_cond_signal (&pool.cond);
  g_mutex_unlock (&pool.mutex);

  if (pool_start_drainers (n, retry, &local_error))
    return TRUE;

  /* No thread will take it: withdraw it, unless one did meanwhile. */
  g_mutex_lock (&pool.mutex);
  withdrawn = ring_remove_locked (func, data);
  g_mutex_unlock (&pool.mutex);

  if (!withdrawn)
    return TRUE;

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* How many threads the pool has now, busy or idle (for tests: a pool
 * without any must make one for the next job). */
guint
_gtask_sup_pool_get_num_threads (void)
{
  if (!g_atomic_int_get (&pool.started))
    return 0;

  return g_thread_pool_get_num_threads (pool.threads);
}

/* Whether the calling thread is one of the pool's workers. */
gboolean
_gtask_sup_pool_is_worker (void)
{
  return GPOINTER_TO_INT (g_private_get (&is_worker));
}
