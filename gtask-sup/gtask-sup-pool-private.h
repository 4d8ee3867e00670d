/* gtask-sup-pool-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gtask-sup-task.h"

G_BEGIN_DECLS

/* The process-wide pool of worker threads that runs thread tasks. */

#define GTASK_SUP_POOL_MAX_THREADS 128
#define GTASK_SUP_POOL_STALL_USEC  (5 * G_TIME_SPAN_MILLISECOND)

G_GNUC_INTERNAL
void  gtask_sup_pool_push            (GtaskSupTask *task);
G_GNUC_INTERNAL
gboolean gtask_sup_pool_is_worker    (void);

G_END_DECLS
