/* gtask-sup-stream.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(GTASK_SUP_INSIDE) && !defined(GTASK_SUP_COMPILATION)
# error "Only <gtask-sup/gtask-sup.h> can be included directly."
#endif

#include "gtask-sup-types.h"

G_BEGIN_DECLS

#define GTASK_SUP_TYPE_STREAM (gtask_sup_stream_get_type ())

GTASK_SUP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (GtaskSupStream, gtask_sup_stream, GTASK_SUP, STREAM, GObject)

GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupSupervisor *gtask_sup_stream_dup_supervisor    (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_stream_get_max_concurrency (GtaskSupStream     *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_set_max_concurrency (GtaskSupStream     *self,
                                                          guint               max_concurrency);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_stream_get_ordered       (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_set_ordered       (GtaskSupStream       *self,
                                                        gboolean              ordered);
GTASK_SUP_AVAILABLE_IN_1_0
int                 gtask_sup_stream_get_timeout       (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_set_timeout       (GtaskSupStream       *self,
                                                        int                   timeout_ms);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupOnTimeout   gtask_sup_stream_get_on_timeout    (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_set_on_timeout    (GtaskSupStream       *self,
                                                        GtaskSupOnTimeout     on_timeout);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_stream_get_retain        (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_set_retain        (GtaskSupStream       *self,
                                                        gboolean              retain);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_stream_get_read_ahead    (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_set_read_ahead    (GtaskSupStream       *self,
                                                        guint                 read_ahead);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_stream_get_n_running     (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
guint64             gtask_sup_stream_get_n_outputs     (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_stream_get_finished      (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_start             (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_wait_for_input    (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_input_ready       (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_push_async        (GtaskSupStream       *self,
                                                        GtaskSupTask         *task,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_stream_push_finish       (GtaskSupStream       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_close_input       (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_cancel            (GtaskSupStream       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_stream_join_async        (GtaskSupStream       *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_stream_join_finish       (GtaskSupStream       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

G_END_DECLS
