/* jobs.c — a GTK 4 window of jobs, each a supervised task
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   meson devenv -C _build gtask-sup-jobs [--self-test] [--screenshot FILE]
 *
 * Buttons start a thread job (it counts to 100, with progress), a file
 * job (an async task loading a file with GIO) and a command job (`sleep`,
 * a subprocess). Each row of the list is one running task of the window's
 * supervisor: its rows are bound to gtask_sup_supervisor_get_children(),
 * with the task's name, state, progress and a Cancel button. The status
 * line tells each outcome. Closing the window ends every job: the
 * supervisor's lifetime is bound to the window's close-request.
 *
 * --self-test drives the window as a user would (start jobs, let them
 * progress, cancel one, close the window) and exits with 0 if every
 * outcome was right and nothing is left running. --screenshot FILE saves
 * the window, with its jobs under way, as a PNG, then closes it.
 */

#include <signal.h>

#include <gtk/gtk.h>

#include <gtask-sup/gtask-sup.h>

/* Jobs alive, for the self-test's check that nothing is left. */
static int n_live_jobs;

/* A job's last reference may go on a thread of the library once its
 * window (the owner) is gone: count atomically, and wake the main
 * context, which waits for the count to reach 0. */
static void
job_gone (gpointer  data,
          GObject  *where_the_object_was)
{
  if (g_atomic_int_dec_and_test (&n_live_jobs))
    g_main_context_wakeup (NULL);
}

static gboolean
set_flag_cb (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GtkWindow          *window;
  GtaskSupSupervisor *supervisor;
  GtkLabel           *status;
  guint               n_started;
  guint               n_succeeded;
  guint               n_failed;
  guint               n_timed_out;
  /* --self-test and --screenshot */
  gboolean            self_test;
  char               *screenshot;
  GtaskSupTask       *cancelled;
  int                 command_pid;
  int                 exit_status;
} App;

/* The jobs {{{1 */

/* A thread job: counts to 100, a step every 40 ms, and stops when asked. */
static void
count_to_100 (GtaskSupTask *task,
              GCancellable *cancellable,
              gpointer      user_data)
{
  for (int i = 1; i <= 100; i++)
    {
      if (g_cancellable_is_cancelled (cancellable))
        return;   /* a cancellation */
      g_usleep (40 * G_TIME_SPAN_MILLISECOND);
      gtask_sup_task_set_progress (task, i / 100.0);
    }
  gtask_sup_task_return_int (task, 100);
}

static void
file_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GtaskSupTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    gtask_sup_task_return_error (task, g_steal_pointer (&error));
  else
    gtask_sup_task_return_int (task, length);
}

/* A file job: an async task, on the main context, with GIO. */
static void
load_file (GtaskSupTask *task,
           GCancellable *cancellable,
           gpointer      user_data)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/etc/os-release");

  g_file_load_contents_async (file, cancellable, file_loaded_cb, g_object_ref (task));
}

static GtaskSupTask *
app_start (App          *app,
           GtaskSupTask *task,
           const char   *kind)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("%s %u", kind, ++app->n_started);

  gtask_sup_task_set_name (task, name);
  gtask_sup_task_set_timeout (task, 60000);
  g_atomic_int_inc (&n_live_jobs);
  g_object_weak_ref (G_OBJECT (task), job_gone, NULL);
  if (!gtask_sup_supervisor_start (app->supervisor, task, &error))
    gtk_label_set_text (app->status, error->message);

  return task;
}

static void
on_thread_clicked (GtkButton *button,
                   App       *app)
{
  g_autoptr(GtaskSupTask) task = gtask_sup_task_new_thread (count_to_100, NULL, NULL);

  app_start (app, task, "Count");
}

static void
on_file_clicked (GtkButton *button,
                 App       *app)
{
  g_autoptr(GtaskSupTask) task = gtask_sup_task_new_async (load_file, NULL, NULL);

  app_start (app, task, "Load");
}

static GtaskSupTask *
start_command (App *app)
{
  const char *argv[] = { "sleep", "30", NULL };
  GtaskSupTask *task = gtask_sup_task_new_subprocess (argv, G_SUBPROCESS_FLAGS_NONE);

  gtask_sup_task_set_shutdown_timeout (task, 500);
  return app_start (app, task, "Sleep");
}

static void
on_command_clicked (GtkButton *button,
                    App       *app)
{
  g_object_unref (start_command (app));
}

/* The outcomes, on the main context: the status line. */
static void
on_succeeded (GtaskSupSupervisor *sup,
              GtaskSupTask       *task,
              App                *app)
{
  g_autofree char *text = g_strdup_printf ("%s succeeded", gtask_sup_task_get_name (task));

  app->n_succeeded++;
  gtk_label_set_text (app->status, text);
}

static void
on_failed (GtaskSupSupervisor *sup,
           GtaskSupTask       *task,
           const GError       *error,
           App                *app)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", gtask_sup_task_get_name (task),
                                           error->message);

  app->n_failed++;
  gtk_label_set_text (app->status, text);
}

static void
on_timed_out (GtaskSupSupervisor *sup,
              GtaskSupTask       *task,
              App                *app)
{
  g_autofree char *text = g_strdup_printf ("%s timed out", gtask_sup_task_get_name (task));

  app->n_timed_out++;
  gtk_label_set_text (app->status, text);
}

/* The rows: one per running task {{{1 */

static gboolean
state_to_text (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (GTASK_SUP_TYPE_TASK_STATE);
  GEnumValue *value = g_enum_get_value (klass, g_value_get_enum (from));

  g_value_set_string (to, value != NULL ? value->value_nick : "?");
  return TRUE;
}

static void
on_cancel_clicked (GtkButton *button,
                   gpointer   user_data)
{
  GtkListItem *item = user_data;
  GtaskSupTask *task = gtk_list_item_get_item (item);

  if (task != NULL)
    gtask_sup_task_cancel (task);
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *state = gtk_label_new (NULL);
  GtkWidget *progress = gtk_progress_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_label ("Cancel");

  gtk_label_set_width_chars (GTK_LABEL (name), 10);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_width_chars (GTK_LABEL (state), 8);
  gtk_widget_set_hexpand (progress, TRUE);
  gtk_widget_set_valign (progress, GTK_ALIGN_CENTER);
  g_signal_connect (cancel, "clicked", G_CALLBACK (on_cancel_clicked), item);

  gtk_box_append (GTK_BOX (row), name);
  gtk_box_append (GTK_BOX (row), state);
  gtk_box_append (GTK_BOX (row), progress);
  gtk_box_append (GTK_BOX (row), cancel);
  gtk_widget_set_margin_start (row, 6);
  gtk_widget_set_margin_end (row, 6);
  gtk_list_item_set_child (item, row);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  GtaskSupTask *task = gtk_list_item_get_item (item);
  GtkWidget *name = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *state = gtk_widget_get_next_sibling (name);
  GtkWidget *progress = gtk_widget_get_next_sibling (state);
  GBinding *bindings[2];

  gtk_label_set_text (GTK_LABEL (name), gtask_sup_task_get_name (task));
  /* notify::state and notify::progress come on the main context. */
  bindings[0] = g_object_bind_property_full (task, "state", state, "label", G_BINDING_SYNC_CREATE,
                                             state_to_text, NULL, NULL, NULL);
  bindings[1] = g_object_bind_property (task, "progress", progress, "fraction",
                                        G_BINDING_SYNC_CREATE);
  g_object_set_data (G_OBJECT (item), "state-binding", bindings[0]);
  g_object_set_data (G_OBJECT (item), "progress-binding", bindings[1]);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  g_binding_unbind (g_object_get_data (G_OBJECT (item), "state-binding"));
  g_binding_unbind (g_object_get_data (G_OBJECT (item), "progress-binding"));
}

/* Self-test and screenshot {{{1 */

static void
check (App        *app,
       gboolean    ok,
       const char *what)
{
  if (!ok)
    {
      g_printerr ("self-test: FAILED: %s\n", what);
      app->exit_status = 1;
    }
}

static void
save_screenshot (App *app)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (app->window));
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (app->window));
  int width = gtk_widget_get_width (GTK_WIDGET (app->window));
  int height = gtk_widget_get_height (GTK_WIDGET (app->window));

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, app->screenshot))
    check (app, FALSE, "saving the screenshot");
}

static gboolean
self_test_step (gpointer user_data)
{
  App *app = user_data;
  static int step;
  static int ticks;
  GListModel *children = gtask_sup_supervisor_get_children (app->supervisor);

  ticks++;
  switch (step)
    {
    case 0:
      /* Start one job of each kind, and a second count. */
      on_thread_clicked (NULL, app);
      on_thread_clicked (NULL, app);
      on_file_clicked (NULL, app);
      {
        g_autoptr(GtaskSupTask) command = start_command (app);

        g_object_set_data_full (G_OBJECT (app->window), "command", g_object_ref (command),
                                g_object_unref);
      }
      step++;
      break;

    case 1:
      /* Rows show them; the counts progress; the file job is done. */
      {
        GtaskSupTask *count = g_list_model_get_n_items (children) > 0
                              ? g_list_model_get_item (children, 0) : NULL;
        GtaskSupTask *command = g_object_get_data (G_OBJECT (app->window), "command");
        g_autoptr(GSubprocess) process = gtask_sup_task_dup_subprocess (command);

        if (count != NULL && gtask_sup_task_get_progress (count) >= 0.1 &&
            app->n_succeeded >= 1 && process != NULL)
          {
            app->command_pid = atoi (g_subprocess_get_identifier (process));
            if (app->screenshot != NULL)
              {
                save_screenshot (app);
                step = 3;
                g_object_unref (count);
                break;
              }
            /* Cancel the first count, as its Cancel button does. */
            app->cancelled = count;
            gtask_sup_task_cancel (count);
            step++;
          }
        else
          g_clear_object (&count);
      }
      break;

    case 2:
      if (gtask_sup_task_get_state (app->cancelled) == GTASK_SUP_TASK_STATE_FAILED)
        {
          check (app, g_error_matches (gtask_sup_task_get_error (app->cancelled),
                                       G_IO_ERROR, G_IO_ERROR_CANCELLED),
                 "the cancelled job failed as cancelled");
          check (app, app->n_succeeded == 1, "the file job succeeded");
          check (app, g_list_model_get_n_items (children) == 2, "two jobs run on");
          step++;
        }
      break;

    case 3:
      /* Close the window: every job ends, silently. */
      gtk_window_close (app->window);
      return G_SOURCE_REMOVE;

    default:
      break;
    }

  if (ticks > 400)
    {
      check (app, FALSE, "the jobs did not get there in 20 s");
      gtk_window_close (app->window);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

/* The window {{{1 */

static void
activate (GtkApplication *application,
          App            *app)
{
  GtkWidget *window = gtk_application_window_new (application);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *thread = gtk_button_new_with_label ("Count to 100");
  GtkWidget *file = gtk_button_new_with_label ("Load a file");
  GtkWidget *command = gtk_button_new_with_label ("Run sleep 30");
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkWidget *list;
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  app->window = GTK_WINDOW (window);
  gtk_window_set_title (app->window, "Jobs");
  gtk_window_set_default_size (app->window, 560, 320);

  /* The window owns the work; closing it ends the work, in any language. */
  app->supervisor = gtask_sup_supervisor_new (window);
  gtask_sup_supervisor_bind_lifetime (app->supervisor, window, "close-request");
  g_signal_connect (app->supervisor, "succeeded", G_CALLBACK (on_succeeded), app);
  g_signal_connect (app->supervisor, "failed", G_CALLBACK (on_failed), app);
  g_signal_connect (app->supervisor, "timed-out", G_CALLBACK (on_timed_out), app);
  g_object_set_data_full (G_OBJECT (window), "supervisor", app->supervisor, g_object_unref);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), NULL);
  list = gtk_list_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (
                              g_object_ref (gtask_sup_supervisor_get_children (app->supervisor)))),
                            factory);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  gtk_widget_set_vexpand (scrolled, TRUE);

  g_signal_connect (thread, "clicked", G_CALLBACK (on_thread_clicked), app);
  g_signal_connect (file, "clicked", G_CALLBACK (on_file_clicked), app);
  g_signal_connect (command, "clicked", G_CALLBACK (on_command_clicked), app);
  gtk_box_append (GTK_BOX (buttons), thread);
  gtk_box_append (GTK_BOX (buttons), file);
  gtk_box_append (GTK_BOX (buttons), command);

  app->status = GTK_LABEL (gtk_label_new ("Start a job."));
  gtk_label_set_xalign (app->status, 0);

  gtk_box_append (GTK_BOX (box), buttons);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (app->status));
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_window_set_child (app->window, box);
  gtk_window_present (app->window);

  if (app->self_test || app->screenshot != NULL)
    g_timeout_add (50, self_test_step, app);
}

static gboolean
pid_gone (int pid)
{
  return kill (pid, 0) != 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkApplication) application = NULL;
  App app = { 0, };
  GOptionEntry entries[] = {
    { "self-test", 0, 0, G_OPTION_ARG_NONE, &app.self_test, "Drive the window and check it", NULL },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &app.screenshot, "Save the window as a PNG", "FILE" },
    { NULL }
  };
  int status;

  application = gtk_application_new ("org.gtask_sup.Jobs", G_APPLICATION_NON_UNIQUE);
  g_application_add_main_option_entries (G_APPLICATION (application), entries);
  g_signal_connect (application, "activate", G_CALLBACK (activate), &app);
  status = g_application_run (G_APPLICATION (application), argc, argv);

  if (app.self_test)
    {
      /* After the window closed: the command was killed, nothing runs. */
      for (int i = 0; i < 200 && app.command_pid > 0 && !pid_gone (app.command_pid); i++)
        g_usleep (10 * G_TIME_SPAN_MILLISECOND);
      check (&app, app.command_pid > 0 && pid_gone (app.command_pid),
             "the command job was killed when the window closed");
      check (&app, app.n_failed == 1 && app.n_timed_out == 0,
             "no outcome after the window closed");
      g_clear_object (&app.cancelled);
      /* The window, its supervisor and every job are gone. */
      {
        gboolean late = FALSE;
        guint guard = g_timeout_add_seconds (5, set_flag_cb, &late);

        while (g_atomic_int_get (&n_live_jobs) > 0 && !late)
          g_main_context_iteration (NULL, TRUE);
        if (!late)
          g_source_remove (guard);
      }
      check (&app, g_atomic_int_get (&n_live_jobs) == 0, "no job is left alive");
      g_print ("self-test: %s (%u started, %u succeeded, %u failed)\n",
               app.exit_status == 0 ? "ok" : "FAILED", app.n_started, app.n_succeeded,
               app.n_failed);
    }

  g_free (app.screenshot);

  return status != 0 ? status : app.exit_status;
}
