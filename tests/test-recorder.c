/* test-recorder.c: the Recorder of a supervisor's signals and notifies
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-recorder.h"

static void
outcome_free (gpointer data)
{
  Outcome *o = data;

  g_clear_object (&o->task);
  g_clear_error (&o->error);
  g_free (o);
}

/* Checks that we run on the recorder's thread, inside a dispatch of its
 * context, and that the test did not forbid emissions. */
static void
recorder_check (Recorder *rec,
                gboolean  need_source)
{
  GSource *source = g_main_current_source ();

  if (g_thread_self () != rec->thread || !g_main_context_is_owner (rec->ctx))
    g_atomic_int_inc (&rec->n_wrong_context);
  else if (need_source && (source == NULL || g_source_get_context (source) != rec->ctx))
    g_atomic_int_inc (&rec->n_wrong_context);
  if (rec->in_call)
    g_atomic_int_inc (&rec->n_sync);
  if (rec->closed)
    g_atomic_int_inc (&rec->n_after_close);
}

static void
recorder_record (Recorder     *rec,
                 GtaskSupTask *task,
                 OutcomeKind   kind,
                 const GError *error)
{
  Outcome *o;
  GtaskSupTaskState expected;

  recorder_check (rec, TRUE);

  switch (kind)
    {
    case OUTCOME_SUCCEEDED:
      expected = GTASK_SUP_TASK_STATE_SUCCEEDED;
      rec->n_succeeded++;
      /* (return_value (task, NULL) succeeds without a value) */
      if (gtask_sup_task_get_error (task) != NULL)
        g_atomic_int_inc (&rec->n_wrong_state);
      break;
    case OUTCOME_FAILED:
      expected = GTASK_SUP_TASK_STATE_FAILED;
      rec->n_failed++;
      if (error == NULL || gtask_sup_task_get_error (task) == NULL ||
          !g_error_matches (gtask_sup_task_get_error (task), error->domain, error->code) ||
          gtask_sup_task_get_value (task) != NULL)
        g_atomic_int_inc (&rec->n_wrong_state);
      break;
    case OUTCOME_TIMED_OUT:
      expected = GTASK_SUP_TASK_STATE_TIMED_OUT;
      rec->n_timed_out++;
      if (!g_error_matches (gtask_sup_task_get_error (task), G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
          gtask_sup_task_get_value (task) != NULL)
        g_atomic_int_inc (&rec->n_wrong_state);
      break;
    default:
      g_assert_not_reached ();
    }

  if (gtask_sup_task_get_state (task) != expected)
    g_atomic_int_inc (&rec->n_wrong_state);

  o = g_hash_table_lookup (rec->outcomes, task);
  if (o == NULL)
    {
      o = g_new0 (Outcome, 1);
      o->task = g_object_ref (task);
      o->kind = kind;
      o->error = error != NULL ? g_error_copy (error) : NULL;
      o->time_us = g_get_monotonic_time ();
      o->seq = rec->n_outcomes;
      g_hash_table_insert (rec->outcomes, task, o);
    }
  else
    g_atomic_int_inc (&rec->n_duplicate);

  o->count++;
  rec->n_outcomes++;

  if (rec->n_stopped > 0)
    g_atomic_int_inc (&rec->n_after_stopped);
}

static void
recorder_succeeded_cb (GtaskSupSupervisor *sup,
                       GtaskSupTask       *task,
                       gpointer            user_data)
{
  recorder_record (user_data, task, OUTCOME_SUCCEEDED, NULL);
}

static void
recorder_failed_cb (GtaskSupSupervisor *sup,
                    GtaskSupTask       *task,
                    const GError       *error,
                    gpointer            user_data)
{
  recorder_record (user_data, task, OUTCOME_FAILED, error);
}

static void
recorder_timed_out_cb (GtaskSupSupervisor *sup,
                       GtaskSupTask       *task,
                       gpointer            user_data)
{
  recorder_record (user_data, task, OUTCOME_TIMED_OUT, NULL);
}

static void
recorder_stopped_cb (GtaskSupSupervisor *sup,
                     const GError       *reason,
                     gpointer            user_data)
{
  Recorder *rec = user_data;

  recorder_check (rec, TRUE);
  if (rec->n_stopped == 0)
    {
      rec->stop_reason = reason != NULL ? g_error_copy (reason) : NULL;
      rec->stopped_seq = rec->n_outcomes;
    }
  rec->n_stopped++;
}

/* Notifies may come from our own setters (synchronous, not in a source). */
static void
recorder_sup_notify_cb (GObject    *object,
                        GParamSpec *pspec,
                        gpointer    user_data)
{
  Recorder *rec = user_data;

  recorder_check (rec, FALSE);
  rec->n_sup_notify++;
}

static void
recorder_task_notify_cb (GObject    *object,
                         GParamSpec *pspec,
                         gpointer    user_data)
{
  Recorder *rec = user_data;

  recorder_check (rec, FALSE);
  rec->n_task_notify++;
}

static void
recorder_items_changed_cb (GListModel *model,
                           guint       position,
                           guint       removed,
                           guint       added,
                           gpointer    user_data)
{
  Recorder *rec = user_data;
  guint i;

  recorder_check (rec, TRUE);
  rec->n_items_changed++;

  if (position + removed > rec->shadow->len)
    {
      g_atomic_int_inc (&rec->n_bad_model);
      return;
    }
  g_ptr_array_remove_range (rec->shadow, position, removed);
  for (i = 0; i < added; i++)
    {
      gpointer item = g_list_model_get_item (model, position + i);

      if (item == NULL || !GTASK_SUP_IS_TASK (item))
        g_atomic_int_inc (&rec->n_bad_model);
      g_ptr_array_insert (rec->shadow, position + i, item);
    }
  if (rec->shadow->len != g_list_model_get_n_items (model))
    g_atomic_int_inc (&rec->n_bad_model);
}

Recorder *
recorder_new (GtaskSupSupervisor *sup,
              GMainContext       *ctx)
{
  Recorder *rec = g_new0 (Recorder, 1);

  rec->sup = sup;
  g_object_add_weak_pointer (G_OBJECT (sup), (gpointer *) &rec->sup);
  rec->ctx = g_main_context_ref (ctx);
  rec->thread = g_thread_self ();
  rec->outcomes = g_hash_table_new_full (NULL, NULL, NULL, outcome_free);
  rec->watched = g_ptr_array_new_with_free_func (g_object_unref);
  rec->shadow = g_ptr_array_new_with_free_func ((GDestroyNotify) g_object_unref);

  g_signal_connect (sup, "succeeded", G_CALLBACK (recorder_succeeded_cb), rec);
  g_signal_connect (sup, "failed", G_CALLBACK (recorder_failed_cb), rec);
  g_signal_connect (sup, "timed-out", G_CALLBACK (recorder_timed_out_cb), rec);
  g_signal_connect (sup, "stopped", G_CALLBACK (recorder_stopped_cb), rec);
  g_signal_connect (sup, "notify", G_CALLBACK (recorder_sup_notify_cb), rec);

  rec->children = gtask_sup_supervisor_get_children (sup);
  if (rec->children != NULL)
    {
      guint n = g_list_model_get_n_items (rec->children);
      guint i;

      for (i = 0; i < n; i++)
        g_ptr_array_add (rec->shadow, g_list_model_get_item (rec->children, i));
      g_signal_connect (rec->children, "items-changed",
                        G_CALLBACK (recorder_items_changed_cb), rec);
    }

  return rec;
}

/* Connects a notify handler to @task too (any notify while in_call/closed,
 * or off the owner thread, is a violation). */
void
recorder_watch (Recorder     *rec,
                GtaskSupTask *task)
{
  g_ptr_array_add (rec->watched, g_object_ref (task));
  g_signal_connect (task, "notify", G_CALLBACK (recorder_task_notify_cb), rec);
}

Outcome *
recorder_get (Recorder     *rec,
              GtaskSupTask *task)
{
  return g_hash_table_lookup (rec->outcomes, task);
}

guint
recorder_count (Recorder     *rec,
                GtaskSupTask *task)
{
  Outcome *o = recorder_get (rec, task);
  return o != NULL ? o->count : 0;
}

/* Stops listening (before the supervisor goes away or the recorder is freed). */
void
recorder_disconnect (Recorder *rec)
{
  guint i;

  if (rec->sup != NULL)
    {
      g_signal_handlers_disconnect_by_data (rec->sup, rec);
      if (rec->children != NULL)
        g_signal_handlers_disconnect_by_data (rec->children, rec);
      g_object_remove_weak_pointer (G_OBJECT (rec->sup), (gpointer *) &rec->sup);
      rec->sup = NULL;
    }
  for (i = 0; i < rec->watched->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (rec->watched, i), rec);
  g_ptr_array_set_size (rec->watched, 0);
}

void
recorder_free (Recorder *rec)
{
  recorder_disconnect (rec);
  g_hash_table_unref (rec->outcomes);
  g_ptr_array_unref (rec->watched);
  g_ptr_array_unref (rec->shadow);
  g_clear_error (&rec->stop_reason);
  g_main_context_unref (rec->ctx);
  g_free (rec);
}

gboolean
recorder_has_outcome_cb (gpointer data)
{
  RecorderCond *c = data;
  return recorder_get (c->rec, c->task) != NULL;
}

gboolean
recorder_n_outcomes_cb (gpointer data)
{
  RecorderCond *c = data;
  return c->rec->n_outcomes >= c->n;
}

gboolean
recorder_stopped_cond_cb (gpointer data)
{
  return ((Recorder *) data)->n_stopped > 0;
}

/* -------------------------------------------------------------------------- */
/* Notify counts                                                              */
/* -------------------------------------------------------------------------- */

/* Counts notify emissions by property name, in a GHashTable (name → count). */
void
notify_count_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  GHashTable *counts = user_data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, pspec->name));

  g_hash_table_insert (counts, (gpointer) pspec->name, GUINT_TO_POINTER (n + 1));
}

guint
notify_count (GHashTable *counts,
              const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));
}
