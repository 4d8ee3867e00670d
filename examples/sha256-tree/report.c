/* report.c — what sha256-tree prints: sums, progress, summary
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Everything here runs on the main thread, where the stream emits its
 * items: the counters need no lock.
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

/* Milliseconds between two redraws of the progress line. */
#define PROGRESS_INTERVAL 100

struct _Report
{
  const Sha256Options *options;
  Walk                *walk;            /* a reference */
  gboolean             show_progress;   /* stderr is a terminal */
  gboolean             stdout_is_tty;

  guint                n_succeeded;
  guint                n_failed;
  guint                n_timed_out;
  guint                n_cancelled;
  guint                n_skipped;       /* arguments; the walk counts its own */
  guint                n_arg_errors;
  guint64              n_bytes;
  GPtrArray           *errors;          /* the first MAX_SHOWN_ERRORS messages */
  guint                n_errors;

  gint64               start_time;
  gint64               end_time;
  guint                progress_source;
  gboolean             progress_shown;
  gboolean             interrupted;
};

Report *
report_new (const Sha256Options *options,
            Walk                *walk)
{
  Report *report = g_new0 (Report, 1);

  report->options = options;
  report->walk = walk_ref (walk);
  report->show_progress = isatty (STDERR_FILENO);
  report->stdout_is_tty = isatty (STDOUT_FILENO);
  report->errors = g_ptr_array_new_with_free_func (g_free);

  return report;
}

void
report_free (Report *report)
{
  g_clear_handle_id (&report->progress_source, g_source_remove);
  g_ptr_array_unref (report->errors);
  walk_unref (report->walk);
  g_free (report);
}

void
report_error (Report *report,
              char   *message)
{
  report->n_errors++;
  if (report->errors->len < MAX_SHOWN_ERRORS)
    g_ptr_array_add (report->errors, message);
  else
    g_free (message);
}

static void
report_path_error (Report     *report,
                   const char *path,
                   const char *message)
{
  g_autofree char *display_name = g_filename_display_name (path);

  report_error (report, g_strdup_printf ("%s: %s", display_name, message));
}

void
report_argument_error (Report     *report,
                       const char *path,
                       const char *message)
{
  report->n_arg_errors++;
  report_path_error (report, path, message);
}

void
report_skipped (Report *report)
{
  report->n_skipped++;
}

void
report_cancelled (Report *report,
                  guint   n_files)
{
  report->n_cancelled += n_files;
}

/* One message for all the files of an item that failed as a whole. */
static void
report_batch_error (Report      *report,
                    const Batch *batch,
                    const char  *message)
{
  g_autofree char *display_name = g_filename_display_name (batch->files[0]->path);

  if (batch->n_files == 1)
    report_error (report, g_strdup_printf ("%s: %s", display_name, message));
  else
    report_error (report, g_strdup_printf ("%s and %u more files: %s",
                                           display_name, batch->n_files - 1, message));
}

static void
report_clear_progress (Report *report)
{
  if (report->progress_shown)
    {
      fputs ("\r\033[K", stderr);
      fflush (stderr);
      report->progress_shown = FALSE;
    }
}

static double
report_elapsed (Report *report)
{
  gint64 end = report->end_time != 0 ? report->end_time : g_get_monotonic_time ();

  return (end - report->start_time) / (double) G_USEC_PER_SEC;
}

static guint
report_n_done (Report *report)
{
  return report->n_succeeded + report->n_failed + report->n_timed_out + report->n_cancelled;
}

static gboolean
on_progress_tick (gpointer user_data)
{
  Report *report = user_data;
  double elapsed = report_elapsed (report);
  double megabytes = report->n_bytes / 1e6;
  guint n_done = report_n_done (report);

  /* With --exec, files are counted, not weighed (see walk_new()). */
  if (report->options->exec_argv != NULL)
    fprintf (stderr, "\r\033[K%u/%u files  %.0f files/s%s",
             n_done, walk_get_n_found (report->walk), elapsed > 0 ? n_done / elapsed : 0.0,
             report->interrupted ? "  (cancelling…)" : "");
  else
    fprintf (stderr, "\r\033[K%u/%u files  %.1f MB  %.1f MB/s%s",
             n_done, walk_get_n_found (report->walk), megabytes,
             elapsed > 0 ? megabytes / elapsed : 0.0,
             report->interrupted ? "  (cancelling…)" : "");
  fflush (stderr);
  report->progress_shown = TRUE;

  return G_SOURCE_CONTINUE;
}

/* One line as sha256sum prints it: a file name with a backslash, a newline
 * or a carriage return is escaped, and the line then starts with '\'. */
static void
report_print_sum (Report     *report,
                  const char *hex,
                  const char *path)
{
  /* Both lines on one terminal: the next tick redraws the progress line. */
  if (report->stdout_is_tty)
    report_clear_progress (report);

  if (strpbrk (path, "\\\n\r") != NULL)
    {
      putchar ('\\');
      fputs (hex, stdout);
      fputs ("  ", stdout);
      for (const char *p = path; *p != '\0'; p++)
        {
          if (*p == '\\')
            fputs ("\\\\", stdout);
          else if (*p == '\n')
            fputs ("\\n", stdout);
          else if (*p == '\r')
            fputs ("\\r", stdout);
          else
            putchar (*p);
        }
      putchar ('\n');
    }
  else
    {
      /* File names are bytes: never through g_print(), which converts. */
      fputs (hex, stdout);
      fputs ("  ", stdout);
      fputs (path, stdout);
      putchar ('\n');
    }
}

static void
report_hashed (Report *report,
               Batch  *batch)
{
  for (guint i = 0; i < batch->n_files; i++)
    {
      const FileSum *sum = &batch->sums[i];
      const char *path = batch->files[i]->path;

      if (sum->error != NULL)
        {
          report->n_failed++;
          report_path_error (report, path, sum->error->message);
          continue;
        }

      report->n_succeeded++;
      report->n_bytes += sum->n_bytes;
      if (report->options->print)
        report_print_sum (report, sum->hex, path);
    }
}

static void
report_executed (Report       *report,
                 Batch        *batch,
                 GtaskSupTask *task)
{
  const GValue *value = gtask_sup_task_get_value (task);

  report->n_succeeded += batch->n_files;
  report->n_bytes += batch->n_bytes;

  if (report->options->print && value != NULL && G_VALUE_HOLDS (value, G_TYPE_BYTES))
    {
      GBytes *output = g_value_get_boxed (value);
      gsize size;
      gconstpointer data = g_bytes_get_data (output, &size);

      if (size == 0)
        return;
      if (report->stdout_is_tty)
        report_clear_progress (report);
      fwrite (data, 1, size, stdout);
    }
}

void
report_item (Report       *report,
             GtaskSupTask *task,
             Batch        *batch,
             gboolean      interrupted)
{
  const GError *error;

  report->interrupted = interrupted;

  switch (gtask_sup_task_get_state (task))
    {
    case GTASK_SUP_TASK_STATE_SUCCEEDED:
      if (report->options->exec_argv != NULL)
        report_executed (report, batch, task);
      else
        report_hashed (report, batch);
      break;

    case GTASK_SUP_TASK_STATE_TIMED_OUT:
      {
        g_autofree char *message = g_strdup_printf ("Timed out after %d ms",
                                                    report->options->timeout_ms);

        report->n_timed_out += batch->n_files;
        report_batch_error (report, batch, message);
      }
      break;

    case GTASK_SUP_TASK_STATE_FAILED:
      error = gtask_sup_task_get_error (task);
      if (interrupted && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          report->n_cancelled += batch->n_files;
        }
      else
        {
          /* With --exec, the message ends with the tail of its stderr. */
          report->n_failed += batch->n_files;
          report_batch_error (report, batch, error->message);
        }
      break;

    case GTASK_SUP_TASK_STATE_NEW:
    case GTASK_SUP_TASK_STATE_QUEUED:
    case GTASK_SUP_TASK_STATE_RUNNING:
    default:
      g_assert_not_reached ();
    }
}

void
report_start (Report *report)
{
  report->start_time = g_get_monotonic_time ();
  if (report->show_progress)
    report->progress_source = g_timeout_add (PROGRESS_INTERVAL, on_progress_tick, report);
}

void
report_stop (Report *report)
{
  report->end_time = g_get_monotonic_time ();
  g_clear_handle_id (&report->progress_source, g_source_remove);
}

void
report_print_summary (Report   *report,
                      gboolean  interrupted)
{
  g_autoptr(GString) counts = g_string_new (NULL);
  g_autoptr(GPtrArray) walk_errors = g_ptr_array_new_with_free_func (g_free);
  double elapsed = report_elapsed (report);
  double megabytes = report->n_bytes / 1e6;
  guint n_walk_errors = walk_get_errors (report->walk, walk_errors);
  guint n_skipped, n_unreadable, n_errors, n_shown = 0;

  report_clear_progress (report);

  if (interrupted)
    g_printerr ("Interrupted.\n");

  n_skipped = report->n_skipped + walk_get_n_skipped (report->walk);
  n_unreadable = report->n_arg_errors + n_walk_errors;
  n_errors = report->n_errors + n_walk_errors;

  g_string_append_printf (counts, "%u files: %u succeeded, %u failed, %u timed out",
                          report_n_done (report), report->n_succeeded, report->n_failed,
                          report->n_timed_out);
  if (report->n_cancelled > 0)
    g_string_append_printf (counts, ", %u cancelled", report->n_cancelled);
  if (n_skipped > 0)
    g_string_append_printf (counts, "; %u skipped (symlinks, special files, /proc and /sys)",
                            n_skipped);
  if (n_unreadable > 0)
    g_string_append_printf (counts, "; %u unreadable directories or arguments", n_unreadable);
  g_printerr ("%s\n", counts->str);

  for (guint i = 0; i < walk_errors->len && n_shown < MAX_SHOWN_ERRORS; i++, n_shown++)
    g_printerr ("  %s\n", (const char *) g_ptr_array_index (walk_errors, i));
  for (guint i = 0; i < report->errors->len && n_shown < MAX_SHOWN_ERRORS; i++, n_shown++)
    g_printerr ("  %s\n", (const char *) g_ptr_array_index (report->errors, i));
  if (n_errors > n_shown)
    g_printerr ("  … and %u more\n", n_errors - n_shown);

  if (report->options->exec_argv != NULL)
    g_printerr ("%u files in %.2f s, %.0f files/s\n", report_n_done (report),
                elapsed, elapsed > 0 ? report_n_done (report) / elapsed : 0.0);
  else
    g_printerr ("%.1f MB in %.2f s, %.1f MB/s\n",
                megabytes, elapsed, elapsed > 0 ? megabytes / elapsed : 0.0);
}

gboolean
report_all_succeeded (Report *report)
{
  g_autoptr(GPtrArray) walk_errors = g_ptr_array_new_with_free_func (g_free);

  return walk_get_errors (report->walk, walk_errors) == 0 &&
         report->n_failed == 0 &&
         report->n_timed_out == 0 &&
         report->n_cancelled == 0 &&
         report->n_arg_errors == 0;
}
