/* hash.c — hashing a batch of files, on a worker thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An item hashes up to --batch files (512 by default, and at most 8 MiB of
 * them; a bigger file goes alone), so that the hand-over from the main loop
 * to a worker and back, tens of microseconds on an idle machine and up to a
 * scheduler time slice on a busy one, is paid once per batch rather than
 * once per small file, as `xargs -n` does.
 */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hash.h"

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

GtaskSupTask *
hash_task_new (Batch *batch)
{
  GtaskSupTask *task;

  batch->sums = g_new0 (FileSum, batch->n_files);
  task = gtask_sup_task_new_thread (hash_batch_thread, batch_ref (batch), batch_release);
  gtask_sup_task_set_name (task, "sha256");

  return task;
}
