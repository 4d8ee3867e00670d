/* gtask-sup-service-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The service thread: one thread of the process, with a main context of its
 * own, that keeps time and processes for the engine whoever else is busy.
 * The engine's deadline timer, the spawning and reaping of subprocesses and
 * their SIGKILL escalation run there, so that a timeout or a kill acts on
 * time while the owner thread is blocked, and even after the owner and its
 * supervisor are gone. Work attached to it must never block. */

G_GNUC_INTERNAL
GMainContext *_gtask_sup_service_get_context (void);

G_END_DECLS
