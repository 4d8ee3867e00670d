/* test-subprocess.c: subprocess tasks (GSubprocess, process groups, no orphans)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <glib/gstdio.h>
#include <glib-unix.h>
#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-process.h"
#include "test-recorder.h"
#include "test-util.h"

/* The grace period of the tests that need one: children that ignore SIGTERM
 * can only die of the SIGKILL that comes after it. */
#define GRACE_MS 300

static GtaskSupTask *
proc_task_new (const char * const *argv,
               GSubprocessFlags    flags)
{
  GtaskSupTask *task = test_subprocess_new (argv, flags);

  g_assert_nonnull (task);
  test_track_task (task);
  g_assert_cmpint (gtask_sup_task_get_kind (task), ==, GTASK_SUP_TASK_KIND_SUBPROCESS);
  return task;
}

static GtaskSupTask *
sh_task_new (const char       *script,
             GSubprocessFlags  flags)
{
  const char *argv[] = { "sh", "-c", script, NULL };

  return proc_task_new (argv, flags);
}

/* @pid ignores SIGTERM: it can only die of a SIGKILL sent @grace_ms after
 * @t0, so it must be alive whenever it is checked before. */
static void
assert_alive_before (int    pid,
                     gint64 t0,
                     int    grace_ms)
{
  gboolean alive = test_pid_alive (pid);
  gint64 elapsed = g_get_monotonic_time () - t0;

  if (elapsed < (gint64) grace_ms * G_TIME_SPAN_MILLISECOND)
    g_assert_true (alive);
  else
    g_test_message ("too late to check that %d is alive: %" G_GINT64_FORMAT " µs", pid, elapsed);
}

/* A child that ignores SIGTERM, and its sleeps too; it writes its pid (the
 * group's id) once its trap is set. */
static GtaskSupTask *
start_stubborn (Fixture    *f,
                const char *dir,
                int        *pid)
{
  g_autofree char *pidfile = g_build_filename (dir, "pid", NULL);
  g_autofree char *quoted = g_shell_quote (pidfile);
  g_autofree char *script = g_strdup_printf ("trap '' TERM; echo $$ > %s; "
                                             "while :; do sleep 0.05; done", quoted);
  GtaskSupTask *task = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);

  gtask_sup_task_set_shutdown_timeout (task, GRACE_MS);
  fixture_start_watched (f, task);
  *pid = test_wait_pid_file (f->ctx, pidfile);
  g_assert_cmpint (*pid, >, 1);
  g_assert_cmpint (*pid, ==, test_task_wait_pid (f->ctx, task));
  g_assert_true (test_pid_alive (*pid));
  return task;
}

static const char *
error_message (GtaskSupTask *task)
{
  const GError *error = gtask_sup_task_get_error (task);

  g_assert_nonnull (error);
  return error->message;
}

/* -------------------------------------------------------------------------- */
/* Outcomes                                                                   */
/* -------------------------------------------------------------------------- */

static void
test_stdout (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) big = NULL;
  g_autoptr(GSubprocess) process = NULL;
  const GValue *value;
  GBytes *bytes;

  TEST_SUMMARY ();

  task = sh_task_new ("printf 'out:%s\\n' gtask; printf tail; echo ignored >&2",
                      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_assert_null (gtask_sup_task_dup_subprocess (task));
  fixture_start_watched (f, task);
  /* more than a pipe buffer */
  big = sh_task_new ("yes 0123456789 | head -n 20000", G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  fixture_start_watched (f, big);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, big, OUTCOME_SUCCEEDED, 0, 0);

  value = gtask_sup_task_get_value (task);
  g_assert_nonnull (value);
  g_assert_true (G_VALUE_HOLDS (value, G_TYPE_BYTES));
  bytes = g_value_get_boxed (value);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   "out:gtask\ntail", 14);
  g_assert_null (gtask_sup_task_get_error (task));

  bytes = g_value_get_boxed (gtask_sup_task_get_value (big));
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 20000 * 11);

  /* The child, with GSubprocess; none with posix_spawn(). Reaped: no
   * process id either way. */
  process = gtask_sup_task_dup_subprocess (task);
  if (test_spawn_mode_is_posix ())
    g_assert_null (process);
  else
    g_assert_true (g_subprocess_get_successful (process));
  g_assert_null (gtask_sup_task_dup_identifier (task));
}

static void
test_no_pipe (Fixture       *f,
              gconstpointer  data)
{
  const char *argv[] = { "true", NULL };
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(Probe) p = probe_new (PROBE_RESULT_INT, 1);
  g_autoptr(GtaskSupTask) thread = NULL;
  GValue value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  TEST_SUMMARY ();

  task = proc_task_new (argv, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, task);
  thread = probe_task_new (p);
  fixture_start (f, thread);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  g_assert_null (gtask_sup_task_get_value (task));
  g_assert_null (gtask_sup_task_get_error (task));
  g_assert_true (gtask_sup_task_propagate_value (task, &value, &error));
  g_assert_no_error (error);
  g_assert_false (G_IS_VALUE (&value));
  g_assert_true (gtask_sup_task_join (task, 0, &error));
  g_assert_no_error (error);

  /* not a subprocess task: no subprocess */
  g_assert_null (gtask_sup_task_dup_subprocess (thread));
}

static void
test_stdin_pipe (Fixture       *f,
                 gconstpointer  data)
{
  const char *argv[] = { "cat", NULL };
  g_autoptr(GtaskSupTask) task = NULL;
  const GValue *value;

  TEST_SUMMARY ();

  /* cat ends at the end of its input: it must come */
  task = proc_task_new (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  fixture_start_watched (f, task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  value = gtask_sup_task_get_value (task);
  g_assert_nonnull (value);
  g_assert_cmpuint (g_bytes_get_size (g_value_get_boxed (value)), ==, 0);
}

static void
test_exit_code (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GtaskSupTask) tail = NULL;
  g_autoptr(GtaskSupTask) plain = NULL;
  g_autoptr(GtaskSupTask) longer = NULL;
  const char *msg;

  TEST_SUMMARY ();

  tail = sh_task_new ("echo out; echo first-line >&2; printf 'bad \\377 byte\\n' >&2; "
                      "echo last-line >&2; exit 3",
                      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  fixture_start_watched (f, tail);
  plain = sh_task_new ("exit 4", G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, plain);
  longer = sh_task_new ("i=0; while [ $i -lt 300 ]; do echo stderr-line-$i >&2; i=$((i+1)); done; "
                        "exit 1",
                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  fixture_start_watched (f, longer);

  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);

  /* the status is the code, the end of stderr is in the message */
  assert_outcome (f->rec, tail, OUTCOME_FAILED, G_SPAWN_EXIT_ERROR, 3);
  g_assert_null (gtask_sup_task_get_value (tail));
  msg = error_message (tail);
  g_assert_nonnull (strstr (msg, "“sh” exited with code 3"));
  g_assert_nonnull (strstr (msg, "first-line"));
  g_assert_nonnull (strstr (msg, "last-line"));
  g_assert_null (strstr (msg, "out"));
  g_assert_true (g_utf8_validate (msg, -1, NULL));

  /* no stderr pipe, no tail */
  assert_outcome (f->rec, plain, OUTCOME_FAILED, G_SPAWN_EXIT_ERROR, 4);
  g_assert_true (g_str_has_suffix (error_message (plain), "exited with code 4"));

  /* only the last lines of a long stderr, from the start of a line */
  assert_outcome (f->rec, longer, OUTCOME_FAILED, G_SPAWN_EXIT_ERROR, 1);
  msg = error_message (longer);
  g_assert_nonnull (strstr (msg, "exited with code 1: stderr-line-"));
  g_assert_true (g_str_has_suffix (msg, "stderr-line-299"));
  g_assert_null (strstr (msg, "stderr-line-0\n"));
  g_assert_cmpuint (strlen (msg), <, 1024);
}

static void
test_exit_code_empty_stderr (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GtaskSupTask) code = NULL;
  g_autoptr(GtaskSupTask) killed = NULL;

  TEST_SUMMARY ();

  /* stderr captured, but nothing written to it: no tail */
  code = sh_task_new ("exit 5", G_SUBPROCESS_FLAGS_STDERR_PIPE);
  fixture_start_watched (f, code);
  killed = sh_task_new ("kill -KILL $$", G_SUBPROCESS_FLAGS_STDERR_PIPE);
  fixture_start_watched (f, killed);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, code, OUTCOME_FAILED, G_SPAWN_EXIT_ERROR, 5);
  g_assert_true (g_str_has_suffix (error_message (code), "“sh” exited with code 5"));
  assert_outcome (f->rec, killed, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED);
  g_assert_true (g_str_has_suffix (error_message (killed),
                                   "“sh” was killed by signal 9 (SIGKILL)"));
}

static void
test_signal (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GtaskSupTask) term = NULL;
  g_autoptr(GtaskSupTask) segv = NULL;
  const char *msg;

  TEST_SUMMARY ();

  term = sh_task_new ("kill -TERM $$", G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, term);
  segv = sh_task_new ("ulimit -c 0; kill -SEGV $$", G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, segv);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);

  /* Not a shutdown: a signal is a failure that names it. */
  assert_outcome (f->rec, term, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED);
  msg = error_message (term);
  g_assert_nonnull (strstr (msg, "“sh”"));
  g_assert_nonnull (strstr (msg, "signal 15"));
  g_assert_nonnull (strstr (msg, "SIGTERM"));

  assert_outcome (f->rec, segv, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED);
  msg = error_message (segv);
  g_assert_nonnull (strstr (msg, "signal 11"));
  g_assert_nonnull (strstr (msg, "SIGSEGV"));
}

static void
test_missing_program (Fixture       *f,
                      gconstpointer  data)
{
  const char *argv[] = { "gtask-sup-test-no-such-program", "--flag", NULL };
  const char *argv_abs[] = { "/nonexistent/gtask-sup/prog", NULL };
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) task_abs = NULL;
  g_autoptr(GError) error = NULL;

  TEST_SUMMARY ();

  task = proc_task_new (argv, G_SUBPROCESS_FLAGS_NONE);
  recorder_watch (f->rec, task);
  /* start() itself succeeds: the spawn is asynchronous */
  f->rec->in_call = TRUE;
  g_assert_true (gtask_sup_supervisor_start (f->sup, task, &error));
  f->rec->in_call = FALSE;
  g_assert_no_error (error);
  g_assert_null (recorder_get (f->rec, task));

  task_abs = proc_task_new (argv_abs, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  fixture_start_watched (f, task_abs);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT);
  assert_outcome (f->rec, task_abs, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT);
  g_assert_null (gtask_sup_task_dup_subprocess (task));
  g_assert_null (gtask_sup_task_get_value (task));
}

static void
test_spawn_failure_frees_slot (Fixture       *f,
                               gconstpointer  data)
{
  const char *empty_argv[] = { "", NULL };
  const char *missing_argv[] = { "gtask-sup-test-no-such-program", NULL };
  const char *true_argv[] = { "true", NULL };
  g_autoptr(GtaskSupTask) empty = NULL;
  g_autoptr(GtaskSupTask) missing = NULL;
  g_autoptr(GtaskSupTask) after = NULL;

  TEST_SUMMARY ();

  /* One slot: each task runs only once the one before it gave it back. */
  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  empty = proc_task_new (empty_argv, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, empty);
  missing = proc_task_new (missing_argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  fixture_start_watched (f, missing);
  after = proc_task_new (true_argv, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, after);

  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);
  assert_outcome (f->rec, empty, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT);
  g_assert_nonnull (strstr (error_message (empty), "“”"));
  g_assert_null (gtask_sup_task_dup_subprocess (empty));
  assert_outcome (f->rec, missing, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT);
  g_assert_nonnull (strstr (error_message (missing), "“gtask-sup-test-no-such-program”"));
  assert_outcome (f->rec, after, OUTCOME_SUCCEEDED, 0, 0);

  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 3);
}

/* Names in the filename encoding that are not UTF-8 give UTF-8 messages. */
static void
test_non_utf8_program (Fixture       *f,
                       gconstpointer  data)
{
  const char *missing_argv[] = { "/nonexistent/\xff\xfe-prog", NULL };
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *link = g_build_filename (dir, "\xff\xfe-sh", NULL);
  g_autofree char *sh = g_find_program_in_path ("sh");
  const char *exit_argv[] = { link, "-c", "exit 3", NULL };
  const char *signal_argv[] = { link, "-c", "kill -TERM $$", NULL };
  g_autofree char *missing_name = g_filename_display_name (missing_argv[0]);
  g_autofree char *link_name = g_filename_display_name (link);
  g_autoptr(GtaskSupTask) missing = NULL;
  g_autoptr(GtaskSupTask) exited = NULL;
  g_autoptr(GtaskSupTask) signaled = NULL;
  const char *msg;

  TEST_SUMMARY ();

  g_assert_nonnull (sh);
  g_assert_no_errno (symlink (sh, link));

  missing = proc_task_new (missing_argv, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, missing);
  exited = proc_task_new (exit_argv, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, exited);
  signaled = proc_task_new (signal_argv, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, signaled);

  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);

  assert_outcome (f->rec, missing, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT);
  msg = error_message (missing);
  g_assert_true (g_utf8_validate (msg, -1, NULL));
  g_assert_nonnull (strstr (msg, missing_name));

  assert_outcome (f->rec, exited, OUTCOME_FAILED, G_SPAWN_EXIT_ERROR, 3);
  msg = error_message (exited);
  g_assert_true (g_utf8_validate (msg, -1, NULL));
  g_assert_nonnull (strstr (msg, link_name));

  assert_outcome (f->rec, signaled, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED);
  msg = error_message (signaled);
  g_assert_true (g_utf8_validate (msg, -1, NULL));
  g_assert_nonnull (strstr (msg, link_name));

  test_tmpdir_remove (dir);
}

/* -------------------------------------------------------------------------- */
/* Stopping children                                                          */
/* -------------------------------------------------------------------------- */

static void
test_timeout (Fixture       *f,
              gconstpointer  data)
{
  const char *argv[] = { "sleep", "30", NULL };
  int timeout = (int) test_upper_ms (200);
  g_autoptr(GtaskSupTask) task = NULL;
  Outcome *o;
  gint64 t0;
  int pid;

  TEST_SUMMARY ();

  task = proc_task_new (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  gtask_sup_task_set_timeout (task, timeout);
  gtask_sup_task_set_shutdown_timeout (task, GRACE_MS);
  t0 = g_get_monotonic_time ();
  fixture_start_watched (f, task);
  pid = test_task_wait_pid (f->ctx, task);
  g_assert_cmpint (pid, >, 1);
  g_assert_true (test_pid_alive (pid));

  wait_outcome (f->ctx, f->rec, task);
  o = recorder_get (f->rec, task);
  assert_outcome_after (o, t0, timeout);
  assert_outcome (f->rec, task, OUTCOME_TIMED_OUT, 0, 0);

  /* sleep dies of the SIGTERM; at worst, of the SIGKILL after the grace */
  iterate_until_pid_gone (f->ctx, pid, GRACE_MS + TEST_SLACK_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
}

static void
test_shutdown_terminated (Fixture       *f,
                          gconstpointer  data)
{
  const char *argv[] = { "sleep", "30", NULL };
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) own = NULL;
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *pidfile = g_build_filename (dir, "pid", NULL);
  g_autofree char *quoted = g_shell_quote (pidfile);
  g_autofree char *script = g_strdup_printf ("trap 'exit 7' TERM; echo $$ > %s; "
                                             "while :; do sleep 0.05; done", quoted);
  Outcome *o;
  gint64 t0;
  int pid;

  TEST_SUMMARY ();

  task = proc_task_new (argv, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, task);
  pid = test_task_wait_pid (f->ctx, task);
  own = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, own);
  test_wait_pid_file (f->ctx, pidfile);

  /* Dying of the SIGTERM of a shutdown is a cancellation, long before the
   * grace is over; exiting on it is the child's own outcome. */
  t0 = g_get_monotonic_time ();
  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (task, 20000);
  gtask_sup_task_shutdown (own, 20000);
  f->rec->in_call = FALSE;

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  o = recorder_get (f->rec, task);
  assert_outcome_after (o, t0, 0);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, own, OUTCOME_FAILED, G_SPAWN_EXIT_ERROR, 7);
  g_assert_false (test_pid_alive (pid));
  test_tmpdir_remove (dir);
}

static void
test_orphan_cancel (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GtaskSupTask) task = NULL;
  Outcome *o;
  gint64 t0;
  int pid;

  TEST_SUMMARY ();

  task = start_stubborn (f, dir, &pid);

  t0 = g_get_monotonic_time ();
  f->rec->in_call = TRUE;
  gtask_sup_task_cancel (task);
  f->rec->in_call = FALSE;
  assert_alive_before (pid, t0, GRACE_MS);

  /* reported at once... */
  wait_outcome (f->ctx, f->rec, task);
  o = recorder_get (f->rec, task);
  assert_outcome_after (o, t0, 0);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* ...the child ignores the SIGTERM, and the SIGKILL only comes after the
   * grace period: still alive half-way... */
  iterate_for (f->ctx, GRACE_MS / 2);
  assert_alive_before (pid, t0, GRACE_MS);

  /* ...and then gone */
  iterate_until_pid_gone (f->ctx, pid, GRACE_MS + TEST_SLACK_MS);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, GRACE_MS * G_TIME_SPAN_MILLISECOND);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  test_tmpdir_remove (dir);
}

static void
test_orphan_shutdown (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GtaskSupTask) task = NULL;
  Outcome *o;
  gint64 t0;
  int pid;

  TEST_SUMMARY ();

  task = start_stubborn (f, dir, &pid);

  t0 = g_get_monotonic_time ();
  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (task, GRACE_MS);
  f->rec->in_call = FALSE;

  iterate_for (f->ctx, GRACE_MS / 2);
  assert_alive_before (pid, t0, GRACE_MS);
  g_assert_null (recorder_get (f->rec, task));

  wait_outcome (f->ctx, f->rec, task);
  o = recorder_get (f->rec, task);
  assert_outcome_after (o, t0, GRACE_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);

  iterate_until_pid_gone (f->ctx, pid, TEST_SLACK_MS);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  test_tmpdir_remove (dir);
}

static void
test_orphan_brutal (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GtaskSupTask) task = NULL;
  Outcome *o;
  gint64 t0;
  int pid;

  TEST_SUMMARY ();

  task = start_stubborn (f, dir, &pid);

  t0 = g_get_monotonic_time ();
  f->rec->in_call = TRUE;
  gtask_sup_task_shutdown (task, 0);
  f->rec->in_call = FALSE;

  wait_outcome (f->ctx, f->rec, task);
  o = recorder_get (f->rec, task);
  assert_outcome_after (o, t0, 0);
  assert_outcome (f->rec, task, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_KILLED);

  /* SIGKILL at once: long before its shutdown-timeout */
  iterate_until_pid_gone (f->ctx, pid, TEST_SLACK_MS);
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
  test_tmpdir_remove (dir);
}

/* Whether it is the owner or the supervisor that goes away, the child is
 * killed after its grace period, with no iteration of the owner context. */
static void
check_orphan_gone (Fixture *f,
                   int      pid,
                   gint64   t0)
{
  gint64 gone;

  assert_alive_before (pid, t0, GRACE_MS);
  gone = test_poll_pid_gone (pid, GRACE_MS + TEST_SLACK_MS);
  g_assert_cmpint (gone, !=, 0);
  g_assert_cmpint (gone - t0, >=, GRACE_MS * G_TIME_SPAN_MILLISECOND);

  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_cmpuint (f->rec->n_stopped, ==, 0);
}

static void
test_orphan_owner_finalized (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GtaskSupTask) task = NULL;
  gint64 t0;
  int pid;

  TEST_SUMMARY ();

  task = start_stubborn (f, dir, &pid);

  f->rec->closed = TRUE;
  t0 = g_get_monotonic_time ();
  g_clear_object (&f->owner);
  g_assert_true (g_cancellable_is_cancelled (gtask_sup_task_get_cancellable (task)));

  check_orphan_gone (f, pid, t0);
  test_tmpdir_remove (dir);
}

static void
test_orphan_supervisor_finalized (Fixture       *f,
                                  gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GtaskSupTask) task = NULL;
  gpointer weak_sup;
  gint64 t0;
  int pid;

  TEST_SUMMARY ();

  task = start_stubborn (f, dir, &pid);

  weak_sup = f->sup;
  g_object_add_weak_pointer (weak_sup, &weak_sup);
  f->rec->closed = TRUE;
  t0 = g_get_monotonic_time ();
  g_clear_object (&f->sup);
  /* its children do not keep it alive */
  g_assert_null (weak_sup);

  check_orphan_gone (f, pid, t0);
  test_tmpdir_remove (dir);
}

static void
test_grandchild (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *pidfile = g_build_filename (dir, "pid", NULL);
  g_autofree char *quoted = g_shell_quote (pidfile);
  g_autofree char *script = NULL;
  g_autoptr(GtaskSupTask) task = NULL;
  gint64 t0;
  int pid, grandchild;

  TEST_SUMMARY ();

  /* The shell ignores SIGTERM, its background sleep does not: the SIGTERM
   * must go to the whole group, long before the SIGKILL. */
  script = g_strdup_printf ("sleep 100 & trap '' TERM; echo $! > %s; wait; exit 0", quoted);
  task = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);
  gtask_sup_task_set_shutdown_timeout (task, 60000);
  fixture_start_watched (f, task);
  grandchild = test_wait_pid_file (f->ctx, pidfile);
  pid = test_task_wait_pid (f->ctx, task);
  g_assert_cmpint (grandchild, !=, pid);
  g_assert_true (test_pid_alive (grandchild));

  t0 = g_get_monotonic_time ();
  gtask_sup_task_cancel (task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_until_pid_gone (f->ctx, grandchild, TEST_SLACK_MS);
  /* then the shell's wait returns and it exits */
  iterate_until_pid_gone (f->ctx, pid, TEST_SLACK_MS);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 60000 * G_TIME_SPAN_MILLISECOND);
  test_tmpdir_remove (dir);
}

static void
test_grandchild_killed (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *pidfile = g_build_filename (dir, "pid", NULL);
  g_autofree char *quoted = g_shell_quote (pidfile);
  g_autofree char *script = NULL;
  g_autoptr(GtaskSupTask) task = NULL;
  gint64 t0;
  int pid, grandchild;

  TEST_SUMMARY ();

  /* Both ignore SIGTERM: the SIGKILL after the grace kills the group. */
  script = g_strdup_printf ("trap '' TERM; sleep 100 & echo $! > %s; wait", quoted);
  task = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);
  gtask_sup_task_set_shutdown_timeout (task, GRACE_MS);
  fixture_start_watched (f, task);
  grandchild = test_wait_pid_file (f->ctx, pidfile);
  pid = test_task_wait_pid (f->ctx, task);
  g_assert_cmpint (grandchild, !=, pid);

  t0 = g_get_monotonic_time ();
  gtask_sup_task_cancel (task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_for (f->ctx, GRACE_MS / 2);
  assert_alive_before (grandchild, t0, GRACE_MS);

  iterate_until_pid_gone (f->ctx, grandchild, GRACE_MS + TEST_SLACK_MS);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, GRACE_MS * G_TIME_SPAN_MILLISECOND);
  iterate_until_pid_gone (f->ctx, pid, TEST_SLACK_MS);
  test_tmpdir_remove (dir);
}

static void
test_cancel_queued (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *pidfile = g_build_filename (dir, "pid", NULL);
  g_autofree char *quoted = g_shell_quote (pidfile);
  g_autofree char *script = g_strdup_printf ("echo $$ > %s", quoted);
  g_autoptr(Probe) blocker_p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) blocker = NULL;
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) timed = NULL;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  blocker = probe_task_new (blocker_p);
  fixture_start (f, blocker);
  task = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, task);
  timed = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);
  gtask_sup_task_set_timeout (timed, 50);
  fixture_start_watched (f, timed);
  iterate_until_int_eq (f->ctx, &blocker_p->n_runs, 1, TEST_WAIT_MS);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_QUEUED);

  gtask_sup_task_cancel (task);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_outcome (f->rec, timed, OUTCOME_TIMED_OUT, 0, 0);

  gtask_sup_task_cancel (blocker);
  wait_outcome (f->ctx, f->rec, blocker);
  iterate_for (f->ctx, 300);
  /* neither was ever spawned */
  g_assert_false (g_file_test (pidfile, G_FILE_TEST_EXISTS));
  g_assert_null (gtask_sup_task_dup_subprocess (task));
  g_assert_null (gtask_sup_task_dup_subprocess (timed));
  g_assert_cmpuint (f->rec->n_outcomes, ==, 3);
  iterate_until_int_eq (f->ctx, &blocker_p->n_returns, 1, TEST_WAIT_MS);
  test_tmpdir_remove (dir);
}

static void
count_failed_cb (GtaskSupSupervisor *sup,
                 GtaskSupTask       *task,
                 const GError       *error,
                 gpointer            user_data)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    (*(guint *) user_data)++;
}

static void
test_cancel_spawn_race (Fixture       *f,
                        gconstpointer  data)
{
  guint n = test_count (20, 4);
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GtaskSupSupervisor) sup = NULL;
  guint n_cancelled = 0, n_spawned = 0;
  guint i;

  TEST_SUMMARY ();

  /* No recorder on this supervisor: it would keep the tasks alive. A task
   * is finalized once the subprocess service is done with it: it never
   * spawned its child, or its child exited (`sleep 30`: it was killed). */
  sup = gtask_sup_supervisor_new (f->owner);
  g_signal_connect (sup, "failed", G_CALLBACK (count_failed_cb), &n_cancelled);

  for (i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("pid-%u", i);
      g_autofree char *pidfile = g_build_filename (dir, name, NULL);
      g_autofree char *quoted = g_shell_quote (pidfile);
      g_autofree char *script = g_strdup_printf ("echo $$ > %s; exec sleep 30", quoted);
      GtaskSupTask *task = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);
      gpointer weak = task;
      g_autoptr(GError) error = NULL;
      int pid;

      g_object_add_weak_pointer (weak, &weak);
      g_assert_true (gtask_sup_supervisor_start (sup, task, &error));
      g_assert_no_error (error);

      /* the dispatch that hands it to the subprocess service, then a
       * cancel that races the spawn */
      g_main_context_iteration (f->ctx, FALSE);
      g_usleep (g_test_rand_int_range (0, 3000));
      gtask_sup_task_cancel (task);
      g_object_unref (task);

      iterate_until (f->ctx, test_weak_null_cb, &weak, TEST_WAIT_MS);
      pid = test_read_pid_file (pidfile);
      if (pid > 0)
        {
          n_spawned++;
          g_assert_false (test_pid_alive (pid));
        }
    }

  g_assert_cmpuint (n_cancelled, ==, n);
  g_test_message ("%u runs, %u spawned before the cancel", n, n_spawned);
  test_tmpdir_remove (dir);
}

/* The owner context goes first (the app drops its last reference), and the
 * subprocess task is released later by the subprocess service. Nothing may
 * touch the freed context, and the service must go on serving others. */
static void
test_outlives_context (Fixture       *f,
                       gconstpointer  data)
{
  const char *argv[] = { "true", NULL };
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *pidfile = g_build_filename (dir, "pid", NULL);
  g_autofree char *quoted = g_shell_quote (pidfile);
  g_autofree char *script = g_strdup_printf ("trap '' TERM; echo $$ > %s; "
                                             "while :; do sleep 0.05; done", quoted);
  GMainContext *ctx2 = g_main_context_new ();
  GtaskSupSupervisor *sup2;
  GtaskSupTask *task;
  g_autoptr(GtaskSupTask) after = NULL;
  int pid;

  TEST_SUMMARY ();

  sup2 = g_object_new (GTASK_SUP_TYPE_SUPERVISOR, "main-context", ctx2, NULL);
  task = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);
  gtask_sup_task_set_shutdown_timeout (task, GRACE_MS);
  g_assert_true (gtask_sup_supervisor_start (sup2, task, NULL));
  pid = test_wait_pid_file (ctx2, pidfile);
  g_assert_true (test_pid_alive (pid));

  /* Everything goes now; the child is killed after its grace, and only then
   * does the service thread drop the last reference to the task. */
  g_object_unref (sup2);
  g_object_unref (task);
  g_main_context_unref (ctx2);
  g_assert_cmpint (test_poll_pid_gone (pid, GRACE_MS + TEST_SLACK_MS), !=, 0);

  /* The subprocess service still works for everyone else. */
  after = proc_task_new (argv, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, after);
  wait_outcome (f->ctx, f->rec, after);
  assert_outcome (f->rec, after, OUTCOME_SUCCEEDED, 0, 0);
  test_tmpdir_remove (dir);
}

/* A program that exec() refuses (no `#!`) runs with /bin/sh, as GLib does;
 * one that is not executable, or a FIFO (which must not block the spawn),
 * fails with G_SPAWN_ERROR_ACCES; in either spawn mode. */
static void
test_script_and_not_executable (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *script = g_build_filename (dir, "no-shebang", NULL);
  g_autofree char *plain = g_build_filename (dir, "not-executable", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
  const char *script_argv[] = { script, NULL };
  const char *plain_argv[] = { plain, NULL };
  const char *fifo_argv[] = { fifo, NULL };
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) refused = NULL;
  g_autoptr(GtaskSupTask) fifo_task = NULL;
  GBytes *bytes;

  TEST_SUMMARY ();

  g_assert_true (g_file_set_contents (script, "echo from-sh\n", -1, NULL));
  g_assert_no_errno (g_chmod (script, 0755));
  g_assert_true (g_file_set_contents (plain, "echo never\n", -1, NULL));
  g_assert_no_errno (g_chmod (plain, 0644));
  g_assert_no_errno (mkfifo (fifo, 0755));

  task = proc_task_new (script_argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  fixture_start_watched (f, task);
  refused = proc_task_new (plain_argv, G_SUBPROCESS_FLAGS_NONE);
  fixture_start_watched (f, refused);
  /* valgrind opens a program before it lets exec() refuse it: a FIFO
   * blocks it there (in either mode, so outside this library). */
  if (!test_is_slow ())
    {
      fifo_task = proc_task_new (fifo_argv, G_SUBPROCESS_FLAGS_NONE);
      fixture_start_watched (f, fifo_task);
    }

  wait_n_outcomes (f->ctx, f->rec, test_is_slow () ? 2 : 3, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  bytes = g_value_get_boxed (gtask_sup_task_get_value (task));
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "from-sh\n", 8);
  assert_outcome (f->rec, refused, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_ACCES);
  g_assert_nonnull (strstr (error_message (refused), "not-executable"));
  if (fifo_task != NULL)
    assert_outcome (f->rec, fifo_task, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_ACCES);

  test_tmpdir_remove (dir);
}

/* The child gets stdin from /dev/null, and no descriptor but 0, 1 and 2,
 * even one this process opened without O_CLOEXEC; it runs in its own
 * process group, whose id dup_identifier() gives while it runs. */
static void
test_child_environment (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *pid_file = g_build_filename (dir, "pid", NULL);
  g_autofree char *stdin_file = g_build_filename (dir, "stdin", NULL);
  g_autofree char *fds_file = g_build_filename (dir, "fds", NULL);
  g_autofree char *script = NULL;
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *identifier = NULL;
  g_autofree char *stdin_target = NULL;
  g_autofree char *fds = NULL;
  int leaked;
  int pid;

  TEST_SUMMARY ();

  /* ls lists its own descriptors: 0, 1, 2 and the one of the listing. */
  script = g_strdup_printf ("readlink /proc/self/fd/0 > '%s'; "
                            "ls /proc/self/fd | tr '\\n' ' ' > '%s'; "
                            "echo $$ > '%s'; exec sleep 30",
                            stdin_file, fds_file, pid_file);

  /* Not close-on-exec: only the spawn keeps it from the child. */
  leaked = dup (STDERR_FILENO);
  g_assert_cmpint (leaked, >, STDERR_FILENO);

  task = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);
  g_assert_null (gtask_sup_task_dup_identifier (task));
  fixture_start_watched (f, task);
  pid = test_wait_pid_file (f->ctx, pid_file);
  g_close (leaked, NULL);
  g_assert_cmpint (pid, >, 1);

  /* The child may run before the spawn returns: the task knows its pid a
   * little later. */
  g_assert_cmpint (test_task_wait_pid (f->ctx, task), ==, pid);
  identifier = gtask_sup_task_dup_identifier (task);
  g_assert_nonnull (identifier);
  g_assert_cmpint (atoi (identifier), ==, pid);
  g_assert_cmpint (getpgid (pid), ==, pid);
  process = gtask_sup_task_dup_subprocess (task);
  if (test_spawn_mode_is_posix ())
    g_assert_null (process);
  else
    g_assert_cmpstr (g_subprocess_get_identifier (process), ==, identifier);

  g_assert_true (g_file_get_contents (stdin_file, &stdin_target, NULL, NULL));
  g_assert_cmpstr (g_strstrip (stdin_target), ==, "/dev/null");
  g_assert_true (g_file_get_contents (fds_file, &fds, NULL, NULL));
  g_assert_cmpstr (fds, ==, "0 1 2 3 ");

  gtask_sup_task_cancel (task);
  wait_outcome (f->ctx, f->rec, task);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (test_poll_pid_gone (pid, TEST_WAIT_MS), !=, 0);
  iterate_until (f->ctx, test_task_reaped_cb, task, TEST_WAIT_MS);
  g_assert_null (gtask_sup_task_dup_identifier (task));

  test_tmpdir_remove (dir);
}

/* The spawn mode: GSubprocess unless set, kept by a restart; a posix_spawn()
 * task that failed and was restarted runs again with posix_spawn() (no
 * GSubprocess). */
static void
test_spawn_mode (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *script = NULL;
  g_autoptr(GtaskSupTask) task = NULL;
  GHashTableIter iter;
  Outcome *o;
  GtaskSupTask *run1 = NULL;

  TEST_SUMMARY ();

  /* Fails once, then succeeds. */
  script = g_strdup_printf ("test -e '%s/once' && exit 0; touch '%s/once'; exit 3", dir, dir);
  task = sh_task_new (script, G_SUBPROCESS_FLAGS_NONE);
  g_assert_cmpint (gtask_sup_task_get_spawn_mode (task), ==,
                   test_spawn_mode_is_posix () ? GTASK_SUP_SPAWN_MODE_POSIX_SPAWN
                                               : GTASK_SUP_SPAWN_MODE_SUBPROCESS);
  gtask_sup_task_set_spawn_mode (task, GTASK_SUP_SPAWN_MODE_SUBPROCESS);
  g_assert_cmpint (gtask_sup_task_get_spawn_mode (task), ==, GTASK_SUP_SPAWN_MODE_SUBPROCESS);
  gtask_sup_task_set_spawn_mode (task, GTASK_SUP_SPAWN_MODE_POSIX_SPAWN);
  g_assert_cmpint (gtask_sup_task_get_spawn_mode (task), ==, GTASK_SUP_SPAWN_MODE_POSIX_SPAWN);
  gtask_sup_task_set_restart (task, GTASK_SUP_RESTART_TRANSIENT);
  fixture_start (f, task);

  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_SPAWN_EXIT_ERROR, 3);
  g_hash_table_iter_init (&iter, f->rec->outcomes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &o))
    if (o->task != task)
      run1 = o->task;
  g_assert_nonnull (run1);
  assert_outcome (f->rec, run1, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (gtask_sup_task_get_spawn_mode (run1), ==, GTASK_SUP_SPAWN_MODE_POSIX_SPAWN);
  g_assert_null (gtask_sup_task_dup_subprocess (run1));
  g_assert_null (gtask_sup_task_dup_subprocess (task));

  test_tmpdir_remove (dir);
}

static void
n_running_cb (GObject    *object,
              GParamSpec *pspec,
              gpointer    data)
{
  guint *peak = data;

  *peak = MAX (*peak, gtask_sup_supervisor_get_n_running (GTASK_SUP_SUPERVISOR (object)));
}

/* Many short commands at a small max-concurrency (with posix_spawn(), a
 * worker runs them one after the other): each ends once, with its own
 * value, and no more run at once than the limit. Each command counts the
 * commands running beside it (a file each in a shared directory), so an
 * overrun between two dispatches of the owner is seen too. */
static void
test_many_short (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  guint peak = 0;
  gulong handler;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 3);
  handler = g_signal_connect (f->sup, "notify::n-running", G_CALLBACK (n_running_cb), &peak);

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *word = g_strdup_printf ("%u", i);
      const char *argv[] = {
        "sh", "-c", "touch \"$1/$$\"; n=$(ls \"$1\" | wc -l); rm \"$1/$$\"; echo \"$2 $n\"",
        "sh", dir, word, NULL
      };
      GtaskSupTask *task = proc_task_new (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE);

      fixture_start_watched (f, task);
      g_ptr_array_add (tasks, task);
    }

  wait_n_outcomes (f->ctx, f->rec, tasks->len, TEST_WAIT_MS);
  /* Nothing more comes. */
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (f->rec->n_outcomes, ==, tasks->len);

  for (guint i = 0; i < tasks->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (tasks, i);
      g_autofree char *text = NULL;
      guint index, running;
      GBytes *bytes;

      assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
      bytes = g_value_get_boxed (gtask_sup_task_get_value (task));
      text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_assert_cmpint (sscanf (text, "%u %u", &index, &running), ==, 2);
      g_assert_cmpuint (index, ==, i);
      g_assert_cmpuint (running, >=, 1);
      g_assert_cmpuint (running, <=, 3);
    }

  g_assert_cmpuint (peak, <=, 3);
  g_signal_handler_disconnect (f->sup, handler);
  test_tmpdir_remove (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Subprocess/stdout", test_stdout,
            "exit 0 with STDOUT_PIPE succeeds with the output as a GBytes value, also larger "
            "than a pipe buffer");
  TEST_ADD ("/GtaskSup/Subprocess/no-pipe", test_no_pipe,
            "exit 0 without a pipe succeeds with no value");
  TEST_ADD ("/GtaskSup/Subprocess/stdin-pipe", test_stdin_pipe,
            "With STDIN_PIPE the program reads an empty stdin and ends");
  TEST_ADD ("/GtaskSup/Subprocess/exit-code", test_exit_code,
            "A non-zero exit fails with G_SPAWN_EXIT_ERROR, code = status, the tail of stderr "
            "(valid UTF-8, from a line start) in the message with STDERR_PIPE");
  TEST_ADD ("/GtaskSup/Subprocess/exit-code-empty-stderr", test_exit_code_empty_stderr,
            "With STDERR_PIPE and nothing written on stderr, the message has no tail");
  TEST_ADD ("/GtaskSup/Subprocess/signal", test_signal,
            "A child killed by a signal fails with a message that names it");
  TEST_ADD ("/GtaskSup/Subprocess/missing-program", test_missing_program,
            "A missing program: start() succeeds, the task then fails with G_SPAWN_ERROR_NOENT");
  TEST_ADD ("/GtaskSup/Subprocess/spawn-failure-frees-slot", test_spawn_failure_frees_slot,
            "An empty program name and a missing program each fail once with G_SPAWN_ERROR_NOENT "
            "and a message naming the program, and give their slot back");
  TEST_ADD ("/GtaskSup/Subprocess/non-utf8-program", test_non_utf8_program,
            "A program name that is not UTF-8 gives valid UTF-8 messages with its display name "
            "(spawn error, exit code, signal)");
  TEST_ADD ("/GtaskSup/Subprocess/timeout", test_timeout,
            "`sleep 30` with a timeout times out at >= timeout and the process is gone soon "
            "after");
  TEST_ADD ("/GtaskSup/Subprocess/shutdown-terminated", test_shutdown_terminated,
            "A child that dies of the SIGTERM of a shutdown is CANCELLED; one that exits on it "
            "reports its own status");
  TEST_ADD ("/GtaskSup/Subprocess/orphan-cancel", test_orphan_cancel,
            "cancel() of a child ignoring SIGTERM: CANCELLED at once, alive during the grace, "
            "gone after it");
  TEST_ADD ("/GtaskSup/Subprocess/orphan-shutdown", test_orphan_shutdown,
            "shutdown (task, 300) of a child ignoring SIGTERM: KILLED at >= 300 ms, then gone");
  TEST_ADD ("/GtaskSup/Subprocess/orphan-brutal", test_orphan_brutal,
            "shutdown (task, 0): KILLED and gone at once");
  TEST_ADD ("/GtaskSup/Subprocess/orphan-owner-finalized", test_orphan_owner_finalized,
            "Owner finalized: no signal, the child is gone after its grace without any "
            "iteration of the owner context");
  TEST_ADD ("/GtaskSup/Subprocess/orphan-supervisor-finalized", test_orphan_supervisor_finalized,
            "Supervisor finalized: no signal, the child is gone after its grace without any "
            "iteration of the owner context");
  TEST_ADD ("/GtaskSup/Subprocess/grandchild", test_grandchild,
            "The SIGTERM goes to the whole process group: a grandchild dies with it");
  TEST_ADD ("/GtaskSup/Subprocess/grandchild-killed", test_grandchild_killed,
            "The SIGKILL after the grace goes to the whole group: a grandchild ignoring SIGTERM "
            "dies then");
  TEST_ADD ("/GtaskSup/Subprocess/cancel-queued", test_cancel_queued,
            "A queued subprocess task that is cancelled or times out is never spawned");
  TEST_ADD ("/GtaskSup/Subprocess/cancel-spawn-race", test_cancel_spawn_race,
            "A cancel racing the spawn leaves no child behind");
  TEST_ADD ("/GtaskSup/Subprocess/script-and-not-executable", test_script_and_not_executable,
            "A program without #! runs with /bin/sh; one that is not executable, or a FIFO, "
            "fails with G_SPAWN_ERROR_ACCES");
  TEST_ADD ("/GtaskSup/Subprocess/child-environment", test_child_environment,
            "The child has /dev/null as stdin, no descriptor but 0, 1, 2 (not even one "
            "opened without O_CLOEXEC), its own process group; dup_identifier() gives its "
            "pid while it runs, NULL once reaped");
  TEST_ADD ("/GtaskSup/Subprocess/spawn-mode", test_spawn_mode,
            "The spawn mode is SUBPROCESS unless set, and a restart keeps it");
  TEST_ADD ("/GtaskSup/Subprocess/many-short", test_many_short,
            "60 short commands at max-concurrency 3: one outcome and its own value each, "
            "never more than 3 running");
  TEST_ADD ("/GtaskSup/Subprocess/outlives-context", test_outlives_context,
            "A subprocess task released by the subprocess service after its owner context "
            "was freed: no use of the freed context, the service goes on working");

  return g_test_run ();
}
