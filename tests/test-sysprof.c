/* test-sysprof.c: each task leaves a Sysprof mark, read back from the
 * capture written to SYSPROF_TRACE_FD
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <unistd.h>

#include <glib/gstdio.h>
#include <sysprof-capture.h>

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-recorder.h"
#include "test-util.h"

static char *capture_path;

typedef struct
{
  char   *name;
  char   *message;
  gint64  time;
  gint64  duration;
} Mark;

static void
mark_free (gpointer data)
{
  Mark *mark = data;

  g_free (mark->name);
  g_free (mark->message);
  g_free (mark);
}

/* The marks of the group "gtask-sup" in the capture so far. */
static GPtrArray *
read_marks (void)
{
  g_autoptr(GPtrArray) marks = g_ptr_array_new_with_free_func (mark_free);
  SysprofCaptureReader *reader = sysprof_capture_reader_new (capture_path);
  SysprofCaptureFrameType type;

  g_assert_nonnull (reader);
  while (sysprof_capture_reader_peek_type (reader, &type))
    {
      if (type == SYSPROF_CAPTURE_FRAME_MARK)
        {
          const SysprofCaptureMark *frame = sysprof_capture_reader_read_mark (reader);

          g_assert_nonnull (frame);
          if (g_str_equal (frame->group, "gtask-sup"))
            {
              Mark *mark = g_new0 (Mark, 1);

              mark->name = g_strdup (frame->name);
              mark->message = g_strdup (frame->message);
              mark->time = frame->frame.time;
              mark->duration = frame->duration;
              g_ptr_array_add (marks, mark);
            }
        }
      else if (!sysprof_capture_reader_skip (reader))
        break;
    }
  sysprof_capture_reader_unref (reader);

  return g_steal_pointer (&marks);
}

static Mark *
find_mark (GPtrArray  *marks,
           const char *name,
           const char *message)
{
  for (guint i = 0; i < marks->len; i++)
    {
      Mark *mark = g_ptr_array_index (marks, i);

      if (g_str_equal (mark->name, name) && g_str_equal (mark->message, message))
        return mark;
    }

  return NULL;
}

static void
test_marks (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(Probe) slow = probe_new (PROBE_RESULT_INT, 1);
  g_autoptr(Probe) queued_probe = probe_new (PROBE_RESULT_INT, 2);
  g_autoptr(GtaskSupTask) first = NULL;
  g_autoptr(GtaskSupTask) queued = NULL;
  g_autoptr(GtaskSupTask) failed = NULL;
  g_autoptr(GError) boom = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "boom");
  g_autoptr(GPtrArray) marks = NULL;
  Mark *mark;
  Mark *queue;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_concurrency (f->sup, 1);
  slow->work_ms = 50;
  first = test_track_task (probe_task_new (slow));
  gtask_sup_task_set_name (first, "first");
  queued = test_track_task (probe_task_new (queued_probe));
  gtask_sup_task_set_name (queued, "second");
  failed = test_track_task (gtask_sup_task_new_failed (boom));
  gtask_sup_task_set_name (failed, "third");
  fixture_start (f, first);
  fixture_start (f, queued);
  fixture_start (f, failed);
  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);

  marks = read_marks ();

  /* From start to outcome, named after the kind, with name and outcome. */
  mark = find_mark (marks, "thread", "first: succeeded");
  g_assert_nonnull (mark);
  g_assert_cmpint (mark->duration, >=, 50 * G_TIME_SPAN_MILLISECOND * 1000);
  g_assert_nonnull (find_mark (marks, "completed", "third: failed"));

  /* The second waited for the first: its time in the queue shows. */
  mark = find_mark (marks, "thread", "second: succeeded");
  queue = find_mark (marks, "queued", "second");
  g_assert_nonnull (mark);
  g_assert_nonnull (queue);
  g_assert_cmpint (queue->time, ==, mark->time);
  g_assert_cmpint (queue->duration, >=, 40 * G_TIME_SPAN_MILLISECOND * 1000);
  g_assert_cmpint (queue->duration, <=, mark->duration);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *fd_text = NULL;
  int fd;
  int ret;

  /* Before the library's first task: it opens its capture once. */
  fd = g_file_open_tmp ("gtask-sup-capture-XXXXXX", &capture_path, NULL);
  g_assert_cmpint (fd, >=, 0);
  fd_text = g_strdup_printf ("%d", fd);
  g_setenv ("SYSPROF_TRACE_FD", fd_text, TRUE);

  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Sysprof/marks", test_marks,
            "Each task leaves a mark from start to outcome with its name, kind and outcome, "
            "and a mark for its time in the queue");

  ret = g_test_run ();

  g_unlink (capture_path);
  g_free (capture_path);

  return ret;
}
