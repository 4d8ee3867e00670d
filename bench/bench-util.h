/* bench-util.h: what the benchmarks share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdio.h>
#include <string.h>

#include <glib.h>

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
  if (glib_check_version (2, 76, 0) != NULL &&
      (slice == NULL || strstr (slice, "always-malloc") == NULL))
    printf ("warning: run with G_SLICE=always-malloc for exact heap figures\n");
  printf ("\n");
}
