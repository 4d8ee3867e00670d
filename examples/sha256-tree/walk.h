/* walk.h — the walk of the tree, on a thread of its own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "sha256-tree.h"

G_BEGIN_DECLS

typedef struct _Walk Walk;

/* Called on the main context when files are ready after walk_take_batch()
 * found none, or when the walk is over. */
typedef void (*WalkReadyFunc) (gpointer data);

Walk         *walk_new          (guint          capacity,
                                 gboolean       with_sizes,
                                 WalkReadyFunc  ready,
                                 gpointer       ready_data);
Walk         *walk_ref          (Walk          *walk);
void          walk_unref        (Walk          *walk);
/* The owner of @ready_data goes: no more calls. */
void          walk_detach       (Walk          *walk);

/* Before the walker starts. */
void          walk_add_dir      (Walk          *walk,
                                 const char    *path);
void          walk_add_file     (Walk          *walk,
                                 const char    *path,
                                 guint64        size);
gboolean      walk_is_kernel_pseudo_fs (const char *path);

/* The walker, as a thread task to start on a supervisor. */
GtaskSupTask *walk_task_new     (Walk          *walk);

/* The main thread's side. */
Batch        *walk_take_batch   (Walk          *walk,
                                 guint          max_files,
                                 guint64        max_bytes,
                                 gboolean      *done);
guint         walk_drop_found   (Walk          *walk);
gboolean      walk_has_exited   (Walk          *walk);
guint         walk_get_n_found  (Walk          *walk);
guint         walk_get_n_skipped (Walk         *walk);
guint         walk_get_errors   (Walk          *walk,
                                 GPtrArray     *messages);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Walk, walk_unref)

G_END_DECLS
