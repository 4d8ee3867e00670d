/* gtask-sup-stream.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-core-private.h"
#include "gtask-sup-enums.h"
#include "gtask-sup-i18n-private.h"
#include "gtask-sup-marshal.h"
#include "gtask-sup-stream.h"
#include "gtask-sup-supervisor-private.h"
#include "gtask-sup-task.h"
#include "gtask-sup-waiters-private.h"

/**
 * GtaskSupStream:
 *
 * A bounded-concurrency map over a lazy input, like Elixir's
 * `Task.async_stream`.
 *
 * A stream is made by [method@GtaskSup.Supervisor.map] (from a function
 * that gives the next task) or [method@GtaskSup.Supervisor.map_model] (one
 * task per item of a [iface@Gio.ListModel]), configured, then started with
 * [method@GtaskSup.Stream.start]. It runs at most
 * [property@GtaskSup.Stream:max-concurrency] of its items at once, as tasks
 * of its supervisor, and asks for the next one only when fewer than
 * max-concurrency + [property@GtaskSup.Stream:read-ahead] items are asked
 * for and not emitted: an endless or lazy input never builds more than
 * that bounded queue (**back-pressure**). The read-ahead items wait, ready,
 * for a slot: a worker that ends an item starts the next one itself, and
 * outcomes reach the owner context in batches. The items that take the
 * places of a batch are asked for once the stream heard of every item of
 * the batch, all in a row, so that the workers get a batch in turn.
 *
 * Each finished item is an output, emitted with
 * [signal@GtaskSup.Stream::item]: in input order if
 * [property@GtaskSup.Stream:ordered] (a result that waits for an earlier
 * one counts against the bound, so memory stays bounded), in completion
 * order otherwise. A failed item is an output too, at its place; the stream
 * itself fails only if it is cancelled, if an item times out while
 * [property@GtaskSup.Stream:on-timeout] is %GTASK_SUP_ON_TIMEOUT_EXIT, or
 * if the supervisor closes. Then [signal@GtaskSup.Stream::finished] is
 * emitted, once, and [method@GtaskSup.Stream.join_async] completes.
 *
 * With [property@GtaskSup.Stream:retain], the stream is also a list model
 * of every finished task, in output order, for a `GtkListView`; without it,
 * it keeps nothing and its memory does not grow with the input.
 *
 * Everything is emitted on the supervisor's owner context, from its
 * iterations, never from inside a call of the stream's API. If the owner
 * is disposed, the stream stops and emits nothing more. Use a stream on
 * the owner context's thread.
 *
 * Since: 1.0
 */

/* task first: in the waiting table the key is &index, which must not be
 * the address of the value itself, or GHashTable takes it for a set. */
/* Enough ready items that the workers rarely wait for the owner context
 * to ask for more, small enough to stay a bounded queue. */
#define GTASK_SUP_STREAM_DEFAULT_READ_AHEAD 64

typedef struct
{
  GtaskSupTask *task;
  guint64       index;
} Output;

struct _GtaskSupStream
{
  GObject                 parent_instance;

  GtaskSupSupervisor     *supervisor;   /* not a reference: NULL once silenced */
  GMainContext           *context;

  GtaskSupStreamNextFunc  next_func;
  gpointer                next_data;
  GDestroyNotify          next_destroy;

  guint                   max_concurrency;
  guint                   read_ahead;
  GtaskSupGroup          *group;          /* the items' slots; made by start() */
  int                     timeout;
  GtaskSupOnTimeout       on_timeout;

  guint64                 next_index;     /* the next item to ask for */
  guint64                 next_output;    /* ordered: the next index to emit */
  guint64                 n_outputs;
  GHashTable             *in_flight;      /* task → Output */
  GHashTable             *waiting;        /* ordered: index → Output, done, not emitted */
  Output                 *refused;        /* refused by max-children, tried again */
  GPtrArray              *outputs;        /* retain: every finished task, in output order */
  GError                 *error;
  GSource                *idle;           /* fills slots, or emits ::finished */
  GtaskSupWaiters         joiners;        /* of join_async() */
  gulong                  handler_ids[3];

  guint                   ordered : 1;
  guint                   retain : 1;
  guint                   started : 1;
  guint                   input_done : 1;
  guint                   finished : 1;   /* no more item; ::finished comes next */
  guint                   emitted : 1;    /* ::finished was emitted */
  guint                   silenced : 1;
  guint                   in_next_func : 1;
  guint                   input_waiting : 1; /* the input is not ready: asked again
                                              * after input_ready() */
};

enum {
  PROP_0,
  PROP_SUPERVISOR,
  PROP_MAX_CONCURRENCY,
  PROP_ORDERED,
  PROP_TIMEOUT,
  PROP_ON_TIMEOUT,
  PROP_RETAIN,
  PROP_READ_AHEAD,
  PROP_N_RUNNING,
  PROP_N_OUTPUTS,
  PROP_FINISHED,
  N_PROPS
};

enum {
  ITEM,
  FINISHED,
  N_SIGNALS
};

static GType
gtask_sup_stream_get_item_type (GListModel *model)
{
  return GTASK_SUP_TYPE_TASK;
}

static guint
gtask_sup_stream_get_n_items (GListModel *model)
{
  GtaskSupStream *self = GTASK_SUP_STREAM (model);

  return self->outputs->len;
}

static gpointer
gtask_sup_stream_get_item (GListModel *model,
                           guint       position)
{
  GtaskSupStream *self = GTASK_SUP_STREAM (model);

  if (position >= self->outputs->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->outputs, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = gtask_sup_stream_get_item_type;
  iface->get_n_items = gtask_sup_stream_get_n_items;
  iface->get_item = gtask_sup_stream_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (GtaskSupStream, gtask_sup_stream, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void gtask_sup_stream_fill (GtaskSupStream *self);

static void
output_free (gpointer data)
{
  Output *output = data;

  g_clear_object (&output->task);
  g_free (output);
}

static Output *
output_new (guint64       index,
            GtaskSupTask *task)
{
  Output *output = g_new (Output, 1);

  output->index = index;
  output->task = task;

  return output;
}

static void
gtask_sup_stream_drop_input (GtaskSupStream *self)
{
  self->input_done = TRUE;

  /* Called from inside next_func (it cancelled the stream): its data goes
   * once it returned, in gtask_sup_stream_fill(); a binding's closure must
   * not be freed while it runs. */
  if (self->in_next_func)
    return;

  self->next_func = NULL;
  if (self->next_destroy != NULL)
    g_clear_pointer (&self->next_data, self->next_destroy);
  self->next_destroy = NULL;
}

static void
gtask_sup_stream_unwatch_children (GtaskSupStream *self)
{
  if (self->supervisor != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (self->handler_ids); i++)
        g_clear_signal_handler (&self->handler_ids[i], self->supervisor);
    }
}

/* Hears of nothing more: no item outcome, no other child's. */
static void
gtask_sup_stream_disconnect (GtaskSupStream *self)
{
  gtask_sup_stream_unwatch_children (self);
  if (self->group != NULL)
    {
      self->group->done = NULL;
      self->group->dispatched = NULL;
      self->group->done_data = NULL;
    }
}

static void
gtask_sup_stream_complete_joiners (GtaskSupStream *self,
                                   gboolean        later)
{
  _gtask_sup_waiters_complete (&self->joiners, self->error, later);
}

static void
gtask_sup_stream_set_idle (GtaskSupStream *self,
                           GSourceFunc     func)
{
  if (self->idle != NULL)
    {
      g_source_destroy (self->idle);
      g_clear_pointer (&self->idle, g_source_unref);
    }

  if (func == NULL)
    return;

  self->idle = g_idle_source_new ();
  g_source_set_priority (self->idle, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->idle, "[gtask-sup] stream");
  g_source_set_callback (self->idle, func, self, NULL);
  g_source_attach (self->idle, self->context);
}

static gboolean
emit_finished_cb (gpointer data)
{
  GtaskSupStream *self = data;

  g_clear_pointer (&self->idle, g_source_unref);

  self->emitted = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISHED]);
  g_signal_emit (self, signals[FINISHED], 0, self->error);
  gtask_sup_stream_complete_joiners (self, FALSE);

  /* The reference start() took. */
  g_object_unref (self);

  return G_SOURCE_REMOVE;
}

/* No more items: drops what is in flight (cancelling it unless it all went
 * well), and emits ::finished from a later iteration. Takes @error. */
static void
gtask_sup_stream_finish (GtaskSupStream *self,
                         GError         *error)
{
  g_autoptr(GHashTable) in_flight = NULL;
  GHashTableIter iter;
  gpointer task;

  g_assert (!self->finished);

  self->finished = TRUE;
  self->error = error;

  gtask_sup_stream_disconnect (self);
  gtask_sup_stream_drop_input (self);
  g_clear_pointer (&self->refused, output_free);
  g_hash_table_remove_all (self->waiting);

  in_flight = g_steal_pointer (&self->in_flight);
  self->in_flight = g_hash_table_new_full (NULL, NULL, NULL, output_free);
  g_hash_table_iter_init (&iter, in_flight);
  while (g_hash_table_iter_next (&iter, &task, NULL))
    gtask_sup_task_cancel (task);

  gtask_sup_stream_set_idle (self, emit_finished_cb);
}

static void
gtask_sup_stream_check_done (GtaskSupStream *self)
{
  if (!self->finished &&
      self->input_done &&
      self->refused == NULL &&
      g_hash_table_size (self->in_flight) == 0 &&
      g_hash_table_size (self->waiting) == 0)
    gtask_sup_stream_finish (self, NULL);
}

static void
gtask_sup_stream_emit (GtaskSupStream *self,
                       Output         *output)
{
  self->n_outputs++;

  if (self->retain)
    {
      g_ptr_array_add (self->outputs, g_object_ref (output->task));
      g_list_model_items_changed (G_LIST_MODEL (self), self->outputs->len - 1, 0, 1);
    }

  g_signal_emit (self, signals[ITEM], 0, output->index, output->task);
}

/* An item is done: it is an output now, or, in order, once the ones before
 * it are. Takes @output. */
static void
gtask_sup_stream_output (GtaskSupStream *self,
                         Output         *output)
{
  if (!self->ordered)
    {
      gtask_sup_stream_emit (self, output);
      output_free (output);
      return;
    }

  if (output->index != self->next_output)
    {
      g_hash_table_insert (self->waiting, &output->index, output);
      return;
    }

  gtask_sup_stream_emit (self, output);
  output_free (output);
  self->next_output++;

  /* A handler may have finished or silenced the stream. */
  while (!self->finished)
    {
      gpointer key, value;

      if (!g_hash_table_steal_extended (self->waiting, &self->next_output, &key, &value))
        break;

      gtask_sup_stream_emit (self, value);
      output_free (value);
      self->next_output++;
    }
}

/* The group's done callback: the supervisor reported the outcome of one of
 * our items. */
static void
item_done_cb (gpointer      data,
              GtaskSupTask *task)
{
  GtaskSupStream *self = data;
  g_autoptr(GtaskSupStream) hold = g_object_ref (self);
  Output *output;

  /* Held: a handler of ::item may drop the owner, which silences the
   * stream and drops the reference start() took. */
  if (!g_hash_table_steal_extended (self->in_flight, task, NULL, (gpointer *)&output))
    return;

  if (gtask_sup_task_get_state (task) == GTASK_SUP_TASK_STATE_TIMED_OUT &&
      self->on_timeout == GTASK_SUP_ON_TIMEOUT_EXIT)
    {
      char index[24];
      GError *error;

      /* xgettext cannot see through G_GUINT64_FORMAT: a string it is. */
      g_snprintf (index, sizeof index, "%" G_GUINT64_FORMAT, output->index);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           _("Item %s of the stream timed out after %d ms"),
                           index, gtask_sup_task_get_timeout (task));

      output_free (output);
      gtask_sup_stream_finish (self, error);
      return;
    }

  /* The items that replace it start at the end of the dispatch, with
   * those of every other item it reported: items_dispatched_cb(). */
  gtask_sup_stream_output (self, output);
}

/* After a dispatch of the supervisor that reported items of the stream:
 * starts the items that take their places, in one go, so that the
 * workers get a batch rather than one item per wakeup. */
static void
items_dispatched_cb (gpointer data)
{
  g_autoptr(GtaskSupStream) self = g_object_ref (data);

  if (!self->finished)
    gtask_sup_stream_fill (self);
}

/* Connected only while an item waits for the supervisor's max-children:
 * a task of the supervisor ended, so it may fit now. */
static void
child_done_cb (GtaskSupStream *self)
{
  g_autoptr(GtaskSupStream) hold = g_object_ref (self);

  if (self->refused != NULL && !self->finished)
    gtask_sup_stream_fill (self);
}

static void
gtask_sup_stream_watch_children (GtaskSupStream *self)
{
  if (self->handler_ids[0] != 0 || self->supervisor == NULL)
    return;

  self->handler_ids[0] = g_signal_connect_swapped (self->supervisor, "succeeded",
                                                   G_CALLBACK (child_done_cb), self);
  self->handler_ids[1] = g_signal_connect_swapped (self->supervisor, "failed",
                                                   G_CALLBACK (child_done_cb), self);
  self->handler_ids[2] = g_signal_connect_swapped (self->supervisor, "timed-out",
                                                   G_CALLBACK (child_done_cb), self);
}

static gboolean
has_free_slot (GtaskSupStream *self)
{
  guint used = g_hash_table_size (self->in_flight) +
               (self->ordered ? g_hash_table_size (self->waiting) : 0);

  /* Items run at most max-concurrency at once (the group's limit); up to
   * read-ahead more wait, ready, for a slot, so that a worker that ends an
   * item starts the next one itself. */
  return self->max_concurrency == 0 || used < self->max_concurrency + self->read_ahead;
}

/* Starts items while there are free slots. On the owner context, never
 * inside a call of the API. */
static void
gtask_sup_stream_fill (GtaskSupStream *self)
{
  g_object_ref (self);

  while (!self->finished && has_free_slot (self))
    {
      g_autoptr(GError) error = NULL;
      Output *output;

      if (self->refused != NULL)
        {
          output = g_steal_pointer (&self->refused);
          gtask_sup_stream_unwatch_children (self);
        }
      else if (!self->input_done && !self->input_waiting)
        {
          GtaskSupTask *task;

          self->in_next_func = TRUE;
          task = self->next_func (self, self->next_index, self->next_data);
          self->in_next_func = FALSE;

          if (self->finished)
            {
              /* next_func cancelled the stream: its input goes now. */
              g_clear_object (&task);
              gtask_sup_stream_drop_input (self);
              break;
            }

          if (task == NULL)
            {
              /* Not ready yet: the stream pauses, without ending. */
              if (!self->input_waiting)
                gtask_sup_stream_drop_input (self);
              break;
            }
          self->input_waiting = FALSE;

          if (!GTASK_SUP_IS_TASK (task) ||
              gtask_sup_task_get_state (task) != GTASK_SUP_TASK_STATE_NEW)
            {
              g_critical ("The next function of stream %p returned %p, not a new GtaskSupTask",
                          self, task);
              g_clear_object (&task);
              gtask_sup_stream_drop_input (self);
              break;
            }

          if (self->timeout >= 0 && gtask_sup_task_get_timeout (task) < 0)
            gtask_sup_task_set_timeout (task, self->timeout);
          /* Items never restart on their own (DESIGN §4 rule 8): a new run
           * would not be an item, and could outlive the stream. */
          gtask_sup_task_set_restart (task, GTASK_SUP_RESTART_TEMPORARY);

          output = output_new (self->next_index++, task);
        }
      else
        {
          break;
        }

      _gtask_sup_core_set_group (output->task, self->group);
      if (!gtask_sup_supervisor_start (self->supervisor, output->task, &error))
        {
          if (g_error_matches (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_MAX_CHILDREN))
            {
              /* The supervisor has live children: tried again when one
               * of them ends. */
              self->refused = output;
              gtask_sup_stream_watch_children (self);
              break;
            }

          output_free (output);
          gtask_sup_stream_finish (self, g_steal_pointer (&error));
          break;
        }

      g_hash_table_insert (self->in_flight, output->task, output);
    }

  gtask_sup_stream_check_done (self);
  g_object_unref (self);
}

static gboolean
fill_cb (gpointer data)
{
  GtaskSupStream *self = data;

  g_clear_pointer (&self->idle, g_source_unref);
  gtask_sup_stream_fill (self);

  return G_SOURCE_REMOVE;
}

/* The supervisor is gone (its owner was disposed, or it was finalized):
 * stop, and emit nothing more. join_async() callers still complete, as
 * GIO's asynchronous calls always do. */
static void
gtask_sup_stream_silence (GtaskSupSupervisor *supervisor,
                          gpointer            data)
{
  GtaskSupStream *self = data;

  if (self->silenced)
    return;

  self->silenced = TRUE;

  if (!self->finished)
    {
      self->finished = TRUE;
      self->error =
        g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("The stream was stopped: its owner or supervisor is gone"));
      gtask_sup_stream_drop_input (self);
      g_clear_pointer (&self->refused, output_free);
      g_hash_table_remove_all (self->waiting);
      g_hash_table_remove_all (self->in_flight);
    }

  gtask_sup_stream_disconnect (self);
  self->supervisor = NULL;
  gtask_sup_stream_set_idle (self, NULL);

  if (self->started && !self->emitted)
    {
      self->emitted = TRUE;
      /* Inside the finalization of the owner or supervisor. */
      gtask_sup_stream_complete_joiners (self, TRUE);
      /* The reference start() took. */
      g_object_unref (self);
    }
}

static GtaskSupStream *
gtask_sup_stream_new (GtaskSupSupervisor     *supervisor,
                       GtaskSupStreamNextFunc  next_func,
                       gpointer                user_data,
                       GDestroyNotify          destroy)
{
  GtaskSupStream *self;

  self = g_object_new (GTASK_SUP_TYPE_STREAM, NULL);
  /* Not a reference: the supervisor knows every stream it made, and
   * silences them (clearing this) when it goes. */
  self->supervisor = supervisor;
  _gtask_sup_supervisor_add_silence_hook (supervisor, gtask_sup_stream_silence, self);
  self->context = g_main_context_ref (gtask_sup_supervisor_get_main_context (supervisor));
  self->next_func = next_func;
  self->next_data = user_data;
  self->next_destroy = destroy;

  return self;
}

/* GObject {{{1 */

static void
gtask_sup_stream_dispose (GObject *object)
{
  GtaskSupStream *self = (GtaskSupStream *)object;

  /* Not running: start() holds a reference until ::finished. */
  gtask_sup_stream_disconnect (self);
  if (self->supervisor != NULL)
    {
      _gtask_sup_supervisor_remove_silence_hook (self->supervisor, gtask_sup_stream_silence, self);
      self->supervisor = NULL;
    }
  gtask_sup_stream_set_idle (self, NULL);
  gtask_sup_stream_drop_input (self);
  g_clear_pointer (&self->refused, output_free);
  g_ptr_array_set_size (self->outputs, 0);

  G_OBJECT_CLASS (gtask_sup_stream_parent_class)->dispose (object);
}

static void
gtask_sup_stream_finalize (GObject *object)
{
  GtaskSupStream *self = (GtaskSupStream *)object;

  g_assert (_gtask_sup_waiters_is_empty (&self->joiners));

  g_clear_pointer (&self->in_flight, g_hash_table_unref);
  g_clear_pointer (&self->group, _gtask_sup_group_unref);
  g_clear_pointer (&self->waiting, g_hash_table_unref);
  g_clear_pointer (&self->outputs, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (gtask_sup_stream_parent_class)->finalize (object);
}

static void
gtask_sup_stream_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  GtaskSupStream *self = GTASK_SUP_STREAM (object);

  switch (prop_id)
    {
    case PROP_SUPERVISOR:
      g_value_take_object (value, gtask_sup_stream_dup_supervisor (self));
      break;

    case PROP_MAX_CONCURRENCY:
      g_value_set_uint (value, self->max_concurrency);
      break;

    case PROP_ORDERED:
      g_value_set_boolean (value, self->ordered);
      break;

    case PROP_TIMEOUT:
      g_value_set_int (value, self->timeout);
      break;

    case PROP_ON_TIMEOUT:
      g_value_set_enum (value, self->on_timeout);
      break;

    case PROP_RETAIN:
      g_value_set_boolean (value, self->retain);
      break;
    case PROP_READ_AHEAD:
      g_value_set_uint (value, self->read_ahead);
      break;

    case PROP_N_RUNNING:
      g_value_set_uint (value, gtask_sup_stream_get_n_running (self));
      break;

    case PROP_N_OUTPUTS:
      g_value_set_uint64 (value, self->n_outputs);
      break;

    case PROP_FINISHED:
      g_value_set_boolean (value, self->emitted);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gtask_sup_stream_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  GtaskSupStream *self = GTASK_SUP_STREAM (object);

  switch (prop_id)
    {
    case PROP_MAX_CONCURRENCY:
      gtask_sup_stream_set_max_concurrency (self, g_value_get_uint (value));
      break;

    case PROP_ORDERED:
      gtask_sup_stream_set_ordered (self, g_value_get_boolean (value));
      break;

    case PROP_TIMEOUT:
      gtask_sup_stream_set_timeout (self, g_value_get_int (value));
      break;

    case PROP_ON_TIMEOUT:
      gtask_sup_stream_set_on_timeout (self, g_value_get_enum (value));
      break;

    case PROP_RETAIN:
      gtask_sup_stream_set_retain (self, g_value_get_boolean (value));
      break;
    case PROP_READ_AHEAD:
      gtask_sup_stream_set_read_ahead (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gtask_sup_stream_class_init (GtaskSupStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gtask_sup_stream_dispose;
  object_class->finalize = gtask_sup_stream_finalize;
  object_class->get_property = gtask_sup_stream_get_property;
  object_class->set_property = gtask_sup_stream_set_property;

  /**
   * GtaskSupStream:supervisor: (getter dup_supervisor)
   *
   * The supervisor that runs the stream's items, or %NULL once it is gone.
   *
   * Since: 1.0
   */
  properties[PROP_SUPERVISOR] =
    g_param_spec_object ("supervisor", NULL, NULL,
                         GTASK_SUP_TYPE_SUPERVISOR,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupStream:max-concurrency:
   *
   * The most items running at once, or 0 for no limit. Defaults to the
   * number of processors.
   *
   * It bounds work that really runs: an item that timed out or was
   * cancelled, but whose thread function goes on (it ignored its
   * cancellable), keeps its slot until the function returns, and a
   * subprocess until it is reaped. See also
   * [property@GtaskSup.Stream:read-ahead].
   *
   * Since: 1.0
   */
  properties[PROP_MAX_CONCURRENCY] =
    g_param_spec_uint ("max-concurrency", NULL, NULL,
                       0, G_MAXUINT, g_get_num_processors (),
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupStream:ordered:
   *
   * Whether outputs are emitted in input order (the default) rather than
   * in completion order. In order, an item done before an earlier one waits,
   * and keeps its slot until it is emitted.
   *
   * Since: 1.0
   */
  properties[PROP_ORDERED] =
    g_param_spec_boolean ("ordered", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupStream:timeout:
   *
   * The time each item may take, in milliseconds, counted from when it
   * gets its slot and starts running (not while it waits as read-ahead), or
   * -1 for none. It is set on every item whose own
   * [property@GtaskSup.Task:timeout] is -1.
   *
   * Since: 1.0
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_int ("timeout", NULL, NULL,
                      -1, G_MAXINT, -1,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupStream:on-timeout:
   *
   * What the stream does when an item times out.
   *
   * Since: 1.0
   */
  properties[PROP_ON_TIMEOUT] =
    g_param_spec_enum ("on-timeout", NULL, NULL,
                       GTASK_SUP_TYPE_ON_TIMEOUT,
                       GTASK_SUP_ON_TIMEOUT_EXIT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupStream:retain:
   *
   * Whether the stream keeps every finished task, as the items of its list
   * model, in output order (the default). Without it, the stream keeps
   * nothing, and its memory stays bounded whatever the size of the input.
   *
   * Since: 1.0
   */
  properties[PROP_RETAIN] =
    g_param_spec_boolean ("retain", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupStream:read-ahead:
   *
   * How many items the stream may ask for and start beyond
   * [property@GtaskSup.Stream:max-concurrency]: they wait, ready, in state
   * %GTASK_SUP_TASK_STATE_QUEUED, and a worker that ends an item starts the
   * next one itself, with no round trip through the owner context. Their
   * timeout counts from when they start running.
   *
   * Back-pressure stays: the items asked for and not emitted yet (running,
   * waiting for a slot, or, in order, done and waiting for an earlier one)
   * are never more than max-concurrency + read-ahead. 0 asks for an item
   * only when a slot is free. Ignored when max-concurrency is 0.
   *
   * Since: 1.0
   */
  properties[PROP_READ_AHEAD] =
    g_param_spec_uint ("read-ahead", NULL, NULL,
                       0, G_MAXUINT, GTASK_SUP_STREAM_DEFAULT_READ_AHEAD,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupStream:n-running:
   *
   * The number of items started and not done yet. It has no `notify`:
   * read it from the stream's signal handlers.
   *
   * Since: 1.0
   */
  properties[PROP_N_RUNNING] =
    g_param_spec_uint ("n-running", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupStream:n-outputs:
   *
   * The number of outputs emitted so far. It has no `notify`: each output
   * is a [signal@GtaskSup.Stream::item].
   *
   * Since: 1.0
   */
  properties[PROP_N_OUTPUTS] =
    g_param_spec_uint64 ("n-outputs", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GtaskSupStream:finished: (getter get_finished)
   *
   * Whether [signal@GtaskSup.Stream::finished] was emitted.
   *
   * Since: 1.0
   */
  properties[PROP_FINISHED] =
    g_param_spec_boolean ("finished", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GtaskSupStream::item:
   * @self: the stream
   * @index: the item's index in the input, from 0
   * @task: the finished task: succeeded, failed or timed out
   *
   * Emitted on the owner context for each output, in input order if
   * [property@GtaskSup.Stream:ordered], in completion order otherwise.
   *
   * @index and the task's [property@GtaskSup.Task:input] (the list item,
   * with [method@GtaskSup.Supervisor.map_model]) tell which input a failed
   * or timed-out item was for, as Elixir's `zip_input_on_exit` does.
   *
   * Since: 1.0
   */
  signals[ITEM] =
    g_signal_new ("item",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  _gtask_sup_marshal_VOID__UINT64_OBJECT,
                  G_TYPE_NONE, 2,
                  G_TYPE_UINT64,
                  GTASK_SUP_TYPE_TASK);
  g_signal_set_va_marshaller (signals[ITEM],
                              G_TYPE_FROM_CLASS (klass),
                              _gtask_sup_marshal_VOID__UINT64_OBJECTv);

  /**
   * GtaskSupStream::finished:
   * @self: the stream
   * @error: (nullable): %NULL if every item was emitted; otherwise why the
   *   stream stopped: %G_IO_ERROR_CANCELLED, %G_IO_ERROR_TIMED_OUT (an item
   *   timed out, with %GTASK_SUP_ON_TIMEOUT_EXIT), or the error of the
   *   supervisor refusing an item, such as %GTASK_SUP_ERROR_CLOSED
   *
   * Emitted once on the owner context, after the last
   * [signal@GtaskSup.Stream::item]. Nothing is emitted after it. It is not
   * emitted if the owner was disposed.
   *
   * Since: 1.0
   */
  signals[FINISHED] =
    g_signal_new ("finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
gtask_sup_stream_init (GtaskSupStream *self)
{
  self->max_concurrency = g_get_num_processors ();
  self->read_ahead = GTASK_SUP_STREAM_DEFAULT_READ_AHEAD;
  self->ordered = TRUE;
  self->retain = TRUE;
  self->timeout = -1;
  self->on_timeout = GTASK_SUP_ON_TIMEOUT_EXIT;
  self->in_flight = g_hash_table_new_full (NULL, NULL, NULL, output_free);
  self->waiting = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, output_free);
  self->outputs = g_ptr_array_new_with_free_func (g_object_unref);
  _gtask_sup_waiters_init (&self->joiners);
}

/* Public API {{{1 */

/**
 * gtask_sup_stream_dup_supervisor: (get-property supervisor)
 * @self: a stream
 *
 * Gets the supervisor that runs the stream's items.
 *
 * Returns: (transfer full) (nullable): the supervisor, or %NULL once it is
 *   gone
 *
 * Since: 1.0
 */
GtaskSupSupervisor *
gtask_sup_stream_dup_supervisor (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), NULL);

  return self->supervisor != NULL ? g_object_ref (self->supervisor) : NULL;
}

#define DEFINE_SETTER(name, type, field, prop, check)                      \
void                                                                       \
gtask_sup_stream_set_##name (GtaskSupStream *self,                         \
                             type            value)                        \
{                                                                          \
  g_return_if_fail (GTASK_SUP_IS_STREAM (self));                           \
  g_return_if_fail (check);                                                \
                                                                           \
  if (self->field == value)                                                \
    return;                                                                \
                                                                           \
  self->field = value;                                                     \
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);            \
}

/**
 * gtask_sup_stream_get_max_concurrency: (get-property max-concurrency)
 * @self: a stream
 *
 * Gets the most items the stream runs at once.
 *
 * Returns: the limit, or 0 for none
 *
 * Since: 1.0
 */
guint
gtask_sup_stream_get_max_concurrency (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), 0);

  return self->max_concurrency;
}

/**
 * gtask_sup_stream_set_max_concurrency: (set-property max-concurrency)
 * @self: a stream that was not started yet
 * @max_concurrency: the most items running at once, or 0 for no limit
 *   (then the whole input is read at once)
 *
 * Sets how many items run at once. Items done, but waiting in order for an
 * earlier one, do not run; they count against
 * [property@GtaskSup.Stream:read-ahead].
 *
 * Since: 1.0
 */
DEFINE_SETTER (max_concurrency, guint, max_concurrency, PROP_MAX_CONCURRENCY, !self->started)

/**
 * gtask_sup_stream_get_ordered: (get-property ordered)
 * @self: a stream
 *
 * Gets whether outputs come in input order.
 *
 * Returns: %TRUE if outputs come in input order
 *
 * Since: 1.0
 */
gboolean
gtask_sup_stream_get_ordered (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), TRUE);

  return self->ordered;
}

/**
 * gtask_sup_stream_set_ordered: (set-property ordered)
 * @self: a stream that was not started yet
 * @ordered: %TRUE for input order, %FALSE for completion order
 *
 * Sets the order of the outputs.
 *
 * Since: 1.0
 */
DEFINE_SETTER (ordered, gboolean, ordered, PROP_ORDERED, !self->started)

/**
 * gtask_sup_stream_get_timeout: (get-property timeout)
 * @self: a stream
 *
 * Gets the time each item may take.
 *
 * Returns: the timeout in milliseconds, or -1 for none
 *
 * Since: 1.0
 */
int
gtask_sup_stream_get_timeout (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), -1);

  return self->timeout;
}

/**
 * gtask_sup_stream_set_timeout: (set-property timeout)
 * @self: a stream that was not started yet
 * @timeout_ms: the timeout in milliseconds, or -1 for none
 *
 * Sets the time each item may take, from when it is started.
 *
 * Since: 1.0
 */
DEFINE_SETTER (timeout, int, timeout, PROP_TIMEOUT, !self->started && value >= -1)

/**
 * gtask_sup_stream_get_on_timeout: (get-property on-timeout)
 * @self: a stream
 *
 * Gets what the stream does when an item times out.
 *
 * Returns: the policy
 *
 * Since: 1.0
 */
GtaskSupOnTimeout
gtask_sup_stream_get_on_timeout (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), GTASK_SUP_ON_TIMEOUT_EXIT);

  return self->on_timeout;
}

/**
 * gtask_sup_stream_set_on_timeout: (set-property on-timeout)
 * @self: a stream that was not started yet
 * @on_timeout: the policy
 *
 * Sets what the stream does when an item times out.
 *
 * Since: 1.0
 */
DEFINE_SETTER (on_timeout, GtaskSupOnTimeout, on_timeout, PROP_ON_TIMEOUT,
               !self->started && value <= GTASK_SUP_ON_TIMEOUT_KILL_TASK)

/**
 * gtask_sup_stream_get_retain: (get-property retain)
 * @self: a stream
 *
 * Gets whether the stream keeps its finished tasks.
 *
 * Returns: %TRUE if it keeps them
 *
 * Since: 1.0
 */
gboolean
gtask_sup_stream_get_retain (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), TRUE);

  return self->retain;
}

/**
 * gtask_sup_stream_set_retain: (set-property retain)
 * @self: a stream that was not started yet
 * @retain: whether to keep every finished task
 *
 * Sets whether the stream is a list model of its finished tasks.
 *
 * Since: 1.0
 */
DEFINE_SETTER (retain, gboolean, retain, PROP_RETAIN, !self->started)

/**
 * gtask_sup_stream_get_read_ahead: (get-property read-ahead)
 * @self: a stream
 *
 * Gets how many items the stream starts beyond
 * [property@GtaskSup.Stream:max-concurrency].
 *
 * Returns: the read-ahead, in items
 *
 * Since: 1.0
 */
guint
gtask_sup_stream_get_read_ahead (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), 0);

  return self->read_ahead;
}

/**
 * gtask_sup_stream_set_read_ahead: (set-property read-ahead)
 * @self: a stream that was not started yet
 * @read_ahead: how many items to start beyond max-concurrency
 *
 * Sets how far the stream reads its input ahead of its free slots; see
 * [property@GtaskSup.Stream:read-ahead].
 *
 * Since: 1.0
 */
DEFINE_SETTER (read_ahead, guint, read_ahead, PROP_READ_AHEAD, !self->started)

/**
 * gtask_sup_stream_get_n_running: (get-property n-running)
 * @self: a stream
 *
 * Gets the number of items whose work runs: not those waiting for a slot,
 * nor those done. Safe to call from any thread.
 *
 * Returns: the number of items running
 *
 * Since: 1.0
 */
guint
gtask_sup_stream_get_n_running (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), 0);

  return self->group != NULL ? (guint)g_atomic_int_get (&self->group->n_running) : 0;
}

/**
 * gtask_sup_stream_get_n_outputs: (get-property n-outputs)
 * @self: a stream
 *
 * Gets the number of outputs emitted so far.
 *
 * Returns: the number of outputs
 *
 * Since: 1.0
 */
guint64
gtask_sup_stream_get_n_outputs (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), 0);

  return self->n_outputs;
}

/**
 * gtask_sup_stream_get_finished: (get-property finished)
 * @self: a stream
 *
 * Gets whether [signal@GtaskSup.Stream::finished] was emitted.
 *
 * Returns: %TRUE if the stream has finished
 *
 * Since: 1.0
 */
gboolean
gtask_sup_stream_get_finished (GtaskSupStream *self)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), FALSE);

  return self->emitted;
}

/**
 * gtask_sup_stream_start:
 * @self: a stream that was not started yet
 *
 * Starts the stream. Its first items are asked for and started from a
 * later iteration of the owner context, never from inside this call; an
 * empty input finishes from a later iteration too.
 *
 * A running stream keeps itself alive until
 * [signal@GtaskSup.Stream::finished], like a #GTask. Call it on the owner
 * context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_stream_start (GtaskSupStream *self)
{
  g_return_if_fail (GTASK_SUP_IS_STREAM (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  self->group = _gtask_sup_group_new (self->max_concurrency);

  if (self->silenced)
    {
      /* Its supervisor is gone: nothing will ever be emitted. */
      self->emitted = TRUE;
      gtask_sup_stream_complete_joiners (self, TRUE);
      return;
    }

  g_object_ref (self);

  if (self->finished)
    {
      /* Cancelled before it started. */
      gtask_sup_stream_set_idle (self, emit_finished_cb);
      return;
    }

  self->group->done = item_done_cb;
  self->group->dispatched = items_dispatched_cb;
  self->group->done_data = self;

  gtask_sup_stream_set_idle (self, fill_cb);
}

/**
 * gtask_sup_stream_cancel:
 * @self: a stream
 *
 * Stops the stream: its items in flight are cancelled, no more are asked
 * for, and [signal@GtaskSup.Stream::finished] is emitted with
 * %G_IO_ERROR_CANCELLED from a later iteration of the owner context. Does
 * nothing if the stream has already finished.
 *
 * Call it on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_stream_cancel (GtaskSupStream *self)
{
  g_return_if_fail (GTASK_SUP_IS_STREAM (self));

  if (self->finished)
    return;

  gtask_sup_stream_finish (self,
                           g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                _("The stream was cancelled")));

  /* Not started: nothing holds the reference emit_finished_cb() drops. */
  if (!self->started)
    gtask_sup_stream_set_idle (self, NULL);
}

/**
 * gtask_sup_stream_join_async:
 * @self: a stream
 * @cancellable: (nullable): a #GCancellable to stop waiting: the callback
 *   then comes with %G_IO_ERROR_CANCELLED, and the stream goes on
 * @callback: (scope async) (closure user_data): called when the stream has
 *   finished
 * @user_data: data for @callback
 *
 * Waits for the stream to finish. @callback is called on the thread-default
 * main context of the caller, from a later iteration of it; call
 * [method@GtaskSup.Stream.join_finish] there.
 *
 * Since: 1.0
 */
void
gtask_sup_stream_join_async (GtaskSupStream      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) joiner = NULL;

  g_return_if_fail (GTASK_SUP_IS_STREAM (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  joiner = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (joiner, gtask_sup_stream_join_async);
  g_task_set_name (joiner, "[gtask-sup] stream join");

  if (self->emitted)
    {
      if (self->error != NULL)
        g_task_return_error (joiner, g_error_copy (self->error));
      else
        g_task_return_boolean (joiner, TRUE);
      return;
    }

  _gtask_sup_waiters_add (&self->joiners, joiner);
}

/**
 * gtask_sup_stream_join_finish:
 * @self: a stream
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@GtaskSup.Stream.join_async].
 *
 * Returns: %TRUE if every item was emitted (some of them may have failed);
 *   %FALSE with the error of [signal@GtaskSup.Stream::finished] otherwise
 *
 * Since: 1.0
 */
gboolean
gtask_sup_stream_join_finish (GtaskSupStream  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        gtask_sup_stream_join_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Constructors (declared with the supervisor) {{{1 */

/**
 * gtask_sup_stream_wait_for_input:
 * @self: a stream
 *
 * Says, from inside the stream's [callback@GtaskSup.StreamNextFunc], that
 * the input is not ready yet: the next function then returns %NULL, and
 * the stream pauses instead of ending. Its items in flight go on; it asks
 * for the next item again only after
 * [method@GtaskSup.Stream.input_ready]. A producer that is not done (a
 * directory walk, a download) uses it rather than placeholder tasks.
 *
 * Call it only from inside the next function.
 *
 * Since: 1.0
 */
void
gtask_sup_stream_wait_for_input (GtaskSupStream *self)
{
  g_return_if_fail (GTASK_SUP_IS_STREAM (self));
  g_return_if_fail (self->in_next_func);

  self->input_waiting = TRUE;
}

/**
 * gtask_sup_stream_input_ready:
 * @self: a stream
 *
 * Says that the input of a stream paused with
 * [method@GtaskSup.Stream.wait_for_input] has more items (or has ended):
 * the stream calls its next function again, from a later iteration of the
 * owner context, as its back-pressure allows. Harmless when the stream
 * does not wait, or has finished.
 *
 * Call it on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_stream_input_ready (GtaskSupStream *self)
{
  g_return_if_fail (GTASK_SUP_IS_STREAM (self));

  if (!self->input_waiting)
    return;

  self->input_waiting = FALSE;
  if (self->started && !self->finished && self->idle == NULL)
    gtask_sup_stream_set_idle (self, fill_cb);
}

/* A pushed input (map_push()) {{{1 */

typedef struct
{
  GtaskSupStream *stream;    /* not a reference: the input is the stream's */
  GQueue          pending;   /* of GTask, each holding its item as task data */
  gboolean        closed;
} PushInput;

typedef struct
{
  PushInput *input;
  GTask     *push;
} PushCancel;

#define PUSH_CANCEL_SOURCE "gtask-sup-cancel-source"

static void
source_destroy_and_unref (gpointer data)
{
  g_source_destroy (data);
  g_source_unref (data);
}

/* A push leaves the queue: its cancellable is not watched any more. */
static GTask *
push_input_pop (PushInput *input)
{
  GTask *push = g_queue_pop_head (&input->pending);

  if (push != NULL)
    g_object_set_data (G_OBJECT (push), PUSH_CANCEL_SOURCE, NULL);

  return push;
}

static void
push_input_free (gpointer data)
{
  PushInput *input = data;
  GTask *push;

  /* The stream finished first: the pushes left fail. */
  while ((push = push_input_pop (input)) != NULL)
    {
      _gtask_sup_return_later (push,
                               g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                    _("The stream finished before it took the item")));
      g_object_unref (push);
    }
  g_free (input);
}

static GtaskSupTask *
push_input_next (GtaskSupStream *stream,
                 guint64         index,
                 gpointer        data)
{
  PushInput *input = data;
  g_autoptr(GTask) push = push_input_pop (input);

  if (push == NULL)
    {
      if (!input->closed)
        gtask_sup_stream_wait_for_input (stream);
      return NULL;
    }

  /* Taken: there is room, the push completes (from an idle: never inside
   * the next function). */
  _gtask_sup_return_later (push, NULL);

  return g_object_ref (g_task_get_task_data (push));
}

static PushInput *
push_input_of (GtaskSupStream *self)
{
  return self->next_func == push_input_next ? self->next_data : NULL;
}

static gboolean
push_cancelled_cb (GCancellable *cancellable,
                   gpointer      data)
{
  PushCancel *cancel = data;

  /* The push waits still: a push that leaves the queue destroys this
   * source first, and the input outlives its queue. */
  if (g_queue_remove (&cancel->input->pending, cancel->push))
    {
      g_task_return_error_if_cancelled (cancel->push);
      g_object_unref (cancel->push);
    }

  return G_SOURCE_REMOVE;
}

/**
 * gtask_sup_supervisor_map_push:
 * @self: a supervisor
 *
 * Makes a stream whose input is pushed by a producer rather than asked
 * for: [method@GtaskSup.Stream.push_async] gives it the next task, and
 * completes when the stream took it, that is when there is room for it
 * (back-pressure: a producer that waits for each push never runs more than
 * max-concurrency + read-ahead items ahead of the outputs).
 * [method@GtaskSup.Stream.close_input] ends the input; the stream then
 * finishes once the last item is emitted.
 *
 * Configure and start it as a stream made by
 * [method@GtaskSup.Supervisor.map]; items may be pushed before it starts.
 *
 * Returns: (transfer full): a new stream, not started
 *
 * Since: 1.0
 */
GtaskSupStream *
gtask_sup_supervisor_map_push (GtaskSupSupervisor *self)
{
  PushInput *input;
  GtaskSupStream *stream;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);

  input = g_new0 (PushInput, 1);
  g_queue_init (&input->pending);
  stream = gtask_sup_stream_new (self, push_input_next, input, push_input_free);
  input->stream = stream;

  return stream;
}

/**
 * gtask_sup_stream_push_async:
 * @self: a stream made by [method@GtaskSup.Supervisor.map_push]
 * @task: the next item, a task not started yet
 * @cancellable: (nullable): a #GCancellable to take the item back while it
 *   waits for room
 * @callback: (scope async) (closure user_data): called once the stream took
 *   the item, or could not
 * @user_data: data for @callback
 *
 * Gives the stream its next item. The item is the stream's from now on; it
 * is started (and its index assigned, in push order) when there is room
 * in the stream, and @callback is called then, on the thread-default main
 * context of the caller, from a later iteration of it. Push the next item
 * from there to produce no faster than the stream consumes.
 *
 * Call it on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_stream_push_async (GtaskSupStream      *self,
                             GtaskSupTask        *task,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) push = NULL;
  PushInput *input;

  g_return_if_fail (GTASK_SUP_IS_STREAM (self));
  g_return_if_fail (GTASK_SUP_IS_TASK (task));
  g_return_if_fail (gtask_sup_task_get_state (task) == GTASK_SUP_TASK_STATE_NEW);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (self->next_func == NULL || self->next_func == push_input_next);

  push = g_task_new (self, cancellable, callback, user_data);
  /* Once taken, the item is the stream's: a cancel that comes after must
   * not report it as not taken. */
  g_task_set_check_cancellable (push, FALSE);
  g_task_set_source_tag (push, gtask_sup_stream_push_async);
  g_task_set_name (push, "[gtask-sup] stream push");
  g_task_set_task_data (push, g_object_ref (task), g_object_unref);

  input = push_input_of (self);
  if (input == NULL || input->closed)
    {
      _gtask_sup_return_later (push,
                               g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                    self->finished
                                                    ? _("The stream has finished")
                                                    : _("The input of the stream is closed")));
      return;
    }

  if (cancellable != NULL)
    {
      PushCancel *cancel = g_new0 (PushCancel, 1);
      GSource *source = g_cancellable_source_new (cancellable);

      cancel->input = input;
      cancel->push = push;
      g_source_set_callback (source, G_SOURCE_FUNC (push_cancelled_cb), cancel, g_free);
      g_source_set_static_name (source, "[gtask-sup] stream push cancelled");
      g_source_attach (source, self->context);
      /* Destroyed when the push leaves the queue (push_input_pop()). */
      g_object_set_data_full (G_OBJECT (push), PUSH_CANCEL_SOURCE, source,
                              source_destroy_and_unref);
    }

  g_queue_push_tail (&input->pending, g_steal_pointer (&push));
  gtask_sup_stream_input_ready (self);
}

/**
 * gtask_sup_stream_push_finish:
 * @self: a stream
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@GtaskSup.Stream.push_async].
 *
 * Returns: %TRUE if the stream took the item; %FALSE with
 *   %G_IO_ERROR_CLOSED if its input was closed or it finished first, or
 *   %G_IO_ERROR_CANCELLED if the push was cancelled while it waited
 *
 * Since: 1.0
 */
gboolean
gtask_sup_stream_push_finish (GtaskSupStream  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (GTASK_SUP_IS_STREAM (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        gtask_sup_stream_push_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gtask_sup_stream_close_input:
 * @self: a stream made by [method@GtaskSup.Supervisor.map_push]
 *
 * Ends the input of a pushed stream: the items pushed before are still
 * taken, the pushes after fail with %G_IO_ERROR_CLOSED, and the stream
 * finishes once its last item is emitted. Closing it twice is harmless.
 *
 * Call it on the owner context's thread.
 *
 * Since: 1.0
 */
void
gtask_sup_stream_close_input (GtaskSupStream *self)
{
  PushInput *input;

  g_return_if_fail (GTASK_SUP_IS_STREAM (self));
  g_return_if_fail (self->next_func == NULL || self->next_func == push_input_next);

  input = push_input_of (self);
  if (input == NULL || input->closed)
    return;

  input->closed = TRUE;
  gtask_sup_stream_input_ready (self);
}

/* Constructors {{{1 */

/**
 * gtask_sup_supervisor_map:
 * @self: a supervisor
 * @next_func: (scope notified) (closure user_data) (destroy destroy): gives
 *   the stream its next item
 * @user_data: data for @next_func
 * @destroy: (nullable): frees @user_data once the input ended, or the
 *   stream finished or was finalized
 *
 * Makes a stream that runs the tasks @next_func gives it, at most
 * [property@GtaskSup.Stream:max-concurrency] at once, like Elixir's
 * `Task.async_stream`. @next_func is called on the owner context, never
 * more than [property@GtaskSup.Stream:read-ahead] items ahead of the free
 * slots, until it returns %NULL.
 *
 * Configure the stream, then start it with [method@GtaskSup.Stream.start].
 * Its items are tasks of @self: `max-children`, the supervisor's own
 * `max-concurrency` (time queued there counts against an item's timeout)
 * and owner finalization apply to them as to any task, and they emit the
 * supervisor's outcome signals too. An item refused because of
 * `max-children` is started again when a task of @self ends.
 *
 * Returns: (transfer full): a new stream, not started
 *
 * Since: 1.0
 */
GtaskSupStream *
gtask_sup_supervisor_map (GtaskSupSupervisor     *self,
                          GtaskSupStreamNextFunc  next_func,
                          gpointer                user_data,
                          GDestroyNotify          destroy)
{
  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);
  g_return_val_if_fail (next_func != NULL, NULL);

  return gtask_sup_stream_new (self, next_func, user_data, destroy);
}

typedef struct
{
  GListModel            *items;
  GtaskSupStreamMapFunc  func;
  gpointer               user_data;
  GDestroyNotify         destroy;
} ModelInput;

static void
model_input_free (gpointer data)
{
  ModelInput *input = data;

  if (input->destroy != NULL)
    input->destroy (input->user_data);
  g_clear_object (&input->items);
  g_free (input);
}

static GtaskSupTask *
model_input_next (GtaskSupStream *stream,
                  guint64         index,
                  gpointer        data)
{
  ModelInput *input = data;
  g_autoptr(GObject) item = NULL;
  GtaskSupTask *task;

  if (index >= g_list_model_get_n_items (input->items))
    return NULL;

  item = g_list_model_get_item (input->items, index);
  task = input->func (stream, item, input->user_data);

  /* Zipped with its input, for the ::item of a failed one. */
  if (task != NULL && GTASK_SUP_IS_TASK (task) && gtask_sup_task_get_input (task) == NULL &&
      gtask_sup_task_get_state (task) == GTASK_SUP_TASK_STATE_NEW)
    gtask_sup_task_set_input (task, item);

  return task;
}

/**
 * gtask_sup_supervisor_map_model:
 * @self: a supervisor
 * @items: the input: one task per item
 * @func: (scope notified) (closure user_data) (destroy destroy): makes the
 *   task for an item
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once the input ended, or the
 *   stream finished or was finalized
 *
 * Makes a stream over the items of a list model, for instance the files a
 * user selected in a GTK view, as [method@GtaskSup.Supervisor.map] does:
 * @func makes the task for an item when the stream asks for one. Items are read by
 * position, when they are reached; the stream ends at the first position
 * past the end of @items.
 *
 * Returns: (transfer full): a new stream, not started
 *
 * Since: 1.0
 */
GtaskSupStream *
gtask_sup_supervisor_map_model (GtaskSupSupervisor    *self,
                                GListModel            *items,
                                GtaskSupStreamMapFunc  func,
                                gpointer               user_data,
                                GDestroyNotify         destroy)
{
  ModelInput *input;

  g_return_val_if_fail (GTASK_SUP_IS_SUPERVISOR (self), NULL);
  g_return_val_if_fail (G_IS_LIST_MODEL (items), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  input = g_new0 (ModelInput, 1);
  input->items = g_object_ref (items);
  input->func = func;
  input->user_data = user_data;
  input->destroy = destroy;

  return gtask_sup_stream_new (self, model_input_next, input, model_input_free);
}

/* vim:set foldmethod=marker: */
