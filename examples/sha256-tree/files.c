/* files.c — the files the walk found, and the batches items take
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "sha256-tree.h"

static int n_live_batches;   /* atomic */

FoundFile *
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

Batch *
batch_new (guint max_files)
{
  Batch *batch = g_atomic_rc_box_new0 (Batch);

  g_atomic_int_inc (&n_live_batches);
  batch->files = g_new (FoundFile *, max_files);

  return batch;
}

Batch *
batch_ref (Batch *batch)
{
  return g_atomic_rc_box_acquire (batch);
}

static void
batch_clear (gpointer data)
{
  Batch *batch = data;

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

  g_atomic_int_dec_and_test (&n_live_batches);
}

void
batch_release (gpointer batch)
{
  g_atomic_rc_box_release_full (batch, batch_clear);
}

int
batch_get_n_live (void)
{
  return g_atomic_int_get (&n_live_batches);
}

static G_DEFINE_QUARK (sha256-tree-batch, batch)

/* The stream's signals only carry the task: the files ride on it. */
void
task_set_batch (GtaskSupTask *task,
                Batch        *batch)
{
  g_object_set_qdata_full (G_OBJECT (task), batch_quark (), batch_ref (batch), batch_release);
}

Batch *
task_get_batch (GtaskSupTask *task)
{
  return g_object_get_qdata (G_OBJECT (task), batch_quark ());
}
