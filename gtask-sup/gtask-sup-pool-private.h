/* gtask-sup-pool-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The process-wide pool of worker threads. It knows nothing of tasks: it
 * runs a function with its data, in FIFO order; a push allocates nothing
 * (the pool's own ring holds the pair). A push fails, without aborting,
 * when the process has no thread to run the job. */

#define GTASK_SUP_POOL_MAX_THREADS 128
#define GTASK_SUP_POOL_STALL_USEC  (5 * G_TIME_SPAN_MILLISECOND)

typedef void (*GtaskSupPoolFunc) (gpointer data);

typedef struct
{
  GtaskSupPoolFunc func;
  gpointer         data;
} GtaskSupPoolJob;

G_GNUC_INTERNAL
gboolean _gtask_sup_pool_push            (GtaskSupPoolFunc   func,
                                          gpointer           data,
                                          GError           **error);
G_GNUC_INTERNAL
guint    _gtask_sup_pool_get_num_threads (void);
G_GNUC_INTERNAL
gboolean _gtask_sup_pool_is_worker       (void);

G_END_DECLS
