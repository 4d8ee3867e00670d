/* test-fixture.c: the Fixture of the C suites, and the tasks it waits for
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-fixture.h"
#include "test-probe.h"

int test_tasks_alive = 0;

static void
test_task_finalized_cb (gpointer  data,
                        GObject  *where_the_object_was)
{
  g_atomic_int_add (&test_tasks_alive, -1);
}

/* Counts @task in test_tasks_alive until it is finalized; returns it. */
gpointer
test_track_task (gpointer task)
{
  g_atomic_int_inc (&test_tasks_alive);
  g_object_weak_ref (task, test_task_finalized_cb, NULL);
  return task;
}

void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
  f->owner = g_object_new (G_TYPE_OBJECT, NULL);
  f->sup = gtask_sup_supervisor_new (f->owner);
  g_assert_true (GTASK_SUP_IS_SUPERVISOR (f->sup));
  f->rec = recorder_new (f->sup, f->ctx);
}

void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  recorder_assert_clean (f->rec);
  recorder_disconnect (f->rec);

  g_clear_object (&f->sup);
  g_clear_object (&f->owner);
  g_clear_pointer (&f->rec, recorder_free);

  /* Every task must eventually be finalized and release its data: threads
   * that were abandoned drop their references when they return. */
  iterate_until_int_eq (f->ctx, &test_probes_held, 0, TEST_WAIT_MS);
  iterate_until_int_eq (f->ctx, &test_tasks_alive, 0, TEST_WAIT_MS);

  g_main_context_pop_thread_default (f->ctx);
  g_main_context_unref (f->ctx);
}

/* Starts @task on @f's supervisor, asserting that nothing is emitted inside. */
void
fixture_start (Fixture      *f,
               GtaskSupTask *task)
{
  GError *error = NULL;
  gboolean ok;

  f->rec->in_call = TRUE;
  ok = gtask_sup_supervisor_start (f->sup, task, &error);
  f->rec->in_call = FALSE;
  g_assert_no_error (error);
  g_assert_true (ok);
}

/* Starts @task with the fixture's recorder watching its notifies. */
void
fixture_start_watched (Fixture      *f,
                       GtaskSupTask *task)
{
  recorder_watch (f->rec, task);
  fixture_start (f, task);
}

gboolean
test_task_final_cb (gpointer task)
{
  return gtask_sup_task_get_state (task) >= GTASK_SUP_TASK_STATE_SUCCEEDED;
}
