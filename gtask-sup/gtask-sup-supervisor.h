/* gtask-sup-supervisor.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(GTASK_SUP_INSIDE) && !defined(GTASK_SUP_COMPILATION)
# error "Only <gtask-sup/gtask-sup.h> can be included directly."
#endif

#include "gtask-sup-types.h"

G_BEGIN_DECLS

#define GTASK_SUP_TYPE_SUPERVISOR (gtask_sup_supervisor_get_type ())

GTASK_SUP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (GtaskSupSupervisor, gtask_sup_supervisor, GTASK_SUP, SUPERVISOR, GObject)

GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupSupervisor *gtask_sup_supervisor_new                 (gpointer             owner);
GTASK_SUP_AVAILABLE_IN_1_0
gpointer            gtask_sup_supervisor_dup_owner           (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
GMainContext       *gtask_sup_supervisor_get_main_context    (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_supervisor_get_max_children    (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_set_max_children    (GtaskSupSupervisor  *self,
                                                              guint                max_children);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_supervisor_get_max_concurrency (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_set_max_concurrency (GtaskSupSupervisor  *self,
                                                              guint                max_concurrency);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_supervisor_get_max_restarts    (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_set_max_restarts    (GtaskSupSupervisor  *self,
                                                              guint                max_restarts);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_supervisor_get_max_seconds     (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_set_max_seconds     (GtaskSupSupervisor  *self,
                                                              guint                max_seconds);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_supervisor_get_n_running       (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_supervisor_get_n_queued        (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_supervisor_get_closed          (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
GListModel         *gtask_sup_supervisor_get_children        (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_supervisor_start               (GtaskSupSupervisor  *self,
                                                              GtaskSupTask        *task,
                                                              GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTask       *gtask_sup_supervisor_run_in_thread       (GtaskSupSupervisor  *self,
                                                              GtaskSupThreadFunc   func,
                                                              gpointer             user_data,
                                                              GDestroyNotify       destroy,
                                                              GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupStream     *gtask_sup_supervisor_map                 (GtaskSupSupervisor     *self,
                                                              GtaskSupStreamNextFunc  next_func,
                                                              gpointer                user_data,
                                                              GDestroyNotify          destroy);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupStream     *gtask_sup_supervisor_map_model           (GtaskSupSupervisor     *self,
                                                              GListModel             *items,
                                                              GtaskSupStreamMapFunc   func,
                                                              gpointer                user_data,
                                                              GDestroyNotify          destroy);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupStream     *gtask_sup_supervisor_map_push            (GtaskSupSupervisor     *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_shutdown_async      (GtaskSupSupervisor  *self,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_supervisor_shutdown_finish     (GtaskSupSupervisor  *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_close               (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_drain_async         (GtaskSupSupervisor  *self,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_supervisor_drain_finish        (GtaskSupSupervisor  *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_supervisor_terminate_child     (GtaskSupSupervisor  *self,
                                                              GtaskSupTask        *task,
                                                              int                  grace_ms,
                                                              GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupSupervisor *gtask_sup_supervisor_new_child           (GtaskSupSupervisor  *self,
                                                              GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_supervisor_ignore              (GtaskSupSupervisor  *self,
                                                              GtaskSupTask        *task,
                                                              GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_bind_lifetime       (GtaskSupSupervisor  *self,
                                                              gpointer             instance,
                                                              const char          *detailed_signal);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_bind_bus_name       (GtaskSupSupervisor  *self,
                                                              GDBusConnection     *connection,
                                                              const char          *name);
GTASK_SUP_AVAILABLE_IN_1_0
guint               gtask_sup_supervisor_get_progress_interval (GtaskSupSupervisor *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_set_progress_interval (GtaskSupSupervisor *self,
                                                                guint               interval_ms);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_supervisor_get_log_unhandled   (GtaskSupSupervisor  *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_supervisor_set_log_unhandled   (GtaskSupSupervisor  *self,
                                                              gboolean             log_unhandled);

G_END_DECLS
