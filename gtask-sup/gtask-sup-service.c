/* gtask-sup-service.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-service-private.h"

static GMainContext *service_context;

static gpointer
service_thread (gpointer data)
{
  g_main_context_push_thread_default (service_context);

  for (;;)
    g_main_context_iteration (service_context, TRUE);

  g_assert_not_reached ();
}

/* The service thread's context, with the thread started on first use. */
GMainContext *
_gtask_sup_service_get_context (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      service_context = g_main_context_new ();
      g_thread_unref (g_thread_new ("gtask-sup-service", service_thread, NULL));
      g_once_init_leave (&initialized, 1);
    }

  return service_context;
}
