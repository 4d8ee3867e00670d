/* sha256-tree.c — checksum a directory tree with a supervised stream
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
 * The design, in four parts:
 *
 * The walk. A walker, itself a thread task of the supervisor (not an item
 * of the stream), walks the tree depth first with GFileEnumerator's
 * synchronous calls and puts the files it finds in a bounded buffer
 * (`Walk.found`, under a mutex); it sleeps on a condition variable while
 * the buffer is full, so the walk goes exactly as fast as the items take
 * files. Symlinks are never followed, special files and kernel
 * pseudo-filesystems are skipped. The walk holds the buffer, one open
 * directory, and the subdirectories still to visit along the current path:
 * its memory grows with the shape of the tree, not with the number of
 * files. (A walk made of GFileEnumerator _async() calls on the main
 * context was tried first: each step is a round trip between the main
 * loop and a GIO thread, two or three per directory, and that chain could
 * not keep two hashing threads fed.)
 *
 * The stream. gtask_sup_supervisor_map() asks its next function for the
 * next item whenever a slot is free, and takes NULL for the end of the
 * input: there is no "not yet". So when the buffer is empty but the walk
 * is not over, the next function returns a *wait item*: an async task that
 * completes (on the main context) as soon as the walker has put files in
 * the buffer, or is over. Its completion frees its slot, and the stream
 * asks again, now with files ready. A wait item costs a task, not a
 * thread, and is never counted as a file. The next function only takes a
 * mutex that the walker holds for a few pointer moves: it never blocks the
 * main loop.
 *
 * The items. An item is a task for a batch of files: in-process, a thread
 * task hashing up to --batch files (512 by default, and at most 8 MiB of
 * them, a bigger file goes alone), so that the hand-over from the main
 * loop to a worker and back, tens of microseconds on an idle machine and
 * up to a scheduler time slice on a busy one, is paid once per batch
 * rather than once per small file, as `xargs -n` does; with --exec, a subprocess task running `CMD ARG… FILE…` with up to
 * --batch files (1 by default, like `xargs -n1`). With --timeout, the
 * default batch is one file, so that the timeout is a file's: the stream's
 * on-timeout is KILL_TASK, a slow file is reported as timed out and the
 * walk goes on.
 *
 * The order. The stream keeps nothing (retain is FALSE). In-process, it is
 * unordered: each line is printed as soon as its batch is hashed, which
 * sha256sum -c does not mind. With --exec --print it is ordered, so that
 * the commands' outputs come in the order of the walk; an output waiting
 * for an earlier one keeps its slot, so memory stays bounded there too.
 *
 * Everything but the walk, the hashing and the commands runs on the main
 * thread: the stream emits its signals on the context the supervisor was
 * created on, so the counters of Sha256Tree need no lock. The walker shares
 * only its Walk, under Walk.mutex.
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
/* Files the walker hands over to the buffer at once, under one lock. */
#define WALK_BATCH 64
/* Bounds of the buffer of files found and not handed to an item yet. */
#define MIN_FOUND 256
#define MAX_FOUND 65536
/* In-process hashing: default files per item, and bytes above which a
 * batch takes no more files: about 20 ms of hashing, so that the hand-over
 * of an item to a worker and back, which takes a wake-up of the main
 * thread (and, on a busy machine, a wait for a time slice), is a small
 * part of it, while the last item does not keep one worker busy long. */
#define DEFAULT_BATCH 512
#define BATCH_BYTES (8 * 1024 * 1024)
#define MAX_BATCH 4096
/* A command of --exec that timed out or was cancelled gets SIGKILL this
 * long after its SIGTERM; at the end, the program waits this long at most
 * for such items to be over (a thread reading a hung disk cannot be
 * stopped). */
#define EXEC_KILL_AFTER_MS 1000
#define WAIT_FOR_ITEMS_MS 3000
/* Milliseconds between two redraws of the progress line. */
#define PROGRESS_INTERVAL 100
/* Errors listed in the summary; the others are only counted. */
#define MAX_SHOWN_ERRORS 5

#define DEFAULT_DIR "/usr/share"

/* FoundFile: a regular file the walk found */

typedef struct
{
  guint64 size;      /* as the walk saw it: for the MB figures of --exec */
  char    path[];
} FoundFile;

static FoundFile *
found_file_new (const char *dir,
                const char *name,
                guint64     size)
{
  g_autofree char *path = dir != NULL ? g_build_filename (dir, name, NULL) : g_strdup (name);
  size_t len = strlen (path);
  FoundFile *file = g_malloc (sizeof (FoundFile) + len + 1);

  file->size = size;
  memcpy (file->path, path, len + 1);

  return file;
}

/* FileSum: the result for one file of a batch, written by the worker */

typedef struct
{
  char    *hex;      /* lower-case hex digest, as sha256sum prints it */
  guint64  n_bytes;
  GError  *error;    /* or why the file could not be hashed */
} FileSum;

/* Batch: the files of one item. Shared by the task's thread function and
 * the main thread (as data on the task), hence reference counted. The
 * worker writes `sums`; the main thread reads them only once the task has
 * succeeded. */

typedef struct
{
  guint       n_files;
  guint64     n_bytes;
  FoundFile **files;
  FileSum    *sums;      /* in-process hashing only */
} Batch;

static GQuark batch_quark;
/* Batches alive: an item cancelled by a Ctrl-C keeps its batch until its
 * thread function has returned, or until its command is reaped. Atomic. */
static int n_live_batches;

static Batch *
batch_new (void)
{
  g_atomic_int_inc (&n_live_batches);

  return g_atomic_rc_box_new0 (Batch);
}

static void
batch_clear (gpointer data)
{
  Batch *batch = data;

  g_atomic_int_dec_and_test (&n_live_batches);

  for (guint i = 0; i < batch->n_files; i++)
    {
      g_free (batch->files[i]);
      if (batch->sums != NULL)
        {
          g_free (batch->sums[i].hex);
          g_clear_error (&batch->sums[i].error);
        }
    }
  g_free (batch->files);
  g_free (batch->sums);
}

static void
batch_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, batch_clear);
}

static Batch *
task_get_batch (GtaskSupTask *task)
{
  return g_object_get_qdata (G_OBJECT (task), batch_quark);
}

/* The worker side: runs on the supervisor's worker threads */

static GError *
error_from_errno (int errsv)
{
  return g_error_new_literal (G_IO_ERROR, g_io_error_from_errno (errsv), g_strerror (errsv));
}

static gboolean
hash_fd (int            fd,
         GChecksum     *checksum,
         guint8        *buffer,
         FileSum       *sum,
         GCancellable  *cancellable,
         GError       **error)
{
  for (;;)
    {
      gssize n_read;

      /* A thread cannot be killed: checking now and then is what makes a
       * timeout or a Ctrl-C stop this file early. */
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      n_read = read (fd, buffer, CHUNK_SIZE);
      if (n_read < 0)
        {
          int errsv = errno;

          if (errsv == EINTR)
            continue;

          g_propagate_error (error, error_from_errno (errsv));
          return FALSE;
        }
      if (n_read == 0)
        break;

      g_checksum_update (checksum, buffer, n_read);
      sum->n_bytes += n_read;
    }

  sum->hex = g_strdup (g_checksum_get_string (checksum));

  return TRUE;
}

static gboolean
hash_path (const char    *path,
           GChecksum     *checksum,
           guint8        *buffer,
           FileSum       *sum,
           GCancellable  *cancellable,
           GError       **error)
{
  struct stat st;
  gboolean ok = FALSE;
  int fd;

  /* The walk saw a regular file, but it may have been replaced since. Never
   * open anything else: opening a device can have side effects, and opening
   * a FIFO waits for a writer (O_NONBLOCK covers the race left between
   * lstat() and open(), O_NOFOLLOW a symlink swapped in). */
  if (lstat (path, &st) != 0)
    {
      g_propagate_error (error, error_from_errno (errno));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "Not a regular file");
      return FALSE;
    }

  fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    {
      g_propagate_error (error, error_from_errno (errno));
      return FALSE;
    }

  if (fstat (fd, &st) != 0)
    g_propagate_error (error, error_from_errno (errno));
  else if (!S_ISREG (st.st_mode))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "Not a regular file");
  else
    {
#ifdef POSIX_FADV_SEQUENTIAL
      if (st.st_size > CHUNK_SIZE)
        posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
      g_checksum_reset (checksum);
      ok = hash_fd (fd, checksum, buffer, sum, cancellable, error);
    }

  g_close (fd, NULL);

  return ok;
}

/* An unreadable file is a result of the batch (an error for that file), not
 * a failure of the task; only a cancellation (Ctrl-C, or the task's
 * timeout) fails it. */
static void
hash_batch_thread (GtaskSupTask *task,
                   GCancellable *cancellable,
                   gpointer      user_data)
{
  Batch *batch = user_data;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = g_malloc (CHUNK_SIZE);

  for (guint i = 0; i < batch->n_files; i++)
    {
      FileSum *sum = &batch->sums[i];
      GError *error = NULL;

      if (hash_path (batch->files[i]->path, checksum, buffer, sum, cancellable, &error))
        continue;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtask_sup_task_return_error (task, error);
          return;
        }
      sum->error = error;
    }

  gtask_sup_task_return_boolean (task, TRUE);
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


#define SHA256_TYPE_TREE (sha256_tree_get_type ())

G_DECLARE_FINAL_TYPE (Sha256Tree, sha256_tree, SHA256, TREE, GObject)

static void sha256_tree_wake_waiters (Sha256Tree *self);

/* Walk: the walker's thread and the main thread share it, under its mutex.
 * Reference counted: the walker's task, the wake-up sources and the tree
 * each hold a reference. */

typedef struct
{
  GMutex        mutex;
  GCond         cond;         /* the walker sleeps on it while the buffer is full */
  GMainContext *context;      /* the main context, woken by the walker */

  /* Filled before the walker starts, then the walker's alone. */
  GQueue        dirs;         /* char *: a stack, so that the walk is depth first */

  /* Under mutex. */
  GQueue        found;        /* FoundFile *: at most capacity, plus one push */
  guint         capacity;
  gboolean      stop;         /* the walker's task was cancelled */
  gboolean      done;         /* no more files will come */
  gboolean      exited;       /* the walker's function is returning */
  gboolean      want_wake;    /* wait items are parked on the main thread */
  guint         n_errors;
  GPtrArray    *errors;       /* the first MAX_SHOWN_ERRORS messages */

  /* Atomic: read by the progress line. */
  int           n_found;
  int           n_skipped;

  /* The main thread's. */
  Sha256Tree   *tree;         /* NULL once the tree is gone */
} Walk;

static void
walk_clear (gpointer data)
{
  Walk *walk = data;

  g_mutex_clear (&walk->mutex);
  g_cond_clear (&walk->cond);
  g_main_context_unref (walk->context);
  g_queue_clear_full (&walk->dirs, g_free);
  g_queue_clear_full (&walk->found, g_free);
  g_ptr_array_unref (walk->errors);
}

static void
walk_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, walk_clear);
}

static Walk *
walk_new (Sha256Tree *tree,
          guint       capacity)
{
  Walk *walk = g_atomic_rc_box_new0 (Walk);

  g_mutex_init (&walk->mutex);
  g_cond_init (&walk->cond);
  walk->context = g_main_context_ref_thread_default ();
  g_queue_init (&walk->dirs);
  g_queue_init (&walk->found);
  walk->capacity = capacity;
  walk->errors = g_ptr_array_new_with_free_func (g_free);
  walk->tree = tree;

  return walk;
}

/* Any thread, mutex held. */
static void
walk_add_found_locked (Walk      *walk,
                       FoundFile *file)
{
  g_queue_push_tail (&walk->found, file);
  g_atomic_int_inc (&walk->n_found);
}

static gboolean
walk_wake_cb (gpointer user_data)
{
  Walk *walk = user_data;

  if (walk->tree != NULL)
    sha256_tree_wake_waiters (walk->tree);

  return G_SOURCE_REMOVE;
}

/* The walker's thread, mutex held: wakes the main thread. Not with
 * g_main_context_invoke(), which would call back on this thread if it
 * could acquire the context. */
static void
walk_wake_main_locked (Walk *walk)
{
  GSource *source = g_idle_source_new ();

  walk->want_wake = FALSE;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, walk_wake_cb, g_atomic_rc_box_acquire (walk), walk_release);
  g_source_set_static_name (source, "[sha256-tree] walk");
  g_source_attach (source, walk->context);
  g_source_unref (source);
}

/* The walker's thread: hands @batch to the buffer, once there is room. */
static void
walk_push (Walk      *walk,
           GPtrArray *batch)
{
  if (batch->len == 0)
    return;

  g_mutex_lock (&walk->mutex);
  while (!walk->stop && g_queue_get_length (&walk->found) >= walk->capacity)
    g_cond_wait (&walk->cond, &walk->mutex);
  if (!walk->stop)
    {
      for (guint i = 0; i < batch->len; i++)
        walk_add_found_locked (walk, g_steal_pointer (&batch->pdata[i]));
      if (walk->want_wake)
        walk_wake_main_locked (walk);
    }
  g_mutex_unlock (&walk->mutex);

  /* Frees what was not handed over. */
  g_ptr_array_set_size (batch, 0);
}

static void
walk_add_error (Walk         *walk,
                const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* GIO's messages name the directory already. */
  g_mutex_lock (&walk->mutex);
  walk->n_errors++;
  if (walk->errors->len < MAX_SHOWN_ERRORS)
    g_ptr_array_add (walk->errors, g_strdup (error->message));
  g_mutex_unlock (&walk->mutex);
}

/* The walker's thread: one directory. Its files go to @batch, its
 * subdirectories on top of the stack. */
static void
walk_dir (Walk         *walk,
          const char   *path,
          GPtrArray    *batch,
          GCancellable *cancellable)
{
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GError) error = NULL;

  if (is_kernel_pseudo_fs (path))
    {
      g_atomic_int_inc (&walk->n_skipped);
      return;
    }

  dir = g_file_new_for_path (path);
  enumerator = g_file_enumerate_children (dir,
                                          G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                          G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                          G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                          cancellable,
                                          &error);
  if (enumerator == NULL)
    {
      walk_add_error (walk, error);
      return;
    }

  for (;;)
    {
      GFileInfo *info = NULL;   /* owned by the enumerator */
      const char *name;

      if (!g_file_enumerator_iterate (enumerator, &info, NULL, cancellable, &error))
        {
          walk_add_error (walk, error);
          return;
        }
      if (info == NULL)
        return;

      name = g_file_info_get_name (info);
      switch (g_file_info_get_file_type (info))
        {
        case G_FILE_TYPE_REGULAR:
          g_ptr_array_add (batch, found_file_new (path, name, g_file_info_get_size (info)));
          if (batch->len >= WALK_BATCH)
            walk_push (walk, batch);
          break;

        case G_FILE_TYPE_DIRECTORY:
          g_queue_push_head (&walk->dirs, g_build_filename (path, name, NULL));
          break;

        case G_FILE_TYPE_UNKNOWN:
        case G_FILE_TYPE_SYMBOLIC_LINK:
        case G_FILE_TYPE_SPECIAL:
        case G_FILE_TYPE_SHORTCUT:
        case G_FILE_TYPE_MOUNTABLE:
        default:
          /* Symlinks are never followed, so there are no loops to fall into;
           * FIFOs, sockets and devices are not files to hash. */
          g_atomic_int_inc (&walk->n_skipped);
          break;
        }
    }
}

/* Any thread: the walker's task was cancelled (Ctrl-C, or its supervisor
 * went away); a walker waiting for room must not wait any longer. */
static void
walk_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  Walk *walk = user_data;

  g_mutex_lock (&walk->mutex);
  walk->stop = TRUE;
  g_cond_broadcast (&walk->cond);
  g_mutex_unlock (&walk->mutex);
}

/* The walker: a thread task of the supervisor, beside the stream. */
static void
walk_thread (GtaskSupTask *task,
             GCancellable *cancellable,
             gpointer      user_data)
{
  Walk *walk = user_data;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_full (WALK_BATCH, g_free);
  gulong handler_id;
  char *path;

  handler_id = g_cancellable_connect (cancellable, G_CALLBACK (walk_cancelled_cb), walk, NULL);

  while (!g_cancellable_is_cancelled (cancellable) &&
         (path = g_queue_pop_head (&walk->dirs)) != NULL)
    {
      walk_dir (walk, path, batch, cancellable);
      g_free (path);
    }
  walk_push (walk, batch);

  g_cancellable_disconnect (cancellable, handler_id);

  g_mutex_lock (&walk->mutex);
  walk->done = TRUE;
  walk->exited = TRUE;
  /* Parked wait items get their NULL; the main loop sees the walk over. */
  walk_wake_main_locked (walk);
  g_mutex_unlock (&walk->mutex);

  if (!g_cancellable_set_error_if_cancelled (cancellable, NULL))
    gtask_sup_task_return_boolean (task, TRUE);
}

/* Sha256Tree: the owner of the supervisor, and the state of the run */

struct _Sha256Tree
{
  GObject             parent_instance;

  guint               jobs;
  int                 timeout_ms;
  guint               batch_size;      /* files per item at most */
  gboolean            print;
  char              **exec_argv;       /* --exec: the command, or NULL */
  guint               exec_argc;
  gboolean            show_progress;   /* stderr is a terminal */
  gboolean            stdout_is_tty;

  GtaskSupSupervisor *supervisor;
  GtaskSupStream     *stream;
  gboolean            stream_finished;
  Walk               *walk;
  GtaskSupTask       *walker;
  GQueue              waiters;         /* wait items parked until there are files */

  guint               n_handed;        /* files given to items */
  guint               n_reported;      /* files of the items emitted */
  guint               n_succeeded;
  guint               n_failed;
  guint               n_timed_out;
  guint               n_cancelled;
  guint               n_skipped;       /* arguments; the walk counts its own */
  guint               n_arg_errors;
  guint               n_wait_items;
  guint64             n_bytes;
  GPtrArray          *errors;          /* the first MAX_SHOWN_ERRORS messages */
  guint               n_errors;

  gint64              start_time;
  gint64              end_time;
  guint               progress_source;
  gboolean            progress_shown;
  gboolean            interrupted;
  gboolean            abandoned;       /* a second Ctrl-C: stop waiting */
};

G_DEFINE_FINAL_TYPE (Sha256Tree, sha256_tree, G_TYPE_OBJECT)

static void
sha256_tree_clear_waiters (Sha256Tree *self)
{
  g_queue_clear_full (&self->waiters, g_object_unref);
}

static void
sha256_tree_dispose (GObject *object)
{
  Sha256Tree *self = SHA256_TREE (object);

  /* Only after a second Ctrl-C can the stream still be running here:
   * cancelling it drops its input, which points to self. Dropping the
   * supervisor cancels the walker. */
  if (self->stream != NULL)
    gtask_sup_stream_cancel (self->stream);
  g_clear_object (&self->stream);
  sha256_tree_clear_waiters (self);
  g_clear_object (&self->walker);
  g_clear_object (&self->supervisor);
  if (self->walk != NULL)
    {
      self->walk->tree = NULL;
      g_clear_pointer (&self->walk, walk_release);
    }
  g_clear_handle_id (&self->progress_source, g_source_remove);

  G_OBJECT_CLASS (sha256_tree_parent_class)->dispose (object);
}

static void
sha256_tree_finalize (GObject *object)
{
  Sha256Tree *self = SHA256_TREE (object);

  g_clear_pointer (&self->errors, g_ptr_array_unref);
  g_clear_pointer (&self->exec_argv, g_strfreev);

  G_OBJECT_CLASS (sha256_tree_parent_class)->finalize (object);
}

static void
sha256_tree_class_init (Sha256TreeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sha256_tree_dispose;
  object_class->finalize = sha256_tree_finalize;

  batch_quark = g_quark_from_static_string ("sha256-tree-batch");
}

static void
sha256_tree_init (Sha256Tree *self)
{
  g_queue_init (&self->waiters);
  self->errors = g_ptr_array_new_with_free_func (g_free);
  self->timeout_ms = -1;
}

/* Errors and output */

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

/* One message for all the files of an item that failed as a whole. */
static void
sha256_tree_add_batch_error (Sha256Tree  *self,
                             const Batch *batch,
                             const char  *message)
{
  g_autofree char *display_name = g_filename_display_name (batch->files[0]->path);

  if (batch->n_files == 1)
    sha256_tree_add_error (self, g_strdup_printf ("%s: %s", display_name, message));
  else
    sha256_tree_add_error (self, g_strdup_printf ("%s and %u more files: %s",
                                                  display_name, batch->n_files - 1, message));
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

  fprintf (stderr, "\r\033[K%u/%d files  %.1f MB  %.1f MB/s%s",
           sha256_tree_n_done (self), g_atomic_int_get (&self->walk->n_found), megabytes,
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

/* The stream's input */

/* Main thread: the walker put files in the buffer or is over. Wakes parked
 * wait items, one per batch ready, or all of them once the walk is over
 * (their next question gets NULL); if some stay parked, the walker's next
 * push wakes the main thread again. A wait item that timed out or was
 * cancelled meanwhile is only dropped. */
static void
sha256_tree_wake_waiters (Sha256Tree *self)
{
  Walk *walk = self->walk;
  guint n_wake;

  if (g_queue_is_empty (&self->waiters))
    return;

  g_mutex_lock (&walk->mutex);
  if (walk->done)
    n_wake = G_MAXUINT;
  else
    n_wake = (g_queue_get_length (&walk->found) + self->batch_size - 1) / self->batch_size;
  g_mutex_unlock (&walk->mutex);

  while (n_wake > 0 && !g_queue_is_empty (&self->waiters))
    {
      g_autoptr(GtaskSupTask) waiter = g_queue_pop_head (&self->waiters);

      if (gtask_sup_task_get_state (waiter) != GTASK_SUP_TASK_STATE_RUNNING)
        continue;

      gtask_sup_task_return_boolean (waiter, TRUE);
      n_wake--;
    }

  if (!g_queue_is_empty (&self->waiters))
    {
      g_mutex_lock (&walk->mutex);
      walk->want_wake = TRUE;
      g_mutex_unlock (&walk->mutex);
    }
}

/* The work of a wait item, on the main context: done at once if files are
 * ready (the walker may have found some since the item was made), else
 * parked until sha256_tree_wake_waiters(). The supervisor only runs it
 * while self, its owner, is alive. */
static void
wait_for_files (GtaskSupTask *task,
                GCancellable *cancellable,
                gpointer      user_data)
{
  Sha256Tree *self = user_data;
  Walk *walk = self->walk;
  gboolean ready;

  g_mutex_lock (&walk->mutex);
  ready = walk->done || !g_queue_is_empty (&walk->found);
  if (!ready)
    walk->want_wake = TRUE;
  g_mutex_unlock (&walk->mutex);

  if (ready)
    gtask_sup_task_return_boolean (task, TRUE);
  else
    g_queue_push_tail (&self->waiters, g_object_ref (task));
}

/* Mutex held: takes the next files from the buffer, up to batch_size, and,
 * when they are hashed in-process, no more once BATCH_BYTES are reached. */
static Batch *
sha256_tree_take_batch_locked (Sha256Tree *self)
{
  Walk *walk = self->walk;
  guint n_max = MIN (self->batch_size, g_queue_get_length (&walk->found));
  Batch *batch = batch_new ();

  g_assert (n_max > 0);

  batch->files = g_new (FoundFile *, n_max);
  while (batch->n_files < n_max)
    {
      FoundFile *file = g_queue_peek_head (&walk->found);

      if (self->exec_argv == NULL &&
          batch->n_files > 0 &&
          batch->n_bytes + file->size > BATCH_BYTES)
        break;

      batch->files[batch->n_files++] = g_queue_pop_head (&walk->found);
      batch->n_bytes += file->size;
    }

  /* There is room now, if the walker was waiting for some. */
  g_cond_signal (&walk->cond);

  self->n_handed += batch->n_files;

  return batch;
}

static GtaskSupTask *
sha256_tree_exec_task (Sha256Tree *self,
                       Batch      *batch)
{
  g_autofree const char **argv = g_new (const char *, self->exec_argc + batch->n_files + 1);
  GtaskSupTask *task;
  guint argc = 0;

  for (guint i = 0; i < self->exec_argc; i++)
    argv[argc++] = self->exec_argv[i];
  for (guint i = 0; i < batch->n_files; i++)
    argv[argc++] = batch->files[i]->path;
  argv[argc] = NULL;

  /* With --print, its stdout is the task's value; without, it goes to
   * /dev/null, as nobody reads it: capturing it costs a wake-up of the
   * library's threads for every write() of the command (sha256sum makes
   * one per line). The tail of its stderr ends a failure's message. */
  task = gtask_sup_task_new_subprocess (argv,
                                        (self->print ? G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                     : G_SUBPROCESS_FLAGS_STDOUT_SILENCE) |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* SIGKILL after that, if SIGTERM did not stop it; see
   * sha256_tree_wait_for_items(). */
  gtask_sup_task_set_shutdown_timeout (task, EXEC_KILL_AFTER_MS);

  return task;
}

/* The stream's next function: on the main context, whenever a slot is
 * free. Never waits: files are ready, or the walk is over (NULL ends the
 * input), or a wait item holds the slot until either is true. */
static GtaskSupTask *
sha256_tree_next_item (GtaskSupStream *stream,
                       guint64         index,
                       gpointer        user_data)
{
  Sha256Tree *self = user_data;
  Walk *walk = self->walk;
  GtaskSupTask *task;
  Batch *batch = NULL;
  gboolean done;

  g_mutex_lock (&walk->mutex);
  done = walk->done;
  if (!g_queue_is_empty (&walk->found))
    batch = sha256_tree_take_batch_locked (self);
  g_mutex_unlock (&walk->mutex);

  if (batch == NULL)
    {
      if (done)
        return NULL;

      self->n_wait_items++;
      task = gtask_sup_task_new_async (wait_for_files, self, NULL);
      gtask_sup_task_set_name (task, "wait-for-walk");

      return task;
    }

  if (self->exec_argv != NULL)
    {
      task = sha256_tree_exec_task (self, batch);
      gtask_sup_task_set_name (task, "exec");
    }
  else
    {
      batch->sums = g_new0 (FileSum, batch->n_files);
      task = gtask_sup_task_new_thread (hash_batch_thread,
                                        g_atomic_rc_box_acquire (batch), batch_release);
      gtask_sup_task_set_name (task, "sha256");
    }

  /* The stream's signals only carry the task: keep the files on it. */
  g_object_set_qdata_full (G_OBJECT (task), batch_quark, batch, batch_release);

  return task;
}

/* The stream's outputs */

static void
sha256_tree_report_hashed (Sha256Tree *self,
                           Batch      *batch)
{
  for (guint i = 0; i < batch->n_files; i++)
    {
      const FileSum *sum = &batch->sums[i];
      const char *path = batch->files[i]->path;

      if (sum->error != NULL)
        {
          self->n_failed++;
          sha256_tree_add_path_error (self, path, sum->error->message);
          continue;
        }

      self->n_succeeded++;
      self->n_bytes += sum->n_bytes;
      if (self->print)
        sha256_tree_print_sum (self, sum->hex, path);
    }
}

static void
sha256_tree_report_executed (Sha256Tree   *self,
                             Batch        *batch,
                             GtaskSupTask *task)
{
  const GValue *value = gtask_sup_task_get_value (task);

  self->n_succeeded += batch->n_files;
  self->n_bytes += batch->n_bytes;

  if (self->print && value != NULL && G_VALUE_HOLDS (value, G_TYPE_BYTES))
    {
      GBytes *output = g_value_get_boxed (value);
      gsize size;
      gconstpointer data = g_bytes_get_data (output, &size);

      if (size == 0)
        return;
      if (self->stdout_is_tty)
        sha256_tree_clear_progress (self);
      fwrite (data, 1, size, stdout);
    }
}

static void
on_stream_item (GtaskSupStream *stream,
                guint64         index,
                GtaskSupTask   *task,
                gpointer        user_data)
{
  Sha256Tree *self = user_data;
  Batch *batch = task_get_batch (task);
  const GError *error;

  /* A wait item: it only held a slot until there were files. */
  if (batch == NULL)
    return;

  self->n_reported += batch->n_files;

  switch (gtask_sup_task_get_state (task))
    {
    case GTASK_SUP_TASK_STATE_SUCCEEDED:
      if (self->exec_argv != NULL)
        sha256_tree_report_executed (self, batch, task);
      else
        sha256_tree_report_hashed (self, batch);
      break;

    case GTASK_SUP_TASK_STATE_TIMED_OUT:
      {
        g_autofree char *message = g_strdup_printf ("Timed out after %d ms", self->timeout_ms);

        self->n_timed_out += batch->n_files;
        sha256_tree_add_batch_error (self, batch, message);
      }
      break;

    case GTASK_SUP_TASK_STATE_FAILED:
      error = gtask_sup_task_get_error (task);
      if (self->interrupted && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->n_cancelled += batch->n_files;
        }
      else
        {
          /* With --exec, the message ends with the tail of its stderr. */
          self->n_failed += batch->n_files;
          sha256_tree_add_batch_error (self, batch, error->message);
        }
      break;

    case GTASK_SUP_TASK_STATE_NEW:
    case GTASK_SUP_TASK_STATE_QUEUED:
    case GTASK_SUP_TASK_STATE_RUNNING:
    default:
      g_assert_not_reached ();
    }
}

static void
on_stream_finished (GtaskSupStream *stream,
                    const GError   *error,
                    gpointer        user_data)
{
  Sha256Tree *self = user_data;

  self->stream_finished = TRUE;
  sha256_tree_clear_waiters (self);

  if (error == NULL)
    return;

  /* Items cancelled in flight are never outputs. */
  self->n_cancelled += self->n_handed - self->n_reported;

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->n_arg_errors++;
      sha256_tree_add_error (self, g_strdup (error->message));
    }
}

/* Setting up and running */

static Sha256Tree *
sha256_tree_new (guint       jobs,
                 int         timeout_ms,
                 guint       batch_size,
                 gboolean    print,
                 char      **exec_argv)
{
  Sha256Tree *self = g_object_new (SHA256_TYPE_TREE, NULL);

  self->jobs = jobs;
  self->timeout_ms = timeout_ms;
  self->batch_size = batch_size;
  self->print = print;
  self->exec_argv = exec_argv;
  self->exec_argc = exec_argv != NULL ? g_strv_length (exec_argv) : 0;
  self->show_progress = isatty (STDERR_FILENO);
  self->stdout_is_tty = isatty (STDOUT_FILENO);
  /* Room for every slot to take two full batches while the walker fills. */
  self->walk = walk_new (self, CLAMP (4 * jobs * batch_size, MIN_FOUND, MAX_FOUND));

  /* Owned by self: when self goes, its tasks go too. */
  self->supervisor = gtask_sup_supervisor_new (self);

  self->walker = gtask_sup_task_new_thread (walk_thread,
                                            g_atomic_rc_box_acquire (self->walk), walk_release);
  gtask_sup_task_set_name (self->walker, "walk");

  self->stream = gtask_sup_supervisor_map (self->supervisor, sha256_tree_next_item, self, NULL);
  gtask_sup_stream_set_max_concurrency (self->stream, jobs);
  gtask_sup_stream_set_retain (self->stream, FALSE);
  /* Hashes are printed as they come; a command's output in walk order. */
  gtask_sup_stream_set_ordered (self->stream, exec_argv != NULL && print);
  if (timeout_ms >= 0)
    {
      gtask_sup_stream_set_timeout (self->stream, timeout_ms);
      gtask_sup_stream_set_on_timeout (self->stream, GTASK_SUP_ON_TIMEOUT_KILL_TASK);
    }
  g_signal_connect (self->stream, "item", G_CALLBACK (on_stream_item), self);
  g_signal_connect (self->stream, "finished", G_CALLBACK (on_stream_finished), self);

  return self;
}

/* A command-line argument is followed if it is a symlink, like `find -H`;
 * nothing below it is. One that starts with '-' gets "./" in front, so that
 * neither a command of --exec nor sha256sum -c takes its files for
 * options. Before the walker starts: no lock needed. */
static void
sha256_tree_add_root (Sha256Tree *self,
                      const char *arg)
{
  g_autofree char *path = arg[0] == '-' ? g_strconcat ("./", arg, NULL) : g_strdup (arg);
  struct stat st;

  if (stat (path, &st) != 0)
    {
      int errsv = errno;

      self->n_arg_errors++;
      sha256_tree_add_path_error (self, path, g_strerror (errsv));
    }
  else if (S_ISDIR (st.st_mode))
    g_queue_push_tail (&self->walk->dirs, g_steal_pointer (&path));
  else if (S_ISREG (st.st_mode) && !is_kernel_pseudo_fs (path))
    walk_add_found_locked (self->walk, found_file_new (NULL, path, st.st_size));
  else
    self->n_skipped++;
}

static void
sha256_tree_interrupt (Sha256Tree *self)
{
  Walk *walk = self->walk;

  self->interrupted = TRUE;

  /* The walker stops, even if it waits for room. */
  gtask_sup_task_cancel (self->walker);

  /* Files found but never handed to an item count as cancelled too. */
  g_mutex_lock (&walk->mutex);
  self->n_cancelled += g_queue_get_length (&walk->found);
  g_queue_clear_full (&walk->found, g_free);
  g_mutex_unlock (&walk->mutex);

  /* Its items in flight are cancelled (subprocesses get SIGTERM), and
   * ::finished comes from a later iteration of the main context. */
  gtask_sup_stream_cancel (self->stream);
}

static gboolean
on_interrupt_signal (gpointer user_data)
{
  Sha256Tree *self = user_data;

  if (!self->interrupted)
    sha256_tree_interrupt (self);
  else
    self->abandoned = TRUE;   /* a second Ctrl-C: stop waiting */

  return G_SOURCE_CONTINUE;
}

/* The walker's function has returned, and its outcome was emitted. */
static gboolean
sha256_tree_walker_over (Sha256Tree *self)
{
  GtaskSupTaskState state = gtask_sup_task_get_state (self->walker);
  gboolean exited;

  g_mutex_lock (&self->walk->mutex);
  exited = self->walk->exited;
  g_mutex_unlock (&self->walk->mutex);

  return exited &&
         (state == GTASK_SUP_TASK_STATE_SUCCEEDED ||
          state == GTASK_SUP_TASK_STATE_FAILED ||
          state == GTASK_SUP_TASK_STATE_TIMED_OUT);
}

static gboolean
on_wait_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* The stream has finished, but what it cancelled (after a Ctrl-C) or what
 * timed out may still run: a thread function until it sees its
 * cancellable, a command until SIGTERM (or, EXEC_KILL_AFTER_MS later,
 * SIGKILL) ends it, which the library does on a thread of its own. Exiting
 * now would leave such a command behind, so wait for every batch to be
 * released, up to WAIT_FOR_ITEMS_MS (or a second Ctrl-C). Their tasks say
 * nothing when they go: poll. */
static void
sha256_tree_wait_for_items (Sha256Tree *self)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_FOR_ITEMS_MS * G_TIME_SPAN_MILLISECOND;
  guint tick;

  if (g_atomic_int_get (&n_live_batches) == 0)
    return;

  tick = g_timeout_add (10, on_wait_tick, NULL);
  while (!self->abandoned &&
         g_atomic_int_get (&n_live_batches) > 0 &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);

  if (g_atomic_int_get (&n_live_batches) > 0)
    g_printerr ("%s: %d cancelled items still running, not waiting for them\n",
                g_get_prgname (), g_atomic_int_get (&n_live_batches));
}

static void
sha256_tree_run (Sha256Tree *self)
{
  g_autoptr(GError) error = NULL;
  guint sigint_source;
  guint sigterm_source;

  sigint_source = g_unix_signal_add (SIGINT, on_interrupt_signal, self);
  sigterm_source = g_unix_signal_add (SIGTERM, on_interrupt_signal, self);

  self->start_time = g_get_monotonic_time ();
  if (self->show_progress)
    self->progress_source = g_timeout_add (PROGRESS_INTERVAL, on_progress_tick, self);

  if (!gtask_sup_supervisor_start (self->supervisor, self->walker, &error))
    g_error ("Cannot start the walk: %s", error->message);
  gtask_sup_stream_start (self->stream);

  while (!self->abandoned && (!self->stream_finished || !sha256_tree_walker_over (self)))
    g_main_context_iteration (NULL, TRUE);

  sha256_tree_wait_for_items (self);

  self->end_time = g_get_monotonic_time ();
  g_clear_handle_id (&self->progress_source, g_source_remove);
  g_source_remove (sigint_source);
  g_source_remove (sigterm_source);
}

static void
sha256_tree_print_summary (Sha256Tree *self)
{
  g_autoptr(GString) counts = g_string_new (NULL);
  Walk *walk = self->walk;
  double elapsed = sha256_tree_elapsed (self);
  double megabytes = self->n_bytes / 1e6;
  guint n_skipped, n_unreadable, n_errors, n_shown = 0;

  sha256_tree_clear_progress (self);

  if (self->interrupted)
    g_printerr ("Interrupted.\n");

  g_mutex_lock (&walk->mutex);

  n_skipped = self->n_skipped + g_atomic_int_get (&walk->n_skipped);
  n_unreadable = self->n_arg_errors + walk->n_errors;
  n_errors = self->n_errors + walk->n_errors;

  g_string_append_printf (counts, "%u files: %u succeeded, %u failed, %u timed out",
                          sha256_tree_n_done (self), self->n_succeeded, self->n_failed,
                          self->n_timed_out);
  if (self->n_cancelled > 0)
    g_string_append_printf (counts, ", %u cancelled", self->n_cancelled);
  if (n_skipped > 0)
    g_string_append_printf (counts, "; %u skipped (symlinks, special files, /proc and /sys)",
                            n_skipped);
  if (n_unreadable > 0)
    g_string_append_printf (counts, "; %u unreadable directories or arguments", n_unreadable);
  g_printerr ("%s\n", counts->str);

  for (guint i = 0; i < walk->errors->len && n_shown < MAX_SHOWN_ERRORS; i++, n_shown++)
    g_printerr ("  %s\n", (const char *) g_ptr_array_index (walk->errors, i));
  for (guint i = 0; i < self->errors->len && n_shown < MAX_SHOWN_ERRORS; i++, n_shown++)
    g_printerr ("  %s\n", (const char *) g_ptr_array_index (self->errors, i));
  if (n_errors > n_shown)
    g_printerr ("  … and %u more\n", n_errors - n_shown);

  g_mutex_unlock (&walk->mutex);

  g_printerr ("%.1f MB in %.2f s, %.1f MB/s\n",
              megabytes, elapsed, elapsed > 0 ? megabytes / elapsed : 0.0);
  if (g_getenv ("SHA256_TREE_DEBUG") != NULL)
    g_printerr ("%" G_GUINT64_FORMAT " items, %u of them waiting for the walk\n",
                gtask_sup_stream_get_n_outputs (self->stream), self->n_wait_items);
}

static gboolean
sha256_tree_all_succeeded (Sha256Tree *self)
{
  gboolean walk_ok;

  g_mutex_lock (&self->walk->mutex);
  walk_ok = self->walk->n_errors == 0;
  g_mutex_unlock (&self->walk->mutex);

  return !self->interrupted &&
         walk_ok &&
         self->n_failed == 0 &&
         self->n_timed_out == 0 &&
         self->n_cancelled == 0 &&
         self->n_arg_errors == 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(Sha256Tree) tree = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) dirs = NULL;
  g_auto(GStrv) exec_argv = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *program = NULL;
  int jobs = 0;
  int timeout_ms = -1;
  int batch_size = 0;
  gboolean print = FALSE;
  gboolean ok;
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
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs, NULL, NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");

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
  if (batch_size < 0 || batch_size > MAX_BATCH)
    {
      g_printerr ("%s: --batch must be between 1 and %d\n", g_get_prgname (), MAX_BATCH);
      return 1;
    }
  if (exec != NULL)
    {
      if (!g_shell_parse_argv (exec, NULL, &exec_argv, &error))
        {
          g_printerr ("%s: --exec: %s\n", g_get_prgname (), error->message);
          return 1;
        }
      /* Checked once here, rather than failing for every file. argv[0]
       * stays as given: it is what the command sees and names itself. */
      program = g_find_program_in_path (exec_argv[0]);
      if (program == NULL)
        {
          g_printerr ("%s: --exec: %s: command not found\n", g_get_prgname (), exec_argv[0]);
          return 1;
        }
    }
  if (jobs == 0)
    jobs = g_get_num_processors ();
  if (batch_size == 0)
    batch_size = exec != NULL || timeout_ms >= 0 ? 1 : DEFAULT_BATCH;

  tree = sha256_tree_new (jobs, timeout_ms, batch_size, print, g_steal_pointer (&exec_argv));

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
