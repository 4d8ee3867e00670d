/* gtask-sup-subprocess.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE  /* sigabbrev_np() */

#include "config.h"

#include <errno.h>
#include <stdio.h>
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
#include "gtask-sup-pool-private.h"
#include "gtask-sup-service-private.h"
#include "gtask-sup-spawn-private.h"
#include "gtask-sup-task-private.h"

/* How much of a failed child's stderr goes into the error message. */
#define STDERR_TAIL_BYTES 512

/* How long a worker of the pool waits for a posix_spawn() child to end
 * before the service thread takes it over (long enough for most short
 * commands: a handover costs a wakeup of the service thread, then of a
 * worker for the next spawn), and how many spawns it runs in a row. */
#define SPAWN_WAIT_MS   100
#define SPAWN_CHAIN_MAX 64

/* Workers of the pool waiting for a child at once, at most one per
 * processor: more commands than processors run at once would wait long,
 * and the pool would start threads for what looks like stalled work. The
 * others are handed over at once. */
static int n_spawn_waiters;

/* The subprocess kind: an argv run through GSubprocess, spawned on the
 * service thread, or with GTASK_SUP_SPAWN_MODE_POSIX_SPAWN through
 * posix_spawn() (gtask-sup-spawn.c), spawned on a worker of the pool. The
 * service thread reaps it (unless the worker saw a short command end) and
 * escalates its kills whether or not anyone iterates the owner context,
 * so that a child is killed (SIGTERM, then SIGKILL after the grace period)
 * even when its owner and its supervisor are long gone: no orphan
 * processes.
 *
 * Each child runs in a process group of its own, and signals go to the
 * whole group, so that what it started dies with it. The task is RUNNING
 * from its spawn, and keeps its slot until it is reaped. */

/* A spawned child and its process group, shared by the task and the kill
 * timers of the service thread (g_atomic_rc_box). The group id is 0 once the
 * child was reaped (forget_group()): it may then be given out again. The
 * child is one of @process and @spawn, after the spawn mode. */
typedef struct
{
  GSubprocess   *process;
  GtaskSupSpawn *spawn;
  int            pgid;      /* atomic */
} ProcessGroup;

typedef struct
{
  char             **argv;
  GSubprocessFlags   flags;
  GtaskSupSpawnMode  spawn_mode;  /* set before the first start, then constant */
  ProcessGroup      *group;       /* set where it was spawned, under core->mutex */
} ProcWork;

#define PROC_WORK(task) GTASK_SUP_KIND_DATA (task, ProcWork)

static const GtaskSupKind subprocess_kind;

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

/* Whether a process of @group is still there, so that its id cannot have
 * been given out again. The leader is our child: until GLib reaps it (a
 * zombie counts), GSubprocess still has its identifier, and the id is
 * ours. Once it was reaped, only a member it left behind keeps the id:
 * look for one in /proc. (Between this and the kill, the last member could
 * still go and its id come back: a window of microseconds, against the
 * time the kernel takes to cycle through every pid.) */
static gboolean
group_leader_unreaped (ProcessGroup *group)
{
  if (group->process != NULL)
    return g_subprocess_get_identifier (group->process) != NULL;

  return !_gtask_sup_spawn_is_reaped (group->spawn);
}

static gboolean
group_has_member (ProcessGroup *group,
                  int           pgid)
{
  g_autoptr(GDir) dir = NULL;
  const char *entry;

  if (group_leader_unreaped (group))
    return TRUE;

  dir = g_dir_open ("/proc", 0, NULL);
  if (dir == NULL)
    return FALSE;

  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *end;
      int pgrp;

      if (!g_ascii_isdigit (*entry))
        continue;

      path = g_strdup_printf ("/proc/%s/stat", entry);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;

      /* pid (comm) state ppid pgrp …: comm may hold spaces and ')'. */
      end = strrchr (stat, ')');
      if (end != NULL && sscanf (end + 1, " %*c %*d %d", &pgrp) == 1 && pgrp == pgid)
        return TRUE;
    }

  return FALSE;
}

/* Signals the child's process group, only while a process of it is still
 * there: an empty group's id may belong to someone else already (DESIGN §4
 * rule 3). The task forgets the id once its child was reaped
 * (forget_group()). */
static void
signal_group (ProcessGroup *group,
              int           signum)
{
  int pgid = g_atomic_int_get (&group->pgid);

  if (pgid <= 0)
    return;
  /* Our child, not reaped: checked and signalled in one step. */
  if (group->spawn != NULL && _gtask_sup_spawn_signal_group (group->spawn, signum))
    return;
  if (group_has_member (group, pgid))
    kill (-pgid, signum);
}

static void
process_group_clear (gpointer data)
{
  ProcessGroup *group = data;

  g_clear_object (&group->process);
  g_clear_pointer (&group->spawn, _gtask_sup_spawn_unref);
}

static void
process_group_unref (gpointer group)
{
  g_atomic_rc_box_release_full (group, process_group_clear);
}

/* The group of @task, with a reference, or NULL if it was not spawned. */
static ProcessGroup *
task_dup_group (GtaskSupTask *task)
{
  ProcessGroup *group = NULL;

  g_mutex_lock (&task->core->mutex);
  if (PROC_WORK (task)->group != NULL)
    group = g_atomic_rc_box_acquire (PROC_WORK (task)->group);
  g_mutex_unlock (&task->core->mutex);

  return group;
}

/* Holds the group, not the task: its id is cleared once the child was
 * reaped, so a late timer never signals a group id given out again. */
static gboolean
kill_group_cb (gpointer data)
{
  ProcessGroup *group = data;

  signal_group (group, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
subprocess_kill (GtaskSupTask *task)
{
  ProcessGroup *group = task_dup_group (task);

  if (group == NULL)
    return;

  signal_group (group, SIGKILL);
  process_group_unref (group);
}

static void
subprocess_terminate (GtaskSupTask *task,
                      int           kill_after_ms)
{
  ProcessGroup *group = task_dup_group (task);
  int pgid;

  if (group == NULL)
    return;

  pgid = g_atomic_int_get (&group->pgid);
  if (pgid <= 0 || kill_after_ms == 0)
    {
      signal_group (group, SIGKILL);
      process_group_unref (group);
      return;
    }

  signal_group (group, SIGTERM);

  if (kill_after_ms > 0)
    {
      /* On the service thread: it runs even if the owner context never
       * runs again. */
      GSource *source = g_timeout_source_new (kill_after_ms);

      g_source_set_static_name (source, "[gtask-sup] SIGKILL after grace period");
      g_source_set_callback (source, kill_group_cb,
                             g_steal_pointer (&group), process_group_unref);
      g_source_attach (source, _gtask_sup_service_get_context ());
      g_source_unref (source);
    }

  g_clear_pointer (&group, process_group_unref);
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
            int           wait_status,
            GError       *spawn_error,
            GBytes       *err)
{
  /* argv[0] is in the filename encoding; messages are UTF-8. */
  g_autofree char *program = g_filename_display_name (PROC_WORK (task)->argv[0]);
  g_autofree char *tail = stderr_tail (err);
  g_autofree char *what = NULL;

  if (WIFSIGNALED (wait_status))
    {
      int signum = WTERMSIG (wait_status);
      g_autofree char *name = signal_name (signum);

      what = g_strdup_printf (_("“%s” was killed by signal %d (%s)"), program, signum, name);
    }
  else
    {
      what = g_strdup_printf (_("“%s” exited with code %d"),
                              program, WEXITSTATUS (wait_status));
    }

  if (tail != NULL)
    return g_error_new (spawn_error->domain, spawn_error->code, "%s: %s", what, tail);

  return g_error_new_literal (spawn_error->domain, spawn_error->code, what);
}

/* The error of a program that could not be started, from GLib's @error
 * (NULL if it gave none), with a message that names the program in UTF-8:
 * GLib names it with the bytes of argv[0], which may not be UTF-8. */
static GError *
spawn_error (GtaskSupTask *task,
             const GError *error)
{
  const char *program = PROC_WORK (task)->argv[0];
  g_autofree char *name = NULL;
  g_autofree char *detail = NULL;

  /* GLib refuses it with a critical and no error; execvp() would say
   * ENOENT. */
  if (*program == '\0')
    return g_error_new_literal (G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT,
                                _("Cannot run “”: the program name is empty"));

  name = g_filename_display_name (program);

  if (error == NULL)
    return g_error_new (G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, _("Cannot run “%s”"), name);

  if (strcmp (name, program) != 0 && strstr (error->message, program) != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (error->message, program, -1);
      g_autofree char *named = g_strjoinv (name, parts);

      detail = g_utf8_make_valid (named, -1);
    }
  else
    {
      detail = g_utf8_make_valid (error->message, -1);
    }

  if (strstr (detail, name) != NULL)
    return g_error_new_literal (error->domain, error->code, detail);

  return g_error_new (error->domain, error->code, _("Cannot run “%s”: %s"), name, detail);
}

/* Where the child was seen to end (the service thread, or the worker that
 * spawned it), once it was reaped (or its pipes failed):
 * the group is never signalled again, since its id may be given out anew
 * once no member is left. What the child started and left behind dies
 * first if the task was stopped (or @kill). */
static void
forget_group (GtaskSupTask *task,
              gboolean      kill)
{
  ProcessGroup *group = PROC_WORK (task)->group;
  guint outcome;

  g_mutex_lock (&task->core->mutex);
  outcome = task->outcome;
  if (task->shutting_down ||
      (outcome != GTASK_SUP_OUTCOME_NONE && outcome != GTASK_SUP_OUTCOME_RESULT))
    kill = TRUE;
  g_mutex_unlock (&task->core->mutex);

  /* The child was reaped: only what it left behind can be signalled. */
  if (kill)
    signal_group (group, SIGKILL);
  g_atomic_int_set (&group->pgid, 0);
}

/* Once the child was reaped and its pipes were read to the end (or
 * reading them failed: @read_error), whichever way it was spawned: its
 * outcome, then the end of the run. On the service thread, or on the
 * worker that spawned it and saw it end. */
static void
child_done (GBytes       *out,
            GBytes       *err,
            int           wait_status,
            const GError *read_error,
            gpointer      data)
{
  GtaskSupTask *task = data;
  GtaskSupCore *core = task->core;
  g_autoptr(GError) error = NULL;

  forget_group (task, read_error != NULL);

  if (read_error != NULL)
    {
      /* Reading its pipes failed: it is killed so as not to outlive us. */
      subprocess_kill (task);
      gtask_sup_task_return_error (task, g_error_copy (read_error));
    }
  else if (!g_spawn_check_wait_status (wait_status, &error))
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
      signum = WIFSIGNALED (wait_status) ? WTERMSIG (wait_status) : 0;

      if (stopped && signum == SIGTERM)
        _gtask_sup_core_decide (core, task, GTASK_SUP_OUTCOME_CANCELLED, NULL);
      else if (stopped && signum == SIGKILL)
        _gtask_sup_core_decide (core, task, GTASK_SUP_OUTCOME_KILLED, NULL);
      else
        gtask_sup_task_return_error (task, exit_error (task, wait_status, error, err));
    }
  else if (out != NULL)
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_BYTES);
      g_value_set_boxed (&value, out);
      gtask_sup_task_return_value (task, &value);
      g_value_unset (&value);
    }
  else
    {
      gtask_sup_task_return_value (task, NULL);
    }

  _gtask_sup_core_work_done (core, task);
}

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      data)
{
  GSubprocess *process = G_SUBPROCESS (object);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;

  if (g_subprocess_communicate_finish (process, result, &out, &err, &error))
    child_done (out, err, g_subprocess_get_status (process), NULL, data);
  else
    child_done (NULL, NULL, 0, error, data);
}

/* Whether the task's child is started with posix_spawn(): if asked for,
 * and if posix_spawn() can do what its flags ask for. */
static gboolean
uses_posix_spawn (GtaskSupTask *task)
{
  return PROC_WORK (task)->spawn_mode == GTASK_SUP_SPAWN_MODE_POSIX_SPAWN &&
         *PROC_WORK (task)->argv[0] != '\0' &&
         _gtask_sup_spawn_is_supported (PROC_WORK (task)->flags);
}

/* With posix_spawn(), if the task uses it: the child, or NULL with @error
 * set. A file that exec() refuses (a script without `#!`) is left to
 * GSubprocess, which runs it with /bin/sh: NULL, and no error. */
static GtaskSupSpawn *
posix_spawn_child (GtaskSupTask  *task,
                   GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  GtaskSupSpawn *spawn;

  if (!uses_posix_spawn (task))
    return NULL;

  spawn = _gtask_sup_spawn_start ((const char * const *)PROC_WORK (task)->argv,
                                  PROC_WORK (task)->flags, child_done, task, &local_error);
  if (spawn == NULL && !g_error_matches (local_error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOEXEC))
    g_propagate_error (error, g_steal_pointer (&local_error));

  return spawn;
}

/* With GSubprocess, on the service thread (its children ask for SIGKILL
 * when the thread that forked them ends): the child, or NULL with @error
 * set. */
static GSubprocess *
subprocess_child (GtaskSupTask  *task,
                  GError       **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;

  /* GLib refuses an empty program name and conflicting flags with a
   * critical and no error (the constructor refuses such flags, too): each
   * failure here must still end the run. */
  if (*PROC_WORK (task)->argv[0] == '\0')
    return NULL;

  launcher = g_subprocess_launcher_new (PROC_WORK (task)->flags);
  if (launcher == NULL)
    return NULL;

  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  return g_subprocess_launcher_spawnv (launcher,
                                      (const char * const *)PROC_WORK (task)->argv,
                                      error);
}

/* The spawns a worker of the pool runs one after the other (spawn_job()):
 * a command that ended on the worker frees a slot, whose next task then
 * starts there too, without waking another thread, as xargs does. At most
 * one waits there at a time, and SPAWN_CHAIN_MAX run in a row, so that the
 * worker goes back to the other jobs of the pool. */
typedef struct
{
  GtaskSupTask *next;
  guint         n_run;
} SpawnChain;

static GPrivate spawn_chain;

static gboolean spawn_subprocess_cb (gpointer data);

/* On a worker of the pool, if not too many wait already: waits for the
 * child to end there. TRUE if it ended. */
static gboolean
spawn_wait (GtaskSupSpawn *spawn)
{
  static gsize max_waiters;  /* the number of processors, asked once */
  gboolean ended = FALSE;

  if (g_private_get (&spawn_chain) == NULL)
    return FALSE;

  if (g_once_init_enter (&max_waiters))
    g_once_init_leave (&max_waiters, MAX (1, g_get_num_processors ()));

  if (g_atomic_int_add (&n_spawn_waiters, 1) < (int) max_waiters)
    ended = _gtask_sup_spawn_wait (spawn, SPAWN_WAIT_MS);
  g_atomic_int_add (&n_spawn_waiters, -1);

  return ended;
}

/* Runs @func (@task) from an idle of the service thread. */
static void
service_idle (GMainContext *service,
              GSourceFunc   func,
              GtaskSupTask *task)
{
  GSource *idle = g_idle_source_new ();

  g_source_set_priority (idle, G_PRIORITY_DEFAULT);
  g_source_set_static_name (idle, "[gtask-sup] spawn");
  g_source_set_callback (idle, func, task, NULL);
  g_source_attach (idle, service);
  g_source_unref (idle);
}

/* The run of @task began: spawns its child on this thread, which is a
 * worker of the pool for posix_spawn() (unless @posix is FALSE) and the
 * service thread otherwise. A worker waits up to SPAWN_WAIT_MS for a
 * posix_spawn() child to end; if it still runs, or with GSubprocess, it is
 * read and reaped on the service thread. */
static void
spawn_child (GtaskSupTask *task,
             gboolean      posix)
{
  GtaskSupCore *core = task->core;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GtaskSupSpawn) spawn = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) stdin_buf = NULL;
  ProcessGroup *group;
  const char *identifier;
  guint outcome;
  gboolean shutting_down;
  int pgid = 0;

  if (posix)
    spawn = posix_spawn_child (task, &error);
  if (spawn == NULL && error == NULL)
    {
      GMainContext *service = _gtask_sup_service_get_context ();

      /* A script without `#!`, on a worker: GSubprocess forks on the
       * service thread only. */
      if (!g_main_context_is_owner (service))
        {
          service_idle (service, spawn_subprocess_cb, task);
          return;
        }
      process = subprocess_child (task, &error);
    }

  if (process == NULL && spawn == NULL)
    {
      gtask_sup_task_return_error (task, spawn_error (task, error));
      _gtask_sup_core_work_done (core, task);
      return;
    }

  group = g_atomic_rc_box_new0 (ProcessGroup);
  if (spawn != NULL)
    {
      /* Not reaped before this thread or the service thread reaps it. */
      group->spawn = _gtask_sup_spawn_ref (spawn);
      pgid = _gtask_sup_spawn_get_pid (spawn);
    }
  else
    {
      /* NULL if it already exited and was reaped: nothing left to signal. */
      identifier = g_subprocess_get_identifier (process);
      if (identifier != NULL)
        pgid = atoi (identifier);
      group->process = g_object_ref (process);
    }
  group->pgid = pgid;

  g_mutex_lock (&core->mutex);
  PROC_WORK (task)->group = group;
  outcome = task->outcome;
  shutting_down = task->shutting_down;
  g_mutex_unlock (&core->mutex);

  /* Stopped while it was being spawned. */
  if (outcome != GTASK_SUP_OUTCOME_NONE || shutting_down)
    _gtask_sup_core_interrupt (task, outcome, task->shutdown_timeout);

  /* Only now that the group is set: the end of the child uses it. */
  if (spawn != NULL)
    {
      if (!spawn_wait (spawn))
        _gtask_sup_spawn_watch (spawn, _gtask_sup_service_get_context ());
      return;
    }

  /* GLib asserts that a stdin pipe has something to write: nothing, so
   * that the program reads the end of its input at once. */
  if (PROC_WORK (task)->flags & G_SUBPROCESS_FLAGS_STDIN_PIPE)
    stdin_buf = g_bytes_new_static (NULL, 0);

  g_subprocess_communicate_async (process, stdin_buf, NULL, communicate_cb, task);
}

static void
spawn_one (GtaskSupTask *task)
{
  /* Cancelled, timed out or silenced before it could start. */
  if (!_gtask_sup_core_work_begin (task->core, task))
    {
      _gtask_sup_core_work_done (task->core, task);
      return;
    }

  spawn_child (task, TRUE);
}

/* On the service thread: the run began on a worker, where posix_spawn()
 * refused the program. Not if it was stopped meanwhile. */
static gboolean
spawn_subprocess_cb (gpointer data)
{
  GtaskSupTask *task = data;
  gboolean stopped;

  g_mutex_lock (&task->core->mutex);
  stopped = task->outcome != GTASK_SUP_OUTCOME_NONE || task->shutting_down;
  g_mutex_unlock (&task->core->mutex);

  if (stopped)
    _gtask_sup_core_work_done (task->core, task);
  else
    spawn_child (task, FALSE);

  return G_SOURCE_REMOVE;
}

/* On a worker of the pool: @data and the tasks chained after it. */
static void
spawn_job (gpointer data)
{
  SpawnChain chain = { NULL, 0 };
  GtaskSupTask *task = data;

  g_private_set (&spawn_chain, &chain);
  do
    {
      chain.n_run++;
      spawn_one (task);
    }
  while ((task = g_steal_pointer (&chain.next)) != NULL);
  g_private_set (&spawn_chain, NULL);
}

/* On the service thread. */
static gboolean
spawn_cb (gpointer data)
{
  spawn_one (data);
  return G_SOURCE_REMOVE;
}

/* From any thread, once the task has a slot. A posix_spawn() blocks its
 * thread until the child has called exec(), a third of a millisecond: it
 * runs on a worker of the pool, where many run at once. A fork() for
 * GSubprocess runs on the service thread, whose end is the process's. */
static void
subprocess_start (GtaskSupTask *task)
{
  g_autoptr(GError) error = NULL;
  GMainContext *service = _gtask_sup_service_try_get_context (&error);

  /* Out of threads: the task fails, nothing is spawned. */
  if (service == NULL)
    {
      _gtask_sup_task_fail_start (task, error);
      return;
    }

  if (uses_posix_spawn (task))
    {
      SpawnChain *chain = g_private_get (&spawn_chain);

      /* One at a time: a second one would wait for the first to end
       * (or for SPAWN_WAIT_MS), holding a slot without running. */
      if (chain != NULL && chain->n_run < SPAWN_CHAIN_MAX && chain->next == NULL)
        {
          chain->next = task;
          return;
        }

      /* Out of threads for the pool: on the service thread. */
      if (_gtask_sup_pool_push (spawn_job, task, NULL))
        return;
    }

  /* Always from an idle, even on the service thread itself: a spawn that
   * fails frees a slot, which starts the next task here again, and would
   * recurse once per queued task. */
  service_idle (service, spawn_cb, task);
}

static void
subprocess_interrupt (GtaskSupTask *task,
                      guint         outcome,
                      int           grace_ms)
{
  switch ((GtaskSupOutcome)outcome)
    {
    case GTASK_SUP_OUTCOME_NONE:
      /* A shutdown begins. */
      subprocess_terminate (task, grace_ms);
      break;
    case GTASK_SUP_OUTCOME_KILLED:
      subprocess_kill (task);
      break;
    case GTASK_SUP_OUTCOME_CANCELLED:
    case GTASK_SUP_OUTCOME_TIMED_OUT:
      subprocess_terminate (task, task->shutdown_timeout);
      break;
    case GTASK_SUP_OUTCOME_SILENCED:
      /* Nobody is left to end it later: never wait forever. */
      subprocess_terminate (task, task->shutdown_timeout >= 0
                                  ? task->shutdown_timeout
                                  : GTASK_SUP_SILENCED_KILL_MS);
      break;
    case GTASK_SUP_OUTCOME_RESULT:
    case GTASK_SUP_OUTCOME_NO_RESULT:
    default:
      break;
    }
}

static void
subprocess_copy (GtaskSupTask *dest,
                 GtaskSupTask *src)
{
  PROC_WORK (dest)->argv = g_strdupv (PROC_WORK (src)->argv);
  PROC_WORK (dest)->flags = PROC_WORK (src)->flags;
  PROC_WORK (dest)->spawn_mode = PROC_WORK (src)->spawn_mode;
}

static void
subprocess_clear (GtaskSupTask *task)
{
  g_clear_pointer (&PROC_WORK (task)->argv, g_strfreev);
  g_clear_pointer (&PROC_WORK (task)->group, process_group_unref);
}

/* What g_subprocess_launcher_new() accepts: known flags, and at most one
 * disposition for each of stdin, stdout and stderr. GLib only checks when
 * the task starts, on the service thread, where a critical is too late. */
static gboolean
subprocess_flags_valid (GSubprocessFlags flags)
{
  static const GSubprocessFlags streams[] = {
    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDIN_INHERIT,
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
    G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_MERGE,
  };
  GFlagsClass *klass = g_type_class_ref (G_TYPE_SUBPROCESS_FLAGS);
  guint known = klass->mask;
  gsize i;

  g_type_class_unref (klass);

  if ((flags & ~known) != 0)
    return FALSE;

  for (i = 0; i < G_N_ELEMENTS (streams); i++)
    {
      guint disposition = flags & streams[i];

      /* more than one bit */
      if ((disposition & (disposition - 1)) != 0)
        return FALSE;
    }

  return TRUE;
}

static const GtaskSupKind subprocess_kind = {
  .kind = GTASK_SUP_TASK_KIND_SUBPROCESS,
  .flags = 0,
  .start = subprocess_start,
  .interrupt = subprocess_interrupt,
  .copy = subprocess_copy,
  .clear = subprocess_clear,
};

/**
 * gtask_sup_task_new_subprocess:
 * @argv: (array zero-terminated=1) (element-type filename): the program and
 *   its arguments; the program is looked up in `PATH` if it has no `/`
 * @flags: flags for [class@Gio.Subprocess], such as
 *   %G_SUBPROCESS_FLAGS_STDOUT_PIPE to capture its output; at most one for
 *   each of stdin, stdout and stderr, as for
 *   [method@Gio.SubprocessLauncher.set_flags]
 *
 * Creates a task that runs a program, with [class@Gio.Subprocess] and no
 * shell, once it has a slot.
 *
 * The task succeeds when the program exits with status 0; its value is
 * then what it wrote on stdout, as a [struct@GLib.Bytes], if @flags has
 * %G_SUBPROCESS_FLAGS_STDOUT_PIPE (no value otherwise). Any other exit
 * status fails it with %G_SPAWN_EXIT_ERROR and the status as error code; a
 * signal fails it with an error that names the signal; a program that
 * cannot be started fails it with the error of the spawn
 * (%G_SPAWN_ERROR_NOENT for a missing program or an empty name). Messages
 * name the program with g_filename_display_name(). The
 * message of an exit status or signal ends with the last lines of stderr if
 * @flags has %G_SUBPROCESS_FLAGS_STDERR_PIPE. With
 * %G_SUBPROCESS_FLAGS_STDIN_PIPE, the program reads an empty stdin.
 *
 * The program runs in a process group of its own. A task cancelled, timed
 * out, or whose owner or supervisor goes away sends SIGTERM to the group,
 * then SIGKILL after its [property@GtaskSup.Task:shutdown-timeout] (at
 * once if it is 0). A shutdown sends SIGTERM, and SIGKILL once the grace
 * period is over. The kill does not depend on the owner context: it
 * happens even if nothing iterates it any more.
 *
 * It is started with [class@Gio.Subprocess] unless
 * [method@GtaskSup.Task.set_spawn_mode] says posix_spawn(), which is
 * several times cheaper for many short commands.
 *
 * The task is named after the program's basename, in UTF-8 (`sha256sum`
 * for `/usr/bin/sha256sum`), until [method@GtaskSup.Task.set_name] names it
 * otherwise; the name is the detail of its outcome signals.
 *
 * Returns: (transfer full): a new task, in state %GTASK_SUP_TASK_STATE_NEW
 *
 * Since: 1.0
 */
GtaskSupTask *
gtask_sup_task_new_subprocess (const char * const *argv,
                               GSubprocessFlags    flags)
{
  GtaskSupTask *self;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);
  g_return_val_if_fail (subprocess_flags_valid (flags), NULL);

  self = _gtask_sup_task_new_for_kind (&subprocess_kind);
  PROC_WORK (self)->argv = g_strdupv ((char **)argv);
  PROC_WORK (self)->flags = flags;
  /* Named after the program until named otherwise, as a newcomer expects
   * of "failed::sha256sum" and of error messages. */
  if (*argv[0] != '\0')
    _gtask_sup_task_take_name (self, g_filename_display_basename (argv[0]));

  return self;
}

/**
 * gtask_sup_task_dup_subprocess:
 * @self: a subprocess task
 *
 * Gets the running program of a subprocess task, for instance to know its
 * process id with [method@Gio.Subprocess.get_identifier]. Safe to call
 * from any thread.
 *
 * Returns: (transfer full) (nullable): the subprocess, or %NULL if it was
 *   not spawned (yet), if it was spawned with
 *   %GTASK_SUP_SPAWN_MODE_POSIX_SPAWN (unless it was a script without `#!`,
 *   which only [class@Gio.Subprocess] runs), or if @self is not a
 *   subprocess task
 *
 * Since: 1.0
 */
GSubprocess *
gtask_sup_task_dup_subprocess (GtaskSupTask *self)
{
  GSubprocess *ret = NULL;

  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  if (self->kind != &subprocess_kind || self->core == NULL)
    return NULL;

  g_mutex_lock (&self->core->mutex);
  if (PROC_WORK (self)->group != NULL && PROC_WORK (self)->group->process != NULL)
    ret = g_object_ref (PROC_WORK (self)->group->process);
  g_mutex_unlock (&self->core->mutex);

  return ret;
}

/**
 * gtask_sup_task_dup_identifier:
 * @self: a subprocess task
 *
 * Gets the process id of the running program of a subprocess task, as a
 * string in decimal, as [method@Gio.Subprocess.get_identifier] does; in
 * either [enum@GtaskSup.SpawnMode]. It is also the id of the program's
 * process group. Safe to call from any thread.
 *
 * The program may end, and be reaped, as soon as this returns: its id may
 * then be given to another process. To stop the program, cancel the task
 * rather than signal the id.
 *
 * Returns: (transfer full) (nullable): the process id, or %NULL if the
 *   program was not spawned (yet), if it already exited and was reaped, or
 *   if @self is not a subprocess task
 *
 * Since: 1.0
 */
char *
gtask_sup_task_dup_identifier (GtaskSupTask *self)
{
  ProcessGroup *group;
  char *ret = NULL;

  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), NULL);

  if (self->kind != &subprocess_kind || self->core == NULL)
    return NULL;

  group = task_dup_group (self);
  if (group == NULL)
    return NULL;

  if (group->process != NULL)
    ret = g_strdup (g_subprocess_get_identifier (group->process));
  else if (!_gtask_sup_spawn_is_reaped (group->spawn))
    ret = g_strdup_printf ("%d", (int) _gtask_sup_spawn_get_pid (group->spawn));

  process_group_unref (group);

  return ret;
}

/**
 * gtask_sup_task_get_spawn_mode:
 * @self: a subprocess task
 *
 * Gets how the task starts its program; see
 * [method@GtaskSup.Task.set_spawn_mode]. Any thread may call it.
 *
 * Returns: the spawn mode asked for, %GTASK_SUP_SPAWN_MODE_SUBPROCESS
 *   unless set (see [enum@GtaskSup.SpawnMode] for when GSubprocess is
 *   used all the same)
 *
 * Since: 1.0
 */
GtaskSupSpawnMode
gtask_sup_task_get_spawn_mode (GtaskSupTask *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_TASK (self), GTASK_SUP_SPAWN_MODE_SUBPROCESS);
  g_return_val_if_fail (self->kind == &subprocess_kind, GTASK_SUP_SPAWN_MODE_SUBPROCESS);

  return PROC_WORK (self)->spawn_mode;
}

/**
 * gtask_sup_task_set_spawn_mode:
 * @self: a subprocess task that was not started yet
 * @mode: how to start its program
 *
 * Sets how the task starts its program: with [class@Gio.Subprocess] (the
 * default), or with posix_spawn(), which does not copy this program's
 * memory and suits many short commands, such as a stream of one command
 * per file; see [enum@GtaskSup.SpawnMode] for what each gives up. With
 * posix_spawn(), a worker thread of the library's pool starts the program
 * and waits up to 100 ms for it to end, so that the next command starts
 * there at once; a program that runs longer is then watched by the
 * library's service thread. A restart keeps the mode.
 *
 * Call it from the thread that made the task, before it is started.
 *
 * Since: 1.0
 */
void
gtask_sup_task_set_spawn_mode (GtaskSupTask      *self,
                               GtaskSupSpawnMode  mode)
{
  g_return_if_fail (GTASK_SUP_IS_TASK (self));
  g_return_if_fail (self->kind == &subprocess_kind);
  g_return_if_fail (mode == GTASK_SUP_SPAWN_MODE_SUBPROCESS ||
                    mode == GTASK_SUP_SPAWN_MODE_POSIX_SPAWN);
  g_return_if_fail (self->core == NULL);

  PROC_WORK (self)->spawn_mode = mode;
}
