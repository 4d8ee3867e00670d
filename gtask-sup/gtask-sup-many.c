/* gtask-sup-many.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-i18n-private.h"
#include "gtask-sup-many.h"
#include "gtask-sup-pool-private.h"
#include "gtask-sup-task.h"

/* Waiting for many tasks at once: Elixir's Task.await_many/2 and
 * Task.yield_many/2. Built on the public join_async() of each task, so
 * this room knows nothing of the engine: one Many per call joins every
 * task, counts them as they end, and returns once its rule is met. Joins
 * still pending then are cancelled (the tasks go on); the Many lives
 * until the last of them called back. */

typedef struct
{
  GPtrArray            *tasks;       /* the tasks, in input order, references */
  GTask                *waiter;      /* the caller's; NULL once it returned */
  GCancellable         *joins;       /* cancels the joins left once it returned */
  GCancellable         *cancellable; /* the caller's, or NULL */
  gulong                cancelled_id;
  GSource              *timer;       /* yield_many()'s timeout, or NULL */
  guint                 n_pending;   /* joins not called back yet */
  guint                 n_done;      /* tasks seen final */
  guint                 limit;       /* yield_many(): return after this many; 0: all */
  GtaskSupYieldTimeout  on_timeout;
  gboolean              yielding;    /* yield_many(), else await_many() */
} Many;

static void
many_free (Many *many)
{
  g_assert (many->waiter == NULL);

  if (many->cancelled_id != 0)
    g_cancellable_disconnect (many->cancellable, many->cancelled_id);
  g_clear_object (&many->cancellable);
  g_clear_object (&many->joins);
  g_ptr_array_unref (many->tasks);
  g_free (many);
}

static gboolean
task_is_final (GtaskSupTask *task)
{
  return gtask_sup_task_get_state (task) >= GTASK_SUP_TASK_STATE_SUCCEEDED;
}

/* Takes the waiter: nothing more is returned to the caller. The joins
 * still pending are let go, and the timer stopped. */
static GTask *
many_take_waiter (Many *many)
{
  GTask *waiter = g_steal_pointer (&many->waiter);

  if (many->timer != NULL)
    {
      g_source_destroy (many->timer);
      g_clear_pointer (&many->timer, g_source_unref);
    }
  g_cancellable_cancel (many->joins);

  return waiter;
}

/* yield_many(): returns the tasks that are final, in input order; on
 * timeout, first deals with the others as @many->on_timeout says. */
static void
many_yield (Many     *many,
            gboolean  timed_out)
{
  g_autoptr(GTask) waiter = many_take_waiter (many);
  GPtrArray *done = g_ptr_array_new ();

  for (guint i = 0; i < many->tasks->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (many->tasks, i);

      if (task_is_final (task))
        g_ptr_array_add (done, task);
      else if (timed_out && many->on_timeout == GTASK_SUP_YIELD_TIMEOUT_SHUTDOWN)
        gtask_sup_task_shutdown (task, gtask_sup_task_get_shutdown_timeout (task));
    }

  g_task_return_pointer (waiter, done, (GDestroyNotify)g_ptr_array_unref);
}

static void
many_joined_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GtaskSupTask *task = GTASK_SUP_TASK (source);
  Many *many = user_data;
  g_autoptr(GError) error = NULL;
  gboolean final;

  gtask_sup_task_join_finish (task, result, &error);
  final = task_is_final (task);
  many->n_pending--;

  if (many->waiter != NULL)
    {
      if (final)
        many->n_done++;

      if (g_cancellable_is_cancelled (many->cancellable))
        {
          g_autoptr(GTask) waiter = many_take_waiter (many);

          g_task_return_new_error (waiter, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                   "%s", _("The wait was cancelled"));
        }
      else if (many->yielding)
        {
          if (many->n_done == many->tasks->len ||
              (many->limit > 0 && many->n_done >= many->limit))
            many_yield (many, FALSE);
        }
      else if (final && error != NULL)
        {
          /* Fail fast, with the task's own error; the others go on. */
          g_autoptr(GTask) waiter = many_take_waiter (many);

          g_task_return_error (waiter, g_steal_pointer (&error));
        }
      else if (many->n_done == many->tasks->len)
        {
          g_autoptr(GTask) waiter = many_take_waiter (many);

          g_task_return_boolean (waiter, TRUE);
        }
    }

  if (many->n_pending == 0)
    many_free (many);
}

static gboolean
many_timeout_cb (gpointer user_data)
{
  Many *many = user_data;

  g_clear_pointer (&many->timer, g_source_unref);
  many_yield (many, TRUE);

  return G_SOURCE_REMOVE;
}

/* The caller's cancellable, from any thread: stops the joins, whose
 * callbacks then return the cancellation on the caller's context. */
static void
many_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
many_start (GtaskSupTask  **tasks,
            guint           n_tasks,
            gboolean        yielding,
            int             timeout_ms,
            guint           limit,
            GtaskSupYieldTimeout on_timeout,
            GCancellable   *cancellable,
            GTask          *waiter)
{
  Many *many;

  if (n_tasks == 0)
    {
      /* Nothing to wait for: GTask returns from a later iteration. */
      if (yielding)
        {
          GPtrArray *done = g_ptr_array_new ();

          g_task_return_pointer (waiter, done, (GDestroyNotify)g_ptr_array_unref);
        }
      else
        g_task_return_boolean (waiter, TRUE);
      return;
    }

  many = g_new0 (Many, 1);
  many->tasks = g_ptr_array_new_full (n_tasks, g_object_unref);
  many->waiter = g_object_ref (waiter);
  many->joins = g_cancellable_new ();
  many->yielding = yielding;
  many->limit = limit;
  many->on_timeout = on_timeout;
  many->n_pending = n_tasks;

  for (guint i = 0; i < n_tasks; i++)
    g_ptr_array_add (many->tasks, g_object_ref (tasks[i]));

  if (cancellable != NULL)
    {
      many->cancellable = g_object_ref (cancellable);
      many->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (many_cancelled_cb),
                                                  g_object_ref (many->joins), g_object_unref);
    }

  if (yielding && timeout_ms >= 0)
    {
      many->timer = g_timeout_source_new (timeout_ms);
      g_source_set_static_name (many->timer, "[gtask-sup] yield_many timeout");
      g_source_set_callback (many->timer, many_timeout_cb, many, NULL);
      g_source_attach (many->timer, g_task_get_context (waiter));
    }

  /* Each join calls back from a later iteration, even for a final task. */
  for (guint i = 0; i < n_tasks; i++)
    gtask_sup_task_join_async (tasks[i], many->joins, many_joined_cb, many);
}

static gboolean
tasks_valid (GtaskSupTask **tasks,
             guint          n_tasks)
{
  if (n_tasks > 0 && tasks == NULL)
    return FALSE;

  for (guint i = 0; i < n_tasks; i++)
    {
      /* Started: a task in state NEW would never end. */
      if (!GTASK_SUP_IS_TASK (tasks[i]) ||
          gtask_sup_task_get_state (tasks[i]) == GTASK_SUP_TASK_STATE_NEW)
        return FALSE;
    }

  return TRUE;
}

/**
 * gtask_sup_await_many_async:
 * @tasks: (array length=n_tasks): started tasks
 * @n_tasks: the number of @tasks
 * @cancellable: (nullable): a #GCancellable to stop waiting (it does not
 *   cancel the tasks)
 * @callback: (scope async) (closure user_data): called when every task
 *   succeeded, or one failed
 * @user_data: data for @callback
 *
 * Waits for a set of tasks, as Elixir's `Task.await_many/2`: it completes
 * when all of them succeeded, or as soon as one of them fails or times
 * out (fail fast), with that task's error. The other tasks keep running and
 * end with their own outcome; their values are read from each task, in
 * the order of @tasks, with [method@GtaskSup.Task.get_value].
 *
 * @callback is called on the thread-default main context of the caller,
 * from a later iteration of it (never from inside this call), also for an
 * empty set or tasks that are done already. The tasks may belong to
 * different supervisors. Call it on the thread that runs that context.
 *
 * Since: 1.0
 */
void
gtask_sup_await_many_async (GtaskSupTask        **tasks,
                            guint                 n_tasks,
                            GCancellable         *cancellable,
                            GAsyncReadyCallback   callback,
                            gpointer              user_data)
{
  g_autoptr(GTask) waiter = NULL;

  g_return_if_fail (tasks_valid (tasks, n_tasks));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  waiter = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (waiter, gtask_sup_await_many_async);
  g_task_set_name (waiter, "[gtask-sup] await_many");

  many_start (tasks, n_tasks, FALSE, -1, 0, GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING,
              cancellable, waiter);
}

/**
 * gtask_sup_await_many_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [func@GtaskSup.await_many_async].
 *
 * Returns: %TRUE if every task succeeded; %FALSE with the error of the
 *   first task that failed or timed out, or %G_IO_ERROR_CANCELLED if the
 *   wait was cancelled first
 *
 * Since: 1.0
 */
gboolean
gtask_sup_await_many_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        gtask_sup_await_many_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gtask_sup_yield_many_async:
 * @tasks: (array length=n_tasks): started tasks
 * @n_tasks: the number of @tasks
 * @timeout_ms: how long to wait, in milliseconds, or -1 for no limit
 * @limit: return as soon as this many of @tasks are done; 0 to wait for
 *   all of them
 * @on_timeout: what happens to the tasks not done when @timeout_ms is over
 * @cancellable: (nullable): a #GCancellable to stop waiting (it does not
 *   cancel the tasks)
 * @callback: (scope async) (closure user_data): called with the tasks
 *   that are done
 * @user_data: data for @callback
 *
 * Waits up to @timeout_ms for a set of tasks, as Elixir's
 * `Task.yield_many/2`, and tells which are done: it completes when all of
 * them are done, when @limit of them are, or when @timeout_ms is over.
 * A task is done when its outcome was emitted, whatever it was; read it
 * from the task.
 *
 * On timeout, the tasks not done keep running with
 * %GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING, or are shut down with their own
 * [property@GtaskSup.Task:shutdown-timeout] with
 * %GTASK_SUP_YIELD_TIMEOUT_SHUTDOWN (their outcome follows later, as
 * usual; they are not in the result).
 *
 * @callback is called on the thread-default main context of the caller,
 * from a later iteration of it (never from inside this call), as for
 * [func@GtaskSup.await_many_async].
 *
 * Since: 1.0
 */
void
gtask_sup_yield_many_async (GtaskSupTask         **tasks,
                            guint                  n_tasks,
                            int                    timeout_ms,
                            guint                  limit,
                            GtaskSupYieldTimeout   on_timeout,
                            GCancellable          *cancellable,
                            GAsyncReadyCallback    callback,
                            gpointer               user_data)
{
  g_autoptr(GTask) waiter = NULL;

  g_return_if_fail (tasks_valid (tasks, n_tasks));
  g_return_if_fail (timeout_ms >= -1);
  g_return_if_fail (on_timeout == GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING ||
                    on_timeout == GTASK_SUP_YIELD_TIMEOUT_SHUTDOWN);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  waiter = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (waiter, gtask_sup_yield_many_async);
  g_task_set_name (waiter, "[gtask-sup] yield_many");

  many_start (tasks, n_tasks, TRUE, timeout_ms, limit, on_timeout, cancellable, waiter);
}

/**
 * gtask_sup_yield_many_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [func@GtaskSup.yield_many_async].
 *
 * Returns: (transfer container) (element-type GtaskSupTask) (nullable): the
 *   tasks that are done, among those given and in their order (the array
 *   holds no reference of its own: the caller's are enough); %NULL with
 *   %G_IO_ERROR_CANCELLED if the wait was cancelled first
 *
 * Since: 1.0
 */
GPtrArray *
gtask_sup_yield_many_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        gtask_sup_yield_many_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The blocking calls: the async ones, on the caller's thread-default
 * context, iterated until they complete. */

typedef struct
{
  GAsyncResult *result;
} Sync;

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Sync *sync = user_data;

  sync->result = g_object_ref (result);
}

static gboolean
sync_cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The context the async call completes on, and that this thread then
 * iterates: its thread-default context when it may run it (the owner
 * thread, as join() does); otherwise, while another thread runs that
 * context (a worker, a thread beside the main loop), a private one pushed
 * for the call, so that the outcomes are emitted where they belong and
 * only the joins' callbacks come here. */
static GMainContext *
sync_begin (gboolean *pushed)
{
  GMainContext *context = g_main_context_ref_thread_default ();

  *pushed = FALSE;
  /* As gtask_sup_task_wait(): never on a worker of the pool, which must
   * not run owner contexts. */
  if (!_gtask_sup_pool_is_worker () && g_main_context_acquire (context))
    {
      g_main_context_release (context);
      return context;
    }

  g_main_context_unref (context);
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  *pushed = TRUE;

  return context;
}

static void
sync_run (GMainContext *context,
          gboolean      pushed,
          Sync         *sync)
{
  while (sync->result == NULL)
    g_main_context_iteration (context, TRUE);

  if (pushed)
    g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

/**
 * gtask_sup_await_many:
 * @tasks: (array length=n_tasks): started tasks
 * @n_tasks: the number of @tasks
 * @timeout_ms: how long to wait, in milliseconds, or -1 to wait until they
 *   are done
 * @error: return location for a #GError
 *
 * The blocking form of [func@GtaskSup.await_many_async]: it waits until
 * every task succeeded or one failed. On the owner context's thread (from a
 * handler, or with the owner context as thread-default) it iterates the
 * owner context meanwhile, as [method@GtaskSup.Task.join] does, so the
 * outcomes have been emitted when it returns; on another thread, while the
 * owner context runs elsewhere, it iterates a private context and leaves
 * the outcomes to the owner's.
 *
 * If they are not done within @timeout_ms, the tasks not done are shut
 * down with their [property@GtaskSup.Task:shutdown-timeout], as
 * [method@GtaskSup.Task.join] does, and it fails with
 * %G_IO_ERROR_TIMED_OUT.
 *
 * Returns: %TRUE if every task succeeded; %FALSE with the error of the
 *   first one that failed or timed out, or %G_IO_ERROR_TIMED_OUT
 *
 * Since: 1.0
 */
gboolean
gtask_sup_await_many (GtaskSupTask  **tasks,
                      guint           n_tasks,
                      int             timeout_ms,
                      GError        **error)
{
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GError) local_error = NULL;
  GMainContext *context;
  GSource *timer = NULL;
  Sync sync = { NULL };
  gboolean pushed;
  gboolean ok;

  g_return_val_if_fail (tasks_valid (tasks, n_tasks), FALSE);
  g_return_val_if_fail (timeout_ms >= -1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  context = sync_begin (&pushed);
  cancellable = g_cancellable_new ();
  if (timeout_ms >= 0)
    {
      timer = g_timeout_source_new (timeout_ms);
      g_source_set_callback (timer, sync_cancel_cb, cancellable, NULL);
      g_source_attach (timer, context);
    }

  gtask_sup_await_many_async (tasks, n_tasks, cancellable, sync_done_cb, &sync);
  sync_run (context, pushed, &sync);

  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }

  ok = gtask_sup_await_many_finish (sync.result, &local_error);
  g_object_unref (sync.result);

  if (!ok && g_cancellable_is_cancelled (cancellable) &&
      g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      for (guint i = 0; i < n_tasks; i++)
        if (!task_is_final (tasks[i]))
          gtask_sup_task_shutdown (tasks[i], gtask_sup_task_get_shutdown_timeout (tasks[i]));

      g_clear_error (&local_error);
      g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   _("The tasks did not finish within %d ms"), timeout_ms);
    }

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));

  return ok;
}

/**
 * gtask_sup_yield_many:
 * @tasks: (array length=n_tasks): started tasks
 * @n_tasks: the number of @tasks
 * @timeout_ms: how long to wait, in milliseconds, or -1 for no limit
 * @limit: return as soon as this many of @tasks are done; 0 to wait for
 *   all of them
 * @on_timeout: what happens to the tasks not done when @timeout_ms is over
 *
 * The blocking form of [func@GtaskSup.yield_many_async]: it iterates the
 * thread-default main context of the caller until it completes. Call it as
 * [func@GtaskSup.await_many].
 *
 * Returns: (transfer container) (element-type GtaskSupTask): the tasks
 *   that are done, among those given and in their order (the array holds
 *   no reference of its own)
 *
 * Since: 1.0
 */
GPtrArray *
gtask_sup_yield_many (GtaskSupTask          **tasks,
                      guint                   n_tasks,
                      int                     timeout_ms,
                      guint                   limit,
                      GtaskSupYieldTimeout    on_timeout)
{
  GMainContext *context;
  Sync sync = { NULL };
  GPtrArray *done;
  gboolean pushed;

  g_return_val_if_fail (tasks_valid (tasks, n_tasks), NULL);
  g_return_val_if_fail (timeout_ms >= -1, NULL);
  g_return_val_if_fail (on_timeout == GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING ||
                        on_timeout == GTASK_SUP_YIELD_TIMEOUT_SHUTDOWN, NULL);

  context = sync_begin (&pushed);
  gtask_sup_yield_many_async (tasks, n_tasks, timeout_ms, limit, on_timeout, NULL,
                              sync_done_cb, &sync);
  sync_run (context, pushed, &sync);

  done = gtask_sup_yield_many_finish (sync.result, NULL);
  g_object_unref (sync.result);

  return done;
}
