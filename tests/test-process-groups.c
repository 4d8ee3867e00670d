/* test-process-groups.c: the process groups of subprocess tasks, once
 * their child is reaped, and the children that outlive their outcome
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * DESIGN §4 rule 3: a process group is never signalled after its last
 * member was reaped (its id may belong to someone else); and no orphan
 * process, ever, also for a task whose shutdown-timeout is -1 and whose
 * outcome was already reported when its owner or supervisor goes.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
# include <sys/prctl.h>
#endif

#include <gtask-sup/gtask-sup.h>

/* GTASK_SUP_SILENCED_KILL_MS: the grace of a silenced task whose own
 * shutdown-timeout is -1. */
#include "gtask-sup-spawn-private.h"
#include "gtask-sup-task-private.h"

#include "test-fixture.h"
#include "test-process.h"
#include "test-recorder.h"
#include "test-util.h"

/* The grace period of a cancelled task in the pid reuse test: its kill
 * timer outlives the child, which dies of the SIGTERM at once. */
#define GRACE_MS 500

/* A grace no test waits for: a kill that comes this late is a failure. */
#define LONG_GRACE_MS 60000

#define NS_LAST_PID "/proc/sys/kernel/ns_last_pid"

/* -------------------------------------------------------------------------- */
/* Helpers                                                                    */
/* -------------------------------------------------------------------------- */

static GtaskSupTask *
proc_task_new (const char * const *argv)
{
  GtaskSupTask *task = test_subprocess_new (argv, G_SUBPROCESS_FLAGS_NONE);

  g_assert_nonnull (task);
  test_track_task (task);
  return task;
}

static GtaskSupTask *
sh_task_new (const char *script)
{
  const char *argv[] = { "sh", "-c", script, NULL };

  return proc_task_new (argv);
}

/* The id of @task's process group, as the library knows it: the pid of its
 * child, which leads a group of its own. */
static int
task_pgid (Fixture      *f,
           GtaskSupTask *task)
{
  int pid = test_task_wait_pid (f->ctx, task);

  g_assert_cmpint (pid, >, 1);
  g_assert_cmpint (getpgid (pid), ==, pid);
  return pid;
}

/* The live processes (not zombies: PID 1 may not reap the orphans it gets)
 * in the process group @pgid. */
static guint
group_n_live (int pgid)
{
  g_autoptr(GDir) proc = NULL;
  const char *name;
  guint n = 0;

  if (kill (-pgid, 0) != 0 && errno == ESRCH)
    return 0;

  proc = g_dir_open ("/proc", 0, NULL);
  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *paren;
      char state;
      int ppid, pgrp;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;   /* gone meanwhile */

      /* "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses */
      paren = strrchr (stat, ')');
      if (paren == NULL || sscanf (paren + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
        continue;
      if (pgrp == pgid && state != 'Z' && state != 'X')
        n++;
    }

  return n;
}

static gboolean
group_empty_cb (gpointer data)
{
  return group_n_live (GPOINTER_TO_INT (data)) == 0;
}

typedef struct
{
  GtaskSupSupervisor *sup;
  guint               n;
} NRunning;

static gboolean
n_running_le_cb (gpointer data)
{
  NRunning *c = data;

  return gtask_sup_supervisor_get_n_running (c->sup) <= c->n;
}

/* Lines in @path (0 if it is not there). */
static guint
count_lines (const char *path)
{
  g_autofree char *contents = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  for (const char *p = contents; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

typedef struct
{
  const char *path;
  guint       n;
} LinesCond;

static gboolean
lines_ge_cb (gpointer data)
{
  LinesCond *c = data;

  return count_lines (c->path) >= c->n;
}

#define iterate_until_lines(ctx, file, count) \
  G_STMT_START { \
    LinesCond lc_ = { (file), (count) }; \
    iterate_until ((ctx), lines_ge_cb, &lc_, TEST_WAIT_MS); \
  } G_STMT_END

/* -------------------------------------------------------------------------- */
/* A reaped child's group is never signalled again                            */
/* -------------------------------------------------------------------------- */

/* Without root (no pid reuse): what is observable. The library forgets
 * the group of a child once it is reaped, so that its kill timer never
 * signals an id given out again; so what a stopped child left in its group
 * must die at the reap, long before the grace period ends (else it would
 * be an orphan, or a late timer would have to signal the group). Once the
 * library is done with a reaped child, nothing of its group is left. */
static void
test_empty_after_reap (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *gcfile = g_build_filename (dir, "grandchild", NULL);
  g_autofree char *quoted = g_shell_quote (gcfile);
  g_autofree char *script = NULL;
  const char *plain_argv[] = { "sleep", "100", NULL };
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) plain = NULL;
  NRunning none;
  gint64 t0;
  int pgid, plain_pgid, grandchild, ret, saved_errno;

  TEST_SUMMARY ();

  /* A child alone in its group, which dies of the SIGTERM */
  plain = proc_task_new (plain_argv);
  gtask_sup_task_set_shutdown_timeout (plain, LONG_GRACE_MS);
  fixture_start_watched (f, plain);
  plain_pgid = task_pgid (f, plain);

  /* The shell dies of the SIGTERM; the grandchild it leaves in its group
   * ignores it (and writes its pid once it does). Not on our stdio: if the
   * test fails, it must not hold up whoever reads that. */
  script = g_strdup_printf ("(trap '' TERM; exec sh -c 'echo $$ > \"$1\"; "
                            "exec sleep 100 < /dev/null > /dev/null 2>&1' sh %s) & wait", quoted);
  task = sh_task_new (script);
  gtask_sup_task_set_shutdown_timeout (task, LONG_GRACE_MS);
  fixture_start_watched (f, task);

  pgid = task_pgid (f, task);
  grandchild = test_wait_pid_file (f->ctx, gcfile);
  g_assert_cmpint (grandchild, !=, pgid);
  g_assert_cmpint (getpgid (grandchild), ==, pgid);
  g_assert_cmpuint (group_n_live (pgid), ==, 2);

  t0 = g_get_monotonic_time ();
  gtask_sup_task_cancel (plain);
  gtask_sup_task_cancel (task);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, plain, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Both are reaped, and the library is done with them... */
  iterate_until (f->ctx, test_task_reaped_cb, plain, TEST_WAIT_MS);
  iterate_until (f->ctx, test_task_reaped_cb, task, TEST_WAIT_MS);
  none.sup = f->sup;
  none.n = 0;
  iterate_until (f->ctx, n_running_le_cb, &none, TEST_WAIT_MS);

  /* ...the group of the first one is gone... */
  ret = kill (-plain_pgid, 0);
  saved_errno = errno;
  g_assert_cmpint (ret, ==, -1);
  g_assert_cmpint (saved_errno, ==, ESRCH);

  /* ...and nothing of the second one's is left alive (its grandchild may
   * stay a zombie, which keeps the id), long before its grace period would
   * have ended */
  iterate_until (f->ctx, group_empty_cb, GINT_TO_POINTER (pgid), TEST_SLACK_MS);
  g_assert_false (test_pid_alive (grandchild));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, LONG_GRACE_MS * G_TIME_SPAN_MILLISECOND);

  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  test_tmpdir_remove (dir);
}

static int
read_last_pid (void)
{
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (NS_LAST_PID, &contents, NULL, NULL));
  return atoi (contents);
}

static void
write_last_pid (int last)
{
  g_autofree char *text = g_strdup_printf ("%d", last);
  int fd = open (NS_LAST_PID, O_WRONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, text, strlen (text)), ==, (gssize) strlen (text));
  close (fd);
}

/* An unrelated process that leads a process group of its own with the id
 * @pgid, made so by writing @pgid - 1 in ns_last_pid; 0 if the kernel gave
 * out another pid (some thread took it first). */
static int
spawn_group_leader (int pgid)
{
  int last = read_last_pid ();
  int pid;

  write_last_pid (pgid - 1);
  pid = fork ();

  /* Pids go on from where they were: a recently freed one is not given out
   * again to the processes of other tests that run meanwhile. */
  if (pid != 0 && read_last_pid () < last)
    write_last_pid (last);
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* Async-signal-safe only: the test is multithreaded. It dies with
       * the test if the test fails. */
#ifdef __linux__
      prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
      setpgid (0, 0);
      for (;;)
        pause ();
    }

  /* Both sides, so that it leads its group when this returns. */
  setpgid (pid, pid);

  if (pid != pgid)
    {
      kill (pid, SIGKILL);
      g_assert_cmpint (waitpid (pid, NULL, 0), ==, pid);
      return 0;
    }

  g_assert_cmpint (getpgid (pid), ==, pgid);
  return pid;
}

/* Whether ns_last_pid can be written (as root, with the file there and
 * not read-only): why not, for the test's skip message. */
static gboolean
can_reuse_pids (char **why)
{
  int fd;

  if (geteuid () != 0)
    {
      *why = g_strdup ("pid reuse needs root");
      return FALSE;
    }

  fd = open (NS_LAST_PID, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    {
      *why = g_strdup_printf ("cannot write %s: %s", NS_LAST_PID, g_strerror (errno));
      return FALSE;
    }
  close (fd);

  return TRUE;
}

/* As root: the id of the reaped child's group is given out again, to an
 * unrelated process that leads a group with it, before the kill timer of
 * the cancelled task fires. That SIGKILL must not reach it. */
static void
test_reused_id (Fixture       *f,
                gconstpointer  data)
{
  const char *argv[] = { "sleep", "100", NULL };
  g_autofree char *why = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *sentinel_file = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *script = NULL;
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) sentinel = NULL;
  NRunning one;
  gint64 t0;
  int pgid, sentinel_pid, status, ret, saved_errno;
  int stranger = 0;

  TEST_SUMMARY ();

  if (!can_reuse_pids (&why))
    {
      g_test_skip (why);
      return;
    }

  dir = test_tmpdir_new ();
  sentinel_file = g_build_filename (dir, "sentinel", NULL);
  quoted = g_shell_quote (sentinel_file);

  /* The task: its child dies of the SIGTERM at once, and its kill timer
   * fires GRACE_MS after the cancel. */
  task = proc_task_new (argv);
  gtask_sup_task_set_shutdown_timeout (task, GRACE_MS);
  fixture_start_watched (f, task);
  pgid = task_pgid (f, task);

  /* A sentinel with the same grace, cancelled after it, that only its own
   * kill timer can end: once it is gone, the task's timer, armed before,
   * has fired too (no sleep to wait for that). */
  script = g_strdup_printf ("trap '' TERM; echo $$ > %s; while :; do sleep 0.05; done", quoted);
  sentinel = sh_task_new (script);
  gtask_sup_task_set_shutdown_timeout (sentinel, GRACE_MS);
  fixture_start_watched (f, sentinel);
  sentinel_pid = test_wait_pid_file (f->ctx, sentinel_file);
  g_assert_cmpint (sentinel_pid, ==, task_pgid (f, sentinel));

  t0 = g_get_monotonic_time ();
  gtask_sup_task_cancel (task);
  gtask_sup_task_cancel (sentinel);

  /* The child is reaped and the library is done with it: its group is
   * gone, its id is free. */
  iterate_until (f->ctx, test_task_reaped_cb, task, TEST_WAIT_MS);
  one.sup = f->sup;
  one.n = 1;
  iterate_until (f->ctx, n_running_le_cb, &one, TEST_WAIT_MS);
  ret = kill (-pgid, 0);
  saved_errno = errno;
  g_assert_cmpint (ret, ==, -1);
  g_assert_cmpint (saved_errno, ==, ESRCH);

  /* An unrelated process gets the id, as leader of a group of its own. */
  for (guint i = 0; i < 50 && stranger == 0; i++)
    stranger = spawn_group_leader (pgid);
  if (stranger == 0)
    {
      g_test_skip ("the kernel did not give the group's id out again");
      iterate_until_pid_gone (f->ctx, sentinel_pid, GRACE_MS + TEST_SLACK_MS);
      test_tmpdir_remove (dir);
      return;
    }
  /* Else the test proves nothing: the timer came first. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, GRACE_MS * G_TIME_SPAN_MILLISECOND);
  g_assert_true (test_pid_alive (stranger));
  g_test_message ("process %d leads the group %d of the reaped child, %" G_GINT64_FORMAT
                  " ms after the cancel", stranger, pgid, test_elapsed_ms (t0));

  /* The task's kill timer comes and goes... */
  iterate_until_pid_gone (f->ctx, sentinel_pid, GRACE_MS + TEST_SLACK_MS);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, GRACE_MS * G_TIME_SPAN_MILLISECOND);
  iterate_for (f->ctx, 50);

  /* ...and the stranger lives on */
  g_assert_true (test_pid_alive (stranger));
  g_assert_cmpint (waitpid (stranger, &status, WNOHANG), ==, 0);

  kill (stranger, SIGKILL);
  g_assert_cmpint (waitpid (stranger, &status, 0), ==, stranger);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, sentinel, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  test_tmpdir_remove (dir);
}

/* -------------------------------------------------------------------------- */
/* A child that outlives its reported outcome dies when its owner goes        */
/* -------------------------------------------------------------------------- */

typedef struct
{
  char *pidfile;
  char *termfile;   /* a line per SIGTERM received */
  int   pid;
} Stubborn;

/* A child that survives SIGTERM (it logs each one in termfile), with
 * shutdown-timeout -1: nothing but its owner's going can end it once its
 * outcome is reported. With @timeout_ms, the task times out then. */
static GtaskSupTask *
start_stubborn (Fixture    *f,
                const char *dir,
                const char *name,
                int         timeout_ms,
                Stubborn   *s)
{
  g_autofree char *base = g_strconcat (name, ".pid", NULL);
  g_autofree char *termbase = g_strconcat (name, ".term", NULL);
  g_autofree char *qpid = NULL;
  g_autofree char *qterm = NULL;
  g_autofree char *script = NULL;
  GtaskSupTask *task;

  s->pidfile = g_build_filename (dir, base, NULL);
  s->termfile = g_build_filename (dir, termbase, NULL);
  qpid = g_shell_quote (s->pidfile);
  qterm = g_shell_quote (s->termfile);
  script = g_strdup_printf ("exec 2>/dev/null; trap 'echo TERM >> %s' TERM; echo $$ > %s; "
                            "while :; do sleep 1; done", qterm, qpid);

  task = sh_task_new (script);
  gtask_sup_task_set_shutdown_timeout (task, -1);
  if (timeout_ms > 0)
    gtask_sup_task_set_timeout (task, timeout_ms);
  fixture_start_watched (f, task);
  s->pid = test_wait_pid_file (f->ctx, s->pidfile);
  g_assert_cmpint (s->pid, ==, task_pgid (f, task));
  return task;
}

static void
stubborn_clear (Stubborn *s)
{
  g_clear_pointer (&s->pidfile, g_free);
  g_clear_pointer (&s->termfile, g_free);
}

/* Its outcome (a cancel or a timeout) is reported, its SIGTERM ignored:
 * it runs on, and no timer will ever kill it. */
static void
assert_lingers (Fixture      *f,
                GtaskSupTask *task,
                Stubborn     *s)
{
  wait_outcome (f->ctx, f->rec, task);
  iterate_until_lines (f->ctx, s->termfile, 1);
  iterate_for (f->ctx, 50);
  g_assert_true (test_pid_alive (s->pid));
  g_assert_cmpuint (count_lines (s->termfile), ==, 1);
}

/* Once the owner (or supervisor) went at @t0, with no iteration of the
 * owner context: a SIGTERM first (it logs it), then the SIGKILL after
 * GTASK_SUP_SILENCED_KILL_MS. */
static void
assert_killed_after_silence (Fixture  *f,
                             Stubborn *s,
                             gint64    t0)
{
  gint64 gone = test_poll_pid_gone (s->pid, GTASK_SUP_SILENCED_KILL_MS + TEST_SLACK_MS);

  g_assert_cmpint (gone, !=, 0);
  g_assert_cmpint (gone - t0, >=, GTASK_SUP_SILENCED_KILL_MS * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (count_lines (s->termfile), ==, 2);
  /* its sleep went with it */
  iterate_until (f->ctx, group_empty_cb, GINT_TO_POINTER (s->pid), TEST_SLACK_MS);
}

static void
test_lingering_owner_cancelled (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GtaskSupTask) task = NULL;
  Stubborn s = { 0, };
  gint64 t0;

  TEST_SUMMARY ();

  task = start_stubborn (f, dir, "cancelled", 0, &s);
  gtask_sup_task_cancel (task);
  assert_lingers (f, task, &s);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  f->rec->closed = TRUE;
  t0 = g_get_monotonic_time ();
  g_clear_object (&f->owner);

  assert_killed_after_silence (f, &s, t0);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  stubborn_clear (&s);
  test_tmpdir_remove (dir);
}

static void
test_lingering_owner_timed_out (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GtaskSupTask) task = NULL;
  Stubborn s = { 0, };
  gint64 t0;

  TEST_SUMMARY ();

  /* Time for its trap to be set before the timeout's SIGTERM. */
  task = start_stubborn (f, dir, "timed-out", test_upper_ms (100), &s);
  assert_lingers (f, task, &s);
  assert_outcome (f->rec, task, OUTCOME_TIMED_OUT, 0, 0);

  f->rec->closed = TRUE;
  t0 = g_get_monotonic_time ();
  g_clear_object (&f->owner);

  assert_killed_after_silence (f, &s, t0);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  stubborn_clear (&s);
  test_tmpdir_remove (dir);
}

static void
test_lingering_supervisor (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GtaskSupTask) cancelled = NULL;
  g_autoptr(GtaskSupTask) timed_out = NULL;
  Stubborn c = { 0, };
  Stubborn t = { 0, };
  gpointer weak_sup;
  gint64 t0;

  TEST_SUMMARY ();

  cancelled = start_stubborn (f, dir, "cancelled", 0, &c);
  timed_out = start_stubborn (f, dir, "timed-out", test_upper_ms (100), &t);
  gtask_sup_task_cancel (cancelled);
  assert_lingers (f, cancelled, &c);
  assert_lingers (f, timed_out, &t);
  assert_outcome (f->rec, cancelled, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, timed_out, OUTCOME_TIMED_OUT, 0, 0);

  weak_sup = f->sup;
  g_object_add_weak_pointer (weak_sup, &weak_sup);
  f->rec->closed = TRUE;
  t0 = g_get_monotonic_time ();
  g_clear_object (&f->sup);
  /* the children it still runs do not keep it alive */
  g_assert_null (weak_sup);

  assert_killed_after_silence (f, &c, t0);
  assert_killed_after_silence (f, &t, t0);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2);
  stubborn_clear (&c);
  stubborn_clear (&t);
  test_tmpdir_remove (dir);
}

/* The posix_spawn() room signals its child's group only until it reaped
 * the child: the check and the kill are one step against the reap. */
typedef struct
{
  gboolean done;
  int      wait_status;
} SpawnEnd;

static void
spawn_end_cb (GBytes       *out,
              GBytes       *err,
              int           wait_status,
              const GError *error,
              gpointer      data)
{
  SpawnEnd *end = data;

  g_assert_no_error (error);
  end->wait_status = wait_status;
  end->done = TRUE;
}

static gboolean
spawn_ended_cb (gpointer data)
{
  return ((SpawnEnd *)data)->done;
}

static void
test_spawn_signal_until_reaped (void)
{
  const char *argv[] = { "sleep", "30", NULL };
  g_autoptr(GMainContext) ctx = NULL;
  g_autoptr(GtaskSupSpawn) spawn = NULL;
  g_autoptr(GError) error = NULL;
  SpawnEnd end = { FALSE, 0 };

  if (!_gtask_sup_spawn_is_supported (G_SUBPROCESS_FLAGS_NONE))
    {
      g_test_skip ("posix_spawn() mode not supported here");
      return;
    }

  ctx = g_main_context_new ();
  spawn = _gtask_sup_spawn_start (argv, G_SUBPROCESS_FLAGS_NONE, spawn_end_cb, &end, &error);
  g_assert_no_error (error);
  _gtask_sup_spawn_watch (spawn, ctx);

  g_assert_false (_gtask_sup_spawn_is_reaped (spawn));
  g_assert_true (_gtask_sup_spawn_signal_group (spawn, SIGTERM));
  iterate_until (ctx, spawn_ended_cb, &end, TEST_WAIT_MS);

  g_assert_true (_gtask_sup_spawn_is_reaped (spawn));
  g_assert_true (WIFSIGNALED (end.wait_status));
  g_assert_cmpint (WTERMSIG (end.wait_status), ==, SIGTERM);
  /* Reaped: its id may be someone else's now; nothing is sent. */
  g_assert_false (_gtask_sup_spawn_signal_group (spawn, SIGTERM));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/GtaskSup/ProcessGroup/spawn-signal-until-reaped",
                   test_spawn_signal_until_reaped);

  TEST_ADD ("/GtaskSup/ProcessGroup/empty-after-reap", test_empty_after_reap,
            "Once a cancelled child is reaped, nothing of its process group is left alive "
            "(not even what it left behind), long before its grace period ends: no late kill "
            "is needed");
  TEST_ADD ("/GtaskSup/ProcessGroup/reused-id", test_reused_id,
            "As root: the id of a reaped child's group, given out again to an unrelated "
            "group leader (ns_last_pid) before the task's kill timer fires, is not signalled");
  TEST_ADD ("/GtaskSup/ProcessGroup/lingering-owner-cancelled", test_lingering_owner_cancelled,
            "A cancelled child that ignores SIGTERM (shutdown-timeout -1), reported, is sent "
            "SIGTERM then SIGKILL 5000 ms after its owner is finalized");
  TEST_ADD ("/GtaskSup/ProcessGroup/lingering-owner-timed-out", test_lingering_owner_timed_out,
            "A timed-out child that ignores SIGTERM (shutdown-timeout -1), reported, is sent "
            "SIGTERM then SIGKILL 5000 ms after its owner is finalized");
  TEST_ADD ("/GtaskSup/ProcessGroup/lingering-supervisor", test_lingering_supervisor,
            "Cancelled and timed-out children that ignore SIGTERM (shutdown-timeout -1), "
            "reported, are sent SIGTERM then SIGKILL 5000 ms after their supervisor is "
            "finalized");

  return g_test_run ();
}
