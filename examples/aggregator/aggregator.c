/* aggregator.c — query HTTP endpoints concurrently, merge what they say
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   aggregator [--timeout MS] [--fallback TEXT] [--refresh MS --duration MS] URL…
 *
 * The exercise the project grew from (../shared/seeds): each URL is fetched
 * by an async task (libsoup) with a timeout, all at once. The answers are
 * merged into one structured result, one entry per endpoint: its body, or
 * its error (an HTTP status other than 2xx, a connection refused...), or,
 * when it timed out, a fallback value: the last answer it gave, or
 * --fallback. A partial failure is an entry, not a failure of the whole.
 *
 * With --refresh, a background refresh keeps the answers fresh: a
 * PERMANENT task of a child supervisor (restarted if it fails) that
 * queries the endpoints again every --refresh ms and prints the merged
 * result each time, for --duration ms. Then the application object, the
 * owner of every supervisor, goes: whatever still runs (a slow request) is
 * cancelled, and the program prints how many tasks were left alive.
 */

#include <libsoup/soup.h>

#include <gtask-sup/gtask-sup.h>

G_DECLARE_FINAL_TYPE (App, app, AGGREGATOR, APP, GObject)

struct _App
{
  GObject             parent_instance;
  SoupSession        *session;
  GtaskSupSupervisor *supervisor;   /* the queries */
  GtaskSupSupervisor *background;   /* the refresh, a child of supervisor */
  char              **urls;
  int                 timeout_ms;
  char               *fallback;
  GHashTable         *last_good;    /* url → its last body */
  GCancellable       *alive;        /* cancelled when the application goes */
  guint               n_rounds;
};

G_DEFINE_FINAL_TYPE (App, app, G_TYPE_OBJECT)

/* Tasks alive, for the check at the end. Atomic: once the owner is gone,
 * a task's last reference may go on a thread of the library, which then
 * wakes the main context waiting for the count to reach 0. */
static int n_live_tasks;

static void
task_gone (gpointer  data,
           GObject  *where)
{
  if (g_atomic_int_dec_and_test (&n_live_tasks))
    g_main_context_wakeup (NULL);
}

/* One query {{{1 */

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GtaskSupTask) task = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      gtask_sup_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      gtask_sup_task_return_error (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                      "HTTP %u %s", status,
                                                      soup_message_get_reason_phrase (msg)));
      return;
    }

  {
    g_auto(GValue) value = G_VALUE_INIT;
    gsize size;
    const char *data = g_bytes_get_data (body, &size);

    g_value_init (&value, G_TYPE_STRING);
    g_value_take_string (&value, g_utf8_make_valid (data != NULL ? data : "", size));
    gtask_sup_task_return_value (task, &value);
  }
}

/* The work of a query, on the main context: the request runs there too. */
static void
fetch (GtaskSupTask *task,
       GCancellable *cancellable,
       gpointer      user_data)
{
  App *app = user_data;
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", gtask_sup_task_get_name (task));

  if (msg == NULL)
    {
      gtask_sup_task_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                              "Not an HTTP URL"));
      return;
    }

  soup_session_send_and_read_async (app->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    fetched_cb, g_object_ref (task));
}

/* A round: every endpoint at once, merged {{{1 */

/* A round holds no reference to the application (work never keeps its
 * owner alive): it only uses it while `alive` is not cancelled. */
typedef struct
{
  App          *app;
  GCancellable *alive;
  GPtrArray    *tasks;
  GTask        *round;   /* completes with the merged GVariant */
} Round;

static void
round_free (Round *round)
{
  g_ptr_array_unref (round->tasks);
  g_clear_object (&round->round);
  g_object_unref (round->alive);
  g_free (round);
}

/* One entry per endpoint: {"url": s, "status": s, "value" or "error": s}. */
static GVariant *
merge (App       *app,
       GPtrArray *tasks)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < tasks->len; i++)
    {
      GtaskSupTask *task = g_ptr_array_index (tasks, i);
      const char *url = gtask_sup_task_get_name (task);
      GVariantDict entry;

      g_variant_dict_init (&entry, NULL);
      g_variant_dict_insert (&entry, "url", "s", url);
      switch (gtask_sup_task_get_state (task))
        {
        case GTASK_SUP_TASK_STATE_SUCCEEDED:
          {
            const char *body = g_value_get_string (gtask_sup_task_get_value (task));

            g_variant_dict_insert (&entry, "status", "s", "ok");
            g_variant_dict_insert (&entry, "value", "s", body);
            g_hash_table_insert (app->last_good, g_strdup (url), g_strdup (body));
          }
          break;
        case GTASK_SUP_TASK_STATE_TIMED_OUT:
          {
            const char *last = g_hash_table_lookup (app->last_good, url);

            g_variant_dict_insert (&entry, "status", "s", "timed-out");
            g_variant_dict_insert (&entry, "value", "s", last != NULL ? last : app->fallback);
            g_variant_dict_insert (&entry, "fallback", "b", TRUE);
          }
          break;
        default:
          g_variant_dict_insert (&entry, "status", "s", "error");
          g_variant_dict_insert (&entry, "error", "s", gtask_sup_task_get_error (task)->message);
          break;
        }
      g_variant_builder_add_value (&builder, g_variant_dict_end (&entry));
    }

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
round_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Round *round = user_data;
  g_autoptr(GPtrArray) done = gtask_sup_yield_many_finish (result, NULL);

  /* Every task ends within its timeout: all are done, whatever their
   * outcome. (NULL if the wait was cancelled.) */
  if (done != NULL && !g_cancellable_is_cancelled (round->alive))
    g_task_return_pointer (round->round, merge (round->app, round->tasks),
                           (GDestroyNotify) g_variant_unref);
  else
    g_task_return_new_error (round->round, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  round_free (round);
}

/* Starts a query per endpoint on @supervisor, and completes with the
 * merged answers once each has its outcome. */
static void
app_round_async (App                *app,
                 GtaskSupSupervisor *supervisor,
                 GCancellable       *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  Round *round = g_new0 (Round, 1);

  round->app = app;
  round->alive = g_object_ref (app->alive);
  round->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  round->round = g_task_new (NULL, cancellable, callback, user_data);

  for (guint i = 0; app->urls[i] != NULL; i++)
    {
      GtaskSupTask *task = gtask_sup_task_new_async (fetch, app, NULL);

      gtask_sup_task_set_name (task, app->urls[i]);
      gtask_sup_task_set_timeout (task, app->timeout_ms);
      g_atomic_int_inc (&n_live_tasks);
      g_object_weak_ref (G_OBJECT (task), task_gone, NULL);
      if (gtask_sup_supervisor_start (supervisor, task, NULL))
        g_ptr_array_add (round->tasks, task);
      else
        g_object_unref (task);
    }

  gtask_sup_yield_many_async ((GtaskSupTask **) round->tasks->pdata, round->tasks->len, -1, 0,
                              GTASK_SUP_YIELD_TIMEOUT_LEAVE_RUNNING,
                              cancellable != NULL ? cancellable : app->alive,
                              round_done_cb, round);
}

static GVariant *
app_round_finish (GAsyncResult  *result,
                  GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
print_result (const char *title,
              GVariant   *merged)
{
  g_autofree char *text = g_variant_print (merged, FALSE);

  g_print ("%s: %s\n", title, text);
}

/* The background refresh {{{1 */

static void refresh_round (GtaskSupTask *task);

static gboolean
refresh_tick_cb (gpointer user_data)
{
  refresh_round (user_data);
  return G_SOURCE_REMOVE;
}

static void
refreshed_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GtaskSupTask) task = user_data;
  g_autoptr(GVariant) merged = app_round_finish (result, NULL);
  g_autofree char *title = NULL;
  App *app;

  /* Its owner went, or it was cancelled: the task ends with that. */
  if (merged == NULL)
    return;

  app = g_object_get_data (G_OBJECT (task), "app");

  title = g_strdup_printf ("refresh %u", ++app->n_rounds);
  print_result (title, merged);
  /* Never completes on its own: the next round, later. */
  g_timeout_add_full (G_PRIORITY_DEFAULT,
                      GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "interval")),
                      refresh_tick_cb, g_object_ref (task), g_object_unref);
}

static void
refresh_round (GtaskSupTask *task)
{
  App *app = g_object_get_data (G_OBJECT (task), "app");
  GCancellable *cancellable = gtask_sup_task_get_cancellable (task);

  if (g_cancellable_is_cancelled (cancellable))
    return;
  app_round_async (app, app->background, cancellable, refreshed_cb, g_object_ref (task));
}

/* The work of the refresh task: rounds until it is cancelled. A failure
 * would end it, and its PERMANENT policy would start it again. */
static void
refresh (GtaskSupTask *task,
         GCancellable *cancellable,
         gpointer      user_data)
{
  g_object_set_data (G_OBJECT (task), "app", user_data);
  g_object_set_data (G_OBJECT (task), "interval",
                     g_object_get_data (G_OBJECT (user_data), "interval"));
  refresh_round (task);
}

/* The application object: the owner {{{1 */

static void
app_dispose (GObject *object)
{
  App *app = (App *) object;

  g_cancellable_cancel (app->alive);

  G_OBJECT_CLASS (app_parent_class)->dispose (object);
}

static void
app_finalize (GObject *object)
{
  App *app = (App *) object;

  g_clear_object (&app->background);
  g_clear_object (&app->supervisor);
  g_clear_object (&app->session);
  g_strfreev (app->urls);
  g_free (app->fallback);
  g_hash_table_unref (app->last_good);
  g_object_unref (app->alive);

  G_OBJECT_CLASS (app_parent_class)->finalize (object);
}

static void
app_class_init (AppClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = app_dispose;
  G_OBJECT_CLASS (klass)->finalize = app_finalize;
}

static void
app_init (App *app)
{
  app->session = soup_session_new ();
  app->alive = g_cancellable_new ();
  app->last_good = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* Owned by the application: when it goes, its work goes. */
  app->supervisor = gtask_sup_supervisor_new (app);
}

static void
first_round_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GVariant) merged = app_round_finish (result, NULL);

  if (merged != NULL)
    print_result ("merged", merged);
  *(gboolean *) user_data = TRUE;
}

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("URL…");
  g_autoptr(GError) error = NULL;
  App *app;
  int timeout_ms = 2000;
  int refresh_ms = 0;
  int duration_ms = 0;
  g_autofree char *fallback = NULL;
  gboolean done = FALSE;
  const GOptionEntry entries[] = {
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_ms, "Timeout of each request (default 2000)", "MS" },
    { "fallback", 'f', 0, G_OPTION_ARG_STRING, &fallback, "Value of an endpoint that timed out "
      "and never answered (default: empty)", "TEXT" },
    { "refresh", 'r', 0, G_OPTION_ARG_INT, &refresh_ms, "Refresh in the background every MS", "MS" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &duration_ms, "With --refresh: stop after MS", "MS" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2 || timeout_ms < 1 ||
      refresh_ms < 0 || duration_ms < 0)
    {
      g_printerr ("usage: aggregator [--timeout MS] [--fallback TEXT] [--refresh MS --duration MS] URL…\n");
      return 2;
    }

  app = g_object_new (app_get_type (), NULL);
  app->urls = g_strdupv (argv + 1);
  app->timeout_ms = timeout_ms;
  app->fallback = g_strdup (fallback != NULL ? fallback : "");

  app_round_async (app, app->supervisor, NULL, first_round_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  if (refresh_ms > 0)
    {
      GtaskSupTask *task;

      /* A child supervisor: its work ends with the application's. */
      app->background = gtask_sup_supervisor_new_child (app->supervisor, NULL);
      gtask_sup_supervisor_set_max_restarts (app->background, 10);
      g_object_set_data (G_OBJECT (app), "interval", GUINT_TO_POINTER (refresh_ms));
      task = gtask_sup_task_new_async (refresh, app, NULL);
      gtask_sup_task_set_name (task, "refresh");
      gtask_sup_task_set_restart (task, GTASK_SUP_RESTART_PERMANENT);
      gtask_sup_supervisor_start (app->background, task, NULL);
      g_object_unref (task);

      done = FALSE;
      g_timeout_add (duration_ms, set_flag_cb, &done);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
    }

  /* The owner goes: every request still running is cancelled; their
   * tasks go once their operations have called back (bounded: 5 s). */
  g_object_unref (app);
  {
    gboolean expired = FALSE;
    guint timer = g_timeout_add (5000, set_flag_cb, &expired);

    while (g_atomic_int_get (&n_live_tasks) > 0 && !expired)
      g_main_context_iteration (NULL, TRUE);
    if (!expired)
      g_source_remove (timer);
  }
  g_print ("tasks left: %d\n", g_atomic_int_get (&n_live_tasks));

  return g_atomic_int_get (&n_live_tasks) == 0 ? 0 : 1;
}
