/* main.c — sha256-tree: checksum a directory tree with a supervised stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   sha256-tree [--jobs N] [--timeout MS] [--batch N] [--print] [--exec CMD] [DIR…]
 *
 * Every regular file under the DIRs (default: /usr/share) is hashed with
 * SHA-256, or, with --exec, handed to a command, by the items of one
 * GtaskSupStream: at most --jobs of them run at once. With --print the
 * output is that of sha256sum(1), so that
 *
 *   sha256-tree --print DIR | sha256sum -c --quiet
 *   sha256-tree --exec sha256sum --print DIR | sha256sum -c --quiet
 *
 * both verify. Ctrl-C cancels the stream, prints the summary and exits with
 * status 1.
 *
 * The parts, one job each:
 *   walk.c    the walk of the tree, on a thread task of its own;
 *   hash.c    hashing a batch of files, on a worker;
 *   feed.c    the stream that feeds the walk's files to the items;
 *   report.c  the sums, the progress line and the summary;
 *   files.c   the files and batches they hand each other;
 *   main.c    the options, the owner of the supervisor, the main loop.
 *
 * Everything but the walk, the hashing and the commands runs on the main
 * thread: the stream emits its signals on the context the supervisor was
 * created on.
 */

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include <glib-unix.h>

#include "feed.h"
#include "report.h"
#include "walk.h"

/* Bounds of the buffer of files found and not handed to an item yet. */
#define MIN_FOUND 256
#define MAX_FOUND 65536
/* At the end, how long the program waits at most for cancelled items to
 * be over (a thread reading a hung disk cannot be stopped). */
#define WAIT_FOR_ITEMS_MS 3000

#define DEFAULT_DIR "/usr/share"

/* Sha256Tree: the owner of the supervisor. When it goes, its work goes. */

#define SHA256_TYPE_TREE (sha256_tree_get_type ())

G_DECLARE_FINAL_TYPE (Sha256Tree, sha256_tree, SHA256, TREE, GObject)

struct _Sha256Tree
{
  GObject             parent_instance;

  Sha256Options       options;
  GtaskSupSupervisor *supervisor;
  Walk               *walk;
  GtaskSupTask       *walker;
  Report             *report;
  Feed               *feed;
  gboolean            interrupted;
  gboolean            abandoned;       /* a second Ctrl-C: stop waiting */
};

G_DEFINE_FINAL_TYPE (Sha256Tree, sha256_tree, G_TYPE_OBJECT)

static void
sha256_tree_dispose (GObject *object)
{
  Sha256Tree *self = SHA256_TREE (object);

  g_clear_pointer (&self->feed, feed_free);
  g_clear_object (&self->walker);
  /* Cancels the walker, if it still runs. */
  g_clear_object (&self->supervisor);
  if (self->walk != NULL)
    walk_detach (self->walk);
  g_clear_pointer (&self->walk, walk_unref);
  g_clear_pointer (&self->report, report_free);

  G_OBJECT_CLASS (sha256_tree_parent_class)->dispose (object);
}

static void
sha256_tree_finalize (GObject *object)
{
  Sha256Tree *self = SHA256_TREE (object);

  g_strfreev (self->options.exec_argv);

  G_OBJECT_CLASS (sha256_tree_parent_class)->finalize (object);
}

static void
sha256_tree_class_init (Sha256TreeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sha256_tree_dispose;
  object_class->finalize = sha256_tree_finalize;
}

static void
sha256_tree_init (Sha256Tree *self)
{
}

/* The walk has files again, or is over: the stream may go on. */
static void
on_walk_ready (gpointer user_data)
{
  Sha256Tree *self = user_data;

  if (self->feed != NULL)
    feed_input_ready (self->feed);
}

static Sha256Tree *
sha256_tree_new (const Sha256Options *options)
{
  Sha256Tree *self = g_object_new (SHA256_TYPE_TREE, NULL);

  self->options = *options;
  /* Room for every slot to take two full batches while the walker fills. */
  /* Sizes make the batches of in-process hashing; --exec hands files over
   * by count, and needs none (which spares a stat() per file). */
  self->walk = walk_new (CLAMP (4 * options->jobs * options->batch_size, MIN_FOUND, MAX_FOUND),
                         options->exec_argv == NULL, on_walk_ready, self);
  self->report = report_new (&self->options, self->walk);
  /* Owned by self: when self goes, its tasks go too. */
  self->supervisor = gtask_sup_supervisor_new (self);
  self->walker = walk_task_new (self->walk);
  self->feed = feed_new (self->supervisor, self->walk, self->report, &self->options);

  return self;
}

/* A command-line argument is followed if it is a symlink, like `find -H`;
 * nothing below it is. One that starts with '-' gets "./" in front, so that
 * neither a command of --exec nor sha256sum -c takes its files for
 * options. */
static void
sha256_tree_add_root (Sha256Tree *self,
                      const char *arg)
{
  g_autofree char *path = arg[0] == '-' ? g_strconcat ("./", arg, NULL) : g_strdup (arg);
  struct stat st;

  if (stat (path, &st) != 0)
    report_argument_error (self->report, path, g_strerror (errno));
  else if (S_ISDIR (st.st_mode))
    walk_add_dir (self->walk, path);
  else if (S_ISREG (st.st_mode) && !walk_is_kernel_pseudo_fs (path))
    walk_add_file (self->walk, path, st.st_size);
  else
    report_skipped (self->report);
}

static gboolean
on_interrupt_signal (gpointer user_data)
{
  Sha256Tree *self = user_data;

  if (self->interrupted)
    {
      self->abandoned = TRUE;   /* a second Ctrl-C: stop waiting */
      return G_SOURCE_CONTINUE;
    }

  self->interrupted = TRUE;
  /* The walker stops, even if it waits for room. */
  gtask_sup_task_cancel (self->walker);
  feed_cancel (self->feed);

  return G_SOURCE_CONTINUE;
}

/* The walker's function has returned, and its outcome was emitted. */
static gboolean
sha256_tree_walker_over (Sha256Tree *self)
{
  return walk_has_exited (self->walk) &&
         gtask_sup_task_get_state (self->walker) >= GTASK_SUP_TASK_STATE_SUCCEEDED;
}

static gboolean
on_wait_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* The stream has finished, but what it cancelled (after a Ctrl-C) or what
 * timed out may still run: a thread function until it sees its
 * cancellable, a command until SIGTERM (or SIGKILL a second later) ends it.
 * Exiting now would leave such a command behind, so wait for every batch
 * to be released, up to WAIT_FOR_ITEMS_MS (or a second Ctrl-C). Their tasks
 * say nothing when they go: poll. */
static void
sha256_tree_wait_for_items (Sha256Tree *self)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_FOR_ITEMS_MS * G_TIME_SPAN_MILLISECOND;
  guint tick;

  if (batch_get_n_live () == 0)
    return;

  tick = g_timeout_add (10, on_wait_tick, NULL);
  while (!self->abandoned && batch_get_n_live () > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);

  if (batch_get_n_live () > 0)
    g_printerr ("%s: %d cancelled items still running, not waiting for them\n",
                g_get_prgname (), batch_get_n_live ());
}

static void
sha256_tree_run (Sha256Tree *self)
{
  g_autoptr(GError) error = NULL;
  guint sigint_source = g_unix_signal_add (SIGINT, on_interrupt_signal, self);
  guint sigterm_source = g_unix_signal_add (SIGTERM, on_interrupt_signal, self);

  report_start (self->report);

  if (!gtask_sup_supervisor_start (self->supervisor, self->walker, &error))
    g_error ("Cannot start the walk: %s", error->message);
  feed_start (self->feed);

  while (!self->abandoned && (!feed_is_finished (self->feed) || !sha256_tree_walker_over (self)))
    g_main_context_iteration (NULL, TRUE);

  sha256_tree_wait_for_items (self);

  report_stop (self->report);
  g_source_remove (sigint_source);
  g_source_remove (sigterm_source);
}

/* Options */

static gboolean
parse_options (int            *argc,
               char         ***argv,
               Sha256Options  *options,
               char         ***dirs)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;
  int jobs = 0;
  int timeout_ms = -1;
  int batch_size = 0;
  gboolean print = FALSE;
  const GOptionEntry entries[] = {
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
      "Run up to N items at once (default: the number of processors)", "N" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_ms,
      "Give up on an item after MS milliseconds, report its files as timed out "
      "and go on (default: never)", "MS" },
    { "batch", 'n', 0, G_OPTION_ARG_INT, &batch_size,
      "Hand up to N files to each item (default: 512 files and at most 8 MiB when "
      "hashing, 1 with --exec or --timeout)", "N" },
    { "print", 'p', 0, G_OPTION_ARG_NONE, &print,
      "Print a line per file as sha256sum does; with --exec, print the output "
      "of the commands, in the order of the walk", NULL },
    { "exec", 'x', 0, G_OPTION_ARG_STRING, &exec,
      "Run CMD FILE… for the files instead of hashing them, like xargs -P; CMD "
      "is split as a shell would, but no shell runs", "CMD" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, dirs, NULL, NULL },
    { NULL }
  };

  context = g_option_context_new ("[DIR…]");
  g_option_context_set_summary (context,
                                "Checksum with SHA-256 every regular file under the DIRs "
                                "(default: " DEFAULT_DIR "),\n"
                                "in parallel, as the items of a supervised stream.");
  g_option_context_set_description (context,
                                    "Examples:\n"
                                    "  sha256-tree --print DIR | sha256sum -c --quiet\n"
                                    "  sha256-tree --jobs 2 --exec sha256sum --print DIR\n"
                                    "  sha256-tree --exec 'sha256sum --tag' --batch 64 DIR\n"
                                    "\n"
                                    "Symlinks are not followed (but DIR arguments are), "
                                    "special files and /proc,\n"
                                    "/sys are skipped. With --exec, CMD gets one file "
                                    "(or up to --batch files) after\n"
                                    "its own arguments; an item fails if CMD exits with "
                                    "a status other than 0.\n"
                                    "Ctrl-C cancels what runs and prints the summary.\n"
                                    "Exit status: 0 if every file was hashed (or every "
                                    "command succeeded), 1 otherwise.\n");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return FALSE;
    }
  if (jobs < 0 || jobs > 1024)
    {
      g_printerr ("%s: --jobs must be between 1 and 1024\n", g_get_prgname ());
      return FALSE;
    }
  if (timeout_ms < -1 || timeout_ms == 0)
    {
      g_printerr ("%s: --timeout must be a positive number of milliseconds\n", g_get_prgname ());
      return FALSE;
    }
  if (batch_size < 0 || batch_size > MAX_BATCH)
    {
      g_printerr ("%s: --batch must be between 1 and %d\n", g_get_prgname (), MAX_BATCH);
      return FALSE;
    }
  if (exec != NULL)
    {
      g_autofree char *program = NULL;

      if (!g_shell_parse_argv (exec, NULL, &options->exec_argv, &error))
        {
          g_printerr ("%s: --exec: %s\n", g_get_prgname (), error->message);
          return FALSE;
        }
      /* Checked once here, rather than failing for every file. argv[0]
       * stays as given: it is what the command sees and names itself. */
      program = g_find_program_in_path (options->exec_argv[0]);
      if (program == NULL)
        {
          g_printerr ("%s: --exec: %s: command not found\n", g_get_prgname (),
                      options->exec_argv[0]);
          return FALSE;
        }
      options->exec_argc = g_strv_length (options->exec_argv);
    }

  options->jobs = jobs > 0 ? (guint) jobs : g_get_num_processors ();
  options->timeout_ms = timeout_ms;
  options->batch_size = batch_size > 0 ? (guint) batch_size
                                       : exec != NULL || timeout_ms >= 0 ? 1 : DEFAULT_BATCH;
  options->print = print;

  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(Sha256Tree) tree = NULL;
  g_auto(GStrv) dirs = NULL;
  Sha256Options options = { 0, };
  gboolean ok;

  setlocale (LC_ALL, "");

  if (!parse_options (&argc, &argv, &options, &dirs))
    {
      g_strfreev (options.exec_argv);
      return 1;
    }

  /* The tree owns the options' command from now on. */
  tree = sha256_tree_new (&options);

  if (dirs == NULL || dirs[0] == NULL)
    sha256_tree_add_root (tree, DEFAULT_DIR);
  else
    for (guint i = 0; dirs[i] != NULL; i++)
      sha256_tree_add_root (tree, dirs[i]);

  sha256_tree_run (tree);
  report_print_summary (tree->report, tree->interrupted);

  ok = !tree->interrupted && report_all_succeeded (tree->report);

  if (fflush (stdout) != 0 || ferror (stdout))
    {
      g_printerr ("%s: Error writing to standard output\n", g_get_prgname ());
      ok = FALSE;
    }

  return ok ? 0 : 1;
}
