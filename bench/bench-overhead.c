/* bench-overhead.c: what a supervised task costs next to a raw GTask
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two figures, measured in one run (see README.md for how to read them):
 *
 *  - time per trivial task, from creation to its completion callback on the
 *    main context: raw g_task_run_in_thread(), a bare GThreadPool that calls
 *    back with g_main_context_invoke(), and gtask-sup (each task with a 60 s
 *    timeout armed, and, for comparison, without one);
 *  - heap bytes per task queued behind a supervisor's max-concurrency, next
 *    to the bytes of a bare GTask kept alive.
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

typedef double (*RunFunc) (Bench *bench);

static int n_tasks = 100000;
static int n_runs = 3;
static int n_queued = 100000;

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
run_gtask (Bench *bench)
{
  gint64 start, elapsed;

  bench_reset (bench, n_tasks);
  start = g_get_monotonic_time ();

  for (int i = 0; i < n_tasks; i++)
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
run_pool (Bench *bench)
{
  GThreadPool *pool;
  gint64 start;

  bench_reset (bench, n_tasks);
  start = g_get_monotonic_time ();

  pool = g_thread_pool_new (pool_thread_func, bench, (int) g_get_num_processors (),
                            FALSE, NULL);
  for (int i = 0; i < n_tasks; i++)
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
run_sup_timeout (Bench *bench)
{
  g_autoptr(GtaskSupSupervisor) sup = supervisor_new (bench);
  gint64 start, elapsed;

  bench_reset (bench, n_tasks);
  start = g_get_monotonic_time ();

  for (int i = 0; i < n_tasks; i++)
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
run_sup_plain (Bench *bench)
{
  g_autoptr(GtaskSupSupervisor) sup = supervisor_new (bench);
  gint64 start, elapsed;

  bench_reset (bench, n_tasks);
  start = g_get_monotonic_time ();

  for (int i = 0; i < n_tasks; i++)
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

int
main (int   argc,
      char *argv[])
{
  static const struct {
    const char *key;
    const char *label;
    RunFunc     run;
    const char *how;
  } subjects[] = {
    { "gtask", "raw GTask", run_gtask, "g_task_run_in_thread" },
    { "pool", "GThreadPool + invoke", run_pool, "g_thread_pool_push, n-CPU threads" },
    { "sup", "gtask-sup", run_sup_timeout, "new_thread + 60 s timeout + start" },
    { "sup-no-timeout", "gtask-sup, no timeout", run_sup_plain, "run_in_thread" },
  };
  enum { RAW_GTASK, POOL, SUP_TIMEOUT, SUP_PLAIN, N_SUBJECTS };
  g_autofree char *only = NULL;
  const GOptionEntry entries[] = {
    { "tasks", 'n', 0, G_OPTION_ARG_INT, &n_tasks,
      "Tasks per throughput run (default 100000)", "N" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &n_runs,
      "Runs of each throughput measurement (default 3)", "R" },
    { "queued", 'm', 0, G_OPTION_ARG_INT, &n_queued,
      "Queued tasks for the memory measurement (default 100000)", "M" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Measure one thing, e.g. for a profiler: gtask, pool, sup, sup-no-timeout or memory",
      "WHAT" },
    { NULL }
  };
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = NULL;
  GArray *samples[N_SUBJECTS] = { NULL, };
  Figure figures[N_SUBJECTS];
  gboolean measure[N_SUBJECTS];
  gboolean measure_memory;
  gboolean known;
  double sup_heap = 0, sup_rss = 0, sup_timeout_heap = 0, sup_timeout_rss = 0;
  double gtask_heap = 0, gtask_rss = 0;
  Bench bench = { 0, };

  G_STATIC_ASSERT (G_N_ELEMENTS (subjects) == N_SUBJECTS);

  option_context = g_option_context_new ("- what a supervised task costs next to a GTask");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-overhead: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (n_tasks < 1 || n_runs < 1 || n_queued < 1)
    {
      fprintf (stderr, "bench-overhead: -n, -r and -m must be positive\n");
      return EXIT_FAILURE;
    }

  measure_memory = only == NULL || g_str_equal (only, "memory");
  known = measure_memory;
  for (int s = 0; s < N_SUBJECTS; s++)
    {
      measure[s] = only == NULL || g_str_equal (only, subjects[s].key);
      known |= measure[s];
    }
  if (!known)
    {
      fprintf (stderr, "bench-overhead: unknown --only value “%s”\n", only);
      return EXIT_FAILURE;
    }

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  bench.context = context;

  printf ("bench-overhead: N = %d tasks per run, %d run%s, M = %d queued tasks\n",
          n_tasks, n_runs, n_runs == 1 ? "" : "s", n_queued);
  bench_print_environment ();

  /* Memory first, on a heap that the throughput runs have not churned yet. */
  if (measure_memory)
    {
      measure_queued (&bench, -1, &sup_heap, &sup_rss);
      measure_queued (&bench, BENCH_TIMEOUT_MS, &sup_timeout_heap, &sup_timeout_rss);
      measure_bare_gtask (&bench, &gtask_heap, &gtask_rss);
    }

  /* Interleaved, so that a slow phase of a shared machine hits every
   * subject alike rather than one of them. */
  for (int s = 0; s < N_SUBJECTS; s++)
    if (measure[s])
      samples[s] = g_array_sized_new (FALSE, FALSE, sizeof (double), n_runs);
  for (int r = 0; r < n_runs; r++)
    {
      for (int s = 0; s < N_SUBJECTS; s++)
        {
          double elapsed;

          if (!measure[s])
            continue;
          elapsed = subjects[s].run (&bench);
          g_array_append_val (samples[s], elapsed);
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

  if (measure[RAW_GTASK] && measure[SUP_TIMEOUT] && measure[SUP_PLAIN])
    {
      printf ("%-22s: %6.2f×  (median %.2f×; target ≤ 1.0×: %s)\n",
              "ratio gtask-sup/GTask",
              figures[SUP_TIMEOUT].best / figures[RAW_GTASK].best,
              figures[SUP_TIMEOUT].median / figures[RAW_GTASK].median,
              verdict (figures[SUP_TIMEOUT].best <= figures[RAW_GTASK].best));
      printf ("%-22s: %6.2f×  (median %.2f×)\n",
              "  without timeout",
              figures[SUP_PLAIN].best / figures[RAW_GTASK].best,
              figures[SUP_PLAIN].median / figures[RAW_GTASK].median);
    }

  if (measure_memory)
    {
      if (sup_heap >= 0)
        printf ("%-22s: %4.0f B/task  (bare GTask: %.0f B) (target ≤ 242 B: %s)\n",
                "queued task memory", sup_heap, gtask_heap, verdict (sup_heap <= 242));
      else
        printf ("%-22s: n/a (no mallinfo2 on this system; RSS below)\n",
                "queued task memory");
      print_bytes ("queued, no timeout", sup_heap, sup_rss);
      print_bytes ("queued, 60 s timeout", sup_timeout_heap, sup_timeout_rss);
      print_bytes ("bare GTask", gtask_heap, gtask_rss);
    }

  g_main_context_pop_thread_default (context);

  return EXIT_SUCCESS;
}
