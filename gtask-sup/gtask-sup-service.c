/* gtask-sup-service.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#ifdef __linux__
# include <sys/timerfd.h>
# include <unistd.h>
#endif

#include <errno.h>
#ifdef __linux__
# include <sys/eventfd.h>
#endif

#include <gio/gio.h>
#include <glib-unix.h>

#include "gtask-sup-heap-private.h"
#include "gtask-sup-i18n-private.h"
#include "gtask-sup-service-private.h"

/* Timers are rounded up to this: a burst of tasks started together, with
 * the same timeout, expires in a few wakeups rather than one each. Small,
 * though: the tasks of one wakeup are reported one after the other, so a
 * wider window makes the last of them later (100 µs made the p99 of 1 000
 * timeouts 1.0-1.4x that of GLib's timeout sources, 20 µs 0.9-1.1x). */
#define TIMER_SLACK_USEC 20

static struct {
  GMainContext *context;
  int           running;   /* the thread was started; atomic */
  GMutex        start_mutex;
  GMutex        mutex;     /* guards what follows */
  GtaskSupHeap  heap;      /* registered timers, by deadline */
  int           timerfd;   /* armed for the earliest; -1 without one */
  GSource      *fallback;  /* a ready-time source, without a timerfd */
} service = {
  .heap = { .index_offset = G_STRUCT_OFFSET (GtaskSupTimer, heap_index) },
  .timerfd = -1,
};

static gpointer
service_thread (gpointer data)
{
  g_main_context_push_thread_default (service.context);

  for (;;)
    g_main_context_iteration (service.context, TRUE);

  g_assert_not_reached ();
}

/* Arms the timer of the service for the earliest deadline. With the lock. */
static void
service_program_locked (void)
{
  gint64 deadline = _gtask_sup_heap_peek_deadline (&service.heap);

  /* Not started (out of file descriptors): programmed once it is. */
  if (service.context == NULL)
    return;

#ifdef __linux__
  if (service.timerfd >= 0)
    {
      struct itimerspec spec = { { 0, 0 }, { 0, 0 } };

      if (deadline != G_MAXINT64)
        {
          /* 0 would disarm it: an expired deadline is 1 ns. */
          spec.it_value.tv_sec = deadline / G_USEC_PER_SEC;
          spec.it_value.tv_nsec = (deadline % G_USEC_PER_SEC) * 1000;
          if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0)
            spec.it_value.tv_nsec = 1;
        }

      /* g_get_monotonic_time() is CLOCK_MONOTONIC. */
      timerfd_settime (service.timerfd, TFD_TIMER_ABSTIME, &spec, NULL);
      return;
    }
#endif

  g_source_set_ready_time (service.fallback, deadline == G_MAXINT64 ? -1 : deadline);
}

/* On the service thread: calls every timer whose deadline passed. */
static void
service_expire (void)
{
  g_autoptr(GPtrArray) due = g_ptr_array_new ();
  gint64 now = g_get_monotonic_time ();
  GtaskSupTimer *timer;

  g_mutex_lock (&service.mutex);
  while ((timer = _gtask_sup_heap_pop_expired (&service.heap, now)) != NULL)
    {
      timer->ref (timer->data);
      g_ptr_array_add (due, timer);
    }
  service_program_locked ();
  g_mutex_unlock (&service.mutex);

  /* Without the lock: the clients set their next deadline from there. */
  for (guint i = 0; i < due->len; i++)
    {
      timer = g_ptr_array_index (due, i);
      timer->expire (timer->data);
      timer->unref (timer->data);
    }
}

#ifdef __linux__
static gboolean
timerfd_cb (int           fd,
            GIOCondition  condition,
            gpointer      data)
{
  guint64 n_expirations;

  if (read (fd, &n_expirations, sizeof n_expirations) < 0)
    {
      /* EAGAIN: it was re-armed before we read it. */
    }

  service_expire ();

  return G_SOURCE_CONTINUE;
}
#endif

static gboolean
fallback_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     data)
{
  service_expire ();

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs fallback_funcs = {
  .dispatch = fallback_dispatch,
};

/* The context and its deadline source; the thread comes later. Fails,
 * without latching, when the process is out of file descriptors: GLib
 * aborts if a new context cannot get its wakeup descriptor, so one is
 * made first, as a probe. With service.start_mutex. */
static gboolean
service_init_locked (GError **error)
{
  GSource *source;

  if (service.context != NULL)
    return TRUE;

#ifdef __linux__
  {
    int probe = eventfd (0, EFD_CLOEXEC);

    if (probe < 0)
      {
        int saved_errno = errno;

        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                     _("Could not start the library’s service thread: %s"),
                     g_strerror (saved_errno));
        return FALSE;
      }
    close (probe);
  }
#endif

  service.timerfd = -1;
#ifdef __linux__
  service.timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
#endif
  if (service.timerfd >= 0)
    {
      source = g_unix_fd_source_new (service.timerfd, G_IO_IN);
      g_source_set_callback (source, G_SOURCE_FUNC (timerfd_cb), NULL, NULL);
    }
  else
    {
      /* Millisecond precision, but a timer all the same. */
      source = g_source_new (&fallback_funcs, sizeof (GSource));
      service.fallback = g_source_ref (source);
    }
  g_source_set_static_name (source, "[gtask-sup] deadlines");
  g_source_set_priority (source, G_PRIORITY_HIGH);

  g_mutex_lock (&service.mutex);
  service.context = g_main_context_new ();
  g_source_attach (source, service.context);
  /* Deadlines set while there was no context. */
  service_program_locked ();
  g_mutex_unlock (&service.mutex);

  g_source_unref (source);

  return TRUE;
}

/* The service thread's context, with the thread started on first use, or
 * NULL with @error if the process is out of threads. Not latched: a later
 * call tries again. Any thread. */
GMainContext *
_gtask_sup_service_try_get_context (GError **error)
{
  gboolean running;

  if (g_atomic_int_get (&service.running))
    return service.context;

  g_mutex_lock (&service.start_mutex);
  running = service.running;
  if (!running && !service_init_locked (error))
    {
      g_mutex_unlock (&service.start_mutex);
      return NULL;
    }
  if (!running)
    {
      GThread *thread = g_thread_try_new ("gtask-sup-service", service_thread, NULL, error);

      running = thread != NULL;
      if (running)
        {
          g_thread_unref (thread);
          g_atomic_int_set (&service.running, TRUE);
        }
    }
  g_mutex_unlock (&service.start_mutex);

  return running ? service.context : NULL;
}

/* The service thread's context, for work that can wait for the thread:
 * if it cannot start now, what is attached there runs once a later call
 * starts it. Work that must run now uses _gtask_sup_service_try_get_context(). */
GMainContext *
_gtask_sup_service_get_context (void)
{
  _gtask_sup_service_try_get_context (NULL);

  return service.context;
}

/* Registers @timer for @deadline (monotonic µs), moves it, or, with -1,
 * removes it. Any thread. Once removed, its expire function is never
 * called again, except by a call already under way (which holds a
 * reference to the client). */
void
_gtask_sup_service_timer_set (GtaskSupTimer *timer,
                              gint64         deadline)
{
  gint64 earliest;

  /* Without a thread (the process is out of them) the deadline is kept,
   * and acted on, late, once a later call starts the thread. */
  _gtask_sup_service_get_context ();

  g_mutex_lock (&service.mutex);

  earliest = _gtask_sup_heap_peek_deadline (&service.heap);

  if (deadline < 0)
    {
      _gtask_sup_heap_remove (&service.heap, timer);
    }
  else
    {
      /* Deadlines within one slot of TIMER_SLACK_USEC wake the service
       * thread once, never before the first of them. */
      deadline = (deadline + TIMER_SLACK_USEC - 1) / TIMER_SLACK_USEC * TIMER_SLACK_USEC;
      _gtask_sup_heap_set (&service.heap, timer, deadline);
      /* Only a new earliest deadline re-arms the timer. */
      if (deadline < earliest)
        service_program_locked ();
    }

  g_mutex_unlock (&service.mutex);
}
