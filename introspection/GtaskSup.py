# GtaskSup.py: PyGObject override for GtaskSup-1
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Pythonic conveniences for GtaskSup.

`Supervisor.run_in_thread(fn, *args, **kwargs)` runs a plain Python
callable on a worker thread. Its return value is the task's result and an
exception it raises becomes the error of the `failed` signal. The C form (a
function that gets the task and its cancellable and completes the task
itself) stays available as `Task.new_thread(func, data)` followed by
`Supervisor.start(task)`.

No exception a Python callback raises is lost. A thread function
(`Task.new_thread`) or an async function (`Task.new_async`) that raises
fails its task; a stream's next function (`Supervisor.map`) or map function
(`Supervisor.map_model`) that raises fails its stream: its `finished`
handlers (connected with `connect()` or `connect_after()`),
`join_finish()` and its iteration get the error. The error is a
`GLib.Error`: a `GLib.Error` exception as it is, any other exception in the
`GtaskSup.Error` domain with code `FAILED` and the message
`"ExceptionType: message"`. The traceback is logged once, at level ERROR,
to the `gi.overrides.GtaskSup` logger (without a logging configuration,
Python prints it to stderr).

`current_task()` gives the callable its own task, for instance to watch
`current_task().get_cancellable()` in a long loop or to report progress.

A `Stream` is iterable: `for index, task in stream:` starts it if needed
and yields its outputs as they come, running the owner context meanwhile;
a stream that fails raises its error at the end, and leaving the loop
early cancels it.

With asyncio, on an event loop that runs the owner context (gbulb's GLib
event loop, `gbulb.install()`, with the supervisor on the default main
context), the asynchronous calls are awaitable: `await task` gives the
task's value (or raises its `GLib.Error`), and `task.join_future()`,
`supervisor.shutdown_future()`, `supervisor.drain_future()`,
`stream.join_future()`, `await_many_future(tasks)` and
`yield_many_future(tasks, timeout_ms)` return asyncio futures. Cancelling
such a future cancels the wait, not the work.
"""

import collections
import logging
import threading

from gi.repository import GLib, GObject, Gio

from ..module import get_introspection_module
from ..overrides import override

GtaskSup = get_introspection_module('GtaskSup')

__all__ = []

_G_MININT64 = -(1 << 63)
_G_MAXINT64 = (1 << 63) - 1

_local = threading.local()

_logger = logging.getLogger(__name__)


def current_task():
    """Returns the task whose callable runs on this thread, or None.

    Only meaningful inside a callable given to `Supervisor.run_in_thread()`.
    """
    return getattr(_local, 'task', None)


__all__.append('current_task')


def _future(start, finish):
    """An asyncio future for a GIO-style call: start(cancellable,
    callback) begins it, finish(result) ends it in the callback."""
    import asyncio

    loop = asyncio.get_running_loop()
    future = loop.create_future()
    cancellable = Gio.Cancellable()

    def done(source, result, *unused):
        if future.cancelled():
            return
        try:
            future.set_result(finish(result))
        except GLib.Error as error:
            future.set_exception(error)

    def on_future_done(fut):
        if fut.cancelled():
            cancellable.cancel()

    future.add_done_callback(on_future_done)
    start(cancellable, done)
    return future


def await_many_future(tasks):
    """An asyncio future for `GtaskSup.await_many_async(tasks)`: True
    when every task succeeded, or the first task's error."""
    tasks = list(tasks)
    return _future(
        lambda c, cb: GtaskSup.await_many_async(tasks, c, cb),
        GtaskSup.await_many_finish)


def yield_many_future(tasks, timeout_ms=-1, limit=0,
                      on_timeout=GtaskSup.YieldTimeout.LEAVE_RUNNING):
    """An asyncio future for `GtaskSup.yield_many_async()`: the list of
    the tasks that are done."""
    tasks = list(tasks)
    return _future(
        lambda c, cb: GtaskSup.yield_many_async(tasks, timeout_ms, limit,
                                                on_timeout, c, cb),
        GtaskSup.yield_many_finish)


__all__ += ['await_many_future', 'yield_many_future']


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
    """A GLib.Error as it is; anything else is FAILED, "Type: message"."""
    if isinstance(exc, GLib.Error):
        return exc
    message = str(exc)
    if message:
        message = '%s: %s' % (type(exc).__name__, message)
    else:
        message = type(exc).__name__
    return GLib.Error.new_literal(GtaskSup.Error.quark(), message,
                                  int(GtaskSup.Error.FAILED))


def _log_exception(exc, what, obj):
    """Logs the traceback of @exc, raised by the @what callback of @obj."""
    name = obj.get_name() if isinstance(obj, GtaskSup.Task) else None
    if name:
        what = "%s of %s '%s'" % (what, type(obj).__name__.lower(), name)
    else:
        what = '%s of a %s' % (what, type(obj).__name__.lower())
    _logger.error('The %s raised %s', what, type(exc).__name__,
                  exc_info=(type(exc), exc, exc.__traceback__))


def _is_cancellation(exc):
    return (isinstance(exc, GLib.Error) and
            exc.matches(Gio.io_error_quark(), int(Gio.IOErrorEnum.CANCELLED)))


def _fail_task(task, cancellable, exc, what, *, stopping_is_cancel=False):
    """Completes @task with the error of @exc, which its @what raised.

    Logs the traceback, unless @exc only says that @cancellable is
    cancelled. With @stopping_is_cancel (thread functions), an exception
    raised once @cancellable is cancelled leaves the task uncompleted: the
    library then ends it as cancelled, as it does a thread function that
    returns without a result when asked to stop.
    """
    cancelled = cancellable is not None and cancellable.is_cancelled()
    if not (cancelled and _is_cancellation(exc)):
        _log_exception(exc, what, task)
    if getattr(task, '_gtask_sup_returned', False):
        # It completed its task, then raised: the result stands.
        return
    if stopping_is_cancel and cancelled:
        return
    task._gtask_sup_raised = True
    GtaskSup.Task.return_error(task, _error_for_exception(exc))


def _stream_func(func, what):
    """Wraps a stream's next function or map function: an exception it
    raises fails the stream."""

    def stream_func(stream, arg, *data):
        try:
            task = func(stream, arg, *data)
            if task is not None and not isinstance(task, GtaskSup.Task):
                raise TypeError('the %s of a stream returned %r, not a '
                                'GtaskSup.Task or None'
                                % (what, type(task).__name__))
        except Exception as exc:
            _log_exception(exc, what, stream)
            stream._gtask_sup_fail(_error_for_exception(exc))
            # The end of the input: the stream asks for nothing more.
            return None
        return task

    return stream_func


@override
class Task(GtaskSup.Task):

    @staticmethod
    def new_thread(func, *user_data):
        """Like the C constructor; an exception `func` raises fails the task.

        `func(task, cancellable, *user_data)` completes the task itself. If
        it raises instead, the task fails with the exception's error (see
        the module's documentation) rather than with a bare `NO_RESULT`,
        and the traceback is logged. An exception raised once
        `cancellable` is cancelled ends the task as cancelled, as returning
        does.
        """
        if not callable(func):
            raise TypeError('new_thread() needs a callable, not %r'
                            % (type(func).__name__,))

        def thread_func(task, cancellable, *data):
            try:
                func(task, cancellable, *data)
            except Exception as exc:
                _fail_task(task, cancellable, exc, 'thread function',
                           stopping_is_cancel=True)

        return GtaskSup.Task.new_thread(thread_func, *user_data)

    @staticmethod
    def new_async(func, *user_data):
        """Like the C constructor; an exception `func` raises fails the task.

        `func(task, cancellable, *user_data)` starts an operation that
        completes the task later. If it raises instead, the task fails at
        once with the exception's error (see the module's documentation),
        rather than running until its timeout, and the traceback is
        logged. An operation it started before raising is cancelled, and
        its completion of the task is dropped.
        """
        if not callable(func):
            raise TypeError('new_async() needs a callable, not %r'
                            % (type(func).__name__,))

        def async_func(task, cancellable, *data):
            try:
                func(task, cancellable, *data)
            except Exception as exc:
                _fail_task(task, cancellable, exc, 'async function')
                if (getattr(task, '_gtask_sup_raised', False) and
                        cancellable is not None):
                    cancellable.cancel()

        return GtaskSup.Task.new_async(async_func, *user_data)

    # The completions note that the task completed, so that an exception
    # raised after it does not complete it twice, and drop a late
    # completion of a task that already failed with an exception.

    def join_future(self):
        """An asyncio future for `join_async()`: True once the task
        succeeded, or its error."""
        return _future(lambda c, cb: self.join_async(c, cb), self.join_finish)

    def __await__(self):
        """`await task`: the task's value once it succeeded, or its
        error raised."""
        yield from self.join_future().__await__()
        return self.get_value()

    def _gtask_sup_completing(self):
        if getattr(self, '_gtask_sup_raised', False):
            return False
        self._gtask_sup_returned = True
        return True

    def return_value(self, value):
        if self._gtask_sup_completing():
            GtaskSup.Task.return_value(self, value)

    def return_boolean(self, result):
        if self._gtask_sup_completing():
            GtaskSup.Task.return_boolean(self, result)

    def return_int(self, result):
        if self._gtask_sup_completing():
            GtaskSup.Task.return_int(self, result)

    def return_error(self, error):
        if self._gtask_sup_completing():
            GtaskSup.Task.return_error(self, error)


__all__.append('Task')


@override
class Supervisor(GtaskSup.Supervisor):

    def run_in_thread(self, fn, /, *args, name=None, timeout=None,
                      restart=None, **kwargs):
        """Runs `fn(*args, **kwargs)` on a worker thread.

        The value `fn` returns is the task's result: a bool is stored as a
        gboolean, an int as a gint64, a float as a gdouble, a str as a
        string, a GObject.Object with its own type, a GObject.Value as is,
        and anything else as the Python object itself
        (`GObject.TYPE_PYOBJECT`). `task.get_value()` gives it back in the
        `succeeded` handler.

        An exception raised by `fn` fails the task: a `GLib.Error` keeps
        its domain, code and message, any other exception becomes a
        `GLib.Error` in the `GtaskSup.Error` domain with code `FAILED` and
        the message `"ExceptionType: message"`; its traceback is logged
        (see the module's documentation). An exception raised once the
        task's cancellable is cancelled (by a shutdown) ends it as
        cancelled.

        The keywords `name`, `timeout` (in milliseconds) and `restart` (a
        `GtaskSup.Restart`) are not given to `fn`: they set the task's
        `name`, `timeout` and `restart` before it starts. To give `fn`
        arguments of these names, wrap it with `functools.partial()`.

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
                    _fail_task(task, cancellable, exc, 'function',
                               stopping_is_cancel=True)
                else:
                    task.return_value(value)
            finally:
                _local.task = None

        # The C constructor: thread_func completes the task itself.
        task = GtaskSup.Task.new_thread(thread_func)
        if name is not None:
            task.set_name(name)
        if timeout is not None:
            task.set_timeout(timeout)
        if restart is not None:
            task.set_restart(restart)
        self.start(task)
        return task

    def shutdown_future(self):
        """An asyncio future for `shutdown_async()`."""
        return _future(lambda c, cb: self.shutdown_async(c, cb),
                       self.shutdown_finish)

    def drain_future(self):
        """An asyncio future for `drain_async()`."""
        return _future(lambda c, cb: self.drain_async(c, cb),
                       self.drain_finish)

    def map(self, next_func, *user_data):
        """Like the C method; an exception `next_func` raises fails the
        stream.

        `next_func(stream, index, *user_data)` returns the next task, or
        None at the end of the input. If it raises (or returns something
        else than a `GtaskSup.Task` or None), the stream asks for no more
        items, is cancelled, and fails with the exception's error (see the
        module's documentation) instead of ending as a success with its
        input cut short.
        """
        if not callable(next_func):
            raise TypeError('map() needs a callable, not %r'
                            % (type(next_func).__name__,))
        return GtaskSup.Supervisor.map(
            self, _stream_func(next_func, 'next function'), *user_data)

    def map_model(self, items, func, *user_data):
        """Like the C method; an exception `func` raises fails the stream.

        `func(stream, item, *user_data)` returns the task for an item. If it
        raises, the stream fails as with `map()`.
        """
        if not callable(func):
            raise TypeError('map_model() needs a callable, not %r'
                            % (type(func).__name__,))
        return GtaskSup.Supervisor.map_model(
            self, items, _stream_func(func, 'map function'), *user_data)


__all__.append('Supervisor')


class _FinishedHandler:
    """A handler of a stream's `finished` signal, given the error of the
    exception that failed the stream (see Stream._gtask_sup_fail()).

    Equal to the handler it wraps, so that disconnect_by_func() and
    handler_block_by_func() find it.
    """

    def __init__(self, handler):
        self.handler = handler

    def __call__(self, stream, error, *data):
        return self.handler(stream, stream._gtask_sup_error_for(error), *data)

    def __eq__(self, other):
        if isinstance(other, _FinishedHandler):
            other = other.handler
        return self.handler == other

    __hash__ = None


def _is_finished_signal(detailed_signal):
    return (isinstance(detailed_signal, str) and
            detailed_signal.partition('::')[0] == 'finished')


@override
class Stream(GtaskSup.Stream):

    def start(self):
        # Remembered for __iter__(), which starts the stream only if needed
        # (the C API has no getter for it, and a second start() is a
        # programmer error).
        self._gtask_sup_started = True
        GtaskSup.Stream.start(self)

    # A next function that raises fails the stream with its exception's
    # error. The C API has no way to finish a stream with an error of the
    # caller's: the stream is cancelled, and the error of the exception
    # replaces the one it finishes with where Python sees it: `finished`
    # handlers connected with connect() or connect_after(), join_finish()
    # and the iteration.

    def _gtask_sup_fail(self, error):
        """Fails the stream with @error. Called by its next function."""
        if getattr(self, '_gtask_sup_error', None) is not None:
            return
        # A copy: not the exception, whose traceback holds the stream.
        self._gtask_sup_error = error.copy()

        # Not from inside the next function: cancel() frees it (its
        # PyGObject closure) while it runs.
        supervisor = self.dup_supervisor()
        if supervisor is None:
            return   # silenced: finishing already
        context = supervisor.get_main_context()
        del supervisor

        def cancel_cb(*unused):
            self.cancel()
            return GLib.SOURCE_REMOVE

        source = GLib.idle_source_new()
        source.set_callback(cancel_cb)
        source.attach(context)

    def _gtask_sup_error_for(self, error):
        """The error the stream finished with, as Python sees it: @error,
        or a copy of the one of the exception that failed the stream."""
        own = getattr(self, '_gtask_sup_error', None)
        return own.copy() if own is not None else error

    def connect(self, detailed_signal, handler, *args):
        if _is_finished_signal(detailed_signal) and callable(handler):
            handler = _FinishedHandler(handler)
        return GtaskSup.Stream.connect(self, detailed_signal, handler, *args)

    def connect_after(self, detailed_signal, handler, *args):
        if _is_finished_signal(detailed_signal) and callable(handler):
            handler = _FinishedHandler(handler)
        return GtaskSup.Stream.connect_after(self, detailed_signal, handler,
                                             *args)

    def join_future(self):
        """An asyncio future for `join_async()` (starts the stream if
        needed): True once it finished, or its error."""
        if not self.get_finished() and not getattr(self, '_gtask_sup_started', False):
            self.start()
        return _future(lambda c, cb: self.join_async(c, cb), self.join_finish)

    def join_finish(self, result):
        """Like the C method; raises the error of an exception that failed
        the stream (see `Supervisor.map()`)."""
        try:
            GtaskSup.Stream.join_finish(self, result)
        except GLib.Error as error:
            raise self._gtask_sup_error_for(error) from None
        if getattr(self, '_gtask_sup_error', None) is not None:
            raise self._gtask_sup_error_for(None)
        return True

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
        `OnTimeout.EXIT`, the supervisor closed, its owner was disposed,
        or its next function raised), the iteration raises that
        `GLib.Error` after the last output.

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
