/* test-lifetime.c: work that ends with a signal of an object (a GTK
 * window's close-request); the D-Bus form is in test-bus-name.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <signal.h>

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-process.h"
#include "test-recorder.h"
#include "test-util.h"

/* A stand-in for GtkWindow: a close-request signal returning a boolean,
 * with GTK's accumulator. */
typedef GObject TestWindow;
typedef GObjectClass TestWindowClass;

static GType test_window_get_type (void);
G_DEFINE_TYPE (TestWindow, test_window, G_TYPE_OBJECT)

static guint close_request_signal;

static void
test_window_class_init (TestWindowClass *klass)
{
  close_request_signal = g_signal_new ("close-request", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0,
                                       g_signal_accumulator_true_handled, NULL, NULL,
                                       G_TYPE_BOOLEAN, 0);
}

static void
test_window_init (TestWindow *self)
{
}

static gboolean
stopped_cb (gpointer data)
{
  return g_atomic_int_get ((int *) data) > 0;
}

static void
test_close_request (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GObject) window = g_object_new (test_window_get_type (), NULL);
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupTask) sleeper = NULL;
  g_autoptr(GtaskSupTask) late = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "sleep", "30", NULL };
  gboolean handled = TRUE;
  int pid;

  TEST_SUMMARY ();

  gtask_sup_supervisor_bind_lifetime (f->sup, window, "close-request");
  task = test_track_task (probe_task_new (p));
  fixture_start (f, task);
  sleeper = test_track_task (gtask_sup_task_new_subprocess (argv, G_SUBPROCESS_FLAGS_NONE));
  gtask_sup_task_set_shutdown_timeout (sleeper, 100);
  fixture_start (f, sleeper);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);
  pid = test_task_wait_pid (f->ctx, sleeper);

  /* The window closes (it stays alive: a binding may hold it). */
  f->rec->closed = TRUE;
  g_signal_emit (window, close_request_signal, 0, &handled);
  g_assert_false (handled);

  /* As if the owner were gone: cancelled, killed, silent, closed. */
  iterate_until (f->ctx, stopped_cb, &p->n_returns, TEST_WAIT_MS);
  g_assert_true (g_atomic_int_get (&p->saw_cancel));
  iterate_until (f->ctx, test_pid_gone_cb, GINT_TO_POINTER (pid), TEST_WAIT_MS);
  iterate_for (f->ctx, 20);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_true (gtask_sup_supervisor_get_closed (f->sup));
  late = test_track_task (gtask_sup_task_new_completed (NULL));
  g_assert_false (gtask_sup_supervisor_start (f->sup, late, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
}

static void
test_instance_finalized (Fixture       *f,
                         gconstpointer  data)
{
  GObject *window = g_object_new (test_window_get_type (), NULL);
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;

  TEST_SUMMARY ();

  gtask_sup_supervisor_bind_lifetime (f->sup, window, "close-request");
  task = test_track_task (probe_task_new (p));
  fixture_start (f, task);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);

  f->rec->closed = TRUE;
  g_object_unref (window);
  iterate_until (f->ctx, stopped_cb, &p->n_returns, TEST_WAIT_MS);
  g_assert_true (g_atomic_int_get (&p->saw_cancel));
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
}

static void
test_supervisor_first (void)
{
  g_autoptr(GObject) window = g_object_new (test_window_get_type (), NULL);
  GtaskSupSupervisor *sup = gtask_sup_supervisor_new (NULL);
  gboolean handled = TRUE;

  g_test_summary ("A supervisor that goes first leaves no handler on the window");

  gtask_sup_supervisor_bind_lifetime (sup, window, "close-request");
  g_object_unref (sup);
  g_assert_false (g_signal_has_handler_pending (window, close_request_signal, 0, FALSE));
  g_signal_emit (window, close_request_signal, 0, &handled);
  g_assert_false (handled);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Lifetime/close-request", test_close_request,
            "close-request ends the work as owner finalization does, and is left unhandled");
  TEST_ADD ("/GtaskSup/Lifetime/instance-finalized", test_instance_finalized,
            "The bound object's finalization ends the work too");
  g_test_add_func ("/GtaskSup/Lifetime/supervisor-first", test_supervisor_first);

  return g_test_run ();
}

/* vim:set foldmethod=marker: */
