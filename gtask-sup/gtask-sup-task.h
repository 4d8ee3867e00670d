/* gtask-sup-task.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(GTASK_SUP_INSIDE) && !defined(GTASK_SUP_COMPILATION)
# error "Only <gtask-sup/gtask-sup.h> can be included directly."
#endif

#include "gtask-sup-types.h"

G_BEGIN_DECLS

#define GTASK_SUP_TYPE_TASK (gtask_sup_task_get_type ())

GTASK_SUP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (GtaskSupTask, gtask_sup_task, GTASK_SUP, TASK, GObject)

GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTask       *gtask_sup_task_new_thread          (GtaskSupThreadFunc   func,
                                                        gpointer             user_data,
                                                        GDestroyNotify       destroy);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTask       *gtask_sup_task_new_async           (GtaskSupAsyncFunc    func,
                                                        gpointer             user_data,
                                                        GDestroyNotify       destroy);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTask       *gtask_sup_task_new_subprocess      (const char * const  *argv,
                                                        GSubprocessFlags     flags);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTask       *gtask_sup_task_new_completed       (const GValue        *value);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTask       *gtask_sup_task_new_failed          (const GError        *error);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTask       *gtask_sup_task_new_supervisor      (GtaskSupSupervisor  *child);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupSupervisor *gtask_sup_task_get_child_supervisor (GtaskSupTask       *self);
GTASK_SUP_AVAILABLE_IN_1_0
GSubprocess        *gtask_sup_task_dup_subprocess      (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
char               *gtask_sup_task_dup_identifier      (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupSpawnMode   gtask_sup_task_get_spawn_mode      (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_set_spawn_mode      (GtaskSupTask        *self,
                                                        GtaskSupSpawnMode    mode);
GTASK_SUP_AVAILABLE_IN_1_0
const char         *gtask_sup_task_get_name            (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_set_name            (GtaskSupTask        *self,
                                                        const char          *name);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTaskKind    gtask_sup_task_get_kind            (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTask       *gtask_sup_task_get_current         (void);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTask       *gtask_sup_task_get_parent          (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupTaskState   gtask_sup_task_get_state           (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
int                 gtask_sup_task_get_timeout         (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_set_timeout         (GtaskSupTask        *self,
                                                        int                  timeout_ms);
GTASK_SUP_AVAILABLE_IN_1_0
int                 gtask_sup_task_get_shutdown_timeout (GtaskSupTask       *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_set_shutdown_timeout (GtaskSupTask       *self,
                                                         int                 timeout_ms);
GTASK_SUP_AVAILABLE_IN_1_0
GtaskSupRestart     gtask_sup_task_get_restart         (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_set_restart         (GtaskSupTask        *self,
                                                        GtaskSupRestart      restart);
GTASK_SUP_AVAILABLE_IN_1_0
gpointer            gtask_sup_task_get_input           (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_set_input           (GtaskSupTask        *self,
                                                        gpointer             input);
GTASK_SUP_AVAILABLE_IN_1_0
int                 gtask_sup_task_get_priority        (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_set_priority        (GtaskSupTask        *self,
                                                        int                  priority);
GTASK_SUP_AVAILABLE_IN_1_0
double              gtask_sup_task_get_progress        (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_set_progress        (GtaskSupTask        *self,
                                                        double               progress);
GTASK_SUP_AVAILABLE_IN_1_0
GCancellable       *gtask_sup_task_get_cancellable     (GtaskSupTask        *self);

GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_return_value        (GtaskSupTask        *self,
                                                        const GValue        *value);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_return_pointer      (GtaskSupTask        *self,
                                                        gpointer             result,
                                                        GDestroyNotify       result_destroy);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_return_boolean      (GtaskSupTask        *self,
                                                        gboolean             result);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_return_int          (GtaskSupTask        *self,
                                                        gint64               result);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_return_error        (GtaskSupTask        *self,
                                                        GError              *error);

GTASK_SUP_AVAILABLE_IN_1_0
const GValue       *gtask_sup_task_get_value           (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
const GError       *gtask_sup_task_get_error           (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_task_propagate_value     (GtaskSupTask        *self,
                                                        GValue              *value,
                                                        GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
gpointer            gtask_sup_task_propagate_pointer   (GtaskSupTask        *self,
                                                        GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_task_propagate_boolean   (GtaskSupTask        *self,
                                                        GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
gint64              gtask_sup_task_propagate_int       (GtaskSupTask        *self,
                                                        GError             **error);

GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_cancel              (GtaskSupTask        *self);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_shutdown            (GtaskSupTask        *self,
                                                        int                  grace_ms);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_task_wait                (GtaskSupTask        *self,
                                                        int                  timeout_ms,
                                                        GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_task_join                (GtaskSupTask        *self,
                                                        int                  timeout_ms,
                                                        GError             **error);
GTASK_SUP_AVAILABLE_IN_1_0
void                gtask_sup_task_join_async          (GtaskSupTask        *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GTASK_SUP_AVAILABLE_IN_1_0
gboolean            gtask_sup_task_join_finish         (GtaskSupTask        *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

G_END_DECLS
