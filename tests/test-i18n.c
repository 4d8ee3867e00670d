/* test-i18n.c: the library's messages come out translated
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <locale.h>

#include <gtask-sup/gtask-sup.h>

static void
test_translated (void)
{
  g_autofree char *localedir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *mo = g_build_filename (localedir, "de", "LC_MESSAGES", "gtask-sup-1.mo", NULL);
  g_autoptr(GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GtaskSupSupervisor) sup = NULL;
  g_autoptr(GtaskSupTask) task = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("Under LANGUAGE=de and LANGUAGE=fr, a GError of the library is in German, "
                  "then French; under LANGUAGE=en, in English");

  if (!g_file_test (mo, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("The translations were not built");
      return;
    }

  /* Before the library's first message: it binds its domain once. */
  g_setenv ("GTASK_SUP_LOCALEDIR", localedir, TRUE);
  sup = gtask_sup_supervisor_new (owner);
  gtask_sup_supervisor_close (sup);
  task = gtask_sup_task_new_completed (NULL);

  g_setenv ("LANGUAGE", "de", TRUE);
  g_assert_false (gtask_sup_supervisor_start (sup, task, &error));
  g_assert_error (error, GTASK_SUP_ERROR, GTASK_SUP_ERROR_CLOSED);
  g_assert_cmpstr (error->message, ==,
                   "Der Supervisor ist geschlossen: er beendet seine Aufgaben und nimmt keine neuen an");
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_clear_error (&error);

  /* gettext caches its catalogs: a new setlocale() call makes it look at
   * LANGUAGE again. */
  g_setenv ("LANGUAGE", "fr", TRUE);
  setlocale (LC_ALL, "");
  g_assert_false (gtask_sup_supervisor_start (sup, task, &error));
  g_assert_cmpstr (error->message, ==,
                   "Le superviseur est fermé : il termine ses tâches et n’en accepte plus de nouvelles");
  g_clear_error (&error);

  g_setenv ("LANGUAGE", "en", TRUE);
  setlocale (LC_ALL, "");
  g_assert_false (gtask_sup_supervisor_start (sup, task, &error));
  g_assert_cmpstr (error->message, ==,
                   "The supervisor is closed: it finishes its tasks and takes no new one");
}

int
main (int   argc,
      char *argv[])
{
  /* A locale other than plain C, so that gettext reads LANGUAGE (the
   * suites run under LC_ALL=C.UTF-8). */
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/GtaskSup/I18n/translated", test_translated);

  return g_test_run ();
}
