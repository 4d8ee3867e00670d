/* test-process.h: pids and private directories (subprocess and file tests)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gtask-sup/gtask-sup.h>

#include "test-util.h"

G_BEGIN_DECLS

gboolean test_pid_alive     (int           pid);
gboolean test_pid_gone_cb   (gpointer      data);
gint64   test_poll_pid_gone (int           pid,
                             gint64        timeout_ms);
int      test_read_pid_file (const char   *path);
int      test_wait_pid_file (GMainContext *ctx,
                             const char   *path);
gboolean test_spawn_mode_is_posix (void);
GtaskSupTask *test_subprocess_new (const char * const *argv,
                                   GSubprocessFlags    flags);
gboolean test_task_spawned_cb (gpointer      task);
gboolean test_task_reaped_cb  (gpointer      task);
int      test_task_wait_pid   (GMainContext *ctx,
                               GtaskSupTask *task);
char    *test_tmpdir_new    (void);
void     test_tmpdir_remove (const char   *dir);

/* Iterates @ctx until @pid is gone (bounded). */
#define iterate_until_pid_gone(ctx, pid, timeout_ms) \
  iterate_until ((ctx), test_pid_gone_cb, GINT_TO_POINTER (pid), (timeout_ms))

G_END_DECLS
