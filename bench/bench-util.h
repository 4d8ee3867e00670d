/* bench-util.h: what the benchmarks share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdio.h>
#include <string.h>

#include <glib.h>

/* Set by --machine: each sample is then also printed as a line
 * "result KEY VALUE", and facts about the run as "info KEY VALUE", for
 * bench/run-all to collect. */
static gboolean bench_machine = FALSE;

typedef struct
{
  double best;    /* the smallest sample */
  double median;
} BenchFigure;

static int
bench_compare_doubles (gconstpointer a,
                       gconstpointer b)
{
  double da = *(const double *) a;
  double db = *(const double *) b;

  return (da > db) - (da < db);
}

/* Sorts @values (doubles) and returns their median. */
static inline double
bench_sort_median (GArray *values)
{
  guint n = values->len;

  g_array_sort (values, bench_compare_doubles);
  if (n % 2 == 1)
    return g_array_index (values, double, n / 2);

  return (g_array_index (values, double, n / 2 - 1) + g_array_index (values, double, n / 2)) / 2;
}

/* The best and the median of @values (doubles, sorted in place). */
static inline BenchFigure
bench_figure (GArray *values)
{
  BenchFigure figure = { 0, 0 };

  if (values->len == 0)
    return figure;
  figure.median = bench_sort_median (values);
  figure.best = g_array_index (values, double, 0);

  return figure;
}

/* The nearest-rank percentile @p (0–100) of @values (sorted in place). */
static inline double
bench_percentile (GArray *values,
                  double  p)
{
  guint rank;

  g_assert (values->len > 0);
  g_array_sort (values, bench_compare_doubles);
  rank = (guint) (p / 100.0 * values->len + 0.999999);
  rank = CLAMP (rank, 1, values->len);

  return g_array_index (values, double, rank - 1);
}

/* One sample of the metric @key, for bench/run-all. */
static inline void
bench_result (const char *key,
              double      value)
{
  if (bench_machine)
    printf ("result %s %.9g\n", key, value);
}

/* Whether @only (a comma-separated list given to --only, or NULL for
 * everything) names @key. */
static inline gboolean
bench_only_has (const char *only,
                const char *key)
{
  g_auto(GStrv) keys = NULL;

  if (only == NULL)
    return TRUE;
  keys = g_strsplit (only, ",", -1);

  return g_strv_contains ((const char * const *) keys, key);
}

/* Whether every name of @only is one of @known (NULL-terminated). */
static inline gboolean
bench_only_is_valid (const char         *only,
                     const char * const *known)
{
  g_auto(GStrv) keys = NULL;

  if (only == NULL)
    return TRUE;
  keys = g_strsplit (only, ",", -1);
  for (guint i = 0; keys[i] != NULL; i++)
    if (!g_strv_contains (known, keys[i]))
      {
        fprintf (stderr, "unknown --only value “%s”\n", keys[i]);
        return FALSE;
      }

  return TRUE;
}

/* The machine line every benchmark prints, and the G_SLICE warning: GLib
 * before 2.76 allocates objects with its slice allocator, which hides
 * their size from malloc statistics. */
static inline void
bench_print_environment (void)
{
  const char *slice = g_getenv ("G_SLICE");

  printf ("GLib %u.%u.%u, %u CPUs, G_SLICE=%s\n",
          glib_major_version, glib_minor_version, glib_micro_version,
          g_get_num_processors (), slice != NULL ? slice : "(unset)");
  if (bench_machine)
    printf ("info glib %u.%u.%u\ninfo cpus %u\n",
            glib_major_version, glib_minor_version, glib_micro_version,
            g_get_num_processors ());
  if (glib_check_version (2, 76, 0) != NULL &&
      (slice == NULL || strstr (slice, "always-malloc") == NULL))
    printf ("warning: run with G_SLICE=always-malloc for exact heap figures\n");
  printf ("\n");
}
