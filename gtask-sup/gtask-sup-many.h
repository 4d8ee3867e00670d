/* gtask-sup-many.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(GTASK_SUP_INSIDE) && !defined(GTASK_SUP_COMPILATION)
# error "Only <gtask-sup/gtask-sup.h> can be included directly."
#endif

#include "gtask-sup-types.h"

G_BEGIN_DECLS

GTASK_SUP_AVAILABLE_IN_1_0
void       gtask_sup_await_many_async  (GtaskSupTask          **tasks,
                                        guint                   n_tasks,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean   gtask_sup_await_many_finish (GAsyncResult           *result,
                                        GError                **error);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean   gtask_sup_await_many        (GtaskSupTask          **tasks,
                                        guint                   n_tasks,
                                        int                     timeout_ms,
                                        GError                **error);

GTASK_SUP_AVAILABLE_IN_1_0
void       gtask_sup_yield_many_async  (GtaskSupTask          **tasks,
                                        guint                   n_tasks,
                                        int                     timeout_ms,
                                        guint                   limit,
                                        GtaskSupYieldTimeout    on_timeout,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data);
GTASK_SUP_AVAILABLE_IN_1_0
GPtrArray *gtask_sup_yield_many_finish (GAsyncResult           *result,
                                        GError                **error);
GTASK_SUP_AVAILABLE_IN_1_0
GPtrArray *gtask_sup_yield_many        (GtaskSupTask          **tasks,
                                        guint                   n_tasks,
                                        int                     timeout_ms,
                                        guint                   limit,
                                        GtaskSupYieldTimeout    on_timeout);

G_END_DECLS
