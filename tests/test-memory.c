/* test-memory.c: the resident memory stays flat over a million tasks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test runs many trivial tasks in batches (each batch to completion,
 * every task finalized, before the next one) and compares the resident set
 * size (VmRSS in /proc/self/status, after malloc_trim()) after the whole
 * run with the one after the first batch: nothing per task may stay behind
 * (a list entry, an interned name, a cached source, a stream slot).
 *
 * Under valgrind (GTASK_SUP_TEST_SLOW) the runs shrink and the RSS bound is
 * not checked: they are there for valgrind's leak check.
 */

#include <stdio.h>
#include <string.h>

#ifdef __GLIBC__
# include <malloc.h>
#endif

#include <gtask-sup/gtask-sup.h>

#include "test-util.h"

/* The most the RSS may grow between the first batch and the end. */
#define MEMORY_MAX_GROWTH_KIB (8 * 1024)

#define MEMORY_N_TASKS     test_count (1000000, 10000)
#define MEMORY_BATCH       test_count (10000, 1000)
#define MEMORY_N_ITEMS     test_count (1000000, 1000)
#define MEMORY_FIRST_ITEMS test_count (10000, 100)

/* The resident set size in KiB, after giving freed memory back. */
static gint64
memory_rss_kib (void)
{
  g_autofree char *status = NULL;
  g_autoptr (GError) error = NULL;
  const char *line;
  gint64 kib = -1;

#ifdef __GLIBC__
  malloc_trim (0);
#endif

  g_file_get_contents ("/proc/self/status", &status, NULL, &error);
  g_assert_no_error (error);

  line = strstr (status, "\nVmRSS:");
  g_assert_nonnull (line);
  g_assert_cmpint (sscanf (line, "\nVmRSS: %" G_GINT64_FORMAT " kB", &kib), ==, 1);
  g_assert_cmpint (kib, >, 0);

  return kib;
}

static void
memory_assert_flat (const char *what,
                    guint64     n_first,
                    gint64      first_kib,
                    guint64     n_last,
                    gint64      last_kib)
{
  g_test_message ("%s: VmRSS %" G_GINT64_FORMAT " KiB after %" G_GUINT64_FORMAT
                  ", %" G_GINT64_FORMAT " KiB after %" G_GUINT64_FORMAT
                  " (%+" G_GINT64_FORMAT " KiB)",
                  what, first_kib, n_first, last_kib, n_last, last_kib - first_kib);

  if (test_is_slow ())
    return;   /* valgrind's own allocations make the figure meaningless */

#if defined(__SANITIZE_ADDRESS__)
  /* AddressSanitizer keeps freed memory in quarantine: RSS grows with
   * every allocation. The run still checks for leaks and misuse. */
  return;
#endif

  g_assert_cmpint (last_kib - first_kib, <=, MEMORY_MAX_GROWTH_KIB);
}

/* -------------------------------------------------------------------------- */
/* Set-up                                                                     */
/* -------------------------------------------------------------------------- */

typedef struct
{
  GMainContext       *ctx;
  GObject            *owner;
  GtaskSupSupervisor *sup;
  int                 n_data;       /* task data not destroyed yet (atomic) */
  guint64             n_succeeded;  /* owner context only */
  guint64             n_failed;
  guint64             n_items;
  gboolean            finished;
  GError             *finished_error;
  guint64             target;       /* what memory_done_cb waits for */
} MemoryFixture;

static void
memory_succeeded_cb (GtaskSupSupervisor *sup,
                     GtaskSupTask       *task,
                     MemoryFixture      *f)
{
  f->n_succeeded++;
}

static void
memory_failed_cb (GtaskSupSupervisor *sup,
                  GtaskSupTask       *task,
                  const GError       *error,
                  MemoryFixture      *f)
{
  f->n_failed++;
}

static void
memory_setup (MemoryFixture *f,
              gconstpointer  data)
{
  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
  f->owner = g_object_new (G_TYPE_OBJECT, NULL);
  f->sup = gtask_sup_supervisor_new (f->owner);
  g_signal_connect (f->sup, "succeeded", G_CALLBACK (memory_succeeded_cb), f);
  g_signal_connect (f->sup, "failed", G_CALLBACK (memory_failed_cb), f);
}

static void
memory_teardown (MemoryFixture *f,
                 gconstpointer  data)
{
  g_signal_handlers_disconnect_by_data (f->sup, f);
  g_clear_object (&f->sup);
  g_clear_object (&f->owner);
  iterate_until_int_eq (f->ctx, &f->n_data, 0, TEST_WAIT_MS);
  g_clear_error (&f->finished_error);

  g_main_context_pop_thread_default (f->ctx);
  g_main_context_unref (f->ctx);
}

/* The data of every task: counts the tasks not finalized yet. */
static gpointer
memory_data_new (MemoryFixture *f)
{
  g_atomic_int_inc (&f->n_data);
  return f;
}

static void
memory_data_free (gpointer data)
{
  MemoryFixture *f = data;

  g_atomic_int_add (&f->n_data, -1);
}

static void
memory_trivial_func (GtaskSupTask *task,
                     GCancellable *cancellable,
                     gpointer      user_data)
{
  gtask_sup_task_return_boolean (task, TRUE);
}

/* Every task so far succeeded and released its data. */
static gboolean
memory_done_cb (gpointer data)
{
  MemoryFixture *f = data;

  return f->n_succeeded + f->n_failed >= f->target &&
         g_atomic_int_get (&f->n_data) == 0;
}

/* -------------------------------------------------------------------------- */
/* Tasks started by the test                                                  */
/* -------------------------------------------------------------------------- */

/* Starts @n tasks (named "task-%u" if @named) and runs them to completion. */
static void
memory_run_batch (MemoryFixture *f,
                  guint          first,
                  guint          n,
                  gboolean       named)
{
  for (guint i = first; i < first + n; i++)
    {
      g_autoptr (GtaskSupTask) task = NULL;
      g_autoptr (GError) error = NULL;

      task = gtask_sup_task_new_thread (memory_trivial_func, memory_data_new (f),
                                        memory_data_free);
      if (named)
        {
          char name[32];

          g_snprintf (name, sizeof name, "task-%u", i);
          gtask_sup_task_set_name (task, name);
        }
      g_assert_true (gtask_sup_supervisor_start (f->sup, task, &error));
      g_assert_no_error (error);
    }

  f->target = (guint64) first + n;
  iterate_until (f->ctx, memory_done_cb, f, TEST_WAIT_MS * 3);
  g_assert_cmpuint (f->n_failed, ==, 0);
  g_assert_cmpuint (f->n_succeeded, ==, (guint64) first + n);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_running (f->sup), ==, 0);
  g_assert_cmpuint (gtask_sup_supervisor_get_n_queued (f->sup), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (gtask_sup_supervisor_get_children (f->sup)), ==, 0);
}

static void
memory_run_tasks (MemoryFixture *f,
                  gboolean       named)
{
  guint n_tasks = MEMORY_N_TASKS;
  guint batch = MEMORY_BATCH;
  gint64 first_kib;
  gint64 last_kib;

  memory_run_batch (f, 0, batch, named);
  first_kib = memory_rss_kib ();

  for (guint first = batch; first < n_tasks; first += batch)
    memory_run_batch (f, first, MIN (batch, n_tasks - first), named);
  last_kib = memory_rss_kib ();

  memory_assert_flat (named ? "named thread tasks" : "thread tasks",
                      batch, first_kib, n_tasks, last_kib);
}

static void
test_memory_thread_tasks (MemoryFixture *f,
                          gconstpointer  data)
{
  g_test_summary ("The RSS after 10^6 trivial thread tasks (10^4 under valgrind), "
                  "started in batches of 10 000 each run to completion, is within "
                  "8 MiB of the RSS after the first batch.");

  memory_run_tasks (f, FALSE);
}

static void
test_memory_named_tasks (MemoryFixture *f,
                         gconstpointer  data)
{
  g_test_summary ("As /GtaskSup/Memory/thread-tasks, with every task given its own "
                  "name \"task-%u\": names are not interned or kept anywhere.");

  memory_run_tasks (f, TRUE);
}

/* -------------------------------------------------------------------------- */
/* A stream that retains nothing                                              */
/* -------------------------------------------------------------------------- */

static GtaskSupTask *
memory_next_cb (GtaskSupStream *stream,
                guint64         index,
                gpointer        user_data)
{
  MemoryFixture *f = user_data;

  if (index >= MEMORY_N_ITEMS)
    return NULL;

  return gtask_sup_task_new_thread (memory_trivial_func, memory_data_new (f),
                                    memory_data_free);
}

static void
memory_item_cb (GtaskSupStream *stream,
                guint64         index,
                GtaskSupTask   *task,
                MemoryFixture  *f)
{
  g_assert_cmpuint (index, ==, f->n_items);
  g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
  f->n_items++;
}

static void
memory_finished_cb (GtaskSupStream *stream,
                    const GError   *error,
                    MemoryFixture  *f)
{
  g_assert_false (f->finished);
  f->finished = TRUE;
  if (error != NULL)
    f->finished_error = g_error_copy (error);
}

static gboolean
memory_items_cb (gpointer data)
{
  MemoryFixture *f = data;

  return f->n_items >= f->target;
}

static gboolean
memory_finished_cond_cb (gpointer data)
{
  MemoryFixture *f = data;

  return f->finished && g_atomic_int_get (&f->n_data) == 0;
}

static void
test_memory_stream (MemoryFixture *f,
                    gconstpointer  data)
{
  g_autoptr (GtaskSupStream) stream = NULL;
  gint64 first_kib;
  gint64 last_kib;

  g_test_summary ("The RSS after a stream of 10^6 trivial thread items (10^3 under "
                  "valgrind) with retain FALSE and max-concurrency 2 is within 8 MiB "
                  "of the RSS after its first 10^4 items.");

  stream = gtask_sup_supervisor_map (f->sup, memory_next_cb, f, NULL);
  gtask_sup_stream_set_retain (stream, FALSE);
  gtask_sup_stream_set_max_concurrency (stream, 2);
  g_signal_connect (stream, "item", G_CALLBACK (memory_item_cb), f);
  g_signal_connect (stream, "finished", G_CALLBACK (memory_finished_cb), f);
  gtask_sup_stream_start (stream);

  /* The stream goes on in its worker threads while the RSS is read. */
  f->target = MEMORY_FIRST_ITEMS;
  iterate_until (f->ctx, memory_items_cb, f, TEST_WAIT_MS);
  first_kib = memory_rss_kib ();

  iterate_until (f->ctx, memory_finished_cond_cb, f, TEST_WAIT_MS * 6);
  g_assert_no_error (f->finished_error);
  g_assert_cmpuint (f->n_items, ==, MEMORY_N_ITEMS);
  g_assert_cmpuint (gtask_sup_stream_get_n_outputs (stream), ==, MEMORY_N_ITEMS);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (stream)), ==, 0);
  last_kib = memory_rss_kib ();

  memory_assert_flat ("stream", MEMORY_FIRST_ITEMS, first_kib, MEMORY_N_ITEMS, last_kib);

  g_signal_handlers_disconnect_by_data (stream, f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/GtaskSup/Memory/thread-tasks", MemoryFixture, NULL,
              memory_setup, test_memory_thread_tasks, memory_teardown);
  g_test_add ("/GtaskSup/Memory/named-tasks", MemoryFixture, NULL,
              memory_setup, test_memory_named_tasks, memory_teardown);
  g_test_add ("/GtaskSup/Memory/stream", MemoryFixture, NULL,
              memory_setup, test_memory_stream, memory_teardown);

  return g_test_run ();
}
