/* gtask-sup-pool-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The process-wide pool of worker threads. It knows nothing of tasks: it
 * runs jobs, each a function pointer embedded in its caller's data (so a
 * push allocates nothing). */

#define GTASK_SUP_POOL_MAX_THREADS 128
#define GTASK_SUP_POOL_STALL_USEC  (5 * G_TIME_SPAN_MILLISECOND)

typedef struct _GtaskSupPoolJob GtaskSupPoolJob;

typedef void (*GtaskSupPoolFunc) (GtaskSupPoolJob *job);

struct _GtaskSupPoolJob
{
  GtaskSupPoolFunc func;
};

G_GNUC_INTERNAL
void     _gtask_sup_pool_push       (GtaskSupPoolJob *job);
G_GNUC_INTERNAL
gboolean _gtask_sup_pool_is_worker  (void);
G_GNUC_INTERNAL
gboolean _gtask_sup_pool_is_backlogged (void);

G_END_DECLS
