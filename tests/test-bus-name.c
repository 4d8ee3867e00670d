/* test-bus-name.c: work for a D-Bus client ends when the client's name
 * vanishes, on a private bus (GTestDBus). Its own program, in the 'dbus'
 * suite: GTestDBus forks helpers that the valgrind and sanitizer runs of
 * the 'c' suite would take for leaks of ours.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-recorder.h"
#include "test-util.h"

static gboolean
stopped_cb (gpointer data)
{
  return g_atomic_int_get ((int *) data) > 0;
}

static GDBusConnection *
connect_to (const char *address)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection =
    g_dbus_connection_new_for_address_sync (address,
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);

  g_assert_no_error (error);
  return connection;
}

static void
test_bus_name (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GTestDBus) bus = NULL;
  g_autoptr(GDBusConnection) service = NULL;
  g_autoptr(GDBusConnection) client = NULL;
  g_autoptr(Probe) p = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GtaskSupSupervisor) other = NULL;
  g_autoptr(Probe) p2 = probe_new_blocking (TRUE);
  g_autoptr(GtaskSupTask) task2 = NULL;

  TEST_SUMMARY ();

  if (g_find_program_in_path ("dbus-daemon") == NULL)
    {
      g_test_skip ("dbus-daemon is not installed");
      return;
    }

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  service = connect_to (g_test_dbus_get_bus_address (bus));
  client = connect_to (g_test_dbus_get_bus_address (bus));

  /* Work for the client: it ends when the client's name vanishes. */
  gtask_sup_supervisor_bind_bus_name (f->sup, service, g_dbus_connection_get_unique_name (client));
  task = test_track_task (probe_task_new (p));
  fixture_start (f, task);
  iterate_until_int_eq (f->ctx, &p->n_runs, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (g_atomic_int_get (&p->n_returns), ==, 0);

  f->rec->closed = TRUE;
  g_dbus_connection_close_sync (client, NULL, NULL);
  iterate_until (f->ctx, stopped_cb, &p->n_returns, TEST_WAIT_MS);
  g_assert_true (g_atomic_int_get (&p->saw_cancel));
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);
  g_assert_true (gtask_sup_supervisor_get_closed (f->sup));

  /* A name that is not there: the work ends at once. */
  other = gtask_sup_supervisor_new (f->owner);
  task2 = test_track_task (probe_task_new (p2));
  g_assert_true (gtask_sup_supervisor_start (other, task2, NULL));
  gtask_sup_supervisor_bind_bus_name (other, service, ":1.9999");
  iterate_until (f->ctx, stopped_cb, &p2->n_returns, TEST_WAIT_MS);
  g_assert_true (gtask_sup_supervisor_get_closed (other));

  g_clear_object (&other);
  g_clear_object (&service);
  g_test_dbus_down (bus);
}


int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Lifetime/bus-name", test_bus_name,
            "The vanishing of a client's bus name ends its work; a name not there, at once");

  return g_test_run ();
}

/* vim:set foldmethod=marker: */
