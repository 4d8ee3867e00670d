/* gtask-sup-trace.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#ifdef HAVE_SYSPROF
# include <unistd.h>
# include <sysprof-capture.h>
#endif

#include <glib-object.h>

#include "gtask-sup-trace-private.h"

#ifdef HAVE_SYSPROF
static SysprofCaptureWriter *writer;  /* SYSPROF_TRACE_FD's, or NULL */
static GMutex writer_mutex;           /* a writer is not thread-safe */
static int active;                    /* 1: tracing, 2: not; atomic */
#endif

gboolean
_gtask_sup_trace_is_active (void)
{
#ifdef HAVE_SYSPROF
  int state = g_atomic_int_get (&active);

  if G_UNLIKELY (state == 0)
    {
      g_mutex_lock (&writer_mutex);
      if (active == 0)
        {
          /* As GTK does: a capture written to the fd Sysprof gives. */
          if (g_getenv ("SYSPROF_TRACE_FD") != NULL)
            writer = sysprof_capture_writer_new_from_env (0);
          g_atomic_int_set (&active, writer != NULL || sysprof_collector_is_active () ? 1 : 2);
        }
      g_mutex_unlock (&writer_mutex);
      state = g_atomic_int_get (&active);
    }

  return state == 1;
#else
  return FALSE;
#endif
}

gint64
_gtask_sup_trace_now (void)
{
#ifdef HAVE_SYSPROF
  if (_gtask_sup_trace_is_active ())
    return SYSPROF_CAPTURE_CURRENT_TIME;
#endif
  return 0;
}

void
_gtask_sup_trace_stamp (gpointer    object,
                        const char *key)
{
  gint64 now = _gtask_sup_trace_now ();

  g_object_set_data_full (object, key, g_memdup2 (&now, sizeof now), g_free);
}

gint64
_gtask_sup_trace_get_stamp (gpointer    object,
                            const char *key)
{
  const gint64 *stamp = g_object_get_data (object, key);

  return stamp != NULL ? *stamp : 0;
}

/* A mark of the group "gtask-sup" from @begin to @end (ns, the capture
 * clock), flushed at once: a program may end any time. */
void
_gtask_sup_trace_mark (gint64      begin,
                       gint64      end,
                       const char *name,
                       const char *message)
{
#ifdef HAVE_SYSPROF
  if (!_gtask_sup_trace_is_active () || begin <= 0)
    return;

  sysprof_collector_mark (begin, end - begin, "gtask-sup", name, message);

  if (writer != NULL)
    {
      g_mutex_lock (&writer_mutex);
      sysprof_capture_writer_add_mark (writer, begin, -1, getpid (), end - begin,
                                       "gtask-sup", name, message);
      sysprof_capture_writer_flush (writer);
      g_mutex_unlock (&writer_mutex);
    }
#endif
}
