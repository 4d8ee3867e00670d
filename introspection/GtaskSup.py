# GtaskSup.py: PyGObject override for GtaskSup-1
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Pythonic conveniences for GtaskSup.

Only one method is changed: `Supervisor.run_in_thread(fn, *args, **kwargs)`
runs a plain Python callable on a worker thread. Its return value is the
task's result and an exception it raises becomes the error of the `failed`
signal. The C form (a function that gets the task and its cancellable and
completes the task itself) stays available as `Task.new_thread(func, data)`
followed by `Supervisor.start(task)`.

`current_task()` gives the callable its own task, for instance to watch
`current_task().get_cancellable()` in a long loop or to report progress.
"""

import threading

from gi.repository import GLib, GObject

from ..module import get_introspection_module
from ..overrides import override

GtaskSup = get_introspection_module('GtaskSup')

__all__ = []

_G_MININT64 = -(1 << 63)
_G_MAXINT64 = (1 << 63) - 1

_local = threading.local()


def current_task():
    """Returns the task whose callable runs on this thread, or None.

    Only meaningful inside a callable given to `Supervisor.run_in_thread()`.
    """
    return getattr(_local, 'task', None)


__all__.append('current_task')


def _value_for_result(result):
    """Wraps a Python result in a GObject.Value for Task.return_value()."""
    if isinstance(result, GObject.Value):
        return result
    # bool first: it is a subclass of int.
    if isinstance(result, bool):
        return GObject.Value(GObject.TYPE_BOOLEAN, result)
    if isinstance(result, int) and _G_MININT64 <= result <= _G_MAXINT64:
        return GObject.Value(GObject.TYPE_INT64, result)
    if isinstance(result, float):
        return GObject.Value(GObject.TYPE_DOUBLE, result)
    if isinstance(result, str):
        return GObject.Value(GObject.TYPE_STRING, result)
    if isinstance(result, GObject.Object):
        return GObject.Value(result.__gtype__, result)
    # Anything else (None, big ints, lists, dicts, boxed values…) is kept
    # as the Python object itself.
    return GObject.Value(GObject.TYPE_PYOBJECT, result)


def _error_for_exception(exc):
    """A GLib.Error keeps its domain and code; anything else is FAILED."""
    if isinstance(exc, GLib.Error):
        return exc
    message = str(exc) or type(exc).__name__
    return GLib.Error.new_literal(GtaskSup.Error.quark(), message,
                                  int(GtaskSup.Error.FAILED))


@override
class Supervisor(GtaskSup.Supervisor):

    def run_in_thread(self, fn, *args, **kwargs):
        """Runs `fn(*args, **kwargs)` on a worker thread.

        The value `fn` returns is the task's result: a bool is stored as a
        gboolean, an int as a gint64, a float as a gdouble, a str as a
        string, a GObject.Object with its own type, a GObject.Value as is,
        and anything else as the Python object itself
        (`GObject.TYPE_PYOBJECT`). `task.get_value()` gives it back in the
        `succeeded` handler.

        An exception raised by `fn` fails the task: a `GLib.Error` keeps
        its domain and code, any other exception becomes a `GLib.Error` in
        the `GtaskSup.Error` domain with code `FAILED` and `str(exc)` as
        its message.

        Like the C function, returns the task (owned by the supervisor until
        its outcome is emitted) and raises a `GLib.Error` when the
        supervisor cannot start it (`MAX_CHILDREN`, `CLOSED`).
        """
        if not callable(fn):
            raise TypeError('run_in_thread() needs a callable, not %r'
                            % (type(fn).__name__,))

        def thread_func(task, cancellable, *unused):
            _local.task = task
            try:
                try:
                    value = _value_for_result(fn(*args, **kwargs))
                except Exception as exc:
                    task.return_error(_error_for_exception(exc))
                else:
                    task.return_value(value)
            finally:
                _local.task = None

        return GtaskSup.Supervisor.run_in_thread(self, thread_func)


__all__.append('Supervisor')
