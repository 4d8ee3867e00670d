/* test-fixture.h: the Fixture of the C suites, and the tasks it waits for
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test pushes its own context and gets an owner, a supervisor and a
 * Recorder. At teardown every task data (test_probes_held) and every tracked
 * task (test_tasks_alive) must be gone, before the owner context goes.
 */

#pragma once

#include <gtask-sup/gtask-sup.h>

#include "test-recorder.h"

G_BEGIN_DECLS

typedef struct
{
  GMainContext       *ctx;
  GObject            *owner;
  GtaskSupSupervisor *sup;
  Recorder           *rec;
} Fixture;

/* Tasks given to test_track_task() and not finalized yet. Checked at
 * teardown, before the owner context goes: a task that the library still
 * holds then (say, a subprocess task its service thread is done with a bit
 * later) would be finalized after the test, in the next one. */
extern int test_tasks_alive;

gpointer test_track_task  (gpointer       task);

void     fixture_setup    (Fixture       *f,
                           gconstpointer  data);
void     fixture_teardown (Fixture       *f,
                           gconstpointer  data);
void     fixture_start    (Fixture       *f,
                           GtaskSupTask  *task);
void     fixture_start_watched (Fixture      *f,
                                GtaskSupTask *task);

/* For iterate_until (ctx, test_task_final_cb, task, ...): whether @task
 * has emitted its outcome. */
gboolean test_task_final_cb (gpointer task);

#define TEST_ADD(path, func, summary) \
  g_test_add ((path), Fixture, (summary), fixture_setup, (func), fixture_teardown)

/* Tests call g_test_summary (data) first thing: the summary is the test data. */
#define TEST_SUMMARY() g_test_summary ((const char *) data)

G_END_DECLS
