/* gtask-sup-subprocess-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gtask-sup-task.h"

G_BEGIN_DECLS

/* The subprocess service: a private thread, with its own main context, that
 * spawns subprocess tasks, waits for them and escalates their kills. It
 * works whether or not anyone iterates the owner context, so that a child
 * is killed (SIGTERM, then SIGKILL after the grace period) even when its
 * owner and its supervisor are long gone: no orphan processes.
 *
 * Each child runs in a process group of its own, and signals go to the
 * whole group, so that what it started dies with it. */

G_GNUC_INTERNAL
void _gtask_sup_process_group_unref  (gpointer      group);
G_GNUC_INTERNAL
void _gtask_sup_subprocess_spawn     (GtaskSupTask *task);
G_GNUC_INTERNAL
void _gtask_sup_subprocess_terminate (GtaskSupTask *task,
                                      int           kill_after_ms);
G_GNUC_INTERNAL
void _gtask_sup_subprocess_kill      (GtaskSupTask *task);

G_END_DECLS
