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

G_END_DECLS
