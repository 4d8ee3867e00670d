/* bench-stream.c: what an item of a GtaskSupStream costs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Measured in one run (see README.md for how to read the figures):
 *
 *  - the time per item of a stream of N (default 1 000 000) trivial thread
 *    items with max-concurrency W (-c, default 2) and retain FALSE, from
 *    start() to ::finished, in input order (the default) and in completion
 *    order;
 *  - the same work done by raw GTasks: a window of W g_task_run_in_thread()
 *    calls, each completion callback starting the next task;
 *  - for each, the CPU time per item (all threads, getrusage()), which
 *    tells the work done from the time spent waiting for a wake-up;
 *  - the peak RSS growth (VmHWM in /proc/self/status) over a whole stream
 *    of N items: a stream with retain FALSE must not grow with its input.
 *
 * Every measurement waits by iterating a dedicated GMainContext (pushed as
 * thread-default) until its goal is reached: no sleeps. Run it as
 * `G_SLICE=always-malloc ./bench-stream`, as bench-overhead.
 */

#include <gtask-sup/gtask-sup.h>

#include "bench-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Items run before the measurements, so that the worker threads and
 * GLib's caches exist already. */
#define WARM_UP_ITEMS 10000

typedef struct
{
  GMainContext *context;
  guint64       goal;
  guint64       started;
  guint64       completed;   /* only touched on the main context */
  guint64       failures;
  gboolean      finished;
} Bench;

typedef struct
{
  double wall;  /* µs for the whole run */
  double cpu;   /* µs of CPU, all threads */
} Sample;

typedef struct
{
  double best;        /* µs per item */
  double median;      /* µs per item */
  double cpu_median;  /* µs of CPU per item */
} Figure;

typedef Sample (*RunFunc) (Bench *bench, guint64 n);

static int n_items = 1000000;
static int n_runs = 3;
static int window = 2;  /* max-concurrency of the stream, tasks in flight */

static double
cpu_time_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);

  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static void
bench_reset (Bench   *bench,
             guint64  goal)
{
  bench->goal = goal;
  bench->started = 0;
  bench->completed = 0;
  bench->failures = 0;
  bench->finished = FALSE;
}

static void
bench_check (Bench      *bench,
             const char *what)
{
  if (bench->failures > 0 || bench->completed != bench->goal)
    {
      fprintf (stderr, "bench-stream: %s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
               " items done, %" G_GUINT64_FORMAT " did not succeed\n",
               what, bench->completed, bench->goal, bench->failures);
      exit (EXIT_FAILURE);
    }
}

/* A stream of trivial thread items ---------------------------------------- */

static void
trivial_thread_func (GtaskSupTask *task,
                     GCancellable *cancellable,
                     gpointer      user_data)
{
  gtask_sup_task_return_boolean (task, TRUE);
}

static GtaskSupTask *
next_item (GtaskSupStream *stream,
           guint64         index,
           gpointer        user_data)
{
  Bench *bench = user_data;

  if (index >= bench->goal)
    return NULL;

  bench->started++;

  return gtask_sup_task_new_thread (trivial_thread_func, NULL, NULL);
}

static void
on_item (GtaskSupStream *stream,
         guint64         index,
         GtaskSupTask   *task,
         gpointer        user_data)
{
  Bench *bench = user_data;

  if (gtask_sup_task_get_state (task) != GTASK_SUP_TASK_STATE_SUCCEEDED)
    bench->failures++;
  bench->completed++;
}

static void
on_finished (GtaskSupStream *stream,
             const GError   *error,
             gpointer        user_data)
{
  Bench *bench = user_data;

  if (error != NULL)
    {
      fprintf (stderr, "bench-stream: the stream failed: %s\n", error->message);
      exit (EXIT_FAILURE);
    }
  bench->finished = TRUE;
}

static void
stream_run (Bench    *bench,
            guint64   n,
            gboolean  ordered)
{
  g_autoptr(GtaskSupSupervisor) sup = gtask_sup_supervisor_new (NULL);
  g_autoptr(GtaskSupStream) stream = gtask_sup_supervisor_map (sup, next_item, bench, NULL);

  gtask_sup_stream_set_max_concurrency (stream, window);
  gtask_sup_stream_set_retain (stream, FALSE);
  gtask_sup_stream_set_ordered (stream, ordered);
  g_signal_connect (stream, "item", G_CALLBACK (on_item), bench);
  g_signal_connect (stream, "finished", G_CALLBACK (on_finished), bench);

  bench_reset (bench, n);
  gtask_sup_stream_start (stream);
  while (!bench->finished)
    g_main_context_iteration (bench->context, TRUE);
}

static Sample
run_stream (Bench   *bench,
            guint64  n,
            gboolean ordered)
{
  gint64 start = g_get_monotonic_time ();
  double cpu_start = cpu_time_us ();
  Sample sample;

  stream_run (bench, n, ordered);

  sample.wall = g_get_monotonic_time () - start;
  sample.cpu = cpu_time_us () - cpu_start;
  bench_check (bench, ordered ? "ordered stream" : "unordered stream");

  return sample;
}

static Sample
run_stream_ordered (Bench   *bench,
                    guint64  n)
{
  return run_stream (bench, n, TRUE);
}

static Sample
run_stream_unordered (Bench   *bench,
                      guint64  n)
{
  return run_stream (bench, n, FALSE);
}

/* Raw GTask, a window of W refilled from the callback --------------------- */

static void window_start_one (Bench *bench);

static void
gtask_thread_func (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

static void
window_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Bench *bench = user_data;

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    bench->failures++;
  bench->completed++;

  if (bench->started < bench->goal)
    window_start_one (bench);
}

static void
window_start_one (Bench *bench)
{
  GTask *task = g_task_new (NULL, NULL, window_done_cb, bench);

  bench->started++;
  g_task_run_in_thread (task, gtask_thread_func);
  g_object_unref (task);
}

static Sample
run_gtask_window (Bench   *bench,
                  guint64  n)
{
  gint64 start = g_get_monotonic_time ();
  double cpu_start = cpu_time_us ();
  Sample sample;

  bench_reset (bench, n);
  for (int i = 0; i < window && bench->started < n; i++)
    window_start_one (bench);
  while (bench->completed < bench->goal)
    g_main_context_iteration (bench->context, TRUE);

  sample.wall = g_get_monotonic_time () - start;
  sample.cpu = cpu_time_us () - cpu_start;
  bench_check (bench, "GTask window");

  return sample;
}

/* Peak memory --------------------------------------------------------------- */

/* A field of /proc/self/status, in bytes, or -1. */
static gint64
proc_status_bytes (const char *field)
{
  g_autofree char *contents = NULL;
  const char *line;
  size_t len = strlen (field);

  if (!g_file_get_contents ("/proc/self/status", &contents, NULL, NULL))
    return -1;

  for (line = contents; line != NULL && *line != '\0'; line = strchr (line, '\n'))
    {
      if (*line == '\n')
        line++;
      if (strncmp (line, field, len) == 0 && line[len] == ':')
        return g_ascii_strtoll (line + len + 1, NULL, 10) * 1024;
    }

  return -1;
}

static void
measure_peak_growth (Bench  *bench,
                     gint64 *hwm_before,
                     gint64 *hwm_after,
                     gint64 *rss_after)
{
  /* Threads, caches and type registrations first: they are not the
   * stream's growth. */
  stream_run (bench, WARM_UP_ITEMS, TRUE);
  bench_check (bench, "warm-up stream");

  *hwm_before = proc_status_bytes ("VmHWM");
  stream_run (bench, n_items, TRUE);
  bench_check (bench, "memory stream");
  *hwm_after = proc_status_bytes ("VmHWM");
  *rss_after = proc_status_bytes ("VmRSS");
}

/* Report -------------------------------------------------------------------- */

static Figure
figure_from_samples (GArray *samples)
{
  g_autoptr(GArray) walls = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) cpus = g_array_new (FALSE, FALSE, sizeof (double));
  Figure figure;

  for (guint i = 0; i < samples->len; i++)
    {
      Sample *sample = &g_array_index (samples, Sample, i);
      double wall = sample->wall / n_items;
      double cpu = sample->cpu / n_items;

      g_array_append_val (walls, wall);
      g_array_append_val (cpus, cpu);
    }

  figure.median = bench_sort_median (walls);
  figure.best = g_array_index (walls, double, 0);
  figure.cpu_median = bench_sort_median (cpus);

  return figure;
}

static const char *
verdict (gboolean met)
{
  return met ? "met" : "MISSED";
}

/* The stream's "read-ahead", a property later versions may have. */
static void
print_read_ahead (void)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (GTASK_SUP_TYPE_STREAM);
  g_autoptr(GtaskSupSupervisor) sup = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autofree char *contents = NULL;
  GParamSpec *pspec;

  pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), "read-ahead");
  if (pspec == NULL || (pspec->flags & G_PARAM_READABLE) == 0)
    return;

  sup = gtask_sup_supervisor_new (NULL);
  stream = gtask_sup_supervisor_map (sup, next_item, NULL, NULL);
  gtask_sup_stream_set_max_concurrency (stream, window);
  g_value_init (&value, pspec->value_type);
  g_object_get_property (G_OBJECT (stream), "read-ahead", &value);
  contents = g_strdup_value_contents (&value);
  printf ("stream read-ahead: %s (max-concurrency %d)\n", contents, window);
  if (bench_machine)
    printf ("info read-ahead %s\n", contents);
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
    { "stream", "stream", "stream, ordered", run_stream_ordered,
      "map, retain FALSE" },
    { "stream-unordered", "stream_unordered", "stream, unordered", run_stream_unordered,
      "the same, ordered FALSE" },
    { "gtask", "gtask_window", "raw GTask window", run_gtask_window,
      "g_task_run_in_thread, refilled from the callback" },
  };
  static const char * const known[] = { "stream", "stream-unordered", "gtask", "memory", NULL };
  enum { STREAM, STREAM_UNORDERED, GTASK, N_SUBJECTS };
  g_autofree char *only = NULL;
  const GOptionEntry entries[] = {
    { "items", 'n', 0, G_OPTION_ARG_INT, &n_items,
      "Items per run (default 1000000)", "N" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &n_runs,
      "Runs of each time measurement (default 3)", "R" },
    { "max-concurrency", 'c', 0, G_OPTION_ARG_INT, &window,
      "Items in flight: the stream's max-concurrency, the GTask window (default 2)", "W" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Measure only these, comma-separated: stream, stream-unordered, gtask, memory",
      "WHAT" },
    { "machine", 0, 0, G_OPTION_ARG_NONE, &bench_machine,
      "Also print each sample as a “result KEY VALUE” line (for run-all)", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = NULL;
  GArray *samples[N_SUBJECTS] = { NULL, };
  Figure figures[N_SUBJECTS];
  gboolean measure[N_SUBJECTS];
  gboolean measure_memory;
  gint64 hwm_before = -1, hwm_after = -1, rss_after = -1;
  Bench bench = { 0, };

  G_STATIC_ASSERT (G_N_ELEMENTS (subjects) == N_SUBJECTS);

  option_context = g_option_context_new ("- what an item of a GtaskSupStream costs");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-stream: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (n_items < 1 || n_runs < 1 || window < 1)
    {
      fprintf (stderr, "bench-stream: -n, -r and -c must be positive\n");
      return EXIT_FAILURE;
    }
  if (!bench_only_is_valid (only, known))
    return EXIT_FAILURE;

  measure_memory = bench_only_has (only, "memory");
  for (int s = 0; s < N_SUBJECTS; s++)
    measure[s] = bench_only_has (only, subjects[s].key);

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  bench.context = context;

  printf ("bench-stream: N = %d items per run, %d run%s, max-concurrency %d\n",
          n_items, n_runs, n_runs == 1 ? "" : "s", window);
  bench_print_environment ();
  print_read_ahead ();

  /* Memory first: VmHWM is a high-water mark, only the first big run can
   * move it. */
  if (measure_memory)
    measure_peak_growth (&bench, &hwm_before, &hwm_after, &rss_after);

  /* Threads and caches first, so that a single run measures the same
   * thing as the later runs of several. */
  for (int s = 0; s < N_SUBJECTS; s++)
    if (measure[s])
      subjects[s].run (&bench, MIN (n_items, WARM_UP_ITEMS));

  /* Interleaved, so that a slow phase of a shared machine hits every
   * subject alike. */
  for (int s = 0; s < N_SUBJECTS; s++)
    if (measure[s])
      samples[s] = g_array_sized_new (FALSE, FALSE, sizeof (Sample), n_runs);
  for (int r = 0; r < n_runs; r++)
    for (int s = 0; s < N_SUBJECTS; s++)
      {
        g_autofree char *key = NULL;
        Sample sample;

        if (!measure[s])
          continue;
        sample = subjects[s].run (&bench, n_items);
        g_array_append_val (samples[s], sample);

        key = g_strdup_printf ("%s.us_per_item", subjects[s].result);
        bench_result (key, sample.wall / n_items);
        g_free (key);
        key = g_strdup_printf ("%s.cpu_us_per_item", subjects[s].result);
        bench_result (key, sample.cpu / n_items);
      }

  for (int s = 0; s < N_SUBJECTS; s++)
    {
      if (!measure[s])
        continue;
      figures[s] = figure_from_samples (samples[s]);
      g_array_unref (samples[s]);
      printf ("%-20s: %6.2f µs/item (best of %d, median %.2f; CPU %.2f µs/item)  %s\n",
              subjects[s].label, figures[s].best, n_runs, figures[s].median,
              figures[s].cpu_median, subjects[s].how);
    }

  /* The targets are for max-concurrency 2 and 64 (see README.md). */
  if (measure[STREAM] && (window == 2 || window == 64))
    {
      double target = window == 2 ? 1.5 : 1.0;

      printf ("%-20s: %6.2f µs/item (best; target ≤ %.1f µs: %s)\n",
              "per stream item", figures[STREAM].best, target,
              verdict (figures[STREAM].best <= target));
    }
  if (measure[STREAM] && measure[GTASK])
    printf ("%-20s: %6.2f×  (median %.2f×; CPU %.2f×)\n",
            "ratio stream/GTask",
            figures[STREAM].best / figures[GTASK].best,
            figures[STREAM].median / figures[GTASK].median,
            figures[STREAM].cpu_median / figures[GTASK].cpu_median);
  if (measure[STREAM_UNORDERED] && measure[GTASK])
    printf ("%-20s: %6.2f×  (median %.2f×; CPU %.2f×)\n",
            "  unordered/GTask",
            figures[STREAM_UNORDERED].best / figures[GTASK].best,
            figures[STREAM_UNORDERED].median / figures[GTASK].median,
            figures[STREAM_UNORDERED].cpu_median / figures[GTASK].cpu_median);

  if (measure_memory)
    {
      if (hwm_before >= 0 && hwm_after >= 0)
        {
          double growth = (hwm_after - hwm_before) / (1024.0 * 1024.0);

          printf ("%-20s: %6.2f MiB over %d items (VmHWM %.1f → %.1f MiB, VmRSS after %.1f MiB)"
                  " (target ≤ 16 MiB: %s)\n",
                  "peak RSS growth", growth, n_items,
                  hwm_before / (1024.0 * 1024.0), hwm_after / (1024.0 * 1024.0),
                  rss_after / (1024.0 * 1024.0), verdict (growth <= 16.0));
          bench_result ("stream.peak_rss_growth_mib", growth);
        }
      else
        {
          printf ("%-20s: n/a (no VmHWM in /proc/self/status)\n", "peak RSS growth");
        }
    }

  g_main_context_pop_thread_default (context);

  return EXIT_SUCCESS;
}
