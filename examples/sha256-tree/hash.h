/* hash.h — hashing a batch of files, on a worker thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "sha256-tree.h"

G_BEGIN_DECLS

/* A thread task that hashes the files of @batch into its sums. An
 * unreadable file is a result of the batch (an error for that file); only
 * a cancellation (Ctrl-C, or the task's timeout) fails the task. */
GtaskSupTask *hash_task_new (Batch *batch);

G_END_DECLS
