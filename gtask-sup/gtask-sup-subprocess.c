/* gtask-sup-subprocess.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE  /* sigabbrev_np() */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
# include <sys/prctl.h>
#endif

#include "gtask-sup-i18n-private.h"
#include "gtask-sup-subprocess-private.h"
#include "gtask-sup-task-private.h"

/* How much of a failed child's stderr goes into the error message. */
#define STDERR_TAIL_BYTES 512

static GMainContext *service_context;

static gpointer
service_thread (gpointer data)
{
  g_main_context_push_thread_default (service_context);

  for (;;)
    g_main_context_iteration (service_context, TRUE);

  g_assert_not_reached ();
}

static GMainContext *
get_service_context (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      service_context = g_main_context_new ();
      g_thread_unref (g_thread_new ("gtask-sup-subprocess", service_thread, NULL));
      g_once_init_leave (&initialized, 1);
    }

  return service_context;
}

/* Runs in the child between fork() and exec(): async-signal-safe only.
 * Its own process group, so that signals reach what it starts too; and on
 * Linux, SIGKILL when the thread that spawned it ends, which is the
 * subprocess thread, which ends with the process: a program that exits
 * (or crashes) before a kill timer fires leaves no orphan behind. */
static void
child_setup (gpointer data)
{
  setpgid (0, 0);
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

/* Signals the child's process group. A process group id cannot be given
 * out again while any process is in the group; and the task forgets it
 * once the group is empty (see communicate_cb()). */
static void
signal_group (int pgid,
              int signum)
{
  if (pgid > 0)
    kill (-pgid, signum);
}

static void
process_group_clear (gpointer data)
{
  GtaskSupProcessGroup *group = data;

  g_clear_object (&group->process);
}

void
_gtask_sup_process_group_unref (gpointer group)
{
  g_atomic_rc_box_release_full (group, process_group_clear);
}

/* The group of @task, with a reference, or NULL if it was not spawned. */
static GtaskSupProcessGroup *
task_dup_group (GtaskSupTask *task)
{
  GtaskSupProcessGroup *group = NULL;

  g_mutex_lock (&task->core->mutex);
  if (task->work.proc.group != NULL)
    group = g_atomic_rc_box_acquire (task->work.proc.group);
  g_mutex_unlock (&task->core->mutex);

  return group;
}

/* Holds the group, not the task: its id is cleared once no process is left
 * in it, so a late timer never signals a group id given out again. */
static gboolean
kill_group_cb (gpointer data)
{
  GtaskSupProcessGroup *group = data;

  signal_group (g_atomic_int_get (&group->pgid), SIGKILL);
  return G_SOURCE_REMOVE;
}

void
_gtask_sup_subprocess_kill (GtaskSupTask *task)
{
  GtaskSupProcessGroup *group = task_dup_group (task);

  if (group == NULL)
    return;

  signal_group (g_atomic_int_get (&group->pgid), SIGKILL);
  _gtask_sup_process_group_unref (group);
}

void
_gtask_sup_subprocess_terminate (GtaskSupTask *task,
                                 int           kill_after_ms)
{
  GtaskSupProcessGroup *group = task_dup_group (task);
  int pgid;

  if (group == NULL)
    return;

  pgid = g_atomic_int_get (&group->pgid);
  if (pgid <= 0 || kill_after_ms == 0)
    {
      signal_group (pgid, SIGKILL);
      _gtask_sup_process_group_unref (group);
      return;
    }

  signal_group (pgid, SIGTERM);

  if (kill_after_ms > 0)
    {
      /* On the service thread: it runs even if the owner context never
       * runs again. */
      GSource *source = g_timeout_source_new (kill_after_ms);

      g_source_set_static_name (source, "[gtask-sup] SIGKILL after grace period");
      g_source_set_callback (source, kill_group_cb,
                             g_steal_pointer (&group), _gtask_sup_process_group_unref);
      g_source_attach (source, get_service_context ());
      g_source_unref (source);
    }

  g_clear_pointer (&group, _gtask_sup_process_group_unref);
}

/* "SIGTERM", or at least a description of the signal. */
static char *
signal_name (int signum)
{
#ifdef HAVE_SIGABBREV_NP
  const char *abbrev = sigabbrev_np (signum);

  if (abbrev != NULL)
    return g_strconcat ("SIG", abbrev, NULL);
#endif

  return g_strdup (g_strsignal (signum));
}

/* The last lines of what the child wrote on stderr, as valid UTF-8. */
static char *
stderr_tail (GBytes *err)
{
  g_autofree char *valid = NULL;
  const char *data;
  gsize size;

  if (err == NULL)
    return NULL;

  /* Empty bytes may have no data at all. */
  data = g_bytes_get_data (err, &size);
  if (data == NULL || size == 0)
    return NULL;

  if (size > STDERR_TAIL_BYTES)
    {
      const char *start = data + size - STDERR_TAIL_BYTES;
      const char *newline = memchr (start, '\n', STDERR_TAIL_BYTES);

      /* Start at a line, unless the last line alone is that long. */
      if (newline != NULL && newline + 1 < data + size)
        start = newline + 1;
      size -= start - data;
      data = start;
    }

  valid = g_utf8_make_valid (data, size);
  g_strstrip (valid);

  return *valid != '\0' ? g_steal_pointer (&valid) : NULL;
}

/* Turns the wait status of a failed child into the task's error: the code
 * of g_spawn_check_wait_status(), a message that names the program and the
 * exit code or signal, and the tail of stderr when it was captured. */
static GError *
exit_error (GtaskSupTask *task,
            GSubprocess  *process,
            GError       *spawn_error,
            GBytes       *err)
{
  const char *program = task->work.proc.argv[0];
  g_autofree char *tail = stderr_tail (err);
  g_autofree char *what = NULL;

  if (g_subprocess_get_if_signaled (process))
    {
      int signum = g_subprocess_get_term_sig (process);
      g_autofree char *name = signal_name (signum);

      what = g_strdup_printf (_("“%s” was killed by signal %d (%s)"), program, signum, name);
    }
  else
    {
      what = g_strdup_printf (_("“%s” exited with code %d"),
                              program, g_subprocess_get_exit_status (process));
    }

  if (tail != NULL)
    return g_error_new (spawn_error->domain, spawn_error->code, "%s: %s", what, tail);

  return g_error_new_literal (spawn_error->domain, spawn_error->code, what);
}

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      data)
{
  GSubprocess *process = G_SUBPROCESS (object);
  GtaskSupTask *task = data;
  GtaskSupCore *core = task->core;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_communicate_finish (process, result, &out, &err, &error))
    {
      /* Reading its pipes failed: it is killed so as not to outlive us. */
      _gtask_sup_subprocess_kill (task);
      gtask_sup_task_return_error (task, g_steal_pointer (&error));
    }
  else if (!g_spawn_check_wait_status (g_subprocess_get_status (process), &error))
    {
      gboolean stopped;
      int signum;

      g_mutex_lock (&core->mutex);
      stopped = task->shutting_down;
      g_mutex_unlock (&core->mutex);

      /* During a shutdown, our own signals: stopping when asked to is a
       * cancellation, as for thread tasks; the SIGKILL at the end of the
       * grace period (which may come just before the core decides so) is
       * the kill. */
      signum = g_subprocess_get_if_signaled (process) ? g_subprocess_get_term_sig (process) : 0;

      if (stopped && signum == SIGTERM)
        gtask_sup_task_return_error (task,
                                     _gtask_sup_task_new_error (task, GTASK_SUP_OUTCOME_CANCELLED));
      else if (stopped && signum == SIGKILL)
        gtask_sup_task_return_error (task,
                                     _gtask_sup_task_new_error (task, GTASK_SUP_OUTCOME_KILLED));
      else
        gtask_sup_task_return_error (task, exit_error (task, process, error, err));
    }
  else if (out != NULL)
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_BYTES);
      g_value_take_boxed (&value, g_steal_pointer (&out));
      gtask_sup_task_return_value (task, &value);
      g_value_unset (&value);
    }
  else
    {
      gtask_sup_task_return_value (task, NULL);
    }

  _gtask_sup_core_worker_done (core, task);
}

static gboolean
spawn_cb (gpointer data)
{
  GtaskSupTask *task = data;
  GtaskSupCore *core = task->core;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  GtaskSupProcessGroup *group;
  const char *identifier;
  guint outcome;
  gboolean shutting_down;
  int pgid = 0;

  /* Cancelled, timed out or silenced before it could start. */
  if (g_atomic_int_get (&task->outcome) != GTASK_SUP_OUTCOME_NONE)
    {
      _gtask_sup_core_worker_done (core, task);
      return G_SOURCE_REMOVE;
    }

  launcher = g_subprocess_launcher_new (task->work.proc.flags);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher,
                                          (const char * const *)task->work.proc.argv,
                                          &error);
  if (process == NULL)
    {
      gtask_sup_task_return_error (task, g_steal_pointer (&error));
      _gtask_sup_core_worker_done (core, task);
      return G_SOURCE_REMOVE;
    }

  /* NULL if it already exited and was reaped: nothing left to signal. */
  identifier = g_subprocess_get_identifier (process);
  if (identifier != NULL)
    pgid = atoi (identifier);

  group = g_atomic_rc_box_new0 (GtaskSupProcessGroup);
  group->process = g_object_ref (process);
  group->pgid = pgid;

  g_mutex_lock (&core->mutex);
  task->work.proc.group = group;
  outcome = task->outcome;
  shutting_down = task->shutting_down;
  g_mutex_unlock (&core->mutex);

  /* Stopped while it was being spawned. */
  if (outcome != GTASK_SUP_OUTCOME_NONE || shutting_down)
    _gtask_sup_task_interrupt (task, outcome, task->shutdown_timeout);

  g_subprocess_communicate_async (process, NULL, NULL, communicate_cb, task);

  return G_SOURCE_REMOVE;
}

/* Called on the owner context once the task has a slot; the caller counted
 * the service as a holder of the task (see _gtask_sup_core_worker_done()). */
void
_gtask_sup_subprocess_spawn (GtaskSupTask *task)
{
  g_main_context_invoke_full (get_service_context (), G_PRIORITY_DEFAULT,
                              spawn_cb, task, NULL);
}
