/* count-lines.c — a first gtask-sup program: count the lines of files, a
 * few at a time, with a stream over a list model
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   count-lines [--jobs N] FILE…
 *
 * Prints "LINES  FILE" for each file, in the order given, then the total;
 * a file that cannot be read is reported with its error. Exit status: 0 if
 * every file was counted, 1 otherwise.
 */

#include <gtask-sup/gtask-sup.h>

/* The work of one item, on a worker thread: the file is the task's input. */
static void
count_lines (GtaskSupTask *task,
             GCancellable *cancellable,
             gpointer      user_data)
{
  GFile *file = gtask_sup_task_get_input (task);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  char buffer[64 * 1024];
  gint64 lines = 0;
  gssize n;

  stream = g_file_read (file, cancellable, &error);
  if (stream == NULL)
    {
      gtask_sup_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buffer, sizeof buffer,
                                   cancellable, &error)) > 0)
    for (gssize i = 0; i < n; i++)
      lines += buffer[i] == '\n';

  if (n < 0)
    gtask_sup_task_return_error (task, g_steal_pointer (&error));
  else
    gtask_sup_task_return_int (task, lines);
}

/* On the main context, when the stream asks for the task of a file. */
static GtaskSupTask *
make_task (GtaskSupStream *stream,
           gpointer        item,
           gpointer        user_data)
{
  /* The stream records @item as the task's input. */
  return gtask_sup_task_new_thread (count_lines, NULL, NULL);
}

typedef struct
{
  gint64   total;
  gboolean failed;
  gboolean finished;
} Totals;

/* Each result, in input order, on the main context. */
static void
on_item (GtaskSupStream *stream,
         guint64         index,
         GtaskSupTask   *task,
         gpointer        user_data)
{
  Totals *totals = user_data;
  g_autofree char *name = g_file_get_parse_name (gtask_sup_task_get_input (task));
  const GValue *value = gtask_sup_task_get_value (task);

  if (value != NULL)
    {
      g_print ("%8" G_GINT64_FORMAT "  %s\n", g_value_get_int64 (value), name);
      totals->total += g_value_get_int64 (value);
    }
  else
    {
      g_printerr ("%s: %s\n", name, gtask_sup_task_get_error (task)->message);
      totals->failed = TRUE;
    }
}

static void
on_finished (GtaskSupStream *stream,
             const GError   *error,
             gpointer        user_data)
{
  Totals *totals = user_data;

  totals->finished = TRUE;
  if (error != NULL)
    {
      g_printerr ("count-lines: %s\n", error->message);
      totals->failed = TRUE;
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE…");
  g_autoptr(GError) error = NULL;
  g_autoptr(GListStore) files = g_list_store_new (G_TYPE_FILE);
  g_autoptr(GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GtaskSupSupervisor) supervisor = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  Totals totals = { 0, FALSE, FALSE };
  int jobs = 4;
  const GOptionEntry entries[] = {
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Count up to N files at once (default: 4)", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2 || jobs < 1)
    {
      g_printerr ("usage: count-lines [--jobs N] FILE…\n");
      return 2;
    }

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (argv[i]);

      g_list_store_append (files, file);
    }

  /* The owner: when it goes, so does the work. Signals come on this
   * thread's main context. */
  supervisor = gtask_sup_supervisor_new (owner);
  stream = gtask_sup_supervisor_map_model (supervisor, G_LIST_MODEL (files), make_task, NULL, NULL);
  gtask_sup_stream_set_max_concurrency (stream, jobs);
  g_signal_connect (stream, "item", G_CALLBACK (on_item), &totals);
  g_signal_connect (stream, "finished", G_CALLBACK (on_finished), &totals);
  gtask_sup_stream_start (stream);

  while (!totals.finished)
    g_main_context_iteration (NULL, TRUE);

  g_print ("%8" G_GINT64_FORMAT "  total\n", totals.total);

  return totals.failed ? 1 : 0;
}
