/* test-process.c: pids and private directories (subprocess and file tests)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "test-process.h"

#include <stdlib.h>

/* The spawn mode of the subprocess tasks of the tests:
 * GTASK_SUP_TEST_SPAWN_MODE=posix-spawn runs the same tests with
 * posix_spawn() (meson registers them twice). */
gboolean
test_spawn_mode_is_posix (void)
{
  return g_strcmp0 (g_getenv ("GTASK_SUP_TEST_SPAWN_MODE"), "posix-spawn") == 0;
}

/* A subprocess task in the spawn mode of the tests. */
GtaskSupTask *
test_subprocess_new (const char * const *argv,
                     GSubprocessFlags    flags)
{
  GtaskSupTask *task = gtask_sup_task_new_subprocess (argv, flags);

  if (task != NULL && test_spawn_mode_is_posix ())
    gtask_sup_task_set_spawn_mode (task, GTASK_SUP_SPAWN_MODE_POSIX_SPAWN);

  return task;
}

/* iterate_until() condition: the child of the subprocess task @task was
 * spawned (it has a process id), or the task is over. */
gboolean
test_task_spawned_cb (gpointer task)
{
  g_autofree char *identifier = gtask_sup_task_dup_identifier (task);

  return identifier != NULL || gtask_sup_task_get_state (task) >= GTASK_SUP_TASK_STATE_SUCCEEDED;
}

/* iterate_until() condition: the child of the subprocess task @task, which
 * was spawned, was reaped: the task forgets its pid then. */
gboolean
test_task_reaped_cb (gpointer task)
{
  g_autofree char *identifier = gtask_sup_task_dup_identifier (task);

  return identifier == NULL;
}

/* Iterates @ctx until the child of the subprocess task @task was spawned
 * (bounded), and returns its pid, or 0 if it already exited and was
 * reaped. */
int
test_task_wait_pid (GMainContext *ctx,
                    GtaskSupTask *task)
{
  g_autofree char *identifier = NULL;

  iterate_until (ctx, test_task_spawned_cb, task, TEST_WAIT_MS);
  identifier = gtask_sup_task_dup_identifier (task);

  return identifier != NULL ? atoi (identifier) : 0;
}

/* Whether @pid is a live process: it exists and is not a zombie. GLib reaps
 * our children on its own worker thread, and an orphaned grandchild may stay
 * a zombie for as long as PID 1 does not reap it: a zombie is dead. */
gboolean
test_pid_alive (int pid)
{
  g_autofree char *path = NULL;
  g_autofree char *stat = NULL;
  const char *paren;

  g_assert_cmpint (pid, >, 1);

  if (kill (pid, 0) != 0)
    return errno == EPERM;

  path = g_strdup_printf ("/proc/%d/stat", pid);
  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;   /* gone between the two checks */

  /* "pid (comm) S ...": comm may hold spaces and parentheses */
  paren = strrchr (stat, ')');
  if (paren == NULL || paren[1] != ' ')
    return TRUE;

  return paren[2] != 'Z' && paren[2] != 'X';
}

gboolean
test_pid_gone_cb (gpointer data)
{
  return !test_pid_alive (GPOINTER_TO_INT (data));
}

/* Without iterating any context (the owner context may be gone): polls
 * until @pid is gone or @timeout_ms (scaled) passed. Returns the monotonic
 * time at which it was seen gone, or 0. */
gint64
test_poll_pid_gone (int    pid,
                    gint64 timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () +
                    test_upper_ms (timeout_ms) * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();

      if (!test_pid_alive (pid))
        return now;
      if (now > deadline)
        return 0;
      g_usleep (2 * 1000);
    }
}

/* Reads a pid written as "PID\n" by a child; 0 if not (completely) there. */
int
test_read_pid_file (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  gint64 pid;

  if (!g_file_get_contents (path, &contents, &len, NULL) ||
      len == 0 || contents[len - 1] != '\n')
    return 0;

  pid = g_ascii_strtoll (contents, NULL, 10);
  return pid > 1 && pid < G_MAXINT ? (int) pid : 0;
}

static gboolean
test_pid_file_ready_cb (gpointer data)
{
  return test_read_pid_file (data) > 0;
}

/* Iterates @ctx until a child wrote its pid in @path; returns the pid. */
int
test_wait_pid_file (GMainContext *ctx,
                    const char   *path)
{
  iterate_until (ctx, test_pid_file_ready_cb, (gpointer) path, TEST_WAIT_MS);
  return test_read_pid_file (path);
}

/* A new private directory for the files of one test. */
char *
test_tmpdir_new (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("gtask-sup-test-XXXXXX", &error);

  g_assert_no_error (error);
  g_assert_nonnull (dir);
  return dir;
}

/* Removes @dir and the files in it (no subdirectories). */
void
test_tmpdir_remove (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_unlink (path);
        }
      g_dir_close (d);
    }
  g_rmdir (dir);
}
