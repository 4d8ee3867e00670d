/* test-resources.c: what tasks cost the process and what happens when it
 * runs short: names are not interned for good, and running out of
 * threads fails tasks instead of aborting
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtask-sup/gtask-sup.h>

#include "gtask-sup-pool-private.h"

#include "test-fixture.h"
#include "test-recorder.h"
#include "test-util.h"

static void
return_true_func (GtaskSupTask *task,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  gtask_sup_task_return_boolean (task, TRUE);
}

/* Fails on its first run, succeeds on the next. */
static void
fail_once_func (GtaskSupTask *task,
                GCancellable *cancellable,
                gpointer      user_data)
{
  int *runs = user_data;

  if (g_atomic_int_add (runs, 1) == 0)
    gtask_sup_task_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                            "first run"));
  else
    gtask_sup_task_return_boolean (task, TRUE);
}

static void
no_result_func (GtaskSupTask *task,
                GCancellable *cancellable,
                gpointer      user_data)
{
}

static void
count_ran_func (GtaskSupTask *task,
                GCancellable *cancellable,
                gpointer      user_data)
{
  g_atomic_int_inc ((int *) user_data);
  gtask_sup_task_return_boolean (task, TRUE);
}

/* Names {{{1 */

typedef struct
{
  guint         n;
  GtaskSupTask *last;   /* borrowed, for comparison only */
  char         *name;   /* of the last one */
} Seen;

static void
seen_record (Seen         *seen,
             GtaskSupTask *task)
{
  seen->n++;
  seen->last = task;
  g_free (seen->name);
  seen->name = g_strdup (gtask_sup_task_get_name (task));
}

static void
seen_succeeded_cb (GtaskSupSupervisor *sup,
                   GtaskSupTask       *task,
                   gpointer            user_data)
{
  seen_record (user_data, task);
}

static void
seen_failed_cb (GtaskSupSupervisor *sup,
                GtaskSupTask       *task,
                const GError       *error,
                gpointer            user_data)
{
  seen_record (user_data, task);
}

static void
count_cb (GtaskSupSupervisor *sup,
          GtaskSupTask       *task,
          gpointer            user_data)
{
  (*(int *) user_data)++;
}

static void
test_names_not_interned (Fixture       *f,
                         gconstpointer  data)
{
  guint n = test_count (100000, 2000);
  guint batch = 10000;
  guint step = MAX (n / 100, 1);
  g_autofree char *prefix = g_strdup_printf ("gtask-sup-test-%u-unique-", g_random_int ());
  const char *detailed = "gtask-sup-test-thumbnail";
  g_autoptr(GtaskSupTask) named = NULL;
  g_autoptr(GtaskSupTask) unfinished = NULL;
  Seen failed = { 0, }, succeeded = { 0, }, other = { 0, };
  g_autofree char *property = NULL;
  int n_succeeded = 0;
  int runs = 0;

  TEST_SUMMARY ();

  g_signal_connect (f->sup, "succeeded", G_CALLBACK (count_cb), &n_succeeded);

  for (guint i = 0; i < n; i += step)
    {
      g_autofree char *name = g_strdup_printf ("%s%u", prefix, i);

      g_assert_cmpuint (g_quark_try_string (name), ==, 0);
    }

  for (guint started = 0; started < n;)
    {
      guint end = MIN (started + batch, n);

      for (; started < end; started++)
        {
          g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (return_true_func, NULL, NULL);
          g_autofree char *name = g_strdup_printf ("%s%u", prefix, started);

          gtask_sup_task_set_name (task, name);
          fixture_start (f, task);
        }
      iterate_until_int_eq (f->ctx, &n_succeeded, (int) end, TEST_WAIT_MS);
      /* The recorder keeps every task it saw: let them go. */
      g_hash_table_remove_all (f->rec->outcomes);
    }

  /* No name was interned: a quark is never freed. */
  for (guint i = 0; i < n; i += step)
    {
      g_autofree char *name = g_strdup_printf ("%s%u", prefix, i);

      g_assert_cmpuint (g_quark_try_string (name), ==, 0);
    }

  /* A detailed handler connected after the task was named still sees it
   * (connecting interns the detail), and only it. */
  named = gtask_sup_task_new_thread (fail_once_func, &runs, NULL);
  gtask_sup_task_set_name (named, detailed);
  gtask_sup_task_set_restart (named, GTASK_SUP_RESTART_TRANSIENT);
  g_signal_connect (f->sup, "failed::gtask-sup-test-thumbnail",
                    G_CALLBACK (seen_failed_cb), &failed);
  g_signal_connect (f->sup, "succeeded::gtask-sup-test-thumbnail",
                    G_CALLBACK (seen_succeeded_cb), &succeeded);
  g_signal_connect (f->sup, "failed::gtask-sup-test-other",
                    G_CALLBACK (seen_failed_cb), &other);
  g_signal_connect (f->sup, "succeeded::gtask-sup-test-other",
                    G_CALLBACK (seen_succeeded_cb), &other);
  fixture_start (f, named);

  /* The run that failed, then its restart, named alike, which succeeds. */
  iterate_until_int_eq (f->ctx, &n_succeeded, (int) n + 1, TEST_WAIT_MS);
  g_assert_cmpuint (failed.n, ==, 1);
  g_assert_true (failed.last == named);
  g_assert_cmpstr (failed.name, ==, detailed);
  g_assert_cmpuint (succeeded.n, ==, 1);
  g_assert_true (succeeded.last != named);
  g_assert_cmpstr (succeeded.name, ==, detailed);
  g_assert_cmpuint (other.n, ==, 0);
  g_assert_cmpint (runs, ==, 2);

  /* The name still reads back, and appears in the library's errors. */
  g_assert_cmpstr (gtask_sup_task_get_name (named), ==, detailed);
  g_object_get (named, "name", &property, NULL);
  g_assert_cmpstr (property, ==, detailed);

  unfinished = gtask_sup_task_new_thread (no_result_func, NULL, NULL);
  gtask_sup_task_set_name (unfinished, detailed);
  fixture_start (f, unfinished);
  wait_outcome (f->ctx, f->rec, unfinished);
  g_assert_cmpuint (failed.n, ==, 2);
  g_assert_true (failed.last == unfinished);
  g_assert_error (gtask_sup_task_get_error (unfinished),
                  GTASK_SUP_ERROR, GTASK_SUP_ERROR_NO_RESULT);
  g_assert_nonnull (strstr (gtask_sup_task_get_error (unfinished)->message, detailed));

  g_free (failed.name);
  g_free (succeeded.name);
  g_free (other.name);
}

/* Out of threads {{{1 */

/* RLIMIT_NPROC does not bind root: become nobody, if root may. */
static gboolean
drop_privileges (void)
{
  if (geteuid () != 0)
    return TRUE;

  return setgroups (0, NULL) == 0 && setgid (65534) == 0 && setuid (65534) == 0;
}

/* The soft limit of processes (and threads) of the user: none can start
 * at 0. Returns the previous one. */
static rlim_t
set_nproc (rlim_t soft)
{
  struct rlimit limit;
  rlim_t old;

  g_assert_no_errno (getrlimit (RLIMIT_NPROC, &limit));
  old = limit.rlim_cur;
  limit.rlim_cur = soft;
  g_assert_no_errno (setrlimit (RLIMIT_NPROC, &limit));

  return old;
}

static gpointer
nop_thread (gpointer data)
{
  return NULL;
}

/* In a subprocess: passes if a thread cannot start under the limit. */
static void
test_out_of_threads_probe (void)
{
  GThread *thread;

  if (!drop_privileges ())
    exit (1);
  set_nproc (0);

  thread = g_thread_try_new ("probe", nop_thread, NULL, NULL);
  if (thread != NULL)
    {
      g_thread_join (thread);
      exit (1);
    }
}

static gboolean
async_ran (gpointer data)
{
  return *(GtaskSupTask **) data != NULL;
}

static void
hold_slot_func (GtaskSupTask *task,
                GCancellable *cancellable,
                gpointer      user_data)
{
  *(GtaskSupTask **) user_data = task;
}

/* No thread is left in the worker pool (an idle one leaves it after half
 * a second) nor in GLib's stock of unused threads, which the pool would
 * take one from (they leave it when asked to). */
static gboolean
no_pool_thread_cb (gpointer data)
{
  g_thread_pool_stop_unused_threads ();

  return _gtask_sup_pool_get_num_threads () == 0 &&
         g_thread_pool_get_num_unused_threads () == 0;
}

static GtaskSupTask *
start_thread_task (Fixture *f,
                   int     *ran)
{
  GtaskSupTask *task = gtask_sup_task_new_thread (count_ran_func, ran, NULL);

  recorder_watch (f->rec, task);
  fixture_start (f, task);

  return task;
}

static GtaskSupTask *
start_true (Fixture *f)
{
  const char *argv[] = { "true", NULL };
  GtaskSupTask *task = gtask_sup_task_new_subprocess (argv, G_SUBPROCESS_FLAGS_NONE);

  recorder_watch (f->rec, task);
  fixture_start (f, task);

  return task;
}

static void
assert_no_thread_error (Fixture      *f,
                        GtaskSupTask *task)
{
  const GError *error = gtask_sup_task_get_error (task);

  assert_outcome (f->rec, task, OUTCOME_FAILED, GTASK_SUP_ERROR, GTASK_SUP_ERROR_FAILED);
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_FAILED);
  /* A subprocess task is named after its program. */
  if (gtask_sup_task_get_name (task) != NULL)
    {
      g_autofree char *prefix = g_strdup_printf ("Could not start a thread to run task “%s”: ",
                                                 gtask_sup_task_get_name (task));

      g_assert_true (g_str_has_prefix (error->message, prefix));
    }
  else
    g_assert_true (g_str_has_prefix (error->message, "Could not start a thread to run the task: "));
}

/* In a subprocess, as a user the limit binds. */
static void
test_out_of_threads_child (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GtaskSupTask) first = NULL;
  g_autoptr(GtaskSupTask) process = NULL;
  g_autoptr(GtaskSupTask) later = NULL;
  g_autoptr(GtaskSupTask) later_process = NULL;
  g_autoptr(GtaskSupTask) stranded = NULL;
  g_autoptr(GtaskSupTask) holder = NULL;
  g_autoptr(GtaskSupTask) after = NULL;
  GtaskSupTask *holding = NULL;
  guint n_queued = test_count (100000, 2000);
  guint n_outcomes;
  rlim_t nproc;
  int ran = 0;

  TEST_SUMMARY ();

  g_assert_true (drop_privileges ());
  nproc = set_nproc (0);

  /* Neither the pool nor the service thread can start: the tasks fail. */
  first = start_thread_task (f, &ran);
  process = start_true (f);
  wait_outcome (f->ctx, f->rec, first);
  wait_outcome (f->ctx, f->rec, process);
  assert_no_thread_error (f, first);
  assert_no_thread_error (f, process);
  g_assert_cmpint (ran, ==, 0);

  /* Tasks queued behind a slot fail one after the other when it frees, not
   * one inside the other: the stack does not grow with the queue. */
  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  holder = gtask_sup_task_new_async (hold_slot_func, &holding, NULL);
  fixture_start (f, holder);
  for (guint i = 0; i < n_queued; i++)
    {
      g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (count_ran_func, &ran, NULL);

      fixture_start (f, task);
    }
  iterate_until (f->ctx, async_ran, &holding, TEST_WAIT_MS);
  n_outcomes = f->rec->n_outcomes;
  gtask_sup_task_return_boolean (holder, TRUE);
  wait_n_outcomes (f->ctx, f->rec, n_outcomes + 1 + n_queued, test_upper_ms (60000));
  g_assert_cmpuint (f->rec->n_failed, ==, 2 + n_queued);
  g_assert_cmpint (ran, ==, 0);
  g_hash_table_remove_all (f->rec->outcomes);
  gtask_sup_supervisor_set_max_concurrency (f->sup, 0);

  /* Threads are back: nothing was given up for good. */
  set_nproc (nproc);
  later = start_thread_task (f, &ran);
  later_process = start_true (f);
  wait_outcome (f->ctx, f->rec, later);
  wait_outcome (f->ctx, f->rec, later_process);
  assert_outcome (f->rec, later, OUTCOME_SUCCEEDED, 0, 0);
  assert_outcome (f->rec, later_process, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (ran, ==, 1);

  /* Out of threads again once the pool's idle threads are gone: a task
   * fails rather than waits for a thread that never comes. */
  set_nproc (0);
  iterate_until (f->ctx, no_pool_thread_cb, NULL, TEST_WAIT_MS);
  stranded = start_thread_task (f, &ran);
  wait_outcome (f->ctx, f->rec, stranded);
  assert_no_thread_error (f, stranded);
  g_assert_cmpint (ran, ==, 1);

  set_nproc (nproc);
  after = start_thread_task (f, &ran);
  wait_outcome (f->ctx, f->rec, after);
  assert_outcome (f->rec, after, OUTCOME_SUCCEEDED, 0, 0);
  g_assert_cmpint (ran, ==, 2);
}

static void
test_out_of_threads (gconstpointer data)
{
  TEST_SUMMARY ();

  g_test_trap_subprocess ("/GtaskSup/Task/out-of-threads/subprocess/probe", 0,
                          G_TEST_SUBPROCESS_DEFAULT);
  if (!g_test_trap_has_passed ())
    {
      g_test_skip (geteuid () == 0
                   ? "RLIMIT_NPROC does not bind root, and root could not become nobody"
                   : "RLIMIT_NPROC does not stop threads here");
      return;
    }

  g_test_trap_subprocess ("/GtaskSup/Task/out-of-threads/subprocess/child",
                          test_upper_ms (120000) * G_TIME_SPAN_MILLISECOND,
                          G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*ERROR*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Task/names-not-interned", test_names_not_interned,
            "Many tasks with names of their own leave no quark behind; a detailed handler "
            "connected after the naming still sees its task, and its restart");
  g_test_add_data_func ("/GtaskSup/Task/out-of-threads",
                        "Out of threads (RLIMIT_NPROC), thread and subprocess tasks fail with "
                        "GTASK_SUP_ERROR_FAILED, the process goes on, and later tasks succeed",
                        test_out_of_threads);
  g_test_add_func ("/GtaskSup/Task/out-of-threads/subprocess/probe",
                   test_out_of_threads_probe);
  TEST_ADD ("/GtaskSup/Task/out-of-threads/subprocess/child", test_out_of_threads_child,
            "The body of /GtaskSup/Task/out-of-threads");

  return g_test_run ();
}
