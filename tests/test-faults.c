/* test-faults.c: fault injection — children killed from outside or closing
 * their stdout early, huge outputs, many children, too few file
 * descriptors, and an owner context that is not iterated for a while
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test asserts exactly one outcome per task (DESIGN §4 rule 1), and a
 * clear GError where it fails: a fault never aborts, hangs or leaks.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-process.h"
#include "test-recorder.h"
#include "test-util.h"

/* -------------------------------------------------------------------------- */
/* Helpers                                                                    */
/* -------------------------------------------------------------------------- */

static GtaskSupTask *
proc_task_new (const char * const *argv,
               GSubprocessFlags    flags)
{
  GtaskSupTask *task = test_subprocess_new (argv, flags);

  g_assert_nonnull (task);
  test_track_task (task);
  return task;
}

static GtaskSupTask *
sh_task_new (const char       *script,
             GSubprocessFlags  flags)
{
  const char *argv[] = { "sh", "-c", script, NULL };

  return proc_task_new (argv, flags);
}

static GtaskSupTask *
true_task_new (GSubprocessFlags flags)
{
  const char *argv[] = { "true", NULL };

  return proc_task_new (argv, flags);
}

static const char *
error_message (GtaskSupTask *task)
{
  const GError *error = gtask_sup_task_get_error (task);

  g_assert_nonnull (error);
  g_assert_nonnull (error->message);
  return error->message;
}

/* The pid of @task's child, once it was spawned. */
static int
task_pid (Fixture      *f,
          GtaskSupTask *task)
{
  int pid = test_task_wait_pid (f->ctx, task);

  g_assert_cmpint (pid, >, 1);
  return pid;
}

/* The file descriptors open in this process (the directory's own
 * included: it is the same at every count). */
static guint
count_open_fds (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, &error);
  guint n = 0;

  g_assert_no_error (error);
  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

/* Our children that are zombies: exited, and not reaped (yet). */
static guint
count_zombie_children (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  int self = getpid ();
  const char *name;
  guint n = 0;

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *paren;
      char state;
      int ppid;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;   /* gone meanwhile */

      /* "pid (comm) S ppid ...": comm may hold spaces and parentheses */
      paren = strrchr (stat, ')');
      if (paren == NULL || sscanf (paren + 1, " %c %d", &state, &ppid) != 2)
        continue;
      if (ppid == self && state == 'Z')
        n++;
    }

  return n;
}

typedef struct
{
  guint fds;
  guint zombies;
} Baseline;

static gboolean
back_to_baseline_cb (gpointer data)
{
  const Baseline *baseline = data;

  return count_open_fds () <= baseline->fds && count_zombie_children () <= baseline->zombies;
}

/* -------------------------------------------------------------------------- */
/* A child killed from outside                                                */
/* -------------------------------------------------------------------------- */

static void
test_killed_from_outside (Fixture       *f,
                          gconstpointer  data)
{
  const char *argv[] = { "sleep", "30", NULL };
  g_autoptr(GtaskSupTask) task = NULL;
  const char *msg;
  gint64 t0;
  int pid;

  TEST_SUMMARY ();

  task = proc_task_new (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  fixture_start_watched (f, task);
  pid = task_pid (f, task);
  g_assert_true (test_pid_alive (pid));

  t0 = g_get_monotonic_time ();
  g_assert_no_errno (kill (pid, SIGKILL));
  wait_outcome (f->ctx, f->rec, task);

  /* Not a cancellation nor a kill of ours: a failure that names the signal,
   * and comes soon (not after the 30 s the child meant to run). */
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED);
  g_assert_cmpint (test_elapsed_ms (t0), <=, test_upper_ms (TEST_SLACK_MS));
  msg = error_message (task);
  g_test_message ("error: %s", msg);
  g_assert_nonnull (strstr (msg, "“sleep”"));
  g_assert_nonnull (strstr (msg, "signal 9"));
#ifdef HAVE_SIGABBREV_NP
  g_assert_nonnull (strstr (msg, "SIGKILL"));
#endif
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_null (gtask_sup_task_get_value (task));
  g_assert_false (test_pid_alive (pid));

  /* Nothing more comes for it. */
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (recorder_count (f->rec, task), ==, 1);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
}

/* -------------------------------------------------------------------------- */
/* A child that closes its stdout early                                       */
/* -------------------------------------------------------------------------- */

static void
test_stdout_closed_early (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GtaskSupTask) task = NULL;
  Outcome *o;
  gint64 t0;

  TEST_SUMMARY ();

  t0 = g_get_monotonic_time ();
  task = sh_task_new ("echo partial; exec >&-; sleep 1; exit 3",
                      G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  fixture_start_watched (f, task);
  wait_outcome (f->ctx, f->rec, task);

  /* The end of its stdout is not its end: the outcome is its exit status,
   * once it exited, a second after it closed its stdout. */
  assert_outcome (f->rec, task, OUTCOME_FAILED, G_SPAWN_EXIT_ERROR, 3);
  o = recorder_get (f->rec, task);
  assert_outcome_after (o, t0, 1000);
  g_test_message ("error: %s", error_message (task));
  g_assert_nonnull (strstr (error_message (task), "“sh” exited with code 3"));
  g_assert_null (gtask_sup_task_get_value (task));

  iterate_for (f->ctx, 100);
  g_assert_cmpuint (recorder_count (f->rec, task), ==, 1);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
}

/* -------------------------------------------------------------------------- */
/* A huge output                                                              */
/* -------------------------------------------------------------------------- */

static void
test_huge_stdout (Fixture       *f,
                  gconstpointer  data)
{
  gsize expected = (gsize) test_count (200, 20) * 1024 * 1024;
  g_autofree char *count = g_strdup_printf ("%" G_GSIZE_FORMAT, expected);
  const char *argv[] = { "head", "-c", count, "/dev/zero", NULL };
  GtaskSupTask *task;
  gpointer weak;
  const GValue *value;
  GBytes *bytes;
  const guint8 *bytes_data;
  gsize size = 0;
  gint64 t0;

  TEST_SUMMARY ();

  /* Not watched: the recorder would keep the task, and its value. */
  task = proc_task_new (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  weak = task;
  g_object_add_weak_pointer (G_OBJECT (task), &weak);
  t0 = g_get_monotonic_time ();
  fixture_start (f, task);
  wait_outcome (f->ctx, f->rec, task);
  g_test_message ("%" G_GSIZE_FORMAT " bytes in %" G_GINT64_FORMAT " ms",
                  expected, test_elapsed_ms (t0));

  assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
  value = gtask_sup_task_get_value (task);
  g_assert_nonnull (value);
  g_assert_true (G_VALUE_HOLDS (value, G_TYPE_BYTES));
  bytes = g_value_get_boxed (value);
  g_assert_nonnull (bytes);
  bytes_data = g_bytes_get_data (bytes, &size);
  g_assert_cmpuint (size, ==, expected);
  g_assert_nonnull (bytes_data);
  g_assert_cmpuint (bytes_data[0], ==, 0);
  g_assert_cmpuint (bytes_data[size / 2], ==, 0);
  g_assert_cmpuint (bytes_data[size - 1], ==, 0);

  /* Free it at once: the recorder's reference, then ours. */
  g_assert_true (g_hash_table_remove (f->rec->outcomes, task));
  g_object_unref (task);
  iterate_until (f->ctx, test_weak_null_cb, &weak, TEST_WAIT_MS);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 1);
}

/* -------------------------------------------------------------------------- */
/* Many children                                                              */
/* -------------------------------------------------------------------------- */

static void
test_many_children (Fixture       *f,
                    gconstpointer  data)
{
  const GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;
  guint n = test_count (1000, 100);
  g_autoptr(GtaskSupTask) warm_up = NULL;
  Baseline baseline;
  guint fds_after, zombies_after;
  gint64 t0;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 8);

  /* The service thread, GLib's worker thread and their contexts exist. */
  warm_up = true_task_new (flags);
  fixture_start (f, warm_up);
  wait_outcome (f->ctx, f->rec, warm_up);
  assert_outcome (f->rec, warm_up, OUTCOME_SUCCEEDED, 0, 0);
  g_hash_table_remove_all (f->rec->outcomes);
  g_clear_object (&warm_up);
  iterate_until_int_eq (f->ctx, &test_tasks_alive, 0, TEST_WAIT_MS);

  baseline.fds = count_open_fds ();
  baseline.zombies = count_zombie_children ();
  g_test_message ("baseline: %u fds, %u zombie children", baseline.fds, baseline.zombies);

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtaskSupTask) task = true_task_new (flags);

      fixture_start (f, task);
    }
  g_assert_cmpuint (gtask_sup_supervisor_get_n_running (f->sup), <=, 8);

  wait_n_outcomes (f->ctx, f->rec, 1 + n, test_upper_ms (30000));
  g_test_message ("%u children in %" G_GINT64_FORMAT " ms", n, test_elapsed_ms (t0));

  /* Exactly one outcome each (the recorder counts duplicates), all
   * successes. */
  g_assert_cmpuint (g_hash_table_size (f->rec->outcomes), ==, n);
  g_assert_cmpuint (f->rec->n_succeeded, ==, 1 + n);
  g_assert_cmpuint (f->rec->n_failed, ==, 0);
  g_assert_cmpuint (f->rec->n_timed_out, ==, 0);
  g_assert_cmpint (g_atomic_int_get (&f->rec->n_duplicate), ==, 0);

  /* Every pipe closed, every child reaped, every task gone. */
  g_hash_table_remove_all (f->rec->outcomes);
  iterate_until_int_eq (f->ctx, &test_tasks_alive, 0, TEST_WAIT_MS);
  iterate_until (f->ctx, back_to_baseline_cb, &baseline, TEST_WAIT_MS);
  fds_after = count_open_fds ();
  zombies_after = count_zombie_children ();
  g_test_message ("after: %u fds, %u zombie children", fds_after, zombies_after);
  g_assert_cmpuint (fds_after, <=, baseline.fds);
  g_assert_cmpuint (zombies_after, <=, baseline.zombies);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_running (f->sup), ==, 0);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_queued (f->sup), ==, 0);
}

/* -------------------------------------------------------------------------- */
/* Too few file descriptors                                                   */
/* -------------------------------------------------------------------------- */

/* How many more descriptors than are open the tests allow: a subprocess
 * task with two pipes needs more than FEW_FDS, and the runs up to
 * MAX_FEW_FDS reach each point where one may be missing. */
#define FEW_FDS     3
#define MAX_FEW_FDS 8

static void
return_true_func (GtaskSupTask *task,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  gtask_sup_task_return_boolean (task, TRUE);
}

static gboolean
fds_back_cb (gpointer data)
{
  return count_open_fds () <= *(guint *) data;
}

static rlim_t
set_nofile (rlim_t soft)
{
  struct rlimit limit;
  rlim_t old;

  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &limit));
  old = limit.rlim_cur;
  limit.rlim_cur = soft;
  g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &limit));

  return old;
}

/* In a forked child: the limit binds the whole process. */
static void
test_few_fds_child (Fixture       *f,
                    gconstpointer  data)
{
  const GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;
  const char *echo_argv[] = { "echo", "back", NULL };
  g_autoptr(GtaskSupTask) first = NULL;
  g_autoptr(GtaskSupTask) first_thread = NULL;
  g_autoptr(GtaskSupTask) after = NULL;
  g_autoptr(GtaskSupTask) after_thread = NULL;
  const GValue *value;
  struct rlimit limit;
  rlim_t nofile;
  guint open_fds;

  TEST_SUMMARY ();

  /* The library's threads and contexts exist. */
  first = true_task_new (flags);
  fixture_start_watched (f, first);
  first_thread = test_track_task (gtask_sup_task_new_thread (return_true_func, NULL, NULL));
  fixture_start_watched (f, first_thread);
  wait_n_outcomes (f->ctx, f->rec, 2, TEST_WAIT_MS);
  assert_outcome (f->rec, first, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, first_thread, OUTCOME_SUCCEEDED, 0, 0);

  open_fds = count_open_fds ();
  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &limit));
  nofile = limit.rlim_cur;
  g_assert_cmpuint (nofile, >, open_fds + MAX_FEW_FDS);

  /* With one descriptor more at each run: the spawn (and what follows it)
   * is short of one at each of its steps in turn. */
  for (guint slack = 0; slack <= MAX_FEW_FDS; slack++)
    {
      g_autoptr(GtaskSupTask) starved = NULL;
      g_autoptr(GtaskSupTask) thread = NULL;
      Outcome *o;
      const GError *error;

      set_nofile (open_fds + slack);

      starved = true_task_new (flags);
      fixture_start_watched (f, starved);
      thread = test_track_task (gtask_sup_task_new_thread (return_true_func, NULL, NULL));
      fixture_start_watched (f, thread);
      wait_outcome (f->ctx, f->rec, starved);
      wait_outcome (f->ctx, f->rec, thread);

      set_nofile (nofile);

      /* A thread task needs no descriptor. */
      assert_outcome (f->rec, thread, OUTCOME_SUCCEEDED, 0, 0);

      o = recorder_get (f->rec, starved);
      g_assert_nonnull (o);
      g_assert_cmpuint (o->count, ==, 1);
      error = gtask_sup_task_get_error (starved);
      if (o->kind == OUTCOME_FAILED)
        {
          g_assert_nonnull (error);
          g_test_message ("%u fds open, limit %u: %s (%s, %d)", open_fds, open_fds + slack,
                          error->message, g_quark_to_string (error->domain), error->code);
          assert_outcome (f->rec, starved, OUTCOME_FAILED, error->domain, error->code);
          g_assert_nonnull (strstr (error->message, "“true”"));
          g_assert_nonnull (strstr (error->message, g_strerror (EMFILE)));
        }
      else
        {
          g_test_message ("%u fds open, limit %u: succeeded", open_fds, open_fds + slack);
          /* posix_spawn() needs only the four ends of the pipes (no
           * pidfd: GLib's child watch takes over without one; no pipe for
           * the error of exec()), which holes below the open count may
           * leave free with less slack. */
          if (!test_spawn_mode_is_posix ())
            g_assert_cmpuint (slack, >, FEW_FDS);
          assert_outcome (f->rec, starved, OUTCOME_SUCCEEDED, 0, 0);
        }

      /* Whatever it opened before it failed is closed. */
      iterate_until (f->ctx, fds_back_cb, &open_fds, TEST_WAIT_MS);
    }

  /* Descriptors are back: nothing was given up for good. */
  after = proc_task_new (echo_argv, flags);
  fixture_start_watched (f, after);
  after_thread = test_track_task (gtask_sup_task_new_thread (return_true_func, NULL, NULL));
  fixture_start_watched (f, after_thread);
  wait_outcome (f->ctx, f->rec, after);
  wait_outcome (f->ctx, f->rec, after_thread);
  assert_outcome (f->rec, after, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, after_thread, OUTCOME_SUCCEEDED, 0, 0);
  value = gtask_sup_task_get_value (after);
  g_assert_nonnull (value);
  g_assert_cmpmem (g_bytes_get_data (g_value_get_boxed (value), NULL),
                   g_bytes_get_size (g_value_get_boxed (value)), "back\n", 5);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 2 + 2 * (MAX_FEW_FDS + 1) + 2);
}

/* Short of descriptors before the library's service thread was ever
 * needed: the task fails, nothing aborts, and once descriptors are back the
 * service starts. (With none at all, GLib aborts on its own in a
 * g_test_trap_subprocess() child, outside this library: the library makes
 * no context without a spare descriptor, see gtask-sup-service.c.) */
static void
test_no_fd_at_first_use_child (Fixture       *f,
                               gconstpointer  data)
{
  const GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE;
  g_autoptr(GtaskSupTask) starved = NULL;
  g_autoptr(GtaskSupTask) thread = NULL;
  g_autoptr(GtaskSupTask) after = NULL;
  struct rlimit limit;
  rlim_t nofile;

  TEST_SUMMARY ();

  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &limit));
  nofile = limit.rlim_cur;
  /* One descriptor free: too few for a pipe, enough for GLib's own
   * contexts (which would abort without one, outside this library). */
  set_nofile (count_open_fds () + 1);

  starved = true_task_new (flags);
  fixture_start_watched (f, starved);
  /* Its timeout needs the service thread's timer: it is kept. */
  thread = test_track_task (gtask_sup_task_new_thread (return_true_func, NULL, NULL));
  gtask_sup_task_set_timeout (thread, 60000);
  fixture_start_watched (f, thread);
  wait_outcome (f->ctx, f->rec, starved);
  wait_outcome (f->ctx, f->rec, thread);

  set_nofile (nofile);

  assert_outcome (f->rec, thread, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_nonnull (gtask_sup_task_get_error (starved));
  g_test_message ("out of descriptors: %s", gtask_sup_task_get_error (starved)->message);
  g_assert_true (g_utf8_validate (gtask_sup_task_get_error (starved)->message, -1, NULL));

  after = true_task_new (flags);
  fixture_start_watched (f, after);
  wait_outcome (f->ctx, f->rec, after);
  assert_outcome (f->rec, after, OUTCOME_SUCCEEDED, 0, 0);
}

static void
test_no_fd_at_first_use (gconstpointer data)
{
  TEST_SUMMARY ();

  g_test_trap_subprocess ("/GtaskSup/Faults/no-fd-at-first-use/subprocess/child",
                          test_upper_ms (60000) * G_TIME_SPAN_MILLISECOND,
                          G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*ERROR*");
  g_test_trap_assert_stderr_unmatched ("*CRITICAL*");
}

static void
test_few_fds (gconstpointer data)
{
  TEST_SUMMARY ();

  g_test_trap_subprocess ("/GtaskSup/Faults/few-fds/subprocess/child",
                          test_upper_ms (60000) * G_TIME_SPAN_MILLISECOND,
                          G_TEST_SUBPROCESS_DEFAULT);
  if (!g_test_trap_has_passed () && g_test_trap_reached_timeout ())
    g_test_fail_printf ("the child hung out of file descriptors");
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*ERROR*");
  g_test_trap_assert_stderr_unmatched ("*CRITICAL*");
}

/* -------------------------------------------------------------------------- */
/* An owner context not iterated for a while                                  */
/* -------------------------------------------------------------------------- */

#define BUSY_MS 2000

typedef struct
{
  GMutex mutex;
  GCond  cond;
  guint  n_returned;
} Returned;

static void
return_and_count_func (GtaskSupTask *task,
                       GCancellable *cancellable,
                       gpointer      user_data)
{
  Returned *returned = user_data;

  gtask_sup_task_return_int (task, 42);

  g_mutex_lock (&returned->mutex);
  returned->n_returned++;
  g_cond_signal (&returned->cond);
  g_mutex_unlock (&returned->mutex);
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_busy_owner (Fixture       *f,
                 gconstpointer  data)
{
  const guint n = 50;
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  Returned returned = { 0, };
  gboolean expired = FALSE;
  GSource *guard;
  guint n_dispatches = 0;
  guint n_iterations = 0;
  guint n_returned;
  gint64 deadline;
  gint64 bound;

  TEST_SUMMARY ();

  g_mutex_init (&returned.mutex);
  g_cond_init (&returned.cond);

  for (guint i = 0; i < n; i++)
    {
      GtaskSupTask *task = gtask_sup_task_new_thread (return_and_count_func, &returned, NULL);

      test_track_task (task);
      g_ptr_array_add (tasks, task);
      fixture_start (f, task);
    }

  /* The owner thread is busy: it does not iterate its context for 2 s,
   * while the tasks complete; longer if they are not all done by then
   * (slow machine), within a bound. */
  deadline = g_get_monotonic_time () + BUSY_MS * G_TIME_SPAN_MILLISECOND;
  bound = g_get_monotonic_time () + test_upper_ms (TEST_WAIT_MS) * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&returned.mutex);
  while (g_get_monotonic_time () < deadline || returned.n_returned < n)
    {
      if (!g_cond_wait_until (&returned.cond, &returned.mutex,
                              returned.n_returned < n ? bound : deadline) &&
          returned.n_returned < n && g_get_monotonic_time () >= bound)
        break;
    }
  n_returned = returned.n_returned;
  g_mutex_unlock (&returned.mutex);
  g_assert_cmpuint (n_returned, ==, n);

  /* Nothing was delivered while nobody iterated. */
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  /* Now it iterates: all of them come, in one dispatch or a few. */
  guard = g_timeout_source_new ((guint) test_upper_ms (TEST_WAIT_MS));
  g_source_set_callback (guard, set_flag_cb, &expired, NULL);
  g_source_attach (guard, f->ctx);
  while (f->rec->n_outcomes < n && !expired)
    {
      guint before = f->rec->n_outcomes;

      g_main_context_iteration (f->ctx, TRUE);
      n_iterations++;
      if (f->rec->n_outcomes > before)
        n_dispatches++;
    }
  g_source_destroy (guard);
  g_source_unref (guard);
  g_test_message ("%u outcomes in %u dispatches (%u iterations)",
                  f->rec->n_outcomes, n_dispatches, n_iterations);

  g_assert_false (expired);
  g_assert_cmpuint (f->rec->n_outcomes, ==, n);
  g_assert_cmpuint (f->rec->n_succeeded, ==, n);
  g_assert_cmpuint (n_dispatches, >=, 1);
  g_assert_cmpuint (n_dispatches, <=, 3);

  for (guint i = 0; i < n; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (tasks, i);
      g_autoptr(GError) error = NULL;

      assert_outcome (f->rec, task, OUTCOME_SUCCEEDED, 0, 0);
      g_assert_cmpint (gtask_sup_task_propagate_int (task, &error), ==, 42);
      g_assert_no_error (error);
    }

  /* And no more. */
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (f->rec->n_outcomes, ==, n);

  g_mutex_clear (&returned.mutex);
  g_cond_clear (&returned.cond);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Faults/killed-from-outside", test_killed_from_outside,
            "A child killed with SIGKILL by someone else fails once, soon, with "
            "G_SPAWN_ERROR_FAILED and a message naming the signal");
  TEST_ADD ("/GtaskSup/Faults/stdout-closed-early", test_stdout_closed_early,
            "A child that closes its stdout pipe and runs on: its one outcome comes when it "
            "exits (exit code 3), not at the end of its output, and nothing hangs");
  TEST_ADD ("/GtaskSup/Faults/huge-stdout", test_huge_stdout,
            "200 MB on a stdout pipe (20 MB when slow): success with a GBytes of exactly "
            "that size, freed with the task");
  TEST_ADD ("/GtaskSup/Faults/many-children", test_many_children,
            "1000 children (100 when slow) at max-concurrency 8 all succeed once; open fds "
            "and zombie children come back to their baseline");
  g_test_add_data_func ("/GtaskSup/Faults/no-fd-at-first-use",
                        "Short of file descriptors when the library first needs its service "
                        "thread: the subprocess task fails with an error, nothing aborts, and "
                        "the service starts once descriptors are back",
                        test_no_fd_at_first_use);
  TEST_ADD ("/GtaskSup/Faults/no-fd-at-first-use/subprocess/child", test_no_fd_at_first_use_child,
            "The body of /GtaskSup/Faults/no-fd-at-first-use");
  g_test_add_data_func ("/GtaskSup/Faults/few-fds",
                        "With RLIMIT_NOFILE a few above the open fds, a subprocess task with "
                        "pipes fails with a GError (no abort, no hang), and succeeds once "
                        "the limit is back",
                        test_few_fds);
  TEST_ADD ("/GtaskSup/Faults/few-fds/subprocess/child", test_few_fds_child,
            "The body of /GtaskSup/Faults/few-fds");
  TEST_ADD ("/GtaskSup/Faults/busy-owner", test_busy_owner,
            "50 thread tasks complete while the owner context is not iterated for 2 s: "
            "nothing is delivered meanwhile, then exactly 50 outcomes in one or a few "
            "dispatches");

  return g_test_run ();
}
