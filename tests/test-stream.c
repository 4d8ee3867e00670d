/* test-stream.c: GtaskSupStream: bounded-concurrency map, order, timeouts,
 * cancellation, back-pressure, retained outputs, owner finalization
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gtask-sup/gtask-sup.h>

#include "test-fixture.h"
#include "test-probe.h"
#include "test-process.h"
#include "test-recorder.h"
#include "test-util.h"

/* -------------------------------------------------------------------------- */
/* StreamRec: every signal of a stream, checked for context and order          */
/* -------------------------------------------------------------------------- */

typedef struct
{
  GtaskSupStream *stream;      /* weak pointer */
  Fixture        *f;
  GThread        *thread;

  GArray         *indexes;     /* guint64, in emission order */
  GPtrArray      *tasks;       /* owned, in emission order */
  GArray         *states;      /* GtaskSupTaskState at emission */

  guint           n_finished;
  GError         *error;       /* copy of the finished error */
  gint64          finished_us;
  guint           n_after_finished;  /* items emitted after ::finished */
  guint           n_notify_finished;

  /* set by the test around calls of the stream's API: nothing may be
   * emitted (nor next_func called) while set */
  gboolean        in_call;

  /* violations */
  guint           n_sync;
  guint           n_wrong_context;
  guint           n_not_final;
  guint           n_bad_outputs;   /* n-outputs disagrees with the items seen */
  guint           n_over_running;  /* n-running above max-concurrency */

  /* the list model (retain) */
  guint           n_items_changed;
  GPtrArray      *shadow;
  guint           n_bad_model;
} StreamRec;

static void
stream_rec_check (StreamRec *srec)
{
  GSource *source = g_main_current_source ();

  if (g_thread_self () != srec->thread || !g_main_context_is_owner (srec->f->ctx) ||
      source == NULL || g_source_get_context (source) != srec->f->ctx)
    srec->n_wrong_context++;
  if (srec->in_call)
    srec->n_sync++;
}

static gboolean
task_state_is_final (GtaskSupTaskState state)
{
  return state == GTASK_SUP_TASK_STATE_SUCCEEDED ||
         state == GTASK_SUP_TASK_STATE_FAILED ||
         state == GTASK_SUP_TASK_STATE_TIMED_OUT;
}

static void
stream_rec_item_cb (GtaskSupStream *stream,
                    guint64         index,
                    GtaskSupTask   *task,
                    gpointer        user_data)
{
  StreamRec *srec = user_data;
  GtaskSupTaskState state = gtask_sup_task_get_state (task);
  guint max = gtask_sup_stream_get_max_concurrency (stream);

  stream_rec_check (srec);
  if (srec->n_finished > 0)
    srec->n_after_finished++;
  if (!task_state_is_final (state))
    srec->n_not_final++;
  if (max > 0 && gtask_sup_stream_get_n_running (stream) > max)
    srec->n_over_running++;

  g_array_append_val (srec->indexes, index);
  g_ptr_array_add (srec->tasks, g_object_ref (task));
  g_array_append_val (srec->states, state);

  if (gtask_sup_stream_get_n_outputs (stream) != srec->indexes->len)
    srec->n_bad_outputs++;
}

static void
stream_rec_finished_cb (GtaskSupStream *stream,
                        const GError   *error,
                        gpointer        user_data)
{
  StreamRec *srec = user_data;

  stream_rec_check (srec);
  if (srec->n_finished == 0)
    {
      srec->error = error != NULL ? g_error_copy (error) : NULL;
      srec->finished_us = g_get_monotonic_time ();
    }
  srec->n_finished++;

  if (!gtask_sup_stream_get_finished (stream))
    srec->n_bad_outputs++;
  if (gtask_sup_stream_get_n_outputs (stream) != srec->indexes->len)
    srec->n_bad_outputs++;
}

static void
stream_rec_notify_finished_cb (GObject    *object,
                               GParamSpec *pspec,
                               gpointer    user_data)
{
  StreamRec *srec = user_data;

  stream_rec_check (srec);
  srec->n_notify_finished++;
}

static void
stream_rec_items_changed_cb (GListModel *model,
                             guint       position,
                             guint       removed,
                             guint       added,
                             gpointer    user_data)
{
  StreamRec *srec = user_data;
  guint i;

  /* (A stream being disposed empties its model: not from a dispatch.) */
  if (removed == 0)
    stream_rec_check (srec);
  srec->n_items_changed++;

  if (position + removed > srec->shadow->len)
    {
      srec->n_bad_model++;
      return;
    }
  g_ptr_array_remove_range (srec->shadow, position, removed);
  for (i = 0; i < added; i++)
    {
      gpointer item = g_list_model_get_item (model, position + i);

      if (item == NULL || !GTASK_SUP_IS_TASK (item) ||
          !task_state_is_final (gtask_sup_task_get_state (item)))
        srec->n_bad_model++;
      g_ptr_array_insert (srec->shadow, position + i, item);
    }
  if (srec->shadow->len != g_list_model_get_n_items (model))
    srec->n_bad_model++;
}

static StreamRec *
stream_rec_new (Fixture        *f,
                GtaskSupStream *stream)
{
  StreamRec *srec = g_new0 (StreamRec, 1);

  srec->f = f;
  srec->stream = stream;
  g_object_add_weak_pointer (G_OBJECT (stream), (gpointer *) &srec->stream);
  srec->thread = g_thread_self ();
  srec->indexes = g_array_new (FALSE, FALSE, sizeof (guint64));
  srec->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  srec->states = g_array_new (FALSE, FALSE, sizeof (GtaskSupTaskState));
  srec->shadow = g_ptr_array_new_with_free_func (g_object_unref);

  g_signal_connect (stream, "item", G_CALLBACK (stream_rec_item_cb), srec);
  g_signal_connect (stream, "finished", G_CALLBACK (stream_rec_finished_cb), srec);
  g_signal_connect (stream, "notify::finished", G_CALLBACK (stream_rec_notify_finished_cb), srec);
  g_signal_connect (stream, "items-changed", G_CALLBACK (stream_rec_items_changed_cb), srec);

  return srec;
}

static void
stream_rec_free (StreamRec *srec)
{
  if (srec->stream != NULL)
    {
      g_signal_handlers_disconnect_by_data (srec->stream, srec);
      g_object_remove_weak_pointer (G_OBJECT (srec->stream), (gpointer *) &srec->stream);
    }
  g_array_unref (srec->indexes);
  g_ptr_array_unref (srec->tasks);
  g_array_unref (srec->states);
  g_ptr_array_unref (srec->shadow);
  g_clear_error (&srec->error);
  g_free (srec);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StreamRec, stream_rec_free)

#define stream_rec_assert_clean(srec) \
  G_STMT_START { \
    g_assert_cmpuint ((srec)->n_sync, ==, 0); \
    g_assert_cmpuint ((srec)->n_wrong_context, ==, 0); \
    g_assert_cmpuint ((srec)->n_not_final, ==, 0); \
    g_assert_cmpuint ((srec)->n_after_finished, ==, 0); \
    g_assert_cmpuint ((srec)->n_bad_outputs, ==, 0); \
    g_assert_cmpuint ((srec)->n_over_running, ==, 0); \
    g_assert_cmpuint ((srec)->n_bad_model, ==, 0); \
    g_assert_cmpuint ((srec)->n_finished, <=, 1); \
    g_assert_cmpuint ((srec)->n_notify_finished, ==, (srec)->n_finished); \
  } G_STMT_END

static guint64
stream_rec_index (StreamRec *srec,
                  guint      i)
{
  return g_array_index (srec->indexes, guint64, i);
}

static GtaskSupTaskState
stream_rec_state (StreamRec *srec,
                  guint      i)
{
  return g_array_index (srec->states, GtaskSupTaskState, i);
}

static gboolean
stream_rec_finished_cond_cb (gpointer data)
{
  return ((StreamRec *) data)->n_finished > 0;
}

#define wait_finished(srec) \
  iterate_until ((srec)->f->ctx, stream_rec_finished_cond_cb, (srec), TEST_WAIT_MS)

typedef struct
{
  StreamRec *srec;
  guint      n;
} StreamRecCond;

static gboolean
stream_rec_n_items_cb (gpointer data)
{
  StreamRecCond *c = data;
  return c->srec->indexes->len >= c->n;
}

#define wait_n_items(srec, count) \
  G_STMT_START { \
    StreamRecCond src_ = { (srec), (count) }; \
    iterate_until ((srec)->f->ctx, stream_rec_n_items_cb, &src_, TEST_WAIT_MS); \
  } G_STMT_END

/* Starts @stream, checking that nothing is emitted (and no task started,
 * no next function called) inside the call. */
static void
stream_rec_start (StreamRec *srec)
{
  srec->in_call = TRUE;
  srec->f->rec->in_call = TRUE;
  gtask_sup_stream_start (srec->stream);
  srec->in_call = FALSE;
  srec->f->rec->in_call = FALSE;
}

static void
stream_rec_cancel (StreamRec *srec)
{
  srec->in_call = TRUE;
  srec->f->rec->in_call = TRUE;
  gtask_sup_stream_cancel (srec->stream);
  srec->in_call = FALSE;
  srec->f->rec->in_call = FALSE;
}

/* -------------------------------------------------------------------------- */
/* Peak: how many item functions run at once                                  */
/* -------------------------------------------------------------------------- */

/* Unlike the Probe's, this count ends BEFORE the function completes its
 * task: once return_int() is called the item is done, and the stream may
 * start the next one while this function is still returning. */
typedef struct
{
  int current;    /* functions running and not completed */
  int peak;       /* max of current */
  int started;
  int wait_peak;  /* if > 0: each function waits (bounded) until peak >= wait_peak */
} PeakShared;

typedef struct
{
  PeakShared *shared;
  gint64      value;
  guint       work_ms;
} PeakItem;

static void
peak_thread_func (GtaskSupTask *task,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  PeakItem *item = user_data;
  PeakShared *shared = item->shared;
  int now = g_atomic_int_add (&shared->current, 1) + 1;
  int peak;

  while ((peak = g_atomic_int_get (&shared->peak)) < now &&
         !g_atomic_int_compare_and_exchange (&shared->peak, peak, now))
    ;
  g_atomic_int_inc (&shared->started);

  if (shared->wait_peak > 0)
    {
      gint64 deadline = g_get_monotonic_time () +
                        test_upper_ms (2000) * G_TIME_SPAN_MILLISECOND;

      while (g_atomic_int_get (&shared->peak) < shared->wait_peak &&
             g_get_monotonic_time () < deadline)
        g_usleep (1000);
      g_usleep (2000);
    }
  if (item->work_ms > 0)
    g_usleep (item->work_ms * G_TIME_SPAN_MILLISECOND);

  /* not a running item any more once completed */
  g_atomic_int_add (&shared->current, -1);
  gtask_sup_task_return_int (task, item->value);
}

static GtaskSupTask *
peak_task_new (PeakShared *shared,
               gint64      value,
               guint       work_ms)
{
  PeakItem *item = g_new0 (PeakItem, 1);

  item->shared = shared;
  item->value = value;
  item->work_ms = work_ms;
  return gtask_sup_task_new_thread (peak_thread_func, item, g_free);
}

/* -------------------------------------------------------------------------- */
/* Input: a next function over probes (or endless), and what it observed      */
/* -------------------------------------------------------------------------- */

typedef struct
{
  Fixture     *f;
  GThread     *thread;
  StreamRec   *srec;        /* nullable: set once the stream is recorded */
  GPtrArray   *probes;      /* Probe, owned: the input, item i runs probes[i] */
  GArray      *timeouts;    /* int per item: set on the task unless -2 */
  PeakShared  *peak;        /* if set: items are peak tasks (the probe gives work_ms) */
  gboolean     endless;     /* never NULL: item i is a new quick INT probe (i) */
  guint        slack;       /* if > 0: calls ≤ outputs + slack (back-pressure) */

  int          n_calls;     /* next_func calls, the final NULL included */
  int          n_destroyed;
  guint        n_bad_index;
  guint        n_after_end;       /* calls after the NULL */
  guint        n_after_finished;  /* calls after ::finished or cancel() */
  guint        n_wrong_context;
  guint        n_sync;
  guint        n_over;            /* back-pressure violations */
  guint        n_returned_null;
  gboolean     stop;              /* set by the test: the stream must not ask any more */
} Input;

static GtaskSupTask *
input_next (GtaskSupStream *stream,
            guint64         index,
            gpointer        user_data)
{
  Input *in = user_data;
  GtaskSupTask *task;

  in->n_calls++;

  if (index != (guint64) (in->n_calls - 1))
    in->n_bad_index++;
  if (in->n_returned_null > 0)
    in->n_after_end++;
  if (in->stop || gtask_sup_stream_get_finished (stream) ||
      (in->srec != NULL && in->srec->n_finished > 0))
    in->n_after_finished++;
  if (g_thread_self () != in->thread || !g_main_context_is_owner (in->f->ctx))
    in->n_wrong_context++;
  if (in->srec != NULL && in->srec->in_call)
    in->n_sync++;
  if (in->slack > 0 && in->srec != NULL &&
      (guint) in->n_calls > in->srec->indexes->len + in->slack)
    in->n_over++;

  if (in->endless)
    {
      Probe *p = probe_new (PROBE_RESULT_INT, (gint64) index);

      task = probe_task_new (p);
      probe_unref (p);
      return task;
    }

  if (index >= in->probes->len)
    {
      in->n_returned_null++;
      return NULL;
    }

  if (in->peak != NULL)
    task = peak_task_new (in->peak, (gint64) index * 10,
                          ((Probe *) g_ptr_array_index (in->probes, index))->work_ms);
  else
    task = probe_task_new (g_ptr_array_index (in->probes, index));
  if (index < in->timeouts->len && g_array_index (in->timeouts, int, index) != -2)
    gtask_sup_task_set_timeout (task, g_array_index (in->timeouts, int, index));

  return task;
}

static void
input_destroy (gpointer user_data)
{
  Input *in = user_data;

  in->n_destroyed++;
}

/* @n probes returning INT index * 10, no timeout of their own (-1). */
static Input *
input_new (Fixture *f,
           guint    n)
{
  Input *in = g_new0 (Input, 1);
  guint i;

  in->f = f;
  in->thread = g_thread_self ();
  in->probes = g_ptr_array_new_with_free_func ((GDestroyNotify) probe_unref);
  in->timeouts = g_array_new (FALSE, FALSE, sizeof (int));
  for (i = 0; i < n; i++)
    {
      int none = -2;

      g_ptr_array_add (in->probes, probe_new (PROBE_RESULT_INT, (gint64) i * 10));
      g_array_append_val (in->timeouts, none);
    }

  return in;
}

static Probe *
input_probe (Input *in,
             guint  i)
{
  return g_ptr_array_index (in->probes, i);
}

static void
input_free (Input *in)
{
  g_ptr_array_unref (in->probes);
  g_array_unref (in->timeouts);
  g_free (in);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Input, input_free)

#define input_assert_clean(in) \
  G_STMT_START { \
    g_assert_cmpuint ((in)->n_bad_index, ==, 0); \
    g_assert_cmpuint ((in)->n_after_end, ==, 0); \
    g_assert_cmpuint ((in)->n_after_finished, ==, 0); \
    g_assert_cmpuint ((in)->n_wrong_context, ==, 0); \
    g_assert_cmpuint ((in)->n_sync, ==, 0); \
    g_assert_cmpuint ((in)->n_over, ==, 0); \
    g_assert_cmpint ((in)->n_destroyed, <=, 1); \
  } G_STMT_END

/* A stream over @in, recorded by a new StreamRec (returned in @srec). */
static GtaskSupStream *
input_map (Input      *in,
           StreamRec **srec)
{
  GtaskSupStream *stream = gtask_sup_supervisor_map (in->f->sup, input_next, in, input_destroy);

  g_assert_true (GTASK_SUP_IS_STREAM (stream));
  /* These tests count next_func calls against free slots exactly: no
   * read-ahead (test_read_ahead covers it). */
  gtask_sup_stream_set_read_ahead (stream, 0);
  *srec = stream_rec_new (in->f, stream);
  in->srec = *srec;
  return stream;
}

/* The stream emitted items 0..n-1 in order, each with the probe's INT result. */
static void
assert_all_in_order (StreamRec *srec,
                     guint      n)
{
  guint i;

  g_assert_cmpuint (srec->indexes->len, ==, n);
  for (i = 0; i < n; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (srec->tasks, i);
      const GValue *value;

      g_assert_cmpuint (stream_rec_index (srec, i), ==, i);
      g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
      value = gtask_sup_task_get_value (task);
      g_assert_nonnull (value);
      g_assert_true (G_VALUE_HOLDS_INT64 (value));
      g_assert_cmpint (g_value_get_int64 (value), ==, (gint64) i * 10);
    }
}

/* Drops @stream (the test's reference) and waits until it is finalized. */
static void
release_stream (Fixture         *f,
                GtaskSupStream **stream)
{
  gpointer weak = *stream;

  g_object_add_weak_pointer (weak, &weak);
  g_clear_object (stream);
  iterate_until (f->ctx, test_weak_null_cb, &weak, TEST_WAIT_MS);
}

/* -------------------------------------------------------------------------- */
/* join_async                                                                  */
/* -------------------------------------------------------------------------- */

typedef struct
{
  Fixture  *f;
  gboolean *in_call;
  guint     n_calls;
  gboolean  ok;
  GError   *error;
  guint     n_sync;
  guint     n_wrong_context;
} JoinResult;

static void
join_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  JoinResult *jr = user_data;

  if (!g_main_context_is_owner (jr->f->ctx))
    jr->n_wrong_context++;
  if (jr->in_call != NULL && *jr->in_call)
    jr->n_sync++;
  g_clear_error (&jr->error);
  jr->ok = gtask_sup_stream_join_finish (GTASK_SUP_STREAM (source), result, &jr->error);
  jr->n_calls++;
}

static gboolean
join_done_cb (gpointer data)
{
  return ((JoinResult *) data)->n_calls > 0;
}

static void
join_result_clear (JoinResult *jr)
{
  g_clear_error (&jr->error);
}

static void
join_async (StreamRec    *srec,
            GCancellable *cancellable,
            JoinResult   *jr)
{
  jr->f = srec->f;
  jr->in_call = &srec->in_call;
  srec->in_call = TRUE;
  gtask_sup_stream_join_async (srec->stream, cancellable, join_cb, jr);
  srec->in_call = FALSE;
}

/* -------------------------------------------------------------------------- */
/* Tests                                                                       */
/* -------------------------------------------------------------------------- */

static void
test_defaults (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 0);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  g_autoptr(GtaskSupSupervisor) sup = NULL;
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  guint max_concurrency = 0;
  gboolean ordered = FALSE, retain = FALSE, finished = TRUE;
  int timeout = 0;
  GtaskSupOnTimeout on_timeout = 99;
  guint n_running = 99;
  guint64 n_outputs = 99;

  TEST_SUMMARY ();

  stream = input_map (in, &srec);
  g_assert_true (G_IS_LIST_MODEL (stream));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (stream)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (stream)) == GTASK_SUP_TYPE_TASK);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (stream), 0));

  g_assert_cmpuint (gtask_sup_stream_get_max_concurrency (stream), ==, g_get_num_processors ());
  g_assert_true (gtask_sup_stream_get_ordered (stream));
  g_assert_cmpint (gtask_sup_stream_get_timeout (stream), ==, -1);
  g_assert_cmpint (gtask_sup_stream_get_on_timeout (stream), ==, GTASK_SUP_ON_TIMEOUT_EXIT);
  g_assert_true (gtask_sup_stream_get_retain (stream));
  g_assert_cmpuint (gtask_sup_stream_get_n_running (stream), ==, 0);
  g_assert_cmpuint (gtask_sup_stream_get_n_outputs (stream), ==, 0);
  g_assert_false (gtask_sup_stream_get_finished (stream));
  sup = gtask_sup_stream_dup_supervisor (stream);
  g_assert_true (sup == f->sup);
  g_clear_object (&sup);

  g_object_get (stream,
                "max-concurrency", &max_concurrency,
                "ordered", &ordered,
                "timeout", &timeout,
                "on-timeout", &on_timeout,
                "retain", &retain,
                "n-running", &n_running,
                "n-outputs", &n_outputs,
                "finished", &finished,
                "supervisor", &sup,
                NULL);
  g_assert_cmpuint (max_concurrency, ==, g_get_num_processors ());
  g_assert_true (ordered);
  g_assert_cmpint (timeout, ==, -1);
  g_assert_cmpint (on_timeout, ==, GTASK_SUP_ON_TIMEOUT_EXIT);
  g_assert_true (retain);
  g_assert_cmpuint (n_running, ==, 0);
  g_assert_cmpuint (n_outputs, ==, 0);
  g_assert_false (finished);
  g_assert_true (sup == f->sup);

  /* setters notify on real changes only */
  g_signal_connect (stream, "notify", G_CALLBACK (notify_count_cb), counts);
  gtask_sup_stream_set_max_concurrency (stream, 3);
  gtask_sup_stream_set_max_concurrency (stream, 3);
  g_assert_cmpuint (gtask_sup_stream_get_max_concurrency (stream), ==, 3);
  gtask_sup_stream_set_ordered (stream, FALSE);
  gtask_sup_stream_set_ordered (stream, FALSE);
  g_assert_false (gtask_sup_stream_get_ordered (stream));
  gtask_sup_stream_set_timeout (stream, 250);
  gtask_sup_stream_set_timeout (stream, 250);
  g_assert_cmpint (gtask_sup_stream_get_timeout (stream), ==, 250);
  gtask_sup_stream_set_on_timeout (stream, GTASK_SUP_ON_TIMEOUT_KILL_TASK);
  gtask_sup_stream_set_on_timeout (stream, GTASK_SUP_ON_TIMEOUT_KILL_TASK);
  g_assert_cmpint (gtask_sup_stream_get_on_timeout (stream), ==, GTASK_SUP_ON_TIMEOUT_KILL_TASK);
  gtask_sup_stream_set_retain (stream, FALSE);
  gtask_sup_stream_set_retain (stream, FALSE);
  g_assert_false (gtask_sup_stream_get_retain (stream));
  g_object_set (stream, "max-concurrency", 0, "timeout", -1, NULL);
  g_assert_cmpuint (gtask_sup_stream_get_max_concurrency (stream), ==, 0);
  g_assert_cmpint (gtask_sup_stream_get_timeout (stream), ==, -1);
  g_assert_cmpuint (notify_count (counts, "max-concurrency"), ==, 2);
  g_assert_cmpuint (notify_count (counts, "ordered"), ==, 1);
  g_assert_cmpuint (notify_count (counts, "timeout"), ==, 2);
  g_assert_cmpuint (notify_count (counts, "on-timeout"), ==, 1);
  g_assert_cmpuint (notify_count (counts, "retain"), ==, 1);
  g_signal_handlers_disconnect_by_data (stream, counts);

  /* nothing asked for before start() */
  iterate_for (f->ctx, 20);
  g_assert_cmpint (in->n_calls, ==, 0);

  stream_rec_start (srec);
  wait_finished (srec);

  /* configuration is frozen once started */
  g_test_expect_message ("GtaskSup", G_LOG_LEVEL_CRITICAL, "*started*");
  gtask_sup_stream_set_max_concurrency (stream, 5);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (gtask_sup_stream_get_max_concurrency (stream), ==, 0);

  g_test_expect_message ("GtaskSup", G_LOG_LEVEL_CRITICAL, "*started*");
  gtask_sup_stream_set_ordered (stream, TRUE);
  g_test_assert_expected_messages ();

  g_test_expect_message ("GtaskSup", G_LOG_LEVEL_CRITICAL, "*started*");
  gtask_sup_stream_start (stream);
  g_test_assert_expected_messages ();

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

typedef struct
{
  guint max_concurrency;
  gboolean ordered;
} MapCase;

/* Slowest first: item i works (n - i) * step ms, so with several at once
 * they end in reverse order. */
static void
test_ordered_slowest_first (Fixture       *f,
                            gconstpointer  data)
{
  const guint n = 6;
  const guint step = 15;
  const guint limits[] = { 1, 2, 5, 6, 7, 0 };

  TEST_SUMMARY ();

  for (guint c = 0; c < G_N_ELEMENTS (limits); c++)
    {
      g_autoptr(Input) in = input_new (f, n);
      g_autoptr(StreamRec) srec = NULL;
      g_autoptr(GtaskSupStream) stream = NULL;
      PeakShared shared = { 0, };
      gint64 start_us;
      guint i;

      g_test_message ("max-concurrency %u, %u items", limits[c], n);

      for (i = 0; i < n; i++)
        input_probe (in, i)->work_ms = (n - i) * step;
      in->peak = &shared;
      in->slack = limits[c];

      stream = input_map (in, &srec);
      gtask_sup_stream_set_max_concurrency (stream, limits[c]);

      start_us = g_get_monotonic_time ();
      stream_rec_start (srec);
      wait_finished (srec);

      g_assert_no_error (srec->error);
      assert_all_in_order (srec, n);
      g_assert_cmpint (in->n_calls, ==, n + 1);
      g_assert_cmpint (in->n_destroyed, ==, 1);

      /* Never more than max-concurrency at once, and that many when the
       * input allows it (every function waits step ms at least). */
      g_assert_cmpint (g_atomic_int_get (&shared.peak), <=,
                       limits[c] == 0 ? (int) n : (int) MIN (limits[c], n));
      /* strict lower bound: the total work, divided by the slots */
      if (limits[c] == 1)
        assert_elapsed_between (start_us, (n * (n + 1) / 2) * step, 2 * TEST_WAIT_MS);
      else
        assert_elapsed_between (start_us, n * step, 2 * TEST_WAIT_MS);

      stream_rec_assert_clean (srec);
      input_assert_clean (in);
      iterate_until_int_eq (f->ctx, &shared.current, 0, TEST_WAIT_MS);
    }
}

static gboolean
stream_n_running_is_zero_cb (gpointer data)
{
  return gtask_sup_stream_get_n_running (data) == 0;
}

static void
test_peak_concurrency (Fixture       *f,
                       gconstpointer  data)
{
  const guint n = 24;
  const guint max = 3;

  TEST_SUMMARY ();

  for (int ordered = 1; ordered >= 0; ordered--)
    {
      g_autoptr(Input) in = input_new (f, n);
      g_autoptr(StreamRec) srec = NULL;
      g_autoptr(GtaskSupStream) stream = NULL;
      PeakShared shared = { 0, };

      g_test_message ("ordered %d", ordered);

      shared.wait_peak = max;
      in->peak = &shared;
      in->slack = max;

      stream = input_map (in, &srec);
      gtask_sup_stream_set_max_concurrency (stream, max);
      gtask_sup_stream_set_ordered (stream, ordered);
      stream_rec_start (srec);
      wait_finished (srec);

      g_assert_no_error (srec->error);
      g_assert_cmpint (g_atomic_int_get (&shared.peak), ==, max);
      g_assert_cmpint (g_atomic_int_get (&shared.started), ==, n);
      g_assert_cmpuint (srec->indexes->len, ==, n);
      if (ordered)
        assert_all_in_order (srec, n);
      g_assert_cmpint (in->n_calls, ==, n + 1);
      g_assert_cmpuint (gtask_sup_stream_get_n_outputs (stream), ==, n);
      /* n-running counts functions that run: the last one may still be
       * returning after its result was reported */
      iterate_until (f->ctx, stream_n_running_is_zero_cb, stream, TEST_WAIT_MS);

      stream_rec_assert_clean (srec);
      input_assert_clean (in);
    }
}

/* Every item blocks on its gate: the test opens them in a chosen order and
 * watches what comes out after each one. */
static void
test_completion_order (Fixture       *f,
                       gconstpointer  data)
{
  const guint open_order[] = { 3, 1, 4, 0, 2 };
  const guint n = G_N_ELEMENTS (open_order);

  TEST_SUMMARY ();

  for (int ordered = 0; ordered <= 1; ordered++)
    {
      g_autoptr(Input) in = input_new (f, n);
      g_autoptr(StreamRec) srec = NULL;
      g_autoptr(GtaskSupStream) stream = NULL;
      /* ordered: the number of outputs once each gate is open */
      const guint expected_ordered[] = { 0, 0, 0, 2, 5 };
      guint i;

      g_test_message ("ordered %d", ordered);

      for (i = 0; i < n; i++)
        input_probe (in, i)->block = TRUE;
      in->slack = n;

      stream = input_map (in, &srec);
      gtask_sup_stream_set_max_concurrency (stream, n);
      gtask_sup_stream_set_ordered (stream, ordered);
      stream_rec_start (srec);

      for (i = 0; i < n; i++)
        iterate_until_int_eq (f->ctx, &input_probe (in, i)->n_runs, 1, TEST_WAIT_MS);
      g_assert_cmpuint (gtask_sup_stream_get_n_running (stream), ==, n);

      for (i = 0; i < n; i++)
        {
          Probe *p = input_probe (in, open_order[i]);

          test_gate_open (&p->gate);
          if (!ordered)
            {
              wait_n_items (srec, i + 1);
              g_assert_cmpuint (stream_rec_index (srec, i), ==, open_order[i]);
            }
          else
            {
              /* the supervisor reported it: it is done, waiting or out */
              wait_n_outcomes (f->ctx, f->rec, i + 1, TEST_WAIT_MS);
              if (expected_ordered[i] > srec->indexes->len)
                wait_n_items (srec, expected_ordered[i]);
              iterate_for (f->ctx, 20);
              g_assert_cmpuint (srec->indexes->len, ==, expected_ordered[i]);
              /* a done item waiting for an earlier one is not running */
              g_assert_cmpuint (gtask_sup_stream_get_n_running (stream), ==, n - i - 1);
            }
        }

      wait_finished (srec);
      g_assert_no_error (srec->error);
      if (ordered)
        assert_all_in_order (srec, n);
      else
        for (i = 0; i < n; i++)
          g_assert_cmpuint (stream_rec_index (srec, i), ==, open_order[i]);

      stream_rec_assert_clean (srec);
      input_assert_clean (in);
      g_clear_pointer (&srec, stream_rec_free);
      release_stream (f, &stream);
      g_hash_table_remove_all (f->rec->outcomes);
      f->rec->n_outcomes = 0;
    }
}

/* Ordered, max-concurrency 2: a done item waiting for the first one keeps
 * its slot, so the third item is not asked for until the first is done. */
static void
test_ordered_waiting_keeps_slot (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 4);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;

  TEST_SUMMARY ();

  input_probe (in, 0)->block = TRUE;
  in->slack = 2;

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 2);
  stream_rec_start (srec);

  iterate_until_int_eq (f->ctx, &input_probe (in, 1)->n_returns, 1, TEST_WAIT_MS);
  wait_n_outcomes (f->ctx, f->rec, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (in->n_calls, ==, 2);
  g_assert_cmpuint (srec->indexes->len, ==, 0);
  g_assert_cmpuint (gtask_sup_stream_get_n_running (stream), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&input_probe (in, 2)->n_runs), ==, 0);

  test_gate_open (&input_probe (in, 0)->gate);
  wait_finished (srec);
  g_assert_no_error (srec->error);
  assert_all_in_order (srec, 4);
  g_assert_cmpint (in->n_calls, ==, 5);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

/* Items 0 and 2 work 100 ms (ignoring their cancellable, then waiting for
 * it), 1 and 3 work 1 ms; the stream gives each 50 ms and lets timed-out
 * items be outputs. (Under valgrind: 1000 ms and 2000 ms.) */
static void
test_kill_task (Fixture       *f,
                gconstpointer  data)
{
  const int timeout_ms = test_is_slow () ? 1000 : 50;
  const guint work_ms[] = { 2 * timeout_ms, 1, 2 * timeout_ms, 1 };

  TEST_SUMMARY ();

  for (int ordered = 1; ordered >= 0; ordered--)
    {
      g_autoptr(Input) in = input_new (f, 4);
      g_autoptr(StreamRec) srec = NULL;
      g_autoptr(GtaskSupStream) stream = NULL;
      gint64 start_us;
      guint i;

      g_test_message ("ordered %d", ordered);

      for (i = 0; i < 4; i++)
        {
          input_probe (in, i)->work_ms = work_ms[i];
          /* The long ones then wait for their cancellable: on a loaded
           * machine, the timeout may be processed after the 100 ms, and a
           * result committed first would win (DESIGN §4.5). */
          input_probe (in, i)->block = work_ms[i] > 1;
          input_probe (in, i)->cooperative = TRUE;
        }
      in->slack = 4;

      stream = input_map (in, &srec);
      gtask_sup_stream_set_max_concurrency (stream, 4);
      gtask_sup_stream_set_ordered (stream, ordered);
      gtask_sup_stream_set_timeout (stream, timeout_ms);
      gtask_sup_stream_set_on_timeout (stream, GTASK_SUP_ON_TIMEOUT_KILL_TASK);

      start_us = g_get_monotonic_time ();
      stream_rec_start (srec);
      wait_finished (srec);
      /* it finished when the timed-out items were reported, not when their
       * functions returned */
      assert_elapsed_between (start_us, timeout_ms, timeout_ms + TEST_SLACK_MS);

      g_assert_no_error (srec->error);
      g_assert_cmpuint (srec->indexes->len, ==, 4);

      if (ordered)
        {
          const GtaskSupTaskState expected[] = {
            GTASK_SUP_TASK_STATE_TIMED_OUT, GTASK_SUP_TASK_STATE_SUCCEEDED,
            GTASK_SUP_TASK_STATE_TIMED_OUT, GTASK_SUP_TASK_STATE_SUCCEEDED,
          };

          for (i = 0; i < 4; i++)
            {
              g_assert_cmpuint (stream_rec_index (srec, i), ==, i);
              g_assert_cmpint (stream_rec_state (srec, i), ==, expected[i]);
            }
        }
      else
        {
          /* [1, 1, T, T]: the quick ones first, in any order among them */
          g_assert_cmpuint (stream_rec_index (srec, 0) % 2, ==, 1);
          g_assert_cmpuint (stream_rec_index (srec, 1) % 2, ==, 1);
          g_assert_cmpuint (stream_rec_index (srec, 2) % 2, ==, 0);
          g_assert_cmpuint (stream_rec_index (srec, 3) % 2, ==, 0);
          g_assert_cmpint (stream_rec_state (srec, 0), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
          g_assert_cmpint (stream_rec_state (srec, 1), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
          g_assert_cmpint (stream_rec_state (srec, 2), ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
          g_assert_cmpint (stream_rec_state (srec, 3), ==, GTASK_SUP_TASK_STATE_TIMED_OUT);
        }

      for (i = 0; i < 4; i++)
        {
          GtaskSupTask *task = g_ptr_array_index (srec->tasks, i);

          /* the stream's timeout was set on each item */
          g_assert_cmpint (gtask_sup_task_get_timeout (task), ==, timeout_ms);
          if (gtask_sup_task_get_state (task) == GTASK_SUP_TASK_STATE_TIMED_OUT)
            {
              g_assert_error (gtask_sup_task_get_error (task), G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
              g_assert_null (gtask_sup_task_get_value (task));
            }
        }
      g_assert_cmpuint (f->rec->n_timed_out, ==, 2 * (ordered ? 1 : 2));

      stream_rec_assert_clean (srec);
      input_assert_clean (in);
    }
}

/* An item with its own timeout keeps it; the others get the stream's. */
static void
test_item_own_timeout (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 2);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;

  TEST_SUMMARY ();

  g_array_index (in->timeouts, int, 0) = 60000;
  stream = input_map (in, &srec);
  gtask_sup_stream_set_timeout (stream, 30000);
  stream_rec_start (srec);
  wait_finished (srec);

  g_assert_no_error (srec->error);
  g_assert_cmpuint (srec->indexes->len, ==, 2);
  g_assert_cmpint (gtask_sup_task_get_timeout (g_ptr_array_index (srec->tasks, 0)), ==, 60000);
  g_assert_cmpint (gtask_sup_task_get_timeout (g_ptr_array_index (srec->tasks, 1)), ==, 30000);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

/* on-timeout EXIT: item 0 is quick, item 1 blocks and times out (the
 * stream's timeout), items 2 and 3 block cooperatively with a long timeout
 * of their own: they are cancelled when the stream exits. */
static void
test_exit_on_timeout (Fixture       *f,
                      gconstpointer  data)
{
  const int timeout_ms = test_is_slow () ? 1000 : 50;
  g_autoptr(Input) in = input_new (f, 10);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  JoinResult jr = { 0, };
  gint64 start_us;
  guint i;

  TEST_SUMMARY ();

  g_array_index (in->timeouts, int, 0) = 60000;
  input_probe (in, 1)->block = TRUE;
  input_probe (in, 1)->cooperative = TRUE;
  for (i = 2; i < 4; i++)
    {
      input_probe (in, i)->block = TRUE;
      input_probe (in, i)->cooperative = TRUE;
      g_array_index (in->timeouts, int, i) = 60000;
    }
  in->slack = 4;

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 4);
  gtask_sup_stream_set_timeout (stream, timeout_ms);
  g_assert_cmpint (gtask_sup_stream_get_on_timeout (stream), ==, GTASK_SUP_ON_TIMEOUT_EXIT);

  start_us = g_get_monotonic_time ();
  stream_rec_start (srec);
  join_async (srec, NULL, &jr);
  wait_finished (srec);
  assert_elapsed_between (start_us, timeout_ms, timeout_ms + TEST_SLACK_MS);

  g_assert_error (srec->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpuint (srec->indexes->len, ==, 1);
  g_assert_cmpuint (stream_rec_index (srec, 0), ==, 0);
  in->stop = TRUE;

  /* the items in flight are cancelled: their cancellables fire */
  for (i = 2; i < 4; i++)
    {
      iterate_until_int_eq (f->ctx, &input_probe (in, i)->n_returns, 1, TEST_WAIT_MS);
      g_assert_cmpint (g_atomic_int_get (&input_probe (in, i)->saw_cancel), ==, 1);
    }
  iterate_until_int_eq (f->ctx, &input_probe (in, 1)->n_returns, 1, TEST_WAIT_MS);
  g_assert_cmpint (g_atomic_int_get (&input_probe (in, 1)->saw_cancel), ==, 1);

  iterate_until (f->ctx, join_done_cb, &jr, TEST_WAIT_MS);
  g_assert_false (jr.ok);
  g_assert_error (jr.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  /* nothing more, ever: no item, no next item (item 0 made room for
   * item 4, done and waiting for item 1 when the stream exits) */
  wait_n_outcomes (f->ctx, f->rec, 5, TEST_WAIT_MS);
  iterate_for (f->ctx, 100);
  g_assert_cmpuint (srec->indexes->len, ==, 1);
  g_assert_cmpint (in->n_calls, ==, 5);
  g_assert_cmpint (in->n_destroyed, ==, 1);
  for (i = 5; i < 10; i++)
    g_assert_cmpint (g_atomic_int_get (&input_probe (in, i)->n_runs), ==, 0);
  g_assert_cmpuint (jr.n_calls, ==, 1);
  g_assert_cmpuint (jr.n_sync, ==, 0);
  g_assert_cmpuint (jr.n_wrong_context, ==, 0);

  /* the supervisor reported the cancelled items as such */
  {
    GHashTableIter iter;
    gpointer value;
    guint n_cancelled = 0;

    g_hash_table_iter_init (&iter, f->rec->outcomes);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (((Outcome *) value)->kind == OUTCOME_FAILED &&
          g_error_matches (((Outcome *) value)->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        n_cancelled++;
    g_assert_cmpuint (n_cancelled, ==, 2);
  }
  g_assert_cmpuint (f->rec->n_failed, ==, 2);
  g_assert_cmpuint (f->rec->n_succeeded, ==, 2);
  g_assert_cmpuint (f->rec->n_timed_out, ==, 1);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
  join_result_clear (&jr);
}

static gboolean
children_empty_cb (gpointer data)
{
  return g_list_model_get_n_items (data) == 0;
}

static gboolean
children_has_3_cb (gpointer data)
{
  return g_list_model_get_n_items (data) == 3;
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 6);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  GListModel *children = gtask_sup_supervisor_get_children (f->sup);
  guint i;

  TEST_SUMMARY ();

  for (i = 0; i < 6; i++)
    {
      input_probe (in, i)->block = TRUE;
      input_probe (in, i)->cooperative = TRUE;
    }
  in->slack = 3;

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 3);
  stream_rec_start (srec);
  for (i = 0; i < 3; i++)
    iterate_until_int_eq (f->ctx, &input_probe (in, i)->n_runs, 1, TEST_WAIT_MS);
  g_assert_cmpuint (gtask_sup_stream_get_n_running (stream), ==, 3);
  /* the work starts before the owner context shows it in the model */
  iterate_until (f->ctx, children_has_3_cb, children, TEST_WAIT_MS);

  stream_rec_cancel (srec);
  in->stop = TRUE;
  /* finished is emitted later, not inside cancel() */
  g_assert_cmpuint (srec->n_finished, ==, 0);
  g_assert_false (gtask_sup_stream_get_finished (stream));
  /* a second cancel does nothing */
  stream_rec_cancel (srec);

  wait_finished (srec);
  g_assert_error (srec->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (gtask_sup_stream_get_finished (stream));
  g_assert_cmpuint (srec->indexes->len, ==, 0);

  for (i = 0; i < 3; i++)
    {
      iterate_until_int_eq (f->ctx, &input_probe (in, i)->n_returns, 1, TEST_WAIT_MS);
      g_assert_cmpint (g_atomic_int_get (&input_probe (in, i)->saw_cancel), ==, 1);
    }
  iterate_until (f->ctx, children_empty_cb, children, TEST_WAIT_MS);
  wait_n_outcomes (f->ctx, f->rec, 3, TEST_WAIT_MS);
  g_assert_cmpuint (f->rec->n_failed, ==, 3);

  iterate_for (f->ctx, 50);
  g_assert_cmpuint (srec->indexes->len, ==, 0);
  g_assert_cmpint (in->n_calls, ==, 3);
  g_assert_cmpint (in->n_destroyed, ==, 1);
  for (i = 3; i < 6; i++)
    g_assert_cmpint (g_atomic_int_get (&input_probe (in, i)->n_runs), ==, 0);

  /* cancel after finished does nothing either */
  stream_rec_cancel (srec);
  iterate_for (f->ctx, 20);
  g_assert_cmpuint (srec->n_finished, ==, 1);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

/* Cancelled before start(): the input is never read; finished(CANCELLED)
 * comes from an iteration after start(). */
static void
test_cancel_before_start (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 3);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  JoinResult jr = { 0, };

  TEST_SUMMARY ();

  stream = input_map (in, &srec);
  stream_rec_cancel (srec);
  iterate_for (f->ctx, 20);
  g_assert_cmpuint (srec->n_finished, ==, 0);

  stream_rec_start (srec);
  join_async (srec, NULL, &jr);
  wait_finished (srec);
  g_assert_error (srec->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_until (f->ctx, join_done_cb, &jr, TEST_WAIT_MS);
  g_assert_error (jr.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_for (f->ctx, 20);
  g_assert_cmpint (in->n_calls, ==, 0);
  g_assert_cmpint (in->n_destroyed, ==, 1);
  g_assert_cmpuint (srec->indexes->len, ==, 0);
  g_assert_cmpuint (jr.n_sync, ==, 0);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
  join_result_clear (&jr);
}

static void
test_empty (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 0);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  JoinResult jr = { 0, };

  TEST_SUMMARY ();

  stream = input_map (in, &srec);
  stream_rec_start (srec);
  /* not inside start(): neither the next function nor finished */
  g_assert_cmpint (in->n_calls, ==, 0);
  g_assert_cmpuint (srec->n_finished, ==, 0);
  g_assert_false (gtask_sup_stream_get_finished (stream));

  join_async (srec, NULL, &jr);
  wait_finished (srec);
  g_assert_no_error (srec->error);
  g_assert_cmpint (in->n_calls, ==, 1);
  g_assert_cmpint (in->n_destroyed, ==, 1);
  g_assert_cmpuint (gtask_sup_stream_get_n_outputs (stream), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (stream)), ==, 0);

  iterate_until (f->ctx, join_done_cb, &jr, TEST_WAIT_MS);
  g_assert_true (jr.ok);
  g_assert_no_error (jr.error);
  g_assert_cmpuint (jr.n_sync, ==, 0);
  g_assert_cmpuint (jr.n_wrong_context, ==, 0);
  g_assert_cmpuint (f->rec->n_outcomes, ==, 0);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
  join_result_clear (&jr);
}

/* next_func: N + 1 calls (the last gives NULL), never after the end. */
static void
test_next_func_calls (Fixture       *f,
                      gconstpointer  data)
{
  const guint n = 10;
  g_autoptr(Input) in = input_new (f, n);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;

  TEST_SUMMARY ();

  in->slack = 3;
  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 3);
  stream_rec_start (srec);
  wait_finished (srec);
  g_assert_no_error (srec->error);
  assert_all_in_order (srec, n);
  g_assert_cmpint (in->n_calls, ==, n + 1);
  g_assert_cmpuint (in->n_returned_null, ==, 1);
  g_assert_cmpint (in->n_destroyed, ==, 1);

  iterate_for (f->ctx, 100);
  g_assert_cmpint (in->n_calls, ==, n + 1);

  release_stream (f, &stream);
  g_assert_cmpint (in->n_destroyed, ==, 1);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

/* The destroy notify of the input runs exactly once, whichever way the
 * stream ends. */
static void
test_destroy_once (Fixture       *f,
                   gconstpointer  data)
{
  TEST_SUMMARY ();

  /* never started */
  {
    g_autoptr(Input) in = input_new (f, 3);
    g_autoptr(StreamRec) srec = NULL;
    g_autoptr(GtaskSupStream) stream = input_map (in, &srec);

    g_clear_pointer (&srec, stream_rec_free);
    release_stream (f, &stream);
    g_assert_cmpint (in->n_calls, ==, 0);
    g_assert_cmpint (in->n_destroyed, ==, 1);
  }

  /* cancelled before start, never started */
  {
    g_autoptr(Input) in = input_new (f, 3);
    g_autoptr(StreamRec) srec = NULL;
    g_autoptr(GtaskSupStream) stream = input_map (in, &srec);

    stream_rec_cancel (srec);
    g_clear_pointer (&srec, stream_rec_free);
    release_stream (f, &stream);
    g_assert_cmpint (in->n_calls, ==, 0);
    g_assert_cmpint (in->n_destroyed, ==, 1);
  }

  /* cancelled while running, then dropped */
  {
    g_autoptr(Input) in = input_new (f, 3);
    g_autoptr(StreamRec) srec = NULL;
    g_autoptr(GtaskSupStream) stream = input_map (in, &srec);

    input_probe (in, 0)->block = TRUE;
    input_probe (in, 0)->cooperative = TRUE;
    gtask_sup_stream_set_max_concurrency (stream, 1);
    stream_rec_start (srec);
    iterate_until_int_eq (f->ctx, &input_probe (in, 0)->n_runs, 1, TEST_WAIT_MS);
    stream_rec_cancel (srec);
    wait_finished (srec);
    g_assert_cmpint (in->n_destroyed, ==, 1);
    stream_rec_assert_clean (srec);
    g_clear_pointer (&srec, stream_rec_free);
    release_stream (f, &stream);
    g_assert_cmpint (in->n_calls, ==, 1);
    g_assert_cmpint (in->n_destroyed, ==, 1);
  }

  /* started and dropped at once: the stream keeps itself alive, reads its
   * whole input and finishes */
  {
    g_autoptr(Input) in = input_new (f, 3);
    g_autoptr(StreamRec) srec = NULL;
    g_autoptr(GtaskSupStream) stream = input_map (in, &srec);
    gpointer weak = stream;

    g_object_add_weak_pointer (weak, &weak);
    stream_rec_start (srec);
    g_clear_object (&stream);
    g_assert_nonnull (weak);
    iterate_until (f->ctx, test_weak_null_cb, &weak, TEST_WAIT_MS);
    g_assert_cmpuint (srec->n_finished, ==, 1);
    g_assert_no_error (srec->error);
    assert_all_in_order (srec, 3);
    g_assert_cmpint (in->n_calls, ==, 4);
    g_assert_cmpint (in->n_destroyed, ==, 1);
    stream_rec_assert_clean (srec);
  }
}

/* Failures are outputs: the stream goes on, and their slots are reused. */
static void
test_failures_recycle_slots (Fixture       *f,
                             gconstpointer  data)
{
  const guint n = 12;
  g_autoptr(Input) in = input_new (f, n);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  guint i;

  TEST_SUMMARY ();

  for (i = 0; i < n; i++)
    {
      if (i % 3 == 1)
        input_probe (in, i)->result = PROBE_RESULT_ERROR;
      else if (i % 3 == 2)
        input_probe (in, i)->result = PROBE_RESULT_NONE;
    }
  in->slack = 2;

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 2);
  stream_rec_start (srec);
  wait_finished (srec);

  g_assert_no_error (srec->error);
  g_assert_cmpuint (srec->indexes->len, ==, n);
  for (i = 0; i < n; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (srec->tasks, i);

      g_assert_cmpuint (stream_rec_index (srec, i), ==, i);
      switch (i % 3)
        {
        case 0:
          g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
          g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (task)), ==, i * 10);
          break;
        case 1:
          g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);
          g_assert_error (gtask_sup_task_get_error (task), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
          break;
        case 2:
          g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_FAILED);
          g_assert_error (gtask_sup_task_get_error (task), GTASK_SUP_ERROR,
                          GTASK_SUP_ERROR_NO_RESULT);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  g_assert_cmpint (in->n_calls, ==, n + 1);
  g_assert_cmpuint (f->rec->n_failed, ==, 2 * n / 3);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

/* The owner is disposed while items run: the stream falls silent. */
static void
test_owner_finalized (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 6);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  g_autoptr(GtaskSupSupervisor) sup = NULL;
  JoinResult jr = { 0, };
  guint i;

  TEST_SUMMARY ();

  for (i = 1; i < 6; i++)
    {
      input_probe (in, i)->block = TRUE;
      input_probe (in, i)->cooperative = TRUE;
    }
  in->slack = 3;

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 3);
  stream_rec_start (srec);
  join_async (srec, NULL, &jr);

  wait_n_items (srec, 1);
  for (i = 1; i < 4; i++)
    iterate_until_int_eq (f->ctx, &input_probe (in, i)->n_runs, 1, TEST_WAIT_MS);

  /* the items complete as soon as they see the cancellable: their
   * outcomes must not be emitted, nor become items */
  in->stop = TRUE;
  f->rec->closed = TRUE;
  g_clear_object (&f->owner);

  for (i = 1; i < 4; i++)
    {
      iterate_until_int_eq (f->ctx, &input_probe (in, i)->n_returns, 1, TEST_WAIT_MS);
      g_assert_cmpint (g_atomic_int_get (&input_probe (in, i)->saw_cancel), ==, 1);
    }

  iterate_until (f->ctx, join_done_cb, &jr, TEST_WAIT_MS);
  g_assert_false (jr.ok);
  g_assert_error (jr.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (jr.n_wrong_context, ==, 0);

  iterate_for (f->ctx, 100);
  g_assert_cmpuint (srec->indexes->len, ==, 1);
  g_assert_cmpuint (srec->n_finished, ==, 0);
  g_assert_cmpint (in->n_calls, ==, 4);
  g_assert_cmpint (in->n_destroyed, ==, 1);
  g_assert_cmpuint (jr.n_calls, ==, 1);
  for (i = 4; i < 6; i++)
    g_assert_cmpint (g_atomic_int_get (&input_probe (in, i)->n_runs), ==, 0);
  /* the supervisor is gone from the stream */
  sup = gtask_sup_stream_dup_supervisor (stream);
  g_assert_null (sup);

  /* join_async on the silenced stream still completes, with CANCELLED */
  join_result_clear (&jr);
  jr.n_calls = 0;
  join_async (srec, NULL, &jr);
  iterate_until (f->ctx, join_done_cb, &jr, TEST_WAIT_MS);
  g_assert_error (jr.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (jr.n_sync, ==, 0);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
  join_result_clear (&jr);
}

typedef struct
{
  Fixture *f;
  guint    at;       /* the index whose item triggers the action */
  gboolean cancel;   /* cancel the stream; otherwise dispose the owner */
} ItemAction;

static void
item_action_cb (GtaskSupStream *stream,
                guint64         index,
                GtaskSupTask   *task,
                gpointer        user_data)
{
  ItemAction *action = user_data;

  if (index != action->at)
    return;

  if (action->cancel)
    gtask_sup_stream_cancel (stream);
  else
    {
      action->f->rec->closed = TRUE;
      g_clear_object (&action->f->owner);
    }
}

/* From an item handler: cancel the stream, or dispose the owner, of a
 * stream nobody else holds. Ordered: items done and waiting are dropped,
 * nothing is emitted after the handler (finished(CANCELLED) only for the
 * cancel), and the stream goes away. */
static void
stop_from_item (Fixture  *f,
                gboolean  cancel)
{
  g_autoptr(Input) in = input_new (f, 8);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  ItemAction action = { f, 1, cancel };
  gpointer weak;

  /* item 1 is done last: items 2, 3 and 4 wait for it, done */
  input_probe (in, 1)->block = TRUE;
  in->slack = 4;

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 4);
  g_signal_connect (stream, "item", G_CALLBACK (item_action_cb), &action);
  stream_rec_start (srec);
  weak = stream;
  g_object_add_weak_pointer (weak, &weak);
  g_clear_object (&stream);

  /* 0 is out; 2, 3 and 4 wait for 1: the stream is full */
  wait_n_outcomes (f->ctx, f->rec, 4, TEST_WAIT_MS);
  iterate_for (f->ctx, 20);
  g_assert_cmpuint (srec->indexes->len, ==, 1);
  g_assert_cmpint (in->n_calls, ==, 5);
  test_gate_open (&input_probe (in, 1)->gate);

  iterate_until (f->ctx, test_weak_null_cb, &weak, TEST_WAIT_MS);
  if (cancel)
    {
      g_assert_cmpuint (srec->n_finished, ==, 1);
      g_assert_error (srec->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
  else
    {
      iterate_for (f->ctx, 50);
      g_assert_cmpuint (srec->n_finished, ==, 0);
    }

  g_assert_cmpuint (srec->indexes->len, ==, 2);
  g_assert_cmpuint (stream_rec_index (srec, 1), ==, 1);
  g_assert_cmpint (in->n_calls, ==, 5);
  g_assert_cmpint (in->n_destroyed, ==, 1);
  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

typedef struct
{
  gboolean inside;      /* next_func runs */
  int      n_calls;
  int      n_destroyed;
  int      n_destroyed_inside;
} CancellingInput;

static GtaskSupTask *
cancelling_next (GtaskSupStream *stream,
                 guint64         index,
                 gpointer        data)
{
  CancellingInput *in = data;

  in->n_calls++;
  in->inside = TRUE;
  gtask_sup_stream_cancel (stream);
  in->inside = FALSE;

  return NULL;
}

static void
cancelling_destroy (gpointer data)
{
  CancellingInput *in = data;

  in->n_destroyed++;
  if (in->inside)
    in->n_destroyed_inside++;
}

static void
test_cancel_from_next_func (Fixture       *f,
                            gconstpointer  data)
{
  CancellingInput in = { 0, };
  g_autoptr(GtaskSupStream) stream = NULL;
  g_autoptr(StreamRec) srec = NULL;

  TEST_SUMMARY ();

  stream = gtask_sup_supervisor_map (f->sup, cancelling_next, &in, cancelling_destroy);
  srec = stream_rec_new (f, stream);
  stream_rec_start (srec);
  wait_finished (srec);

  g_assert_error (srec->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (in.n_calls, ==, 1);
  /* freed once, and never while the function that cancelled still ran */
  g_assert_cmpint (in.n_destroyed, ==, 1);
  g_assert_cmpint (in.n_destroyed_inside, ==, 0);
}

static void
test_cancel_from_item (Fixture       *f,
                       gconstpointer  data)
{
  TEST_SUMMARY ();
  stop_from_item (f, TRUE);
}

static void
test_owner_disposed_from_item (Fixture       *f,
                               gconstpointer  data)
{
  TEST_SUMMARY ();
  stop_from_item (f, FALSE);
}

/* Unordered: the first output's handler disposes the owner. */
static void
test_owner_disposed_from_item_unordered (Fixture       *f,
                                         gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 8);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  ItemAction action = { f, 0, FALSE };
  gpointer weak;
  guint i;

  TEST_SUMMARY ();

  for (i = 1; i < 8; i++)
    {
      input_probe (in, i)->block = TRUE;
      input_probe (in, i)->cooperative = TRUE;
    }
  in->slack = 4;

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 4);
  gtask_sup_stream_set_ordered (stream, FALSE);
  g_signal_connect (stream, "item", G_CALLBACK (item_action_cb), &action);
  stream_rec_start (srec);
  weak = stream;
  g_object_add_weak_pointer (weak, &weak);
  g_clear_object (&stream);

  iterate_until (f->ctx, test_weak_null_cb, &weak, TEST_WAIT_MS);
  /* An item still waiting for a worker when the owner went never runs; one
   * that ran saw its cancellable and returned. */
  for (i = 1; i < 4; i++)
    {
      Probe *p = input_probe (in, i);

      iterate_until_int_eq (f->ctx, &p->n_returns, g_atomic_int_get (&p->n_runs), TEST_WAIT_MS);
      if (g_atomic_int_get (&p->n_runs) > 0)
        g_assert_cmpint (g_atomic_int_get (&p->saw_cancel), ==, 1);
    }
  iterate_for (f->ctx, 50);
  g_assert_cmpuint (srec->n_finished, ==, 0);
  g_assert_cmpuint (srec->indexes->len, ==, 1);
  g_assert_cmpint (in->n_calls, ==, 4);
  g_assert_cmpint (in->n_destroyed, ==, 1);
  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

static void
test_retain (Fixture       *f,
             gconstpointer  data)
{
  const guint n = 8;
  g_autoptr(Input) in = input_new (f, n);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  GListModel *model;
  guint i;

  TEST_SUMMARY ();

  /* slowest first, unordered: the model follows the output order */
  for (i = 0; i < n; i++)
    input_probe (in, i)->work_ms = (n - i) * 10;
  stream = input_map (in, &srec);
  model = G_LIST_MODEL (stream);
  gtask_sup_stream_set_max_concurrency (stream, 0);
  gtask_sup_stream_set_ordered (stream, FALSE);
  stream_rec_start (srec);
  wait_finished (srec);

  g_assert_no_error (srec->error);
  g_assert_cmpuint (srec->indexes->len, ==, n);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n);
  g_assert_cmpuint (srec->n_items_changed, ==, n);
  g_assert_cmpuint (srec->shadow->len, ==, n);
  for (i = 0; i < n; i++)
    {
      g_autoptr(GtaskSupTask) item = g_list_model_get_item (model, i);

      g_assert_true (item == g_ptr_array_index (srec->tasks, i));
      g_assert_true (item == g_ptr_array_index (srec->shadow, i));
    }
  g_assert_null (g_list_model_get_item (model, n));

  /* the model does not change after finished */
  iterate_for (f->ctx, 20);
  g_assert_cmpuint (srec->n_items_changed, ==, n);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

static void
test_no_retain (Fixture       *f,
                gconstpointer  data)
{
  const guint n = 8;
  g_autoptr(Input) in = input_new (f, n);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  gpointer weak_tasks[8];
  guint i;

  TEST_SUMMARY ();

  stream = input_map (in, &srec);
  gtask_sup_stream_set_retain (stream, FALSE);
  gtask_sup_stream_set_max_concurrency (stream, 2);
  stream_rec_start (srec);
  wait_finished (srec);

  g_assert_no_error (srec->error);
  assert_all_in_order (srec, n);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (stream)), ==, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (stream), 0));
  g_assert_cmpuint (srec->n_items_changed, ==, 0);
  g_assert_cmpuint (gtask_sup_stream_get_n_outputs (stream), ==, n);

  /* the stream keeps nothing: the tasks go with the recorder's references */
  g_assert_cmpuint (n, <=, G_N_ELEMENTS (weak_tasks));
  for (i = 0; i < n; i++)
    {
      weak_tasks[i] = g_ptr_array_index (srec->tasks, i);
      g_object_add_weak_pointer (weak_tasks[i], &weak_tasks[i]);
      g_hash_table_remove (f->rec->outcomes, weak_tasks[i]);
    }
  g_ptr_array_set_size (srec->tasks, 0);
  for (i = 0; i < n; i++)
    iterate_until (f->ctx, test_weak_null_cb, &weak_tasks[i], TEST_WAIT_MS);
  g_assert_nonnull (stream);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

/* map_model over a GListStore of files: thread, async and subprocess items. */

typedef struct
{
  Fixture *f;
  int      n_calls;
  int      n_destroyed;
  guint    n_bad;
} ModelData;

static void
read_file_thread (GtaskSupTask *task,
                  GCancellable *cancellable,
                  gpointer      user_data)
{
  GFile *file = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  if (!g_file_load_contents (file, cancellable, &contents, NULL, NULL, &error))
    {
      gtask_sup_task_return_error (task, g_steal_pointer (&error));
    }
  else
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_STRING);
      g_value_take_string (&value, g_steal_pointer (&contents));
      gtask_sup_task_return_value (task, &value);
      g_value_unset (&value);
    }
}

static void
file_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GtaskSupTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, NULL, NULL, &error))
    {
      gtask_sup_task_return_error (task, g_steal_pointer (&error));
    }
  else
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_STRING);
      g_value_take_string (&value, contents);
      gtask_sup_task_return_value (task, &value);
      g_value_unset (&value);
    }
}

static void
read_file_async (GtaskSupTask *task,
                 GCancellable *cancellable,
                 gpointer      user_data)
{
  g_file_load_contents_async (G_FILE (user_data), cancellable, file_loaded_cb,
                              g_object_ref (task));
}

static GtaskSupTask *
file_task_new (GtaskSupStream *stream,
               gpointer        item,
               gpointer        user_data)
{
  ModelData *md = user_data;
  g_autofree char *name = NULL;
  guint64 i;

  md->n_calls++;
  if (!G_IS_FILE (item) || !g_main_context_is_owner (md->f->ctx))
    md->n_bad++;

  name = g_file_get_basename (G_FILE (item));
  g_assert_true (g_str_has_prefix (name, "item-"));
  i = g_ascii_strtoull (name + strlen ("item-"), NULL, 10);

  switch (i % 3)
    {
    case 0:
      return gtask_sup_task_new_thread (read_file_thread, g_object_ref (item), g_object_unref);
    case 1:
      return gtask_sup_task_new_async (read_file_async, g_object_ref (item), g_object_unref);
    case 2:
      {
        const char *argv[] = { "echo", name, NULL };

        return gtask_sup_task_new_subprocess (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
      }
    default:
      g_assert_not_reached ();
    }
}

static void
model_data_destroy (gpointer user_data)
{
  ((ModelData *) user_data)->n_destroyed++;
}

static void
test_map_model (Fixture       *f,
                gconstpointer  data)
{
  const guint n = 9;
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_FILE);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  ModelData md = { f, 0, 0, 0 };
  guint i;

  TEST_SUMMARY ();

  for (i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("item-%u", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(GError) error = NULL;

      g_file_set_contents (path, name, -1, &error);
      g_assert_no_error (error);
      g_list_store_append (store, file);
    }

  stream = gtask_sup_supervisor_map_model (f->sup, G_LIST_MODEL (store), file_task_new, &md,
                                           model_data_destroy);
  srec = stream_rec_new (f, stream);
  gtask_sup_stream_set_max_concurrency (stream, 3);
  stream_rec_start (srec);
  g_assert_cmpint (md.n_calls, ==, 0);
  wait_finished (srec);

  g_assert_no_error (srec->error);
  g_assert_cmpuint (srec->indexes->len, ==, n);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (stream)), ==, n);
  for (i = 0; i < n; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (srec->tasks, i);
      g_autofree char *name = g_strdup_printf ("item-%u", i);
      const GValue *value = gtask_sup_task_get_value (task);
      const GtaskSupTaskKind kinds[] = {
        GTASK_SUP_TASK_KIND_THREAD, GTASK_SUP_TASK_KIND_ASYNC, GTASK_SUP_TASK_KIND_SUBPROCESS,
      };

      g_assert_cmpuint (stream_rec_index (srec, i), ==, i);
      g_assert_no_error (gtask_sup_task_get_error (task));
      g_assert_cmpint (gtask_sup_task_get_state (task), ==, GTASK_SUP_TASK_STATE_SUCCEEDED);
      g_assert_cmpint (gtask_sup_task_get_kind (task), ==, kinds[i % 3]);
      g_assert_nonnull (value);
      if (i % 3 == 2)
        {
          g_autofree char *expected = g_strdup_printf ("%s\n", name);
          GBytes *bytes;

          g_assert_true (G_VALUE_HOLDS (value, G_TYPE_BYTES));
          bytes = g_value_get_boxed (value);
          g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                           expected, strlen (expected));
        }
      else
        {
          g_assert_true (G_VALUE_HOLDS_STRING (value));
          g_assert_cmpstr (g_value_get_string (value), ==, name);
        }
    }
  /* n items and the position past the end */
  g_assert_cmpint (md.n_calls, ==, n);
  g_assert_cmpint (md.n_destroyed, ==, 1);
  g_assert_cmpuint (md.n_bad, ==, 0);

  stream_rec_assert_clean (srec);
  g_clear_pointer (&srec, stream_rec_free);
  release_stream (f, &stream);
  g_assert_cmpint (md.n_destroyed, ==, 1);
  test_tmpdir_remove (dir);
}

/* An endless input: the next function is called only as outputs come. */
static void
test_back_pressure (Fixture       *f,
                    gconstpointer  data)
{
  const guint target = test_count (60, 20);

  TEST_SUMMARY ();

  for (int ordered = 1; ordered >= 0; ordered--)
    {
      g_autoptr(Input) in = input_new (f, 0);
      g_autoptr(StreamRec) srec = NULL;
      g_autoptr(GtaskSupStream) stream = NULL;
      int calls;
      guint i;

      g_test_message ("ordered %d", ordered);

      in->endless = TRUE;
      in->slack = 2;
      stream = input_map (in, &srec);
      gtask_sup_stream_set_max_concurrency (stream, 2);
      gtask_sup_stream_set_ordered (stream, ordered);
      gtask_sup_stream_set_retain (stream, FALSE);
      stream_rec_start (srec);

      wait_n_items (srec, target);
      g_assert_cmpint (in->n_calls, <=, srec->indexes->len + 2);
      g_assert_cmpuint (in->n_over, ==, 0);

      stream_rec_cancel (srec);
      in->stop = TRUE;
      calls = in->n_calls;
      wait_finished (srec);
      g_assert_error (srec->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      iterate_for (f->ctx, 50);
      g_assert_cmpint (in->n_calls, ==, calls);
      g_assert_cmpint (in->n_destroyed, ==, 1);
      g_assert_cmpuint (in->n_returned_null, ==, 0);

      if (ordered)
        for (i = 0; i < srec->indexes->len; i++)
          g_assert_cmpuint (stream_rec_index (srec, i), ==, i);
      for (i = 0; i < srec->indexes->len; i++)
        g_assert_cmpint (g_value_get_int64 (gtask_sup_task_get_value (g_ptr_array_index (srec->tasks, i))),
                         ==, (gint64) stream_rec_index (srec, i));

      stream_rec_assert_clean (srec);
      input_assert_clean (in);
    }
}

/* Items reported by one dispatch are replaced after all of them were
 * emitted, in one go (so that workers get a batch). */
typedef struct
{
  guint   n_calls;     /* next_func calls that returned an item */
  GArray *calls_seen;  /* n_calls when each ::item ran */
  gboolean finished;
} BatchInput;

static GtaskSupTask *
batch_next (GtaskSupStream *stream,
            guint64         index,
            gpointer        user_data)
{
  BatchInput *in = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  if (index >= 12)
    return NULL;

  in->n_calls++;
  g_value_init (&value, G_TYPE_UINT64);
  g_value_set_uint64 (&value, index);

  return gtask_sup_task_new_completed (&value);
}

static void
batch_item_cb (GtaskSupStream *stream,
               guint64         index,
               GtaskSupTask   *task,
               gpointer        user_data)
{
  BatchInput *in = user_data;

  g_array_append_val (in->calls_seen, in->n_calls);
}

static void
batch_finished_cb (GtaskSupStream *stream,
                   const GError   *error,
                   gpointer        user_data)
{
  g_assert_no_error (error);
  ((BatchInput *)user_data)->finished = TRUE;
}

static gboolean
batch_finished (gpointer data)
{
  return ((BatchInput *)data)->finished;
}

static void
test_refill_in_batches (Fixture       *f,
                        gconstpointer  data)
{
  BatchInput in = { 0, g_array_new (FALSE, FALSE, sizeof (guint)), FALSE };
  g_autoptr(GtaskSupStream) stream = NULL;

  TEST_SUMMARY ();

  stream = gtask_sup_supervisor_map (f->sup, batch_next, &in, NULL);
  gtask_sup_stream_set_max_concurrency (stream, 4);
  gtask_sup_stream_set_read_ahead (stream, 0);
  g_signal_connect (stream, "item", G_CALLBACK (batch_item_cb), &in);
  g_signal_connect (stream, "finished", G_CALLBACK (batch_finished_cb), &in);
  gtask_sup_stream_start (stream);
  iterate_until (f->ctx, batch_finished, &in, TEST_WAIT_MS);

  /* Completed items: the four of a fill are decided together and reported
   * by one dispatch, and the next four start only after the last of them. */
  g_assert_cmpuint (in.calls_seen->len, ==, 12);
  for (guint i = 0; i < 12; i++)
    g_assert_cmpuint (g_array_index (in.calls_seen, guint, i), ==, 4 * (i / 4 + 1));

  g_signal_handlers_disconnect_by_data (stream, &in);
  g_array_unref (in.calls_seen);
}

/* max-children 2 below the stream's max-concurrency 5: refused items are
 * started again when a task ends, and all complete. */
static void
test_max_children (Fixture       *f,
                   gconstpointer  data)
{
  const guint n = 12;
  g_autoptr(Input) in = input_new (f, n);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  PeakShared shared = { 0, };

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_children (f->sup, 2);
  shared.wait_peak = 2;
  in->peak = &shared;
  in->slack = 5;

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 5);
  stream_rec_start (srec);
  wait_finished (srec);

  g_assert_no_error (srec->error);
  assert_all_in_order (srec, n);
  g_assert_cmpint (g_atomic_int_get (&shared.peak), ==, 2);
  g_assert_cmpint (in->n_calls, ==, n + 1);
  g_assert_cmpuint (f->rec->n_succeeded, ==, n);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

/* max-children 1, taken by a task that is not the stream's: the stream's
 * first item is refused, and started once that task ends. */
static void
test_max_children_busy (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 3);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  g_autoptr(Probe) other = probe_new_blocking (FALSE);
  g_autoptr(GtaskSupTask) other_task = NULL;

  TEST_SUMMARY ();

  gtask_sup_supervisor_set_max_children (f->sup, 1);
  other_task = probe_task_new (other);
  fixture_start (f, other_task);
  iterate_until_int_eq (f->ctx, &other->n_runs, 1, TEST_WAIT_MS);

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 2);
  stream_rec_start (srec);
  iterate_for (f->ctx, 50);
  g_assert_no_error (srec->error);
  g_assert_cmpuint (srec->n_finished, ==, 0);
  g_assert_cmpuint (srec->indexes->len, ==, 0);
  g_assert_cmpint (g_atomic_int_get (&input_probe (in, 0)->n_runs), ==, 0);

  test_gate_open (&other->gate);
  wait_finished (srec);
  g_assert_no_error (srec->error);
  assert_all_in_order (srec, 3);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
}

/* The supervisor shuts down under a running stream: it finishes with the
 * error that refused its next item, CLOSED. */
static void
test_supervisor_closed (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 6);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  JoinResult jr = { 0, };
  guint i;

  TEST_SUMMARY ();

  for (i = 0; i < 6; i++)
    {
      input_probe (in, i)->block = TRUE;
      input_probe (in, i)->cooperative = TRUE;
    }
  in->slack = 2;

  stream = input_map (in, &srec);
  gtask_sup_stream_set_max_concurrency (stream, 2);
  stream_rec_start (srec);
  join_async (srec, NULL, &jr);
  for (i = 0; i < 2; i++)
    iterate_until_int_eq (f->ctx, &input_probe (in, i)->n_runs, 1, TEST_WAIT_MS);

  gtask_sup_supervisor_shutdown_async (f->sup, NULL, NULL, NULL);
  wait_finished (srec);
  g_assert_error (srec->error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
  in->stop = TRUE;
  g_assert_cmpuint (srec->indexes->len, <=, 2);
  iterate_until (f->ctx, join_done_cb, &jr, TEST_WAIT_MS);
  g_assert_error (jr.error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
  wait_stopped (f->ctx, f->rec, TEST_WAIT_MS);
  for (i = 2; i < 6; i++)
    g_assert_cmpint (g_atomic_int_get (&input_probe (in, i)->n_runs), ==, 0);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
  join_result_clear (&jr);
}

static void
test_join_async (Fixture       *f,
                 gconstpointer  data)
{
  TEST_SUMMARY ();

  /* success: joined before start, while running and after finished */
  {
    g_autoptr(Input) in = input_new (f, 4);
    g_autoptr(StreamRec) srec = NULL;
    g_autoptr(GtaskSupStream) stream = input_map (in, &srec);
    JoinResult before = { 0, }, during = { 0, }, after = { 0, };

    join_async (srec, NULL, &before);
    stream_rec_start (srec);
    join_async (srec, NULL, &during);
    wait_finished (srec);
    join_async (srec, NULL, &after);
    g_assert_cmpuint (after.n_calls, ==, 0);
    iterate_until (f->ctx, join_done_cb, &before, TEST_WAIT_MS);
    iterate_until (f->ctx, join_done_cb, &during, TEST_WAIT_MS);
    iterate_until (f->ctx, join_done_cb, &after, TEST_WAIT_MS);
    iterate_for (f->ctx, 20);

    g_assert_true (before.ok);
    g_assert_no_error (before.error);
    g_assert_true (during.ok);
    g_assert_no_error (during.error);
    g_assert_true (after.ok);
    g_assert_no_error (after.error);
    g_assert_cmpuint (before.n_calls + during.n_calls + after.n_calls, ==, 3);
    g_assert_cmpuint (before.n_sync + during.n_sync + after.n_sync, ==, 0);
    g_assert_cmpuint (before.n_wrong_context + during.n_wrong_context +
                      after.n_wrong_context, ==, 0);
    stream_rec_assert_clean (srec);
  }

  /* failure: a cancelled stream, joined while running and after finished */
  {
    g_autoptr(Input) in = input_new (f, 4);
    g_autoptr(StreamRec) srec = NULL;
    g_autoptr(GtaskSupStream) stream = input_map (in, &srec);
    JoinResult during = { 0, }, after = { 0, };

    input_probe (in, 0)->block = TRUE;
    input_probe (in, 0)->cooperative = TRUE;
    stream_rec_start (srec);
    join_async (srec, NULL, &during);
    iterate_until_int_eq (f->ctx, &input_probe (in, 0)->n_runs, 1, TEST_WAIT_MS);
    stream_rec_cancel (srec);
    iterate_until (f->ctx, join_done_cb, &during, TEST_WAIT_MS);
    g_assert_cmpuint (srec->n_finished, ==, 1);
    join_async (srec, NULL, &after);
    g_assert_cmpuint (after.n_calls, ==, 0);
    iterate_until (f->ctx, join_done_cb, &after, TEST_WAIT_MS);

    g_assert_false (during.ok);
    g_assert_error (during.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_false (after.ok);
    g_assert_error (after.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpuint (during.n_sync + after.n_sync, ==, 0);
    stream_rec_assert_clean (srec);
    join_result_clear (&during);
    join_result_clear (&after);
  }
}

/* The join's own cancellable stops the wait, not the stream. */
static void
test_join_async_cancellable (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 2);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  JoinResult jr = { 0, };

  TEST_SUMMARY ();

  input_probe (in, 0)->block = TRUE;
  stream = input_map (in, &srec);
  stream_rec_start (srec);
  join_async (srec, cancellable, &jr);
  iterate_until_int_eq (f->ctx, &input_probe (in, 0)->n_runs, 1, TEST_WAIT_MS);

  g_cancellable_cancel (cancellable);
  iterate_until (f->ctx, join_done_cb, &jr, TEST_WAIT_MS);
  g_assert_false (jr.ok);
  g_assert_error (jr.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* the stream goes on */
  g_assert_cmpuint (srec->n_finished, ==, 0);

  test_gate_open (&input_probe (in, 0)->gate);
  wait_finished (srec);
  g_assert_no_error (srec->error);
  assert_all_in_order (srec, 2);
  iterate_for (f->ctx, 20);
  g_assert_cmpuint (jr.n_calls, ==, 1);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
  join_result_clear (&jr);
}

/* A stream made before the owner was disposed, started after: it never
 * asks for an item and emits nothing; join_async gives CANCELLED. */
static void
test_owner_gone_before_start (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 3);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  JoinResult jr = { 0, };

  TEST_SUMMARY ();

  stream = input_map (in, &srec);
  f->rec->closed = TRUE;
  g_clear_object (&f->owner);

  stream_rec_start (srec);
  join_async (srec, NULL, &jr);
  iterate_until (f->ctx, join_done_cb, &jr, TEST_WAIT_MS);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (in->n_calls, ==, 0);
  g_assert_cmpuint (srec->n_finished, ==, 0);
  g_assert_error (jr.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
  join_result_clear (&jr);
}

/* The supervisor is finalized before the stream made from it is started. */
static void
test_supervisor_gone_before_start (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(Input) in = input_new (f, 3);
  g_autoptr(StreamRec) srec = NULL;
  g_autoptr(GtaskSupStream) stream = NULL;
  g_autoptr(GtaskSupSupervisor) sup = NULL;
  JoinResult jr = { 0, };
  gpointer weak;

  TEST_SUMMARY ();

  stream = input_map (in, &srec);
  recorder_disconnect (f->rec);
  weak = f->sup;
  g_object_add_weak_pointer (weak, &weak);
  g_clear_object (&f->sup);
  g_assert_null (weak);

  sup = gtask_sup_stream_dup_supervisor (stream);
  g_assert_null (sup);
  stream_rec_start (srec);
  join_async (srec, NULL, &jr);
  iterate_until (f->ctx, join_done_cb, &jr, TEST_WAIT_MS);
  g_assert_error (jr.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_for (f->ctx, 50);
  g_assert_cmpint (in->n_calls, ==, 0);
  g_assert_cmpuint (srec->n_finished, ==, 0);

  stream_rec_assert_clean (srec);
  input_assert_clean (in);
  join_result_clear (&jr);
}

/* Two streams share a supervisor: each gets its own items. */
static void
test_two_streams (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(Input) in_a = input_new (f, 5);
  g_autoptr(Input) in_b = input_new (f, 7);
  g_autoptr(StreamRec) srec_a = NULL;
  g_autoptr(StreamRec) srec_b = NULL;
  g_autoptr(GtaskSupStream) a = NULL;
  g_autoptr(GtaskSupStream) b = NULL;

  TEST_SUMMARY ();

  in_a->slack = 2;
  in_b->slack = 3;
  a = input_map (in_a, &srec_a);
  b = input_map (in_b, &srec_b);
  gtask_sup_stream_set_max_concurrency (a, 2);
  gtask_sup_stream_set_max_concurrency (b, 3);
  stream_rec_start (srec_a);
  stream_rec_start (srec_b);
  wait_finished (srec_a);
  wait_finished (srec_b);

  g_assert_no_error (srec_a->error);
  g_assert_no_error (srec_b->error);
  assert_all_in_order (srec_a, 5);
  assert_all_in_order (srec_b, 7);
  g_assert_cmpuint (f->rec->n_succeeded, ==, 12);

  stream_rec_assert_clean (srec_a);
  stream_rec_assert_clean (srec_b);
  input_assert_clean (in_a);
  input_assert_clean (in_b);
}

/* -------------------------------------------------------------------------- */
/* Inputs that are not ready, pushed inputs, inputs zipped with their items   */
/* -------------------------------------------------------------------------- */

static GtaskSupTask *
completed_item (gint64 v)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, v);
  return test_track_task (gtask_sup_task_new_completed (&value));
}

typedef struct
{
  guint   available;   /* items the producer has made so far */
  guint   total;       /* then the input ends */
  guint   n_calls;
  guint   n_waits;
} Producer;

static GtaskSupTask *
producer_next (GtaskSupStream *stream,
               guint64         index,
               gpointer        data)
{
  Producer *p = data;

  p->n_calls++;
  if (index < p->available)
    return completed_item (index * 10);
  if (index >= p->total)
    return NULL;

  /* Not ready yet: no placeholder task, the stream pauses. */
  gtask_sup_stream_wait_for_input (stream);
  p->n_waits++;
  return NULL;
}

static void
test_input_not_ready (Fixture       *f,
                      gconstpointer  data)
{
  Producer p = { 2, 5, 0, 0 };
  g_autoptr(GtaskSupStream) stream = gtask_sup_supervisor_map (f->sup, producer_next, &p, NULL);
  g_autoptr(StreamRec) srec = stream_rec_new (f, stream);

  TEST_SUMMARY ();

  stream_rec_start (srec);
  wait_n_items (srec, 2);
  iterate_for (f->ctx, 30);
  /* Paused, not finished, and not asking again. */
  g_assert_cmpuint (srec->n_finished, ==, 0);
  g_assert_cmpuint (p.n_waits, ==, 1);
  g_assert_cmpuint (p.n_calls, ==, 3);

  p.available = 4;
  srec->in_call = TRUE;
  gtask_sup_stream_input_ready (stream);
  gtask_sup_stream_input_ready (stream);
  srec->in_call = FALSE;
  g_assert_cmpuint (p.n_calls, ==, 3);
  wait_n_items (srec, 4);
  iterate_for (f->ctx, 30);
  g_assert_cmpuint (srec->n_finished, ==, 0);
  g_assert_cmpuint (p.n_waits, ==, 2);

  /* The producer made the last one, then the input ends. */
  p.available = 5;
  gtask_sup_stream_input_ready (stream);
  wait_finished (srec);
  g_assert_no_error (srec->error);
  assert_all_in_order (srec, 5);
  stream_rec_assert_clean (srec);
}

typedef struct
{
  int       n_done;
  int       n_ok;
  GError   *error;
} PushLog;

static void
push_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PushLog *log = user_data;
  g_autoptr(GError) error = NULL;

  if (gtask_sup_stream_push_finish (GTASK_SUP_STREAM (source), result, &error))
    log->n_ok++;
  else if (log->error == NULL)
    log->error = g_steal_pointer (&error);
  log->n_done++;
}

static void
test_push (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GtaskSupStream) stream = gtask_sup_supervisor_map_push (f->sup);
  g_autoptr(StreamRec) srec = stream_rec_new (f, stream);
  g_autoptr(Probe) blocker = probe_new_blocking (FALSE);
  g_autoptr(GtaskSupTask) first = NULL;
  g_autoptr(GtaskSupTask) late = NULL;
  PushLog log = { 0, };
  PushLog closed = { 0, };

  TEST_SUMMARY ();

  gtask_sup_stream_set_max_concurrency (stream, 1);
  gtask_sup_stream_set_read_ahead (stream, 1);
  blocker->result = PROBE_RESULT_INT;
  blocker->value = 0;
  first = test_track_task (probe_task_new (blocker));

  /* Pushed before it starts: taken once it runs. */
  gtask_sup_stream_push_async (stream, first, NULL, push_done_cb, &log);
  for (gint64 i = 1; i < 5; i++)
    {
      g_autoptr(GtaskSupTask) item = completed_item (i * 10);

      gtask_sup_stream_push_async (stream, item, NULL, push_done_cb, &log);
    }
  stream_rec_start (srec);

  /* Back-pressure: while the first item blocks, the stream takes it and
   * one read-ahead item; the other pushes wait for room. */
  iterate_until_int_eq (f->ctx, &blocker->n_runs, 1, TEST_WAIT_MS);
  iterate_for (f->ctx, 30);
  g_assert_cmpint (log.n_done, ==, 2);
  g_assert_cmpuint (srec->indexes->len, ==, 0);

  test_gate_open (&blocker->gate);
  wait_n_items (srec, 5);
  iterate_until_int_eq (f->ctx, &log.n_done, 5, TEST_WAIT_MS);
  g_assert_cmpint (log.n_ok, ==, 5);
  g_assert_cmpuint (srec->n_finished, ==, 0);

  /* Closing the input ends it; a later push fails. */
  gtask_sup_stream_close_input (stream);
  late = test_track_task (gtask_sup_task_new_completed (NULL));
  gtask_sup_stream_push_async (stream, late, NULL, push_done_cb, &closed);
  wait_finished (srec);
  g_assert_no_error (srec->error);
  assert_all_in_order (srec, 5);
  iterate_until_int_eq (f->ctx, &closed.n_done, 1, TEST_WAIT_MS);
  g_assert_error (closed.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&closed.error);
  g_assert_cmpint (gtask_sup_task_get_state (late), ==, GTASK_SUP_TASK_STATE_NEW);
  stream_rec_assert_clean (srec);
}

static void
test_push_cancelled (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GtaskSupStream) stream = gtask_sup_supervisor_map_push (f->sup);
  g_autoptr(StreamRec) srec = stream_rec_new (f, stream);
  g_autoptr(Probe) blocker = probe_new_blocking (FALSE);
  g_autoptr(GtaskSupTask) first = NULL;
  g_autoptr(GtaskSupTask) waiting = NULL;
  g_autoptr(GtaskSupTask) left = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  PushLog log = { 0, };
  PushLog cancelled = { 0, };
  PushLog dropped = { 0, };

  TEST_SUMMARY ();

  gtask_sup_stream_set_max_concurrency (stream, 1);
  gtask_sup_stream_set_read_ahead (stream, 0);
  first = test_track_task (probe_task_new (blocker));
  waiting = test_track_task (gtask_sup_task_new_completed (NULL));
  left = test_track_task (gtask_sup_task_new_completed (NULL));
  gtask_sup_stream_push_async (stream, first, NULL, push_done_cb, &log);
  gtask_sup_stream_push_async (stream, waiting, cancellable, push_done_cb, &cancelled);
  gtask_sup_stream_push_async (stream, left, NULL, push_done_cb, &dropped);
  stream_rec_start (srec);
  iterate_until_int_eq (f->ctx, &log.n_done, 1, TEST_WAIT_MS);

  /* A push waiting for room is taken back. */
  g_cancellable_cancel (cancellable);
  iterate_until_int_eq (f->ctx, &cancelled.n_done, 1, TEST_WAIT_MS);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&cancelled.error);
  g_assert_cmpint (gtask_sup_task_get_state (waiting), ==, GTASK_SUP_TASK_STATE_NEW);

  /* A stream that finishes fails the pushes left. */
  stream_rec_cancel (srec);
  wait_finished (srec);
  iterate_until_int_eq (f->ctx, &dropped.n_done, 1, TEST_WAIT_MS);
  g_assert_error (dropped.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&dropped.error);
  test_gate_open (&blocker->gate);
  stream_rec_assert_clean (srec);
}

static GtaskSupTask *
fail_for_item (GtaskSupStream *stream,
               gpointer        item,
               gpointer        user_data)
{
  const char *name = g_object_get_data (G_OBJECT (item), "name");
  GtaskSupTask *task;

  if (g_str_equal (name, "bad"))
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad item");

      task = gtask_sup_task_new_failed (error);
    }
  else
    task = gtask_sup_task_new_completed (NULL);

  return test_track_task (task);
}

static void
test_input_zipped (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(GtaskSupStream) stream = NULL;
  g_autoptr(StreamRec) srec = NULL;
  const char *names[] = { "good", "bad", "good" };
  GtaskSupTask *failed;

  TEST_SUMMARY ();

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GObject) item = g_object_new (G_TYPE_OBJECT, NULL);

      g_object_set_data (item, "name", (gpointer)names[i]);
      g_list_store_append (store, item);
    }

  stream = gtask_sup_supervisor_map_model (f->sup, G_LIST_MODEL (store), fail_for_item, NULL, NULL);
  srec = stream_rec_new (f, stream);
  stream_rec_start (srec);
  wait_finished (srec);

  /* The failed item carries its index and its input. */
  g_assert_cmpuint (srec->indexes->len, ==, 3);
  g_assert_cmpuint (stream_rec_index (srec, 1), ==, 1);
  failed = g_ptr_array_index (srec->tasks, 1);
  g_assert_cmpint (gtask_sup_task_get_state (failed), ==, GTASK_SUP_TASK_STATE_FAILED);
  g_assert_true (gtask_sup_task_get_input (failed) ==
                 g_list_model_get_item (G_LIST_MODEL (store), 1));
  g_object_unref (gtask_sup_task_get_input (failed));
  g_assert_cmpstr (g_object_get_data (gtask_sup_task_get_input (failed), "name"), ==, "bad");
  stream_rec_assert_clean (srec);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  TEST_ADD ("/GtaskSup/Stream/input-not-ready", test_input_not_ready,
            "A next function that waits for input pauses the stream, without placeholder "
            "tasks, until input_ready()");
  TEST_ADD ("/GtaskSup/Stream/push", test_push,
            "Pushed items are taken as there is room (back-pressure); close_input() ends the "
            "stream, later pushes fail");
  TEST_ADD ("/GtaskSup/Stream/push-cancelled", test_push_cancelled,
            "A waiting push is taken back by its cancellable; the stream's end fails the rest");
  TEST_ADD ("/GtaskSup/Stream/input-zipped", test_input_zipped,
            "A failed item of map_model() carries its index and its input item");
  TEST_ADD ("/GtaskSup/Stream/defaults", test_defaults,
            "A new stream: max-concurrency = processors, ordered, timeout -1, EXIT, retain, "
            "an empty model; setters notify on real change and are refused once started");
  TEST_ADD ("/GtaskSup/Stream/ordered-slowest-first", test_ordered_slowest_first,
            "Slowest item first: outputs in input order with correct values for "
            "max-concurrency below, equal to and above the item count, and unlimited");
  TEST_ADD ("/GtaskSup/Stream/peak-concurrency", test_peak_concurrency,
            "24 items, max-concurrency 3: exactly 3 functions run at once at the peak, "
            "ordered and unordered");
  TEST_ADD ("/GtaskSup/Stream/completion-order", test_completion_order,
            "Unordered outputs come in completion order; ordered ones wait for the earlier "
            "items, and a done item waiting does not count as running");
  TEST_ADD ("/GtaskSup/Stream/ordered-waiting-keeps-slot", test_ordered_waiting_keeps_slot,
            "Ordered: a done item waiting for an earlier one keeps its slot");
  TEST_ADD ("/GtaskSup/Stream/kill-task", test_kill_task,
            "KILL_TASK, durations [100,1,100,1] ms, timeout 50: [T,1,T,1] ordered, "
            "[1,1,T,T] unordered, the stream succeeds");
  TEST_ADD ("/GtaskSup/Stream/item-own-timeout", test_item_own_timeout,
            "The stream's timeout applies only to items without their own");
  TEST_ADD ("/GtaskSup/Stream/exit-on-timeout", test_exit_on_timeout,
            "EXIT: the stream finishes with TIMED_OUT, in-flight items are cancelled, "
            "nothing is emitted or asked for afterwards");
  TEST_ADD ("/GtaskSup/Stream/cancel", test_cancel,
            "cancel(): items cancelled, no children left, finished(CANCELLED) later, not "
            "inside cancel(); the input is not read any more");
  TEST_ADD ("/GtaskSup/Stream/cancel-before-start", test_cancel_before_start,
            "Cancelled before start(): finished(CANCELLED) after start(), input never read");
  TEST_ADD ("/GtaskSup/Stream/empty", test_empty,
            "An empty input finishes successfully from a later iteration, not inside start()");
  TEST_ADD ("/GtaskSup/Stream/next-func-calls", test_next_func_calls,
            "next_func is called N + 1 times, with consecutive indexes, never after the end");
  TEST_ADD ("/GtaskSup/Stream/destroy-once", test_destroy_once,
            "The input's destroy notify runs once: never started, cancelled, dropped while "
            "running (the stream keeps itself alive until finished)");
  TEST_ADD ("/GtaskSup/Stream/failures-recycle-slots", test_failures_recycle_slots,
            "Failed items are outputs; the stream goes on with their slots and succeeds");
  TEST_ADD ("/GtaskSup/Stream/owner-finalized", test_owner_finalized,
            "Owner disposed mid-stream: items cancelled, no item nor finished after, "
            "join_async gives CANCELLED");
  TEST_ADD ("/GtaskSup/Stream/cancel-from-next-func", test_cancel_from_next_func,
            "cancel() from inside next_func: the stream finishes with CANCELLED, and the "
            "function's data is freed once, after it returned (a binding's closure)");
  TEST_ADD ("/GtaskSup/Stream/cancel-from-item", test_cancel_from_item,
            "cancel() from an item handler of an unreferenced ordered stream: waiting items "
            "dropped, finished(CANCELLED), the stream goes away");
  TEST_ADD ("/GtaskSup/Stream/owner-disposed-from-item", test_owner_disposed_from_item,
            "Owner disposed from an item handler of an unreferenced ordered stream: waiting "
            "items dropped, nothing more emitted, the stream goes away");
  TEST_ADD ("/GtaskSup/Stream/owner-disposed-from-item-unordered",
            test_owner_disposed_from_item_unordered,
            "Owner disposed from the first item handler of an unreferenced unordered stream: "
            "items cancelled, nothing more emitted, the stream goes away");
  TEST_ADD ("/GtaskSup/Stream/retain", test_retain,
            "retain: the stream's model holds every task in output order, items-changed on "
            "the owner context");
  TEST_ADD ("/GtaskSup/Stream/no-retain", test_no_retain,
            "retain FALSE: the model stays empty and the stream keeps no task");
  TEST_ADD ("/GtaskSup/Stream/map-model", test_map_model,
            "map_model over a GListStore of files: thread, async and subprocess items");
  TEST_ADD ("/GtaskSup/Stream/back-pressure", test_back_pressure,
            "Endless input, max-concurrency 2: next_func is called at most outputs + 2 "
            "times; cancel() stops it");
  TEST_ADD ("/GtaskSup/Stream/max-children", test_max_children,
            "Supervisor max-children below the stream's max-concurrency: refused items are "
            "retried and all complete");
  TEST_ADD ("/GtaskSup/Stream/max-children-busy", test_max_children_busy,
            "max-children taken by another task: the stream's first item waits for it");
  TEST_ADD ("/GtaskSup/Stream/supervisor-closed", test_supervisor_closed,
            "Supervisor shutdown under a stream: it finishes with CLOSED");
  TEST_ADD ("/GtaskSup/Stream/join-async", test_join_async,
            "join_async: TRUE on success, the error otherwise, never synchronously, also "
            "after finished");
  TEST_ADD ("/GtaskSup/Stream/join-async-cancellable", test_join_async_cancellable,
            "Cancelling the join's cancellable ends the join with CANCELLED, the stream goes on");
  TEST_ADD ("/GtaskSup/Stream/owner-gone-before-start", test_owner_gone_before_start,
            "A stream started after its owner was disposed emits nothing and never reads "
            "its input");
  TEST_ADD ("/GtaskSup/Stream/supervisor-gone-before-start", test_supervisor_gone_before_start,
            "A stream started after its supervisor was finalized emits nothing");
  TEST_ADD ("/GtaskSup/Stream/two-streams", test_two_streams,
            "Two streams on one supervisor each get their own items");
  TEST_ADD ("/GtaskSup/Stream/refill-in-batches", test_refill_in_batches,
            "The items that replace those one dispatch reported start after all of them");

  return g_test_run ();
}
