#!/usr/bin/python3
# test_exceptions.py: exceptions raised by Python callbacks become errors
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Through the override (introspection/GtaskSup.py), an exception raised by a
# thread function, an async function or a stream's next function is not
# lost: the task fails, or the stream fails, with a GLib.Error that keeps
# the exception's type and message, and its traceback is logged once to the
# `gi.overrides.GtaskSup` logger (and nowhere else: PyGObject no longer
# prints it).

import contextlib
import io
import logging
import os
import shutil
import tempfile
import time
import unittest

from gtasksuptest import (ContextTestCase, Outcomes, GLib, GObject, Gio,
                          GtaskSup, block_on_cancellable)

LOGGER = 'gi.overrides.GtaskSup'


class ExceptionTestCase(ContextTestCase):

    @contextlib.contextmanager
    def assertLoggedOnce(self, exc_type):
        """The block logs one traceback of @exc_type, and prints none."""
        stderr = io.StringIO()
        with self.assertLogs(LOGGER, logging.ERROR) as logs:
            with contextlib.redirect_stderr(stderr):
                yield
        self.assertEqual(len(logs.records), 1, logs.output)
        exc_info = logs.records[0].exc_info
        self.assertIsNotNone(exc_info)
        self.assertIs(exc_info[0], exc_type)
        self.assertIsNotNone(exc_info[2])
        self.assertNotIn('Traceback', stderr.getvalue())

    def assertFailedWith(self, error, message):
        self.assertErrorMatches(error, GtaskSup.Error.quark(),
                                GtaskSup.Error.FAILED, message)


class TestThreadFuncRaises(ExceptionTestCase):

    def setUp(self):
        super().setUp()
        self.sup = GtaskSup.Supervisor.new(None)
        self.outcomes = Outcomes(self.sup)

    def tearDown(self):
        self.sup = None
        self.outcomes = None
        super().tearDown()

    def wait_outcome(self, task):
        self.assertIterateUntil(lambda: self.outcomes.for_task(task))
        self.iterate_for(20)
        events = self.outcomes.for_task(task)
        self.assertEqual(len(events), 1, events)
        return events[0]

    def test_new_thread(self):
        # Without the override's wrapper: a bare NO_RESULT, and the
        # exception only printed.
        def func(task, cancellable, *data):
            raise ValueError('bad input')

        with self.assertLoggedOnce(ValueError):
            task = GtaskSup.Task.new_thread(func)
            self.sup.start(task)
            kind, _, error, _ = self.wait_outcome(task)

        self.assertEqual(kind, 'failed')
        self.assertFailedWith(error, 'ValueError: bad input')
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)
        self.assertFailedWith(task.get_error(), 'ValueError: bad input')

    def test_new_thread_user_data(self):
        def func(task, cancellable, data):
            raise KeyError(data)

        with self.assertLoggedOnce(KeyError):
            task = GtaskSup.Task.new_thread(func, 'key')
            self.sup.start(task)
            kind, _, error, _ = self.wait_outcome(task)

        self.assertEqual(kind, 'failed')
        self.assertFailedWith(error, "KeyError: 'key'")

    def test_new_thread_without_message(self):
        def func(task, cancellable, *data):
            raise RuntimeError

        with self.assertLoggedOnce(RuntimeError):
            task = GtaskSup.Task.new_thread(func)
            self.sup.start(task)
            kind, _, error, _ = self.wait_outcome(task)

        self.assertFailedWith(error, 'RuntimeError')

    def test_new_thread_glib_error(self):
        # A GLib.Error keeps its domain, code and message.
        def func(task, cancellable, *data):
            raise GLib.Error.new_literal(Gio.io_error_quark(), 'gone',
                                         int(Gio.IOErrorEnum.NOT_FOUND))

        with self.assertLoggedOnce(GLib.Error):
            task = GtaskSup.Task.new_thread(func)
            self.sup.start(task)
            kind, _, error, _ = self.wait_outcome(task)

        self.assertEqual(kind, 'failed')
        self.assertErrorMatches(error, Gio.io_error_quark(),
                                Gio.IOErrorEnum.NOT_FOUND, 'gone')

    def test_new_thread_raises_after_completing(self):
        # The result stands (completing twice would be a critical, fatal
        # here); the exception is still logged.
        def func(task, cancellable, *data):
            task.return_int(7)
            raise ValueError('too late')

        with self.assertLoggedOnce(ValueError):
            task = GtaskSup.Task.new_thread(func)
            self.sup.start(task)
            kind, _, error, _ = self.wait_outcome(task)

        self.assertEqual(kind, 'succeeded')
        self.assertEqual(task.get_value(), 7)

    def test_new_thread_cancelled_error_when_stopping(self):
        # Stopping when asked by raising the cancellable's error is a
        # cancellation, as returning without a result is: nothing logged.
        started = self.flag()

        def func(task, cancellable, *data):
            started.set()
            block_on_cancellable(cancellable)
            cancellable.set_error_if_cancelled()

        task = GtaskSup.Task.new_thread(func)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            self.sup.start(task)
            self.assertIterateUntil(started.is_set)
            task.shutdown(10000)
            kind, _, error, _ = self.wait_outcome(task)

        self.assertEqual(kind, 'failed')
        self.assertErrorMatches(error, Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        self.assertEqual(stderr.getvalue(), '')

    def test_new_thread_restarted(self):
        # A restarted run has the wrapper too.
        runs = []

        def func(task, cancellable, *data):
            runs.append(task)
            if len(runs) == 1:
                raise ValueError('first run')
            task.return_int(len(runs))

        task = GtaskSup.Task.new_thread(func)
        task.set_restart(GtaskSup.Restart.TRANSIENT)
        with self.assertLoggedOnce(ValueError):
            self.sup.start(task)
            self.assertIterateUntil(lambda: len(self.outcomes) == 2)
            self.iterate_for(20)

        self.assertEqual(self.outcomes.kinds(), ['failed', 'succeeded'])
        self.assertFailedWith(self.outcomes.events[0][2],
                              'ValueError: first run')
        self.assertEqual(self.outcomes.events[1][1].get_value(), 2)

    def test_run_in_thread(self):
        def fn(path):
            raise FileNotFoundError('no such file: %s' % path)

        with self.assertLoggedOnce(FileNotFoundError):
            task = self.sup.run_in_thread(fn, '/nonexistent')
            kind, _, error, _ = self.wait_outcome(task)

        self.assertEqual(kind, 'failed')
        self.assertFailedWith(error,
                              'FileNotFoundError: no such file: /nonexistent')
        self.assertFailedWith(task.get_error(),
                              'FileNotFoundError: no such file: /nonexistent')


class TestAsyncFuncRaises(ExceptionTestCase):

    # Bounds the test without the override's wrapper: the task would run
    # until this timeout.
    TIMEOUT_MS = 5000

    def setUp(self):
        super().setUp()
        self.sup = GtaskSup.Supervisor.new(None)
        self.outcomes = Outcomes(self.sup)
        self.tmpdir = tempfile.mkdtemp(prefix='gtask-sup-test-')
        self.addCleanup(shutil.rmtree, self.tmpdir)

    def tearDown(self):
        self.sup = None
        self.outcomes = None
        super().tearDown()

    def test_raises(self):
        calls = []

        def func(task, cancellable, *data):
            calls.append(task)
            raise ValueError('cannot start')

        task = GtaskSup.Task.new_async(func)
        task.set_timeout(self.TIMEOUT_MS)
        with self.assertLoggedOnce(ValueError):
            self.sup.start(task)
            self.assertIterateUntil(lambda: len(self.outcomes) > 0)
            self.iterate_for(20)

        self.assertEqual(calls, [task])
        self.assertEqual(self.outcomes.kinds(), ['failed'])
        self.assertFailedWith(self.outcomes.events[0][2],
                              'ValueError: cannot start')
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)
        self.assertFailedWith(task.get_error(), 'ValueError: cannot start')

    def test_raises_with_user_data(self):
        def func(task, cancellable, data):
            raise LookupError(data)

        task = GtaskSup.Task.new_async(func, 'what')
        task.set_timeout(self.TIMEOUT_MS)
        with self.assertLoggedOnce(LookupError):
            self.sup.start(task)
            self.assertIterateUntil(lambda: len(self.outcomes) > 0)

        self.assertFailedWith(self.outcomes.events[0][2], 'LookupError: what')

    def test_raises_after_starting_operation(self):
        # The operation the function started is cancelled, and its late
        # completion dropped (no critical for completing twice).
        path = os.path.join(self.tmpdir, 'data')
        with open(path, 'wb') as f:
            f.write(b'data')
        late = []
        cancellables = []

        def on_loaded(gfile, result, task):
            try:
                _, contents, _ = gfile.load_contents_finish(result)
            except GLib.Error as error:
                late.append(error)
                task.return_error(error)
            else:
                late.append(contents)
                task.return_value(GObject.Value(GObject.TYPE_STRING, 'late'))

        def func(task, cancellable, *data):
            cancellables.append(cancellable)
            Gio.File.new_for_path(path).load_contents_async(
                cancellable, on_loaded, task)
            raise KeyError('oops')

        task = GtaskSup.Task.new_async(func)
        task.set_timeout(self.TIMEOUT_MS)
        with self.assertLoggedOnce(KeyError):
            self.sup.start(task)
            self.assertIterateUntil(lambda: len(self.outcomes) > 0)
            self.assertIterateUntil(lambda: late)
            self.iterate_for(50)

        self.assertEqual(self.outcomes.kinds(), ['failed'])
        self.assertFailedWith(self.outcomes.events[0][2], "KeyError: 'oops'")
        self.assertTrue(cancellables[0].is_cancelled())
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)
        self.assertFailedWith(task.get_error(), "KeyError: 'oops'")


class TestStreamNextFuncRaises(ExceptionTestCase):

    N = 10

    def setUp(self):
        super().setUp()
        self.owner = GObject.Object()
        self.sup = GtaskSup.Supervisor.new(self.owner)

    def tearDown(self):
        self.owner.run_dispose()
        self.owner = None
        self.sup = None
        super().tearDown()

    def item_task(self, index, delay_s=0.0):
        """A thread task that returns @index after @delay_s seconds, or
        as soon as it is cancelled."""

        def func(task, cancellable, *data):
            if delay_s > 0:
                block_on_cancellable(cancellable, delay_s)
            task.return_int(index)

        return GtaskSup.Task.new_thread(func)

    def raising_next_func(self, calls, delay_s=0.0):
        def next_func(stream, index, *data):
            calls.append(index)
            if index >= self.N:
                return None
            if index == 3:
                raise ValueError('no item 3')
            return self.item_task(index, delay_s)

        return next_func

    def run_stream(self, stream):
        """Starts @stream; returns its `finished` errors (by connect()
        and connect_after()), its outputs and its join_finish() error."""
        finished = []
        finished_after = []
        outputs = []
        joined = []

        def on_joined(stream, result):
            try:
                joined.append(stream.join_finish(result))
            except GLib.Error as error:
                joined.append(error)

        stream.connect('item', lambda s, index, task: outputs.append(index))
        stream.connect('finished', lambda s, error: finished.append(error))
        stream.connect_after('finished',
                             lambda s, error, data: finished_after.append(
                                 (error, data)), 'data')
        stream.join_async(None, on_joined)
        stream.start()
        self.assertIterateUntil(lambda: finished and joined)
        self.iterate_for(50)
        self.assertEqual(len(finished), 1)
        self.assertEqual(len(joined), 1)
        # connect_after() and its user data: the same error.
        self.assertEqual(len(finished_after), 1)
        error, data = finished_after[0]
        self.assertEqual(data, 'data')
        self.assertEqual(repr(error), repr(finished[0]))
        return finished[0], outputs, joined[0]

    def test_map(self):
        # Without the override's wrapper the stream succeeded, its input
        # silently cut short at 3 items.
        calls = []
        # Items that would run for 10 s unless cancelled.
        stream = self.sup.map(self.raising_next_func(calls, 10))
        stream.set_max_concurrency(2)

        t0 = time.monotonic()
        with self.assertLoggedOnce(ValueError):
            error, outputs, joined = self.run_stream(stream)

        self.assertFailedWith(error, 'ValueError: no item 3')
        self.assertFailedWith(joined, 'ValueError: no item 3')
        self.assertEqual(calls, [0, 1, 2, 3])
        # The items in flight were cancelled: no output, and no wait.
        self.assertEqual(outputs, [])
        self.assertLess(time.monotonic() - t0, 5)
        self.assertTrue(stream.get_finished())

        # join_async() after the end.
        later = []
        stream.join_async(None, lambda s, result: later.append(result))
        self.assertIterateUntil(lambda: later)
        with self.assertRaises(GLib.Error) as cm:
            stream.join_finish(later[0])
        self.assertFailedWith(cm.exception, 'ValueError: no item 3')

    def test_map_items_done_first(self):
        # Instant items: the stream may have emitted them all before it is
        # stopped; it fails all the same.
        calls = []
        stream = self.sup.map(self.raising_next_func(calls))

        with self.assertLoggedOnce(ValueError):
            error, outputs, joined = self.run_stream(stream)

        self.assertFailedWith(error, 'ValueError: no item 3')
        self.assertFailedWith(joined, 'ValueError: no item 3')
        self.assertEqual(calls, [0, 1, 2, 3])

    def test_map_not_a_task(self):
        def next_func(stream, index, *data):
            return 42

        stream = self.sup.map(next_func)
        with self.assertLoggedOnce(TypeError):
            error, outputs, joined = self.run_stream(stream)

        self.assertErrorMatches(error, GtaskSup.Error.quark(),
                                GtaskSup.Error.FAILED)
        self.assertTrue(error.message.startswith('TypeError: '),
                        error.message)
        self.assertEqual(outputs, [])

    def test_map_model(self):
        items = Gio.ListStore.new(Gio.SimpleAction)
        for i in range(self.N):
            items.append(Gio.SimpleAction.new('item%d' % i, None))
        seen = []

        def func(stream, item, *data):
            seen.append(item.get_name())
            if item.get_name() == 'item3':
                raise ValueError('bad %s' % item.get_name())
            return self.item_task(len(seen), 0.05)

        stream = self.sup.map_model(items, func)
        stream.set_max_concurrency(2)
        with self.assertLoggedOnce(ValueError):
            error, outputs, joined = self.run_stream(stream)

        self.assertFailedWith(error, 'ValueError: bad item3')
        self.assertFailedWith(joined, 'ValueError: bad item3')
        self.assertEqual(seen, ['item0', 'item1', 'item2', 'item3'])

    def test_iterate(self):
        calls = []
        stream = self.sup.map(self.raising_next_func(calls, 0.01))
        seen = []
        with self.assertLoggedOnce(ValueError):
            with self.assertRaises(GLib.Error) as cm:
                for index, task in stream:
                    seen.append(index)

        self.assertFailedWith(cm.exception, 'ValueError: no item 3')
        self.assertLessEqual(len(seen), 3)

    def test_finished_handler_by_func(self):
        # Handlers of `finished` are wrapped, but found by their function.
        calls = []
        stream = self.sup.map(self.raising_next_func(calls))
        seen = []

        def on_finished(stream, error):
            seen.append(error)

        stream.connect('finished', on_finished)
        stream.disconnect_by_func(on_finished)
        with self.assertLoggedOnce(ValueError):
            self.run_stream(stream)
        self.assertEqual(seen, [])

    def test_cancelled_stream_keeps_its_error(self):
        # No exception: a cancelled stream ends as before.
        stream = self.sup.map(
            lambda s, index, *data: self.item_task(index, 0.05))
        finished = []
        stream.connect('finished', lambda s, error: finished.append(error))
        stream.start()
        self.iterate_for(20)
        stream.cancel()
        self.assertIterateUntil(lambda: finished)
        self.assertErrorMatches(finished[0], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)


if __name__ == '__main__':
    unittest.main(verbosity=2)
