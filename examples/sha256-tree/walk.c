/* walk.c — the walk of the tree, on a thread of its own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A walker, a thread task of the supervisor (not an item of the stream),
 * walks the tree depth first with GFileEnumerator's synchronous calls and
 * puts the files it finds in a bounded buffer (`found`, under a mutex); it
 * sleeps on a condition variable while the buffer is full, so the walk goes
 * exactly as fast as the items take files. Symlinks are never followed,
 * special files and kernel pseudo-filesystems are skipped. The walk holds
 * the buffer, one open directory, and the subdirectories still to visit
 * along the current path: its memory grows with the shape of the tree, not
 * with the number of files. (A walk made of GFileEnumerator _async() calls
 * on the main context was tried first: each step is a round trip between
 * the main loop and a GIO thread, and that chain could not keep two hashing
 * threads fed.)
 *
 * The main thread takes batches from the buffer; when it finds none while
 * the walk goes on, the next push of the walker (or its end) calls the
 * ready function on the main context, once.
 */

#include <errno.h>
#include <sys/stat.h>

#ifdef __linux__
# include <linux/magic.h>
# include <sys/vfs.h>
#endif

#include "walk.h"

/* Files the walker hands over to the buffer at once, under one lock. */
#define WALK_BATCH 64

struct _Walk
{
  GMutex         mutex;
  GCond          cond;         /* the walker sleeps on it while the buffer is full */
  GMainContext  *context;      /* the main context, woken by the walker */
  WalkReadyFunc  ready;        /* main thread: NULL once detached */
  gpointer       ready_data;

  /* Filled before the walker starts, then the walker's alone. */
  GQueue         dirs;         /* char *: a stack, so that the walk is depth first */
  const char    *attributes;   /* what the walker asks of each entry */

  /* Under mutex. */
  GQueue         found;        /* FoundFile *: at most capacity, plus one push */
  guint          capacity;
  gboolean       stop;         /* the walker's task was cancelled */
  gboolean       done;         /* no more files will come */
  gboolean       exited;       /* the walker's function is returning */
  gboolean       want_ready;   /* the main thread found none: call ready */
  guint          n_errors;
  GPtrArray     *errors;       /* the first MAX_SHOWN_ERRORS messages */

  /* Atomic: read by the progress line. */
  int            n_found;
  int            n_skipped;
};

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

/* Without @with_sizes, files have size 0: their type comes from the
 * directory listing itself, with no stat() per file, as find does. */
Walk *
walk_new (guint         capacity,
          gboolean      with_sizes,
          WalkReadyFunc ready,
          gpointer      ready_data)
{
  Walk *walk = g_atomic_rc_box_new0 (Walk);

  g_mutex_init (&walk->mutex);
  g_cond_init (&walk->cond);
  walk->context = g_main_context_ref_thread_default ();
  walk->ready = ready;
  walk->ready_data = ready_data;
  g_queue_init (&walk->dirs);
  g_queue_init (&walk->found);
  walk->capacity = capacity;
  walk->attributes = with_sizes ? G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                  G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                  G_FILE_ATTRIBUTE_STANDARD_SIZE
                                : G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                  G_FILE_ATTRIBUTE_STANDARD_TYPE;
  walk->errors = g_ptr_array_new_with_free_func (g_free);

  return walk;
}

Walk *
walk_ref (Walk *walk)
{
  return g_atomic_rc_box_acquire (walk);
}

void
walk_unref (Walk *walk)
{
  g_atomic_rc_box_release_full (walk, walk_clear);
}

void
walk_detach (Walk *walk)
{
  walk->ready = NULL;
}

/* Files of kernel pseudo-filesystems claim to be regular files but are not
 * data: their contents change as they are read, and some never end
 * (/proc/self/pagemap describes the whole address space, hundreds of GB).
 * sha256sum would read them forever; the walk skips them. */
gboolean
walk_is_kernel_pseudo_fs (const char *path)
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

void
walk_add_dir (Walk       *walk,
              const char *path)
{
  g_queue_push_tail (&walk->dirs, g_strdup (path));
}

void
walk_add_file (Walk       *walk,
               const char *path,
               guint64     size)
{
  g_mutex_lock (&walk->mutex);
  g_queue_push_tail (&walk->found, found_file_new (NULL, path, size));
  g_atomic_int_inc (&walk->n_found);
  g_mutex_unlock (&walk->mutex);
}

static gboolean
walk_ready_cb (gpointer user_data)
{
  Walk *walk = user_data;

  if (walk->ready != NULL)
    walk->ready (walk->ready_data);

  return G_SOURCE_REMOVE;
}

/* The walker's thread, mutex held: tells the main thread, from an idle of
 * its context (not with g_main_context_invoke(), which would call back on
 * this thread if it could acquire the context). */
static void
walk_signal_ready_locked (Walk *walk)
{
  GSource *source = g_idle_source_new ();

  walk->want_ready = FALSE;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, walk_ready_cb, walk_ref (walk), (GDestroyNotify) walk_unref);
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
        g_queue_push_tail (&walk->found, g_steal_pointer (&batch->pdata[i]));
      g_atomic_int_add (&walk->n_found, batch->len);
      if (walk->want_ready)
        walk_signal_ready_locked (walk);
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

  if (walk_is_kernel_pseudo_fs (path))
    {
      g_atomic_int_inc (&walk->n_skipped);
      return;
    }

  dir = g_file_new_for_path (path);
  enumerator = g_file_enumerate_children (dir,
                                          walk->attributes,
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
          g_ptr_array_add (batch, found_file_new (path, name,
                                                  g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_SIZE)
                                                  ? g_file_info_get_size (info) : 0));
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
  /* The main thread sees the walk over. */
  walk_signal_ready_locked (walk);
  g_mutex_unlock (&walk->mutex);

  if (!g_cancellable_set_error_if_cancelled (cancellable, NULL))
    gtask_sup_task_return_boolean (task, TRUE);
}

GtaskSupTask *
walk_task_new (Walk *walk)
{
  GtaskSupTask *task = gtask_sup_task_new_thread (walk_thread, walk_ref (walk),
                                                  (GDestroyNotify) walk_unref);

  gtask_sup_task_set_name (task, "walk");

  return task;
}

/* Main thread: the next files from the buffer, up to @max_files, and no
 * more once @max_bytes are reached (0: no limit); or NULL if there are
 * none, with *@done telling whether the walk is over. When it is not, the
 * ready function is called once files come (or the walk ends). */
Batch *
walk_take_batch (Walk     *walk,
                 guint     max_files,
                 guint64   max_bytes,
                 gboolean *done)
{
  Batch *batch = NULL;
  guint n_max;

  g_mutex_lock (&walk->mutex);

  *done = walk->done;
  n_max = MIN (max_files, g_queue_get_length (&walk->found));
  if (n_max == 0)
    {
      walk->want_ready = !walk->done;
      g_mutex_unlock (&walk->mutex);
      return NULL;
    }

  batch = batch_new (n_max);
  while (batch->n_files < n_max)
    {
      FoundFile *file = g_queue_peek_head (&walk->found);

      if (max_bytes > 0 && batch->n_files > 0 && batch->n_bytes + file->size > max_bytes)
        break;

      batch->files[batch->n_files++] = g_queue_pop_head (&walk->found);
      batch->n_bytes += file->size;
    }

  /* There is room now, if the walker was waiting for some. */
  g_cond_signal (&walk->cond);
  g_mutex_unlock (&walk->mutex);

  return batch;
}

/* Main thread, after a Ctrl-C: forgets the files not handed out yet;
 * returns how many. */
guint
walk_drop_found (Walk *walk)
{
  guint n;

  g_mutex_lock (&walk->mutex);
  n = g_queue_get_length (&walk->found);
  g_queue_clear_full (&walk->found, g_free);
  g_mutex_unlock (&walk->mutex);

  return n;
}

gboolean
walk_has_exited (Walk *walk)
{
  gboolean exited;

  g_mutex_lock (&walk->mutex);
  exited = walk->exited;
  g_mutex_unlock (&walk->mutex);

  return exited;
}

guint
walk_get_n_found (Walk *walk)
{
  return g_atomic_int_get (&walk->n_found);
}

guint
walk_get_n_skipped (Walk *walk)
{
  return g_atomic_int_get (&walk->n_skipped);
}

/* Copies the first error messages to @messages; returns how many errors. */
guint
walk_get_errors (Walk      *walk,
                 GPtrArray *messages)
{
  guint n;

  g_mutex_lock (&walk->mutex);
  n = walk->n_errors;
  for (guint i = 0; i < walk->errors->len; i++)
    g_ptr_array_add (messages, g_strdup (g_ptr_array_index (walk->errors, i)));
  g_mutex_unlock (&walk->mutex);

  return n;
}
