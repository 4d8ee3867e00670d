/* gtask-sup-supervisor-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gtask-sup-supervisor.h"

G_BEGIN_DECLS

/* Called when a supervisor is silenced (its owner disposed, or itself
 * finalized), on the owner context. */
typedef void (*GtaskSupSilenceFunc) (GtaskSupSupervisor *supervisor,
                                     gpointer            data);

G_GNUC_INTERNAL
void _gtask_sup_supervisor_add_silence_hook    (GtaskSupSupervisor  *self,
                                                GtaskSupSilenceFunc  func,
                                                gpointer             data);
G_GNUC_INTERNAL
void _gtask_sup_supervisor_remove_silence_hook (GtaskSupSupervisor  *self,
                                                GtaskSupSilenceFunc  func,
                                                gpointer             data);

/* It runs as a task of another supervisor: a task started on it from
 * inside another task's work is cancelled with that task. */
G_GNUC_INTERNAL
void _gtask_sup_supervisor_set_scoped (GtaskSupSupervisor *self);
/* Whether it shuts down and ::stopped is still to come. */
G_GNUC_INTERNAL
gboolean _gtask_sup_supervisor_will_stop (GtaskSupSupervisor *self);
/* Silences the supervisor, as if its owner were disposed. */
G_GNUC_INTERNAL
void _gtask_sup_supervisor_silence (GtaskSupSupervisor *self);
/* Shuts it down (as shutdown_async() without a caller), its tasks with no
 * grace period. */
G_GNUC_INTERNAL
void _gtask_sup_supervisor_kill    (GtaskSupSupervisor *self);

G_END_DECLS
