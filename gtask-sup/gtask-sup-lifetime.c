/* gtask-sup-lifetime.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gtask-sup-supervisor-private.h"

/* Lifetimes: ending a supervisor's work when something other than its
 * owner's finalization says the work is over: a signal of an object (a GTK
 * window's close-request), or a D-Bus name that vanishes (a client of a
 * service). The end is the owner's finalization's: the supervisor is
 * silenced. A Binding watches one of them; it goes with the supervisor. */

typedef struct
{
  GWeakRef  supervisor;
  GObject  *instance;     /* not a reference: weak, NULL once finalized */
  gulong    handler_id;
  guint     watch_id;     /* g_bus_watch_name_on_connection() */
} Binding;

static void binding_supervisor_gone (gpointer  data,
                                     GObject  *where_the_object_was);

static void
binding_end (Binding *binding)
{
  g_autoptr(GtaskSupSupervisor) supervisor = g_weak_ref_get (&binding->supervisor);

  if (supervisor != NULL)
    _gtask_sup_supervisor_silence (supervisor);
}

static void
binding_instance_gone (gpointer  data,
                       GObject  *where_the_object_was)
{
  Binding *binding = data;

  /* Its handlers went with it. Being finalized says it is done too. */
  binding->instance = NULL;
  binding->handler_id = 0;
  binding_end (binding);
}

/* The supervisor is finalized: the binding goes, with its handler or its
 * watch. On the owner context's thread. */
static void
binding_supervisor_gone (gpointer  data,
                         GObject  *where_the_object_was)
{
  Binding *binding = data;

  if (binding->instance != NULL)
    {
      g_clear_signal_handler (&binding->handler_id, binding->instance);
      g_object_weak_unref (binding->instance, binding_instance_gone, binding);
    }
  if (binding->watch_id != 0)
    g_bus_unwatch_name (binding->watch_id);
  g_weak_ref_clear (&binding->supervisor);
  g_free (binding);
}

static Binding *
binding_new (GtaskSupSupervisor *supervisor)
{
  Binding *binding = g_new0 (Binding, 1);

  g_weak_ref_init (&binding->supervisor, supervisor);
  g_object_weak_ref (G_OBJECT (supervisor), binding_supervisor_gone, binding);

  return binding;
}

/* Any signal, whatever its parameters: a boolean-returning one, such as
 * GtkWindow::close-request, is left unhandled (FALSE), so the window
 * closes as it would have. */
static void
binding_marshal (GClosure     *closure,
                 GValue       *return_value,
                 guint         n_param_values,
                 const GValue *param_values,
                 gpointer      invocation_hint,
                 gpointer      marshal_data)
{
  if (return_value != NULL && G_VALUE_HOLDS_BOOLEAN (return_value))
    g_value_set_boolean (return_value, FALSE);

  binding_end (closure->data);
}

/**
 * gtask_sup_supervisor_bind_lifetime:
 * @self: a supervisor
 * @instance: (type GObject): the object whose signal ends the work
 * @detailed_signal: a signal of @instance, such as `"close-request"`
 *
 * Ends the supervisor's work when @instance emits @detailed_signal, or is
 * finalized, exactly as the finalization of its owner does: every task is
 * cancelled, queued tasks never run, subprocesses get SIGTERM then SIGKILL
 * after their grace period, and no signal or callback of the supervisor
 * comes any more; the supervisor is closed.
 *
 * This is *the* way to tie work to a GTK 4 window, in every language:
 * `gtask_sup_supervisor_bind_lifetime (sup, window, "close-request")`.
 * Closing a window does not finalize it when a binding (PyGObject, GJS)
 * still holds it, so owner finalization alone would let its work run on.
 * A signal with a boolean return value, such as `close-request`, is left
 * unhandled: the window closes as it would have. The library has no GTK
 * dependency: any object and signal will do.
 *
 * The binding goes with the supervisor. Call it on the owner context's
 * thread; @detailed_signal must be emitted, and @instance finalized, on
 * that thread too (as a GTK window is).
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_bind_lifetime (GtaskSupSupervisor *self,
                                    gpointer            instance,
                                    const char         *detailed_signal)
{
  Binding *binding;
  GClosure *closure;
  guint signal_id;
  GQuark detail;

  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));
  g_return_if_fail (G_IS_OBJECT (instance));
  g_return_if_fail (detailed_signal != NULL);
  g_return_if_fail (g_signal_parse_name (detailed_signal, G_OBJECT_TYPE (instance),
                                         &signal_id, &detail, FALSE));

  binding = binding_new (self);
  binding->instance = instance;
  g_object_weak_ref (instance, binding_instance_gone, binding);

  closure = g_closure_new_simple (sizeof (GClosure), binding);
  g_closure_set_marshal (closure, binding_marshal);
  binding->handler_id = g_signal_connect_closure (instance, detailed_signal, closure, FALSE);
}

static void
name_vanished_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  binding_end (user_data);
}

/**
 * gtask_sup_supervisor_bind_bus_name:
 * @self: a supervisor
 * @connection: a D-Bus connection
 * @name: a bus name, typically the unique name of a client (`:1.42`), as
 *   [method@Gio.DBusMethodInvocation.get_sender] gives it
 *
 * Ends the supervisor's work when @name vanishes from the bus of
 * @connection (the client exits, crashes or closes its connection), with
 * the semantics of [method@GtaskSup.Supervisor.bind_lifetime]: the
 * cross-process form of an Elixir link, for a service that runs work for
 * its clients. If @name is not on the bus, the work ends from the next
 * iteration of the caller's thread-default main context.
 *
 * The watch goes with the supervisor. Call it on the owner context's
 * thread, with the owner context as thread-default: the watch reports
 * there.
 *
 * Since: 1.0
 */
void
gtask_sup_supervisor_bind_bus_name (GtaskSupSupervisor *self,
                                    GDBusConnection    *connection,
                                    const char         *name)
{
  Binding *binding;

  g_return_if_fail (GTASK_SUP_IS_SUPERVISOR (self));
  g_return_if_fail (G_IS_DBUS_CONNECTION (connection));
  g_return_if_fail (name != NULL && g_dbus_is_name (name));

  binding = binding_new (self);
  binding->watch_id = g_bus_watch_name_on_connection (connection, name,
                                                      G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                      NULL, name_vanished_cb,
                                                      binding, NULL);
}
