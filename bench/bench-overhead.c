/* bench-overhead.c: what a supervised task costs next to a raw GTask
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Measured in one run (see README.md for how to read the figures):
 *
 *  - time per trivial task, from creation to its completion callback on the
 *    main context: raw g_task_run_in_thread(), a bare GThreadPool that calls
 *    back with g_main_context_invoke(), and gtask-sup (each task with a 60 s
 *    timeout armed, and, for comparison, without one);
 *  - heap bytes per task queued behind a supervisor's max-concurrency and
 *    per running task, next to the bytes of a bare GTask kept alive;
 *  - the time to start and to drain L live tasks, with and without the
 *    supervisor's children model;
 *  - how late the ::timed-out signals of T tasks with 50 ms timeouts come,
 *    next to T GLib timeout sources of 50 ms;
 *  - the time of one idle iteration of the owner context while L timeouts
 *    are armed, next to one with none.
 *
 * Every measurement waits by iterating a dedicated GMainContext (pushed as
 * thread-default) until a completion counter reaches its goal: no sleeps.
 * Run it as `G_SLICE=always-malloc ./bench-overhead`: GLib < 2.76 reads
 * G_SLICE when it is loaded, before main() could set it, and its slice
 * allocator hides the real size of each object from mallinfo2().
 */

#include <gtask-sup/gtask-sup.h>

#include "bench-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(HAVE_MALLINFO2) || defined(HAVE_MALLOC_TRIM)
# include <malloc.h>
#endif

/* A task's timeout in the throughput runs: far longer than the run, so it
 * never fires; it only shows what arming and disarming one costs. */
#define BENCH_TIMEOUT_MS 60000
/* The timeout whose lateness is measured. */
#define LATENESS_TIMEOUT_MS 50
/* The timeouts armed while idle iterations are timed: they never expire. */
#define IDLE_TIMEOUT_MS 600000
/* Idle iterations timed in one sample. */
#define IDLE_ITERATIONS 100000
/* Tasks run before the measurements, so that the worker threads, the
 * engine and GLib's caches exist already. */
#define WARM_UP_TASKS 10000

typedef struct
{
  GMainContext *context;
  guint         goal;       /* completions to wait for */
  guint         completed;  /* only touched on the main context */
  guint         failures;   /* outcomes that are not a success */
} Bench;

typedef struct
{
  double best;    /* µs per task */
  double median;  /* µs per task */
} Figure;

typedef struct
{
  gint64 heap;  /* bytes in use according to mallinfo2(), or -1 */
  gint64 rss;   /* resident bytes according to /proc/self/statm, or -1 */
} MemSample;

typedef double (*RunFunc) (Bench *bench,
                           int    n);

static int n_tasks = 100000;
static int n_runs = 3;
static int n_queued = 100000;
static int n_live = 100000;
static int n_timeouts = 1000;

static void
bench_wait (Bench *bench)
{
  while (bench->completed < bench->goal)
    g_main_context_iteration (bench->context, TRUE);
}

/* Dispatches whatever is ready (deferred notifications, finalizations)
 * without blocking, so memory samples see a settled heap. */
static void
bench_settle (Bench *bench)
{
  while (g_main_context_pending (bench->context))
    g_main_context_iteration (bench->context, FALSE);
}

static void
bench_reset (Bench *bench,
             guint  goal)
{
  bench->goal = goal;
  bench->completed = 0;
  bench->failures = 0;
}

static void
bench_check (Bench      *bench,
             const char *what)
{
  if (bench->failures > 0)
    {
      fprintf (stderr, "bench-overhead: %s: %u of %u tasks did not succeed\n",
               what, bench->failures, bench->goal);
      exit (EXIT_FAILURE);
    }
}

/* Raw GTask ------------------------------------------------------------ */

static void
gtask_thread_func (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

static void
gtask_done_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Bench *bench = user_data;

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    bench->failures++;
  bench->completed++;
}

static double
run_gtask (Bench *bench,
           int    n)
{
  gint64 start, elapsed;

  bench_reset (bench, n);
  start = g_get_monotonic_time ();

  for (int i = 0; i < n; i++)
    {
      GTask *task = g_task_new (NULL, NULL, gtask_done_cb, bench);

      g_task_run_in_thread (task, gtask_thread_func);
      g_object_unref (task);
    }
  bench_wait (bench);
  elapsed = g_get_monotonic_time () - start;
  bench_check (bench, "raw GTask");

  return (double) elapsed;
}

/* GThreadPool + g_main_context_invoke() ---------------------------------- */

static gboolean
pool_done_cb (gpointer user_data)
{
  Bench *bench = user_data;

  bench->completed++;

  return G_SOURCE_REMOVE;
}

static void
pool_thread_func (gpointer data,
                  gpointer user_data)
{
  Bench *bench = user_data;

  /* The worker's thread-default context is not bench->context, so this
   * always queues an idle source there rather than calling back here. */
  g_main_context_invoke (bench->context, pool_done_cb, bench);
}

static double
run_pool (Bench *bench,
          int    n)
{
  GThreadPool *pool;
  gint64 start;

  bench_reset (bench, n);
  start = g_get_monotonic_time ();

  pool = g_thread_pool_new (pool_thread_func, bench, (int) g_get_num_processors (),
                            FALSE, NULL);
  for (int i = 0; i < n; i++)
    g_thread_pool_push (pool, bench, NULL);
  bench_wait (bench);

  g_thread_pool_free (pool, FALSE, TRUE);

  return (double) (g_get_monotonic_time () - start);
}

/* gtask-sup -------------------------------------------------------------- */

static void
sup_thread_func (GtaskSupTask *task,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  gtask_sup_task_return_boolean (task, TRUE);
}

static void
on_succeeded (GtaskSupSupervisor *sup,
              GtaskSupTask       *task,
              gpointer            user_data)
{
  Bench *bench = user_data;

  bench->completed++;
}

static void
on_failed (GtaskSupSupervisor *sup,
           GtaskSupTask       *task,
           const GError       *error,
           gpointer            user_data)
{
  Bench *bench = user_data;

  fprintf (stderr, "bench-overhead: task failed: %s\n", error->message);
  bench->failures++;
  bench->completed++;
}

static void
on_unexpected_success (GtaskSupSupervisor *sup,
                       GtaskSupTask       *task,
                       gpointer            user_data)
{
  Bench *bench = user_data;

  bench->failures++;
  bench->completed++;
}

static void
on_timed_out (GtaskSupSupervisor *sup,
              GtaskSupTask       *task,
              gpointer            user_data)
{
  Bench *bench = user_data;

  bench->failures++;
  bench->completed++;
}

static GtaskSupSupervisor *
supervisor_new (Bench *bench)
{
  GtaskSupSupervisor *sup = gtask_sup_supervisor_new (NULL);

  g_signal_connect (sup, "succeeded", G_CALLBACK (on_succeeded), bench);
  g_signal_connect (sup, "failed", G_CALLBACK (on_failed), bench);
  g_signal_connect (sup, "timed-out", G_CALLBACK (on_timed_out), bench);

  return sup;
}

static void
supervisor_start (GtaskSupSupervisor *sup,
                  GtaskSupTask       *task)
{
  g_autoptr(GError) error = NULL;

  if (!gtask_sup_supervisor_start (sup, task, &error))
    {
      fprintf (stderr, "bench-overhead: gtask_sup_supervisor_start: %s\n", error->message);
      exit (EXIT_FAILURE);
    }
}

/* The figure the issue asks for: each task is created, given a timeout,
 * and started; the supervisor owns it until its outcome is emitted. */
static double
run_sup_timeout (Bench *bench,
                 int    n)
{
  g_autoptr(GtaskSupSupervisor) sup = supervisor_new (bench);
  gint64 start, elapsed;

  bench_reset (bench, n);
  start = g_get_monotonic_time ();

  for (int i = 0; i < n; i++)
    {
      g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (sup_thread_func, NULL, NULL);

      gtask_sup_task_set_timeout (task, BENCH_TIMEOUT_MS);
      supervisor_start (sup, task);
    }
  bench_wait (bench);

  elapsed = g_get_monotonic_time () - start;
  bench_check (bench, "gtask-sup with timeouts");

  return (double) elapsed;
}

/* The same through the convenience call, with no timeout: the difference
 * from run_sup_timeout() is what a timeout costs. */
static double
run_sup_plain (Bench *bench,
               int    n)
{
  g_autoptr(GtaskSupSupervisor) sup = supervisor_new (bench);
  gint64 start, elapsed;

  bench_reset (bench, n);
  start = g_get_monotonic_time ();

  for (int i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      if (gtask_sup_supervisor_run_in_thread (sup, sup_thread_func, NULL, NULL, &error) == NULL)
        {
          fprintf (stderr, "bench-overhead: gtask_sup_supervisor_run_in_thread: %s\n",
                   error->message);
          exit (EXIT_FAILURE);
        }
    }
  bench_wait (bench);

  elapsed = g_get_monotonic_time () - start;
  bench_check (bench, "gtask-sup without timeouts");

  return (double) elapsed;
}

/* Live async tasks ------------------------------------------------------- */

/* Async tasks whose function returns without completing them: each stays
 * RUNNING on the owner context, with no thread, until live_complete(). */
typedef struct
{
  Bench     *bench;
  GPtrArray *tasks;  /* the tasks whose function ran, one reference each */
} Live;

static void
live_async_func (GtaskSupTask *task,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  Live *live = user_data;

  g_ptr_array_add (live->tasks, g_object_ref (task));
}

/* Starts @n more live tasks, each with @timeout_ms (-1: none), and returns
 * once all their functions ran and the owner context is idle. */
static void
live_start (Live               *live,
            GtaskSupSupervisor *sup,
            int                 n,
            int                 timeout_ms)
{
  guint goal = live->tasks->len + n;

  for (int i = 0; i < n; i++)
    {
      g_autoptr(GtaskSupTask) task = gtask_sup_task_new_async (live_async_func, live, NULL);

      if (timeout_ms >= 0)
        gtask_sup_task_set_timeout (task, timeout_ms);
      supervisor_start (sup, task);
    }

  /* An async task's function may run inside start() or in a later
   * iteration: wait for all of them either way. */
  while (live->tasks->len < goal)
    g_main_context_iteration (live->bench->context, TRUE);
  bench_settle (live->bench);
}

/* Completes every live task from the owner context, waits for their
 * outcomes (bench->goal of them) and drops the references. */
static void
live_complete (Live *live)
{
  for (guint i = 0; i < live->tasks->len; i++)
    gtask_sup_task_return_boolean (g_ptr_array_index (live->tasks, i), TRUE);
  bench_wait (live->bench);
  g_ptr_array_set_size (live->tasks, 0);
  bench_settle (live->bench);
}

/* Memory ----------------------------------------------------------------- */

static MemSample
mem_sample (void)
{
  MemSample sample = { -1, -1 };
  FILE *statm;

#ifdef HAVE_MALLOC_TRIM
  /* Hand freed pages back, so that RSS growth is the growth of live data
   * rather than what earlier measurements left in the free lists. */
  malloc_trim (0);
#endif
#ifdef HAVE_MALLINFO2
  {
    struct mallinfo2 info = mallinfo2 ();

    sample.heap = (gint64) (info.uordblks + info.hblkhd);
  }
#endif

  statm = fopen ("/proc/self/statm", "r");
  if (statm != NULL)
    {
      unsigned long size, resident;

      if (fscanf (statm, "%lu %lu", &size, &resident) == 2)
        sample.rss = (gint64) resident * sysconf (_SC_PAGESIZE);
      fclose (statm);
    }

  return sample;
}

static void
mem_per_task (const MemSample *before,
              const MemSample *after,
              int              n,
              double          *heap,
              double          *rss)
{
  *heap = before->heap >= 0 ? (double) (after->heap - before->heap) / n : -1;
  *rss = before->rss >= 0 ? (double) (after->rss - before->rss) / n : -1;
}

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean released;
  Bench   *bench;
  gboolean running;  /* only touched on the main context */
} Gate;

static gboolean
gate_mark_running (gpointer user_data)
{
  Gate *gate = user_data;

  gate->running = TRUE;

  return G_SOURCE_REMOVE;
}

/* Holds the supervisor's only slot until the main thread opens the gate. */
static void
gate_thread_func (GtaskSupTask *task,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  Gate *gate = user_data;

  g_main_context_invoke (gate->bench->context, gate_mark_running, gate);

  g_mutex_lock (&gate->mutex);
  while (!gate->released)
    g_cond_wait (&gate->cond, &gate->mutex);
  g_mutex_unlock (&gate->mutex);

  gtask_sup_task_return_boolean (task, TRUE);
}

static void
gate_open (Gate *gate)
{
  g_mutex_lock (&gate->mutex);
  gate->released = TRUE;
  g_cond_signal (&gate->cond);
  g_mutex_unlock (&gate->mutex);
}

/* Bytes per task waiting in a supervisor's queue: one task blocks the only
 * slot (max-concurrency 1), n_queued more are started behind it. */
static void
measure_queued (Bench  *bench,
                int     timeout_ms,
                double *heap,
                double *rss)
{
  g_autoptr(GtaskSupSupervisor) sup = supervisor_new (bench);
  g_autoptr(GtaskSupTask) blocker = NULL;
  MemSample before, after;
  Gate gate = { 0, };

  g_mutex_init (&gate.mutex);
  g_cond_init (&gate.cond);
  gate.bench = bench;

  gtask_sup_supervisor_set_max_concurrency (sup, 1);
  bench_reset (bench, n_queued + 1);

  blocker = gtask_sup_task_new_thread (gate_thread_func, &gate, NULL);
  supervisor_start (sup, blocker);
  while (!gate.running)
    g_main_context_iteration (bench->context, TRUE);
  bench_settle (bench);

  before = mem_sample ();
  for (int i = 0; i < n_queued; i++)
    {
      g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (sup_thread_func, NULL, NULL);

      gtask_sup_task_set_timeout (task, timeout_ms);
      supervisor_start (sup, task);
    }
  bench_settle (bench);
  after = mem_sample ();

  if (gtask_sup_supervisor_get_n_queued (sup) != (guint) n_queued)
    {
      fprintf (stderr, "bench-overhead: %u tasks queued, expected %d\n",
               gtask_sup_supervisor_get_n_queued (sup), n_queued);
      exit (EXIT_FAILURE);
    }
  mem_per_task (&before, &after, n_queued, heap, rss);

  /* Drain the queue: every task still has to succeed, exactly once. */
  gate_open (&gate);
  bench_wait (bench);
  bench_check (bench, "queued tasks");

  g_mutex_clear (&gate.mutex);
  g_cond_clear (&gate.cond);
}

static void
gtask_noop_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
}

/* Bytes per GTask created with a callback and kept alive, never run. */
static void
measure_bare_gtask (Bench  *bench,
                    double *heap,
                    double *rss)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_full (n_queued, g_object_unref);
  MemSample before, after;

  bench_settle (bench);
  before = mem_sample ();
  for (int i = 0; i < n_queued; i++)
    g_ptr_array_add (tasks, g_task_new (NULL, NULL, gtask_noop_cb, NULL));
  after = mem_sample ();
  mem_per_task (&before, &after, n_queued, heap, rss);

  /* Complete them, as a GTask expects, then let their callbacks run. */
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
  g_clear_pointer (&tasks, g_ptr_array_unref);
  bench_settle (bench);
}

/* Bytes per running task: n_queued async tasks that stay RUNNING. */
static void
measure_running (Bench  *bench,
                 double *heap,
                 double *rss)
{
  g_autoptr(GtaskSupSupervisor) sup = supervisor_new (bench);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_full (n_queued + 1, g_object_unref);
  Live live = { bench, tasks };
  MemSample before, after;

  bench_reset (bench, n_queued + 1);

  /* One first, so that what the supervisor allocates once is not counted. */
  live_start (&live, sup, 1, -1);
  before = mem_sample ();
  live_start (&live, sup, n_queued, -1);
  after = mem_sample ();

  if (gtask_sup_supervisor_get_n_running (sup) != (guint) n_queued + 1)
    {
      fprintf (stderr, "bench-overhead: %u tasks running, expected %d\n",
               gtask_sup_supervisor_get_n_running (sup), n_queued + 1);
      exit (EXIT_FAILURE);
    }
  mem_per_task (&before, &after, n_queued, heap, rss);

  live_complete (&live);
  bench_check (bench, "running tasks");
}

/* Children model ----------------------------------------------------------- */

typedef struct
{
  double start_ms;  /* from the first start() to an idle context */
  double drain_ms;  /* from the first completion to the last outcome */
} ChildrenSample;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  guint *changes = user_data;

  (*changes)++;
}

static void
children_check (GListModel *model,
                guint       expected)
{
  if (model != NULL && g_list_model_get_n_items (model) != expected)
    {
      fprintf (stderr, "bench-overhead: the children model has %u items, expected %u\n",
               g_list_model_get_n_items (model), expected);
      exit (EXIT_FAILURE);
    }
}

/* @n live tasks started, then completed, on a supervisor whose children
 * model was asked for (and is watched, as a list view would) or not. */
static ChildrenSample
run_children (Bench    *bench,
              int       n,
              gboolean  with_model)
{
  g_autoptr(GtaskSupSupervisor) sup = supervisor_new (bench);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_full (n, g_object_unref);
  Live live = { bench, tasks };
  GListModel *model = NULL;
  guint changes = 0;
  gint64 start, started, drained;
  ChildrenSample sample;

  if (with_model)
    {
      model = gtask_sup_supervisor_get_children (sup);
      g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &changes);
    }

  bench_reset (bench, n);
  start = g_get_monotonic_time ();
  live_start (&live, sup, n, -1);
  started = g_get_monotonic_time ();
  children_check (model, n);

  live_complete (&live);
  drained = g_get_monotonic_time ();
  bench_check (bench, "children");
  children_check (model, 0);

  if (model != NULL)
    g_signal_handlers_disconnect_by_data (model, &changes);

  sample.start_ms = (started - start) / 1000.0;
  sample.drain_ms = (drained - started) / 1000.0;

  return sample;
}

/* Timed-out lateness -------------------------------------------------------- */

typedef struct
{
  Bench  *bench;
  gint64 *starts;    /* monotonic µs at each start, by index */
  GArray *lateness;  /* ms after each deadline, in arrival order */
} Lateness;

typedef struct
{
  Lateness *lateness;
  guint     index;
} LatenessSlot;

static GQuark lateness_index_quark;

static void
lateness_record (Lateness *lateness,
                 guint     index)
{
  double late = (g_get_monotonic_time () - lateness->starts[index]) / 1000.0 -
                LATENESS_TIMEOUT_MS;

  g_array_append_val (lateness->lateness, late);
  lateness->bench->completed++;
}

/* Never completes its task: only the timeout ends it. */
static void
lateness_async_func (GtaskSupTask *task,
                     GCancellable *cancellable,
                     gpointer      user_data)
{
}

static void
on_lateness_timed_out (GtaskSupSupervisor *sup,
                       GtaskSupTask       *task,
                       gpointer            user_data)
{
  Lateness *lateness = user_data;
  guint index = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (task), lateness_index_quark));

  g_assert (index > 0);
  lateness_record (lateness, index - 1);
}

static gboolean
lateness_timeout_cb (gpointer user_data)
{
  LatenessSlot *slot = user_data;

  lateness_record (slot->lateness, slot->index);

  return G_SOURCE_REMOVE;
}

/* The 99th percentile of the lateness, in ms, of @n ::timed-out signals
 * of tasks with 50 ms timeouts started at once. */
static double
run_lateness_sup (Bench *bench,
                  int    n)
{
  g_autoptr(GtaskSupSupervisor) sup = gtask_sup_supervisor_new (NULL);
  g_autofree gint64 *starts = g_new0 (gint64, n);
  g_autoptr(GArray) values = g_array_sized_new (FALSE, FALSE, sizeof (double), n);
  Lateness lateness = { bench, starts, values };

  g_signal_connect (sup, "succeeded", G_CALLBACK (on_unexpected_success), bench);
  g_signal_connect (sup, "failed", G_CALLBACK (on_failed), bench);
  g_signal_connect (sup, "timed-out", G_CALLBACK (on_lateness_timed_out), &lateness);

  bench_reset (bench, n);
  for (int i = 0; i < n; i++)
    {
      g_autoptr(GtaskSupTask) task = gtask_sup_task_new_async (lateness_async_func, NULL, NULL);

      gtask_sup_task_set_timeout (task, LATENESS_TIMEOUT_MS);
      g_object_set_qdata (G_OBJECT (task), lateness_index_quark, GUINT_TO_POINTER (i + 1));
      starts[i] = g_get_monotonic_time ();
      supervisor_start (sup, task);
    }
  bench_wait (bench);
  bench_check (bench, "timed-out lateness");
  g_signal_handlers_disconnect_by_data (sup, &lateness);

  return bench_percentile (values, 99);
}

/* The same for @n timeout sources of 50 ms on the owner context: what
 * g_timeout_add (50, …) does on the global default context. */
static double
run_lateness_timeout (Bench *bench,
                      int    n)
{
  g_autofree gint64 *starts = g_new0 (gint64, n);
  g_autofree LatenessSlot *slots = g_new0 (LatenessSlot, n);
  g_autoptr(GArray) values = g_array_sized_new (FALSE, FALSE, sizeof (double), n);
  Lateness lateness = { bench, starts, values };

  bench_reset (bench, n);
  for (int i = 0; i < n; i++)
    {
      GSource *source;

      slots[i].lateness = &lateness;
      slots[i].index = i;
      starts[i] = g_get_monotonic_time ();
      source = g_timeout_source_new (LATENESS_TIMEOUT_MS);
      g_source_set_callback (source, lateness_timeout_cb, &slots[i], NULL);
      g_source_attach (source, bench->context);
      g_source_unref (source);
    }
  bench_wait (bench);

  return bench_percentile (values, 99);
}

/* Idle iterations ------------------------------------------------------------ */

/* µs per iteration of the owner context when nothing is ready. */
static double
idle_iteration_us (Bench *bench)
{
  gint64 start;

  bench_settle (bench);
  start = g_get_monotonic_time ();
  for (int i = 0; i < IDLE_ITERATIONS; i++)
    g_main_context_iteration (bench->context, FALSE);

  return (double) (g_get_monotonic_time () - start) / IDLE_ITERATIONS;
}

/* A supervisor without tasks: no timeout armed. */
static double
run_idle_none (Bench *bench,
               int    n)
{
  g_autoptr(GtaskSupSupervisor) sup = supervisor_new (bench);

  return idle_iteration_us (bench);
}

/* @n running tasks, each with a timeout that does not expire meanwhile. */
static double
run_idle_armed (Bench *bench,
                int    n)
{
  g_autoptr(GtaskSupSupervisor) sup = supervisor_new (bench);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_full (n, g_object_unref);
  Live live = { bench, tasks };
  double us;

  bench_reset (bench, n);
  live_start (&live, sup, n, IDLE_TIMEOUT_MS);
  us = idle_iteration_us (bench);
  live_complete (&live);
  bench_check (bench, "armed timeouts");

  return us;
}

/* Report ----------------------------------------------------------------- */

static Figure
figure_from_samples (GArray *samples)
{
  Figure figure;

  figure.median = bench_sort_median (samples) / n_tasks;
  figure.best = g_array_index (samples, double, 0) / n_tasks;

  return figure;
}

static void
print_figure (const char   *label,
              const Figure *figure,
              const char   *how)
{
  printf ("%-22s: %6.2f µs/task (best of %d, median %.2f)  %s\n",
          label, figure->best, n_runs, figure->median, how);
}

static void
print_series (const char *label,
              GArray     *values,
              const char *unit,
              const char *how)
{
  BenchFigure figure = bench_figure (values);

  printf ("%-22s: %7.2f %s (best of %u, median %.2f)  %s\n",
          label, figure.best, unit, values->len, figure.median, how);
}

static void
print_ratio (const char *label,
             GArray     *ours,
             GArray     *base,
             const char *target)
{
  BenchFigure o = bench_figure (ours);
  BenchFigure b = bench_figure (base);

  printf ("%-22s: %7.2f×  (median %.2f×)%s%s\n",
          label, o.best / b.best, o.median / b.median,
          target != NULL ? "  target " : "", target != NULL ? target : "");
}

static void
print_bytes (const char *label,
             double      heap,
             double      rss)
{
  printf ("  %-20s: heap %s", label, heap >= 0 ? "" : "n/a");
  if (heap >= 0)
    printf ("%4.0f B", heap);
  if (rss >= 0)
    printf (", RSS %4.0f B", rss);
  printf ("\n");
}

static const char *
verdict (gboolean met)
{
  return met ? "met" : "MISSED";
}

static void
append_sample (GArray     *values,
               const char *key,
               double      value)
{
  g_array_append_val (values, value);
  bench_result (key, value);
}

int
main (int   argc,
      char *argv[])
{
  static const struct {
    const char *key;
    const char *result;
    const char *label;
    RunFunc     run;
    const char *how;
  } subjects[] = {
    { "gtask", "gtask.us_per_task", "raw GTask", run_gtask, "g_task_run_in_thread" },
    { "pool", "pool.us_per_task", "GThreadPool + invoke", run_pool,
      "g_thread_pool_push, n-CPU threads" },
    { "sup", "sup.us_per_task", "gtask-sup", run_sup_timeout,
      "new_thread + 60 s timeout + start" },
    { "sup-no-timeout", "sup_no_timeout.us_per_task", "gtask-sup, no timeout", run_sup_plain,
      "run_in_thread" },
  };
  static const char * const known[] = {
    "gtask", "pool", "sup", "sup-no-timeout", "memory", "children", "lateness", "idle", NULL
  };
  enum { RAW_GTASK, POOL, SUP_TIMEOUT, SUP_PLAIN, N_SUBJECTS };
  enum {
    CHILDREN_PLAIN_START, CHILDREN_MODEL_START, CHILDREN_PLAIN_DRAIN, CHILDREN_MODEL_DRAIN,
    LATENESS_SUP, LATENESS_TIMEOUT, IDLE_NONE, IDLE_ARMED, N_SERIES
  };
  g_autofree char *only = NULL;
  const GOptionEntry entries[] = {
    { "tasks", 'n', 0, G_OPTION_ARG_INT, &n_tasks,
      "Tasks per throughput run (default 100000)", "N" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &n_runs,
      "Runs of each time measurement (default 3)", "R" },
    { "queued", 'm', 0, G_OPTION_ARG_INT, &n_queued,
      "Queued (and running) tasks for the memory measurement (default 100000)", "M" },
    { "live", 'l', 0, G_OPTION_ARG_INT, &n_live,
      "Live tasks for the children model and armed timeouts (default 100000)", "L" },
    { "timeouts", 't', 0, G_OPTION_ARG_INT, &n_timeouts,
      "Tasks with a 50 ms timeout for the lateness (default 1000)", "T" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Measure only these, comma-separated: gtask, pool, sup, sup-no-timeout, memory, "
      "children, lateness, idle", "WHAT" },
    { "machine", 0, 0, G_OPTION_ARG_NONE, &bench_machine,
      "Also print each sample as a “result KEY VALUE” line (for run-all)", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = NULL;
  GArray *samples[N_SUBJECTS] = { NULL, };
  GArray *series[N_SERIES] = { NULL, };
  Figure figures[N_SUBJECTS];
  gboolean measure[N_SUBJECTS];
  gboolean measure_memory, measure_children, measure_lateness, measure_idle;
  double sup_heap = 0, sup_rss = 0, sup_timeout_heap = 0, sup_timeout_rss = 0;
  double running_heap = 0, running_rss = 0, gtask_heap = 0, gtask_rss = 0;
  Bench bench = { 0, };

  G_STATIC_ASSERT (G_N_ELEMENTS (subjects) == N_SUBJECTS);

  option_context = g_option_context_new ("- what a supervised task costs next to a GTask");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-overhead: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (n_tasks < 1 || n_runs < 1 || n_queued < 1 || n_live < 1 || n_timeouts < 1)
    {
      fprintf (stderr, "bench-overhead: -n, -r, -m, -l and -t must be positive\n");
      return EXIT_FAILURE;
    }
  if (!bench_only_is_valid (only, known))
    return EXIT_FAILURE;

  measure_memory = bench_only_has (only, "memory");
  measure_children = bench_only_has (only, "children");
  measure_lateness = bench_only_has (only, "lateness");
  measure_idle = bench_only_has (only, "idle");
  for (int s = 0; s < N_SUBJECTS; s++)
    measure[s] = bench_only_has (only, subjects[s].key);

  lateness_index_quark = g_quark_from_static_string ("bench-overhead-lateness-index");
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  bench.context = context;

  printf ("bench-overhead: N = %d tasks per run, %d run%s, M = %d queued tasks, "
          "L = %d live tasks, T = %d timeouts\n",
          n_tasks, n_runs, n_runs == 1 ? "" : "s", n_queued, n_live, n_timeouts);
  bench_print_environment ();

  /* Memory first, on a heap that the other runs have not churned yet. */
  if (measure_memory)
    {
      measure_queued (&bench, -1, &sup_heap, &sup_rss);
      measure_queued (&bench, BENCH_TIMEOUT_MS, &sup_timeout_heap, &sup_timeout_rss);
      measure_running (&bench, &running_heap, &running_rss);
      measure_bare_gtask (&bench, &gtask_heap, &gtask_rss);
      /* The heap when mallinfo2() exists, else the resident set. */
      bench_result ("memory.queued_bytes", sup_heap >= 0 ? sup_heap : sup_rss);
      bench_result ("memory.queued_timeout_bytes",
                    sup_timeout_heap >= 0 ? sup_timeout_heap : sup_timeout_rss);
      bench_result ("memory.running_bytes", running_heap >= 0 ? running_heap : running_rss);
      bench_result ("memory.gtask_bytes", gtask_heap >= 0 ? gtask_heap : gtask_rss);
    }

  /* Threads, the engine and caches first, so that a single run measures
   * the same thing as the later runs of several. */
  for (int s = 0; s < N_SUBJECTS; s++)
    if (measure[s])
      subjects[s].run (&bench, MIN (n_tasks, WARM_UP_TASKS));
  if (measure_children)
    run_children (&bench, MIN (n_live, WARM_UP_TASKS), FALSE);
  if (measure_lateness)
    {
      run_lateness_sup (&bench, n_timeouts);
      run_lateness_timeout (&bench, n_timeouts);
    }
  if (measure_idle)
    run_idle_none (&bench, 0);

  /* Interleaved, so that a slow phase of a shared machine hits every
   * subject alike rather than one of them. */
  for (int s = 0; s < N_SUBJECTS; s++)
    if (measure[s])
      samples[s] = g_array_sized_new (FALSE, FALSE, sizeof (double), n_runs);
  for (int i = 0; i < N_SERIES; i++)
    series[i] = g_array_sized_new (FALSE, FALSE, sizeof (double), n_runs);
  for (int r = 0; r < n_runs; r++)
    {
      for (int s = 0; s < N_SUBJECTS; s++)
        {
          double elapsed;

          if (!measure[s])
            continue;
          elapsed = subjects[s].run (&bench, n_tasks);
          g_array_append_val (samples[s], elapsed);
          bench_result (subjects[s].result, elapsed / n_tasks);
        }

      if (measure_children)
        {
          ChildrenSample plain = run_children (&bench, n_live, FALSE);
          ChildrenSample model = run_children (&bench, n_live, TRUE);

          append_sample (series[CHILDREN_PLAIN_START], "children_plain.start_ms", plain.start_ms);
          append_sample (series[CHILDREN_MODEL_START], "children_model.start_ms", model.start_ms);
          append_sample (series[CHILDREN_PLAIN_DRAIN], "children_plain.drain_ms", plain.drain_ms);
          append_sample (series[CHILDREN_MODEL_DRAIN], "children_model.drain_ms", model.drain_ms);
        }

      if (measure_lateness)
        {
          append_sample (series[LATENESS_SUP], "lateness_sup.p99_ms",
                         run_lateness_sup (&bench, n_timeouts));
          append_sample (series[LATENESS_TIMEOUT], "lateness_timeout.p99_ms",
                         run_lateness_timeout (&bench, n_timeouts));
        }

      if (measure_idle)
        {
          append_sample (series[IDLE_NONE], "idle_none.us", run_idle_none (&bench, 0));
          append_sample (series[IDLE_ARMED], "idle_armed.us", run_idle_armed (&bench, n_live));
        }
    }

  for (int s = 0; s < N_SUBJECTS; s++)
    {
      if (!measure[s])
        continue;
      figures[s] = figure_from_samples (samples[s]);
      g_array_unref (samples[s]);
      print_figure (subjects[s].label, &figures[s], subjects[s].how);
    }

  if (measure[RAW_GTASK] && measure[SUP_TIMEOUT])
    printf ("%-22s: %6.2f×  (median %.2f×; target ≤ 0.4×: %s)\n",
            "ratio gtask-sup/GTask",
            figures[SUP_TIMEOUT].best / figures[RAW_GTASK].best,
            figures[SUP_TIMEOUT].median / figures[RAW_GTASK].median,
            verdict (figures[SUP_TIMEOUT].best <= 0.4 * figures[RAW_GTASK].best));
  if (measure[RAW_GTASK] && measure[SUP_PLAIN])
    printf ("%-22s: %6.2f×  (median %.2f×)\n",
            "  without timeout",
            figures[SUP_PLAIN].best / figures[RAW_GTASK].best,
            figures[SUP_PLAIN].median / figures[RAW_GTASK].median);

  if (measure_memory)
    {
      if (sup_heap >= 0)
        {
          printf ("%-22s: %4.0f B/task  (bare GTask: %.0f B) (target ≤ 192 B: %s)\n",
                  "queued task memory", sup_heap, gtask_heap,
                  /* the harness's own bytes per task: as much as a bare GTask's */
                  verdict (sup_heap <= MAX (192.0, gtask_heap)));
          printf ("%-22s: %4.0f B/task  (bare GTask: %.0f B) (target ≤ 208 B: %s)\n",
                  "running task memory", running_heap, gtask_heap,
                  verdict (running_heap <= 208));
        }
      else
        {
          printf ("%-22s: n/a (no mallinfo2 on this system; RSS below)\n",
                  "task memory");
        }
      print_bytes ("queued, no timeout", sup_heap, sup_rss);
      print_bytes ("queued, 60 s timeout", sup_timeout_heap, sup_timeout_rss);
      print_bytes ("running, async", running_heap, running_rss);
      print_bytes ("bare GTask", gtask_heap, gtask_rss);
    }

  if (measure_children)
    {
      print_series ("start, no model", series[CHILDREN_PLAIN_START], "ms",
                    "L async tasks started and running");
      print_series ("start, children model", series[CHILDREN_MODEL_START], "ms",
                    "the same, get_children() watched");
      print_series ("drain, no model", series[CHILDREN_PLAIN_DRAIN], "ms",
                    "L tasks completed, outcomes emitted");
      print_series ("drain, children model", series[CHILDREN_MODEL_DRAIN], "ms",
                    "the same, get_children() watched");
      print_ratio ("ratio start model/none", series[CHILDREN_MODEL_START],
                   series[CHILDREN_PLAIN_START], "≤ 1.2×");
      print_ratio ("ratio drain model/none", series[CHILDREN_MODEL_DRAIN],
                   series[CHILDREN_PLAIN_DRAIN], "≤ 1.2×");
    }

  if (measure_lateness)
    {
      print_series ("timed-out p99 late", series[LATENESS_SUP], "ms",
                    "T async tasks, 50 ms timeout each");
      print_series ("g_timeout p99 late", series[LATENESS_TIMEOUT], "ms",
                    "T g_timeout_source_new (50) on the owner context");
      print_ratio ("ratio timed-out/source", series[LATENESS_SUP],
                   series[LATENESS_TIMEOUT], "≤ 1.2×");
    }

  if (measure_idle)
    {
      print_series ("idle iteration", series[IDLE_NONE], "µs", "no task, no timeout");
      print_series ("idle, L timeouts armed", series[IDLE_ARMED], "µs",
                    "L running tasks, 600 s timeout each");
      print_ratio ("ratio armed/none", series[IDLE_ARMED], series[IDLE_NONE], "≤ 1.2×");
    }

  for (int i = 0; i < N_SERIES; i++)
    g_array_unref (series[i]);

  g_main_context_pop_thread_default (context);

  return EXIT_SUCCESS;
}
