/* gtask-sup-spawn-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A child started with posix_spawn() rather than GSubprocess: the parent's
 * memory is not copied (glibc spawns with CLONE_VM | CLONE_VFORK), so
 * starting it costs the same in a large, many-threaded program as in a
 * small one, where GSubprocess's fork() write-protects every page and
 * makes each thread of the parent fault them back. It is what
 * GSubprocess is for a subprocess task, without the object: its own
 * process group, the stdio that GSubprocessFlags ask for, and, once it
 * was reaped and its pipes were read to the end, its wait status and what
 * it wrote.
 *
 * It starts on any thread: posix_spawn() blocks until the child has
 * called exec(), about a third of a millisecond, so not on the service
 * thread. That thread may then wait for it a little (a short command
 * ends there, with no other thread woken); then it hands it over to a
 * context (the service thread's), which reads its pipes and reaps it
 * (through a pidfd, or GLib's child watch without one). Its pid and
 * whether it was reaped may be read from any thread: it is reference
 * counted (atomic), so that kill timers can keep it. */

typedef struct _GtaskSupSpawn GtaskSupSpawn;

/* Called once, on the thread that saw the end: the child was reaped and
 * its pipes were read to the end. @out and @err are what it wrote on the
 * pipes of STDOUT_PIPE and STDERR_PIPE (NULL without); @error is set if
 * reading them failed (the child is then killed, and reaped before the
 * call). */
typedef void (*GtaskSupSpawnDoneFunc) (GBytes       *out,
                                       GBytes       *err,
                                       int           wait_status,
                                       const GError *error,
                                       gpointer      data);

G_GNUC_INTERNAL
gboolean       _gtask_sup_spawn_is_supported (GSubprocessFlags        flags);
G_GNUC_INTERNAL
GtaskSupSpawn *_gtask_sup_spawn_start        (const char * const     *argv,
                                              GSubprocessFlags        flags,
                                              GtaskSupSpawnDoneFunc   done,
                                              gpointer                data,
                                              GError                **error);
G_GNUC_INTERNAL
gboolean       _gtask_sup_spawn_wait         (GtaskSupSpawn          *self,
                                              int                     timeout_ms);
G_GNUC_INTERNAL
void           _gtask_sup_spawn_watch        (GtaskSupSpawn          *self,
                                              GMainContext           *context);
G_GNUC_INTERNAL
GtaskSupSpawn *_gtask_sup_spawn_ref          (GtaskSupSpawn          *self);
G_GNUC_INTERNAL
void           _gtask_sup_spawn_unref        (GtaskSupSpawn          *self);
G_GNUC_INTERNAL
GPid           _gtask_sup_spawn_get_pid      (GtaskSupSpawn          *self);
G_GNUC_INTERNAL
gboolean       _gtask_sup_spawn_is_reaped    (GtaskSupSpawn          *self);
G_GNUC_INTERNAL
gboolean       _gtask_sup_spawn_signal_group (GtaskSupSpawn          *self,
                                              int                     signum);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GtaskSupSpawn, _gtask_sup_spawn_unref)

G_END_DECLS
