/* sha256-tree.c — checksum a directory tree with supervised thread tasks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   sha256-tree [--jobs N] [--timeout MS] [--print] [DIR…]
 *
 * Every regular file under the DIRs (default: /usr/share) is hashed with
 * SHA-256 by a thread task of one GtaskSupSupervisor, whose max-concurrency
 * is --jobs. The tree is walked on the main context with GFileEnumerator; the
 * walk pauses while enough files wait to be hashed, so memory stays bounded
 * whatever the size of the tree. With --print the output is that of
 * sha256sum(1), so that
 *
 *   sha256-tree --print DIR | sha256sum -c --quiet
 *
 * verifies it. Ctrl-C cancels every task, prints the summary and exits with
 * status 1 (a second Ctrl-C does not wait for the tasks to report).
 *
 * Everything but the hashing itself runs on the main thread: the supervisor
 * emits its outcome signals on the context it was created on, so the
 * counters below need no lock.
 */

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
# include <linux/magic.h>
# include <sys/vfs.h>
#endif

#include <glib-unix.h>
#include <glib/gstdio.h>

#include <gtask-sup/gtask-sup.h>

/* Bytes read between two checks of the task's cancellable. */
#define CHUNK_SIZE (64 * 1024)
/* Directory entries asked for by one g_file_enumerator_next_files_async(). */
#define WALK_BATCH 64
/* Milliseconds between two redraws of the progress line. */
#define PROGRESS_INTERVAL 100
/* Errors listed in the summary; the others are only counted. */
#define MAX_SHOWN_ERRORS 5

#define DEFAULT_DIR "/usr/share"
#define PATH_KEY "sha256-tree-path"

/* FileSum: the result of one task */

typedef struct
{
  char    *hex;      /* lower-case hex digest, as sha256sum prints it */
  guint64  n_bytes;
} FileSum;

static void
file_sum_free (FileSum *sum)
{
  g_free (sum->hex);
  g_free (sum);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FileSum, file_sum_free)

/* The worker side: runs on the supervisor's worker threads */

static GError *
error_from_errno (int errsv)
{
  return g_error_new_literal (G_IO_ERROR, g_io_error_from_errno (errsv), g_strerror (errsv));
}

static FileSum *
hash_fd (int            fd,
         GCancellable  *cancellable,
         GError       **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = g_malloc (CHUNK_SIZE);
  guint64 n_bytes = 0;
  FileSum *sum;

  for (;;)
    {
      gssize n_read;

      /* A thread cannot be killed: checking now and then is what makes a
       * timeout or a Ctrl-C stop this file early. */
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      n_read = read (fd, buffer, CHUNK_SIZE);
      if (n_read < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;

          g_propagate_error (error, error_from_errno (errsv));
          return NULL;
        }
      if (n_read == 0)
        break;

      g_checksum_update (checksum, buffer, n_read);
      n_bytes += n_read;
    }

  sum = g_new0 (FileSum, 1);
  sum->hex = g_strdup (g_checksum_get_string (checksum));
  sum->n_bytes = n_bytes;

  return sum;
}

static void
hash_file_thread (GtaskSupTask *task,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  const char *path = user_data;
  g_autoptr(GError) error = NULL;
  FileSum *sum = NULL;
  struct stat st;
  int fd;

  /* The walk saw a regular file, but it may have been replaced since. Never
   * open anything else: opening a device can have side effects, and opening
   * a FIFO waits for a writer (O_NONBLOCK covers the race left between
   * lstat() and open(), O_NOFOLLOW a symlink swapped in). */
  if (lstat (path, &st) != 0)
    {
      gtask_sup_task_return_error (task, error_from_errno (errno));
      return;
    }
  if (!S_ISREG (st.st_mode))
    {
      gtask_sup_task_return_error (task, g_error_new_literal (G_IO_ERROR,
                                                              G_IO_ERROR_NOT_REGULAR_FILE,
                                                              "Not a regular file"));
      return;
    }

  fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    {
      gtask_sup_task_return_error (task, error_from_errno (errno));
      return;
    }

  if (fstat (fd, &st) != 0)
    error = error_from_errno (errno);
  else if (!S_ISREG (st.st_mode))
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "Not a regular file");
  else
    {
#ifdef POSIX_FADV_SEQUENTIAL
      posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
      sum = hash_fd (fd, cancellable, &error);
    }

  g_close (fd, NULL);

  if (sum == NULL)
    gtask_sup_task_return_error (task, g_steal_pointer (&error));
  else
    gtask_sup_task_return_pointer (task, sum, (GDestroyNotify) file_sum_free);
}

/* Files of kernel pseudo-filesystems claim to be regular files but are not
 * data: their contents change as they are read, and some never end
 * (/proc/self/pagemap describes the whole address space, hundreds of GB).
 * sha256sum would read them forever; the walk skips them. */
static gboolean
is_kernel_pseudo_fs (const char *path)
{
#ifdef __linux__
  struct statfs buf;

  /* On error, say no: opening the file or directory reports it. */
  if (statfs (path, &buf) != 0)
    return FALSE;

  switch ((unsigned long) buf.f_type)
    {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
      return TRUE;

    default:
      return FALSE;
    }
#else
  return FALSE;
#endif
}

/* Sha256Tree: the owner of the supervisor, and the state of the run */

#define SHA256_TYPE_TREE (sha256_tree_get_type ())

G_DECLARE_FINAL_TYPE (Sha256Tree, sha256_tree, SHA256, TREE, GObject)

struct _Sha256Tree
{
  GObject             parent_instance;

  guint               jobs;
  int                 timeout_ms;
  gboolean            print;
  gboolean            show_progress;   /* stderr is a terminal */
  gboolean            stdout_is_tty;

  GtaskSupSupervisor *supervisor;

  /* The walk: directories still to enumerate (a stack, so the walk is depth
   * first), the enumerator of the current one and its path, and the files
   * found but not started yet (all paths are char *). */
  GQueue              dirs;
  GFileEnumerator    *enumerator;
  char               *enumerator_path;
  GCancellable       *walk_cancellable;
  gboolean            walk_busy;
  gboolean            walk_done;
  GQueue              pending;

  guint               n_found;
  guint               n_outstanding;   /* started, outcome not emitted yet */
  guint               n_succeeded;
  guint               n_failed;
  guint               n_timed_out;
  guint               n_cancelled;
  guint               n_skipped;
  guint               n_walk_errors;
  guint64             n_bytes;
  GPtrArray          *errors;          /* the first MAX_SHOWN_ERRORS messages */
  guint               n_errors;

  gint64              start_time;
  gint64              end_time;
  guint               progress_source;
  gboolean            progress_shown;
  gboolean            interrupted;
  gboolean            finished;
};

G_DEFINE_FINAL_TYPE (Sha256Tree, sha256_tree, G_TYPE_OBJECT)

static void sha256_tree_walk_continue (Sha256Tree *self);

static void
sha256_tree_dispose (GObject *object)
{
  Sha256Tree *self = SHA256_TREE (object);

  /* Dropping the supervisor of a finished run; see on_interrupt_signal()
   * for the one way to get here with tasks left. */
  g_clear_object (&self->supervisor);

  if (self->walk_cancellable != NULL)
    g_cancellable_cancel (self->walk_cancellable);
  g_clear_object (&self->walk_cancellable);
  g_clear_object (&self->enumerator);
  g_clear_handle_id (&self->progress_source, g_source_remove);

  G_OBJECT_CLASS (sha256_tree_parent_class)->dispose (object);
}

static void
sha256_tree_finalize (GObject *object)
{
  Sha256Tree *self = SHA256_TREE (object);

  g_queue_clear_full (&self->dirs, g_free);
  g_queue_clear_full (&self->pending, g_free);
  g_clear_pointer (&self->enumerator_path, g_free);
  g_clear_pointer (&self->errors, g_ptr_array_unref);

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
  g_queue_init (&self->dirs);
  g_queue_init (&self->pending);
  self->walk_cancellable = g_cancellable_new ();
  self->errors = g_ptr_array_new_with_free_func (g_free);
  self->timeout_ms = -1;
}

static void
sha256_tree_add_error (Sha256Tree *self,
                       char       *message)
{
  self->n_errors++;
  if (self->errors->len < MAX_SHOWN_ERRORS)
    g_ptr_array_add (self->errors, message);
  else
    g_free (message);
}

static void
sha256_tree_add_path_error (Sha256Tree *self,
                            const char *path,
                            const char *message)
{
  g_autofree char *display_name = g_filename_display_name (path);

  sha256_tree_add_error (self, g_strdup_printf ("%s: %s", display_name, message));
}

static void
sha256_tree_clear_progress (Sha256Tree *self)
{
  if (self->progress_shown)
    {
      fputs ("\r\033[K", stderr);
      fflush (stderr);
      self->progress_shown = FALSE;
    }
}

static double
sha256_tree_elapsed (Sha256Tree *self)
{
  gint64 end = self->end_time != 0 ? self->end_time : g_get_monotonic_time ();

  return (end - self->start_time) / (double) G_USEC_PER_SEC;
}

static guint
sha256_tree_n_done (Sha256Tree *self)
{
  return self->n_succeeded + self->n_failed + self->n_timed_out + self->n_cancelled;
}

static gboolean
on_progress_tick (gpointer user_data)
{
  Sha256Tree *self = user_data;
  double elapsed = sha256_tree_elapsed (self);
  double megabytes = self->n_bytes / 1e6;

  fprintf (stderr, "\r\033[K%u/%u files  %.1f MB  %.1f MB/s%s",
           sha256_tree_n_done (self), self->n_found, megabytes,
           elapsed > 0 ? megabytes / elapsed : 0.0,
           self->interrupted ? "  (cancelling…)" : "");
  fflush (stderr);
  self->progress_shown = TRUE;

  return G_SOURCE_CONTINUE;
}

/* One line as sha256sum prints it: a file name with a backslash, a newline
 * or a carriage return is escaped, and the line then starts with '\'. */
static void
sha256_tree_print_sum (Sha256Tree *self,
                       const char *hex,
                       const char *path)
{
  /* Both lines on one terminal: the next tick redraws the progress line. */
  if (self->stdout_is_tty)
    sha256_tree_clear_progress (self);

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
sha256_tree_maybe_finish (Sha256Tree *self)
{
  if (self->walk_done && g_queue_is_empty (&self->pending) && self->n_outstanding == 0)
    self->finished = TRUE;
}

static void
sha256_tree_start_file (Sha256Tree *self,
                        const char *path)
{
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = gtask_sup_task_new_thread (hash_file_thread, g_strdup (path), g_free);
  gtask_sup_task_set_name (task, "sha256");
  if (self->timeout_ms >= 0)
    gtask_sup_task_set_timeout (task, self->timeout_ms);
  /* The outcome signals only carry the task: keep the path on it. */
  g_object_set_data_full (G_OBJECT (task), PATH_KEY, g_strdup (path), g_free);

  if (!gtask_sup_supervisor_start (self->supervisor, task, &error))
    {
      self->n_failed++;
      sha256_tree_add_path_error (self, path, error->message);
      return;
    }

  self->n_outstanding++;
}

/* Hands pending files to the supervisor. A task's timeout counts from
 * start(), time spent queued included: with --timeout a file is started only
 * when a worker is free. Without, one more file per worker waits in the
 * supervisor's FIFO queue, so that no worker waits for the main loop. */
static void
sha256_tree_feed (Sha256Tree *self)
{
  guint max_outstanding = self->timeout_ms < 0 ? 2 * self->jobs : self->jobs;

  while (!self->interrupted &&
         self->n_outstanding < max_outstanding &&
         !g_queue_is_empty (&self->pending))
    {
      g_autofree char *path = g_queue_pop_head (&self->pending);

      sha256_tree_start_file (self, path);
    }
}

static void
sha256_tree_task_finished (Sha256Tree *self)
{
  g_assert (self->n_outstanding > 0);

  self->n_outstanding--;
  sha256_tree_feed (self);
  sha256_tree_walk_continue (self);
  sha256_tree_maybe_finish (self);
}

static const char *
task_get_path (GtaskSupTask *task)
{
  return g_object_get_data (G_OBJECT (task), PATH_KEY);
}

static void
on_task_succeeded (GtaskSupSupervisor *supervisor,
                   GtaskSupTask       *task,
                   gpointer            user_data)
{
  Sha256Tree *self = user_data;
  g_autoptr(FileSum) sum = NULL;
  g_autoptr(GError) error = NULL;

  sum = gtask_sup_task_propagate_pointer (task, &error);
  if (sum == NULL)
    {
      /* Cannot happen: a succeeded task has its result. */
      self->n_failed++;
      sha256_tree_add_path_error (self, task_get_path (task),
                                  error != NULL ? error->message : "No result");
    }
  else
    {
      self->n_succeeded++;
      self->n_bytes += sum->n_bytes;
      if (self->print)
        sha256_tree_print_sum (self, sum->hex, task_get_path (task));
    }

  sha256_tree_task_finished (self);
}

static void
on_task_failed (GtaskSupSupervisor *supervisor,
                GtaskSupTask       *task,
                const GError       *error,
                gpointer            user_data)
{
  Sha256Tree *self = user_data;

  if (self->interrupted && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->n_cancelled++;
    }
  else
    {
      self->n_failed++;
      sha256_tree_add_path_error (self, task_get_path (task), error->message);
    }

  sha256_tree_task_finished (self);
}

static void
on_task_timed_out (GtaskSupSupervisor *supervisor,
                   GtaskSupTask       *task,
                   gpointer            user_data)
{
  Sha256Tree *self = user_data;
  g_autofree char *message = NULL;

  self->n_timed_out++;
  message = g_strdup_printf ("Timed out after %d ms", self->timeout_ms);
  sha256_tree_add_path_error (self, task_get_path (task), message);

  sha256_tree_task_finished (self);
}

static void
sha256_tree_add_file (Sha256Tree *self,
                      char       *path)
{
  self->n_found++;
  g_queue_push_tail (&self->pending, path);
}

static void
sha256_tree_add_walk_error (Sha256Tree   *self,
                            const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* GIO's messages name the directory already. */
  self->n_walk_errors++;
  sha256_tree_add_error (self, g_strdup (error->message));
}

static void
on_next_files (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Sha256Tree) self = user_data;
  g_autoptr(GError) error = NULL;
  GList *infos;

  infos = g_file_enumerator_next_files_finish (G_FILE_ENUMERATOR (source_object), result, &error);
  self->walk_busy = FALSE;

  if (error != NULL)
    sha256_tree_add_walk_error (self, error);

  if (infos == NULL)
    {
      /* The end of this directory (or an error). */
      g_clear_object (&self->enumerator);
      g_clear_pointer (&self->enumerator_path, g_free);
    }

  for (const GList *l = infos; l != NULL; l = l->next)
    {
      GFileInfo *info = l->data;
      const char *name = g_file_info_get_name (info);

      switch (g_file_info_get_file_type (info))
        {
        case G_FILE_TYPE_REGULAR:
          sha256_tree_add_file (self, g_build_filename (self->enumerator_path, name, NULL));
          break;

        case G_FILE_TYPE_DIRECTORY:
          g_queue_push_head (&self->dirs, g_build_filename (self->enumerator_path, name, NULL));
          break;

        case G_FILE_TYPE_UNKNOWN:
        case G_FILE_TYPE_SYMBOLIC_LINK:
        case G_FILE_TYPE_SPECIAL:
        case G_FILE_TYPE_SHORTCUT:
        case G_FILE_TYPE_MOUNTABLE:
        default:
          /* Symlinks are never followed, so there are no loops to fall into;
           * FIFOs, sockets and devices are not files to hash. */
          self->n_skipped++;
          break;
        }
    }

  g_list_free_full (infos, g_object_unref);

  sha256_tree_feed (self);
  sha256_tree_walk_continue (self);
  sha256_tree_maybe_finish (self);
}

static void
on_enumerate_children (GObject      *source_object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(Sha256Tree) self = user_data;
  g_autoptr(GError) error = NULL;
  GFileEnumerator *enumerator;

  enumerator = g_file_enumerate_children_finish (G_FILE (source_object), result, &error);
  self->walk_busy = FALSE;

  if (enumerator == NULL)
    {
      sha256_tree_add_walk_error (self, error);
      g_clear_pointer (&self->enumerator_path, g_free);
    }
  else
    {
      g_assert (self->enumerator == NULL);
      self->enumerator = enumerator;
    }

  sha256_tree_walk_continue (self);
  sha256_tree_maybe_finish (self);
}

/* Takes the walk one asynchronous step further, unless a step is in flight,
 * or enough files wait already (back-pressure: each outcome calls this
 * again). */
static void
sha256_tree_walk_continue (Sha256Tree *self)
{
  char *path;

  if (self->walk_busy || self->walk_done)
    return;

  if (self->interrupted)
    {
      g_clear_object (&self->enumerator);
      g_clear_pointer (&self->enumerator_path, g_free);
      self->walk_done = TRUE;
      return;
    }

  if (g_queue_get_length (&self->pending) >= 4 * self->jobs)
    return;

  if (self->enumerator != NULL)
    {
      self->walk_busy = TRUE;
      g_file_enumerator_next_files_async (self->enumerator,
                                          WALK_BATCH,
                                          G_PRIORITY_DEFAULT,
                                          self->walk_cancellable,
                                          on_next_files,
                                          g_object_ref (self));
      return;
    }

  while ((path = g_queue_pop_head (&self->dirs)) != NULL)
    {
      g_autoptr(GFile) dir = NULL;

      if (is_kernel_pseudo_fs (path))
        {
          self->n_skipped++;
          g_free (path);
          continue;
        }

      dir = g_file_new_for_path (path);
      self->enumerator_path = path;
      self->walk_busy = TRUE;
      g_file_enumerate_children_async (dir,
                                       G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                       G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                       G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                       G_PRIORITY_DEFAULT,
                                       self->walk_cancellable,
                                       on_enumerate_children,
                                       g_object_ref (self));
      return;
    }

  self->walk_done = TRUE;
}

static Sha256Tree *
sha256_tree_new (guint    jobs,
                 int      timeout_ms,
                 gboolean print)
{
  Sha256Tree *self = g_object_new (SHA256_TYPE_TREE, NULL);

  self->jobs = jobs;
  self->timeout_ms = timeout_ms;
  self->print = print;
  self->show_progress = isatty (STDERR_FILENO);
  self->stdout_is_tty = isatty (STDOUT_FILENO);

  /* Owned by self: when self goes, its tasks go too. */
  self->supervisor = gtask_sup_supervisor_new (self);
  gtask_sup_supervisor_set_max_concurrency (self->supervisor, jobs);
  g_signal_connect (self->supervisor, "succeeded", G_CALLBACK (on_task_succeeded), self);
  g_signal_connect (self->supervisor, "failed", G_CALLBACK (on_task_failed), self);
  g_signal_connect (self->supervisor, "timed-out", G_CALLBACK (on_task_timed_out), self);

  return self;
}

/* A command-line argument is followed if it is a symlink, like `find -H`;
 * nothing below it is. */
static void
sha256_tree_add_root (Sha256Tree *self,
                      const char *path)
{
  struct stat st;

  if (stat (path, &st) != 0)
    {
      int errsv = errno;

      self->n_walk_errors++;
      sha256_tree_add_path_error (self, path, g_strerror (errsv));
    }
  else if (S_ISDIR (st.st_mode))
    g_queue_push_tail (&self->dirs, g_strdup (path));
  else if (S_ISREG (st.st_mode) && !is_kernel_pseudo_fs (path))
    sha256_tree_add_file (self, g_strdup (path));
  else
    self->n_skipped++;
}

static void
sha256_tree_interrupt (Sha256Tree *self)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  GListModel *children;
  guint n_children;

  self->interrupted = TRUE;
  g_cancellable_cancel (self->walk_cancellable);

  /* Files found but never started count as cancelled too. */
  self->n_cancelled += g_queue_get_length (&self->pending);
  g_queue_clear_full (&self->pending, g_free);

  /* Each live task, queued or running, ends in "failed" with
   * G_IO_ERROR_CANCELLED, on a later iteration of the main context. */
  children = gtask_sup_supervisor_get_children (self->supervisor);
  n_children = g_list_model_get_n_items (children);
  for (guint i = 0; i < n_children; i++)
    g_ptr_array_add (tasks, g_list_model_get_item (children, i));
  for (guint i = 0; i < tasks->len; i++)
    gtask_sup_task_cancel (g_ptr_array_index (tasks, i));

  sha256_tree_walk_continue (self);
  sha256_tree_maybe_finish (self);
}

static gboolean
on_interrupt_signal (gpointer user_data)
{
  Sha256Tree *self = user_data;

  if (!self->interrupted)
    {
      sha256_tree_interrupt (self);
    }
  else
    {
      /* Second Ctrl-C: stop waiting for the tasks cancelled by the first
       * one to report (the main context is not iterated again), and let
       * go of the supervisor. */
      self->n_cancelled += self->n_outstanding;
      self->n_outstanding = 0;
      g_clear_object (&self->supervisor);
      self->finished = TRUE;
    }

  return G_SOURCE_CONTINUE;
}

static void
sha256_tree_run (Sha256Tree *self)
{
  guint sigint_source;
  guint sigterm_source;

  sigint_source = g_unix_signal_add (SIGINT, on_interrupt_signal, self);
  sigterm_source = g_unix_signal_add (SIGTERM, on_interrupt_signal, self);

  self->start_time = g_get_monotonic_time ();
  if (self->show_progress)
    self->progress_source = g_timeout_add (PROGRESS_INTERVAL, on_progress_tick, self);

  sha256_tree_feed (self);
  sha256_tree_walk_continue (self);
  sha256_tree_maybe_finish (self);

  while (!self->finished)
    g_main_context_iteration (NULL, TRUE);

  self->end_time = g_get_monotonic_time ();
  g_clear_handle_id (&self->progress_source, g_source_remove);
  g_source_remove (sigint_source);
  g_source_remove (sigterm_source);
}

static void
sha256_tree_print_summary (Sha256Tree *self)
{
  g_autoptr(GString) counts = g_string_new (NULL);
  double elapsed = sha256_tree_elapsed (self);
  double megabytes = self->n_bytes / 1e6;

  sha256_tree_clear_progress (self);

  if (self->interrupted)
    g_printerr ("Interrupted.\n");

  g_string_append_printf (counts, "%u files: %u succeeded, %u failed, %u timed out",
                          sha256_tree_n_done (self), self->n_succeeded, self->n_failed,
                          self->n_timed_out);
  if (self->n_cancelled > 0)
    g_string_append_printf (counts, ", %u cancelled", self->n_cancelled);
  if (self->n_skipped > 0)
    g_string_append_printf (counts, "; %u skipped (symlinks, special files, /proc and /sys)",
                            self->n_skipped);
  if (self->n_walk_errors > 0)
    g_string_append_printf (counts, "; %u unreadable directories or arguments",
                            self->n_walk_errors);
  g_printerr ("%s\n", counts->str);

  for (guint i = 0; i < self->errors->len; i++)
    g_printerr ("  %s\n", (const char *) g_ptr_array_index (self->errors, i));
  if (self->n_errors > self->errors->len)
    g_printerr ("  … and %u more\n", self->n_errors - self->errors->len);

  g_printerr ("%.1f MB in %.2f s, %.1f MB/s\n",
              megabytes, elapsed, elapsed > 0 ? megabytes / elapsed : 0.0);
}

static gboolean
sha256_tree_all_succeeded (Sha256Tree *self)
{
  return !self->interrupted &&
         self->n_failed == 0 &&
         self->n_timed_out == 0 &&
         self->n_cancelled == 0 &&
         self->n_walk_errors == 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(Sha256Tree) tree = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) dirs = NULL;
  int jobs = 0;
  int timeout_ms = -1;
  gboolean print = FALSE;
  gboolean ok;
  const GOptionEntry entries[] = {
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
      "Hash up to N files at once (default: the number of processors)", "N" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_ms,
      "Give up on a file after MS milliseconds (default: never)", "MS" },
    { "print", 'p', 0, G_OPTION_ARG_NONE, &print,
      "Print a line per file as sha256sum does", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs, NULL, NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");

  context = g_option_context_new ("[DIR…]");
  g_option_context_set_summary (context,
                                "Checksum with SHA-256 every regular file under the DIRs "
                                "(default: " DEFAULT_DIR "),\n"
                                "hashing files in parallel in supervised thread tasks.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return 1;
    }
  if (jobs < 0 || jobs > 1024)
    {
      g_printerr ("%s: --jobs must be between 1 and 1024\n", g_get_prgname ());
      return 1;
    }
  if (timeout_ms < -1 || timeout_ms == 0)
    {
      g_printerr ("%s: --timeout must be a positive number of milliseconds\n", g_get_prgname ());
      return 1;
    }
  if (jobs == 0)
    jobs = g_get_num_processors ();

  tree = sha256_tree_new (jobs, timeout_ms, print);

  if (dirs == NULL || dirs[0] == NULL)
    sha256_tree_add_root (tree, DEFAULT_DIR);
  else
    for (guint i = 0; dirs[i] != NULL; i++)
      sha256_tree_add_root (tree, dirs[i]);

  sha256_tree_run (tree);
  sha256_tree_print_summary (tree);

  ok = sha256_tree_all_succeeded (tree);

  if (fflush (stdout) != 0 || ferror (stdout))
    {
      g_printerr ("%s: Error writing to standard output\n", g_get_prgname ());
      ok = FALSE;
    }

  return ok ? 0 : 1;
}
