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

A `Stream` is iterable: `for index, task in stream:` starts it if needed
and yields its outputs as they come, running the owner context meanwhile;
a stream that fails raises its error at the end, and leaving the loop
early cancels it.
"""

import collections
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


@override
class Stream(GtaskSup.Stream):

    def start(self):
        # Remembered for __iter__(), which starts the stream only if needed
        # (the C API has no getter for it, and a second start() is a
        # programmer error).
        self._gtask_sup_started = True
        GtaskSup.Stream.start(self)

    def __iter__(self):
        """Iterates the outputs of the stream as `(index, task)` pairs.

        Starts the stream if it was not started yet, then runs the owner
        context (the supervisor's `main-context`) until each output comes:
        call it on the owner context's thread, where the stream is used
        anyway. Pairs come in the order of the `item` signal: input order
        if the stream is `ordered`, completion order otherwise. A failed or
        timed-out item is an output like the others: look at
        `task.get_state()` or `task.get_error()`.

        When the input is exhausted the iteration ends. If the stream
        itself failed (cancelled, an item timed out with
        `OnTimeout.EXIT`, the supervisor closed, or its owner was
        disposed), the iteration raises that `GLib.Error` after the last
        output.

        Leaving the loop early (`break`, an exception, or dropping the
        iterator) cancels the stream, like halting an Elixir stream stops
        its tasks.

        A stream can be iterated once, before its first output: outputs
        already emitted are not replayed (with `retain`, the stream is also
        a `Gio.ListModel` of its finished tasks).
        """
        if self.get_finished() or self.get_n_outputs() > 0:
            raise RuntimeError('a GtaskSup.Stream can only be iterated before '
                               'its first output')

        supervisor = self.dup_supervisor()
        if supervisor is not None:
            context = supervisor.get_main_context()
        else:
            context = GLib.MainContext.ref_thread_default()
        del supervisor

        if not context.acquire():
            raise RuntimeError('a GtaskSup.Stream is iterated on the thread of '
                               'its owner context')
        context.release()

        return self._iterate(context)

    def _iterate(self, context):
        outputs = collections.deque()
        end = []   # [None] or [GLib.Error] once joined

        def on_item(stream, index, task):
            outputs.append((index, task))

        def on_joined(stream, result):
            try:
                stream.join_finish(result)
            except GLib.Error as error:
                end.append(error)
            else:
                end.append(None)

        context.acquire()
        handler_id = self.connect('item', on_item)
        try:
            # join_async() calls back on the caller's thread-default context:
            # make it the one iterated below. It also ends the loop when the
            # owner is disposed (no `finished` then, but the join completes
            # with G_IO_ERROR_CANCELLED).
            context.push_thread_default()
            try:
                self.join_async(None, on_joined)
            finally:
                context.pop_thread_default()

            if not getattr(self, '_gtask_sup_started', False):
                self.start()

            while True:
                while outputs:
                    yield outputs.popleft()
                if end:
                    break
                context.iteration(True)

            if end[0] is not None:
                raise end[0]
        finally:
            self.disconnect(handler_id)
            if not end:
                # The consumer left early: stop the stream's work.
                self.cancel()
            context.release()


__all__.append('Stream')
