/* sha256-tree.h — what the parts of sha256-tree share: the options, and
 * the files handed from the walk to the items
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gtask-sup/gtask-sup.h>

G_BEGIN_DECLS

/* Bytes read between two checks of the task's cancellable. */
#define CHUNK_SIZE (64 * 1024)
/* In-process hashing: default files per item, and bytes above which a
 * batch takes no more files: about 20 ms of hashing, so that the hand-over
 * of an item to a worker and back is a small part of it, while the last
 * item does not keep one worker busy long. */
#define DEFAULT_BATCH 512
#define BATCH_BYTES (8 * 1024 * 1024)
#define MAX_BATCH 4096
/* Errors listed in the summary; the others are only counted. */
#define MAX_SHOWN_ERRORS 5

typedef struct
{
  guint       jobs;         /* items at once */
  int         timeout_ms;   /* per item, or -1 */
  guint       batch_size;   /* files per item at most */
  gboolean    print;        /* a line per file, as sha256sum */
  char      **exec_argv;    /* --exec: the command, or NULL */
  guint       exec_argc;
} Sha256Options;

/* FoundFile: a regular file the walk found. */
typedef struct
{
  guint64 size;      /* as the walk saw it, for the batches of hashing; 0 with --exec */
  char    path[];
} FoundFile;

FoundFile *found_file_new (const char *dir,
                           const char *name,
                           guint64     size);

/* FileSum: the result for one file of a batch, written by the worker. */
typedef struct
{
  char    *hex;      /* lower-case hex digest, as sha256sum prints it */
  guint64  n_bytes;
  GError  *error;    /* or why the file could not be hashed */
} FileSum;

/* Batch: the files of one item. Shared by the task's work (a worker, or a
 * command) and the main thread, hence reference counted. The worker writes
 * `sums`; the main thread reads them only once the task has succeeded. */
typedef struct
{
  guint       n_files;
  guint64     n_bytes;
  FoundFile **files;
  FileSum    *sums;      /* in-process hashing only */
} Batch;

Batch *batch_new              (guint         max_files);
Batch *batch_ref              (Batch        *batch);
void   batch_release          (gpointer      batch);
/* Batches alive: an item cancelled by a Ctrl-C keeps its batch until its
 * thread function has returned, or until its command is reaped. */
int    batch_get_n_live       (void);
void   task_set_batch         (GtaskSupTask *task,
                               Batch        *batch);
Batch *task_get_batch         (GtaskSupTask *task);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Batch, batch_release)

G_END_DECLS
