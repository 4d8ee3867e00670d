#!/usr/bin/python3
# test_async.py: async tasks written in Python (Task.new_async)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An async task's function runs on the owner context, starts a GIO _async()
# call with the task's cancellable and gives the call the task as its user
# data; the call's callback completes the task. In Python, passing `task`
# as user data keeps its wrapper, and so the GObject, alive until the
# callback has run.
#
# A function that completes nothing cannot be told from a slow operation:
# such a task ends only by its timeout, cancel() or a shutdown (no
# NO_RESULT for async tasks: see test_never_completed_*).

import os
import shutil
import tempfile
import threading
import time
import unittest

from gtasksuptest import ContextTestCase, Outcomes, GLib, GObject, Gio, GtaskSup

# Slack for a loaded 2-core machine (upper bounds only).
SLACK_S = 5.0


def bytes_value(data):
    return GObject.Value(GLib.Bytes, GLib.Bytes.new(data))


def load_contents(task, cancellable, path):
    """An AsyncFunc: loads @path, completes @task with its contents."""
    gfile = Gio.File.new_for_path(path)

    def on_loaded(source, result, task):
        try:
            _, contents, _ = source.load_contents_finish(result)
        except GLib.Error as error:
            task.return_error(error)
        else:
            task.return_value(bytes_value(contents))

    gfile.load_contents_async(cancellable, on_loaded, task)


class PipeRead:
    """An operation that never completes by itself: reading an empty pipe.

    It honours its cancellable: cancelling it completes the read with
    G_IO_ERROR_CANCELLED, and its callback then returns that error to the
    task (which the library drops if the task already has an outcome).
    """

    def __init__(self, testcase):
        self.rfd, self.wfd = os.pipe()
        testcase.addCleanup(os.close, self.rfd)
        testcase.addCleanup(os.close, self.wfd)
        self.started = testcase.flag()
        self.completed = testcase.flag()
        self.errors = []
        self.threads = []

    def func(self, task, cancellable, *data):
        self.threads.append(threading.get_ident())
        self.cancellable = cancellable
        stream = Gio.UnixInputStream.new(self.rfd, False)
        stream.read_bytes_async(1, GLib.PRIORITY_DEFAULT, cancellable,
                                self._on_read, task)
        self.started.set()

    def _on_read(self, stream, result, task):
        try:
            stream.read_bytes_finish(result)
        except GLib.Error as error:
            self.errors.append(error)
            task.return_error(error)
        else:
            task.return_value(GObject.Value(GObject.TYPE_STRING, 'data'))
        self.completed.set()


class TestAsyncTask(ContextTestCase):

    def setUp(self):
        super().setUp()
        self.tmpdir = tempfile.mkdtemp(prefix='gtask-sup-test-')
        self.addCleanup(shutil.rmtree, self.tmpdir)

    def write_file(self, name, data):
        path = os.path.join(self.tmpdir, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def test_load_contents(self):
        path = self.write_file('hello.txt', b'hello, world\n')
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        calls = []

        def func(task, cancellable, path):
            calls.append((threading.get_ident(), task.get_state(),
                          task.get_cancellable() is cancellable))
            load_contents(task, cancellable, path)

        task = GtaskSup.Task.new_async(func, path)
        self.assertEqual(task.get_kind(), GtaskSup.TaskKind.ASYNC)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.NEW)
        task.set_name('load')
        self.assertTrue(sup.start(task))
        # Never run from inside start().
        self.assertEqual(calls, [])

        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)

        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertIs(outcomes.events[0][1], task)
        self.assertEqual(task.get_name(), 'load')
        self.assertEqual(task.get_kind(), GtaskSup.TaskKind.ASYNC)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.SUCCEEDED)
        # Ran once, on this (the owner context's) thread, while running.
        self.assertEqual(calls, [(threading.get_ident(),
                                  GtaskSup.TaskState.RUNNING, True)])
        value = task.get_value()
        self.assertIsInstance(value, GLib.Bytes)
        self.assertEqual(value.get_data(), b'hello, world\n')
        self.assertIsNone(task.get_error())
        self.assertFalse(task.get_cancellable().is_cancelled())

    def test_load_contents_task_dropped(self):
        # Nobody but the supervisor and the operation holds the task: the
        # wrapper given as user data keeps it alive until the callback.
        path = self.write_file('dropped.txt', b'\x00\x01binary\xff')
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        sup.start(GtaskSup.Task.new_async(load_contents, path))
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertEqual(outcomes.events[0][1].get_value().get_data(),
                         b'\x00\x01binary\xff')

    def test_join(self):
        path = self.write_file('joined.txt', b'joined')
        sup = GtaskSup.Supervisor.new(None)

        task = GtaskSup.Task.new_async(load_contents, path)
        sup.start(task)
        # join() iterates the owner context, where the function runs.
        self.assertTrue(task.join(20000))
        self.assertEqual(task.get_state(), GtaskSup.TaskState.SUCCEEDED)
        self.assertEqual(task.get_value().get_data(), b'joined')

    def test_missing_file(self):
        path = os.path.join(self.tmpdir, 'does-not-exist')
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        sup.start(GtaskSup.Task.new_async(load_contents, path))
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)

        self.assertEqual(outcomes.kinds(), ['failed'])
        _, task, error, _ = outcomes.events[0]
        self.assertErrorMatches(error, Gio.io_error_quark(),
                                Gio.IOErrorEnum.NOT_FOUND)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)
        self.assertIsNone(task.get_value())
        self.assertErrorMatches(task.get_error(), Gio.io_error_quark(),
                                Gio.IOErrorEnum.NOT_FOUND)

    def test_cancel(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        op = PipeRead(self)

        task = GtaskSup.Task.new_async(op.func)
        sup.start(task)
        self.assertIterateUntil(op.started.is_set)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.RUNNING)
        self.assertEqual(op.threads, [threading.get_ident()])
        self.iterate_for(20)
        self.assertEqual(len(outcomes), 0)

        task.cancel()
        self.assertEqual(len(outcomes), 0)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        # The operation saw the cancellation; what it returned was dropped.
        self.assertIterateUntil(op.completed.is_set)
        self.iterate_for(50)

        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertIs(outcomes.events[0][1], task)
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        self.assertEqual(len(op.errors), 1)
        self.assertErrorMatches(op.errors[0], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        self.assertTrue(task.get_cancellable().is_cancelled())
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)

    def test_cancel_before_run(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        calls = []

        task = GtaskSup.Task.new_async(
            lambda task, cancellable, *data: calls.append(task))
        sup.start(task)
        task.cancel()
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)

        self.assertEqual(calls, [])
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    def test_timeout(self):
        timeout_ms = 100
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        op = PipeRead(self)

        task = GtaskSup.Task.new_async(op.func)
        task.set_name('never')
        task.set_timeout(timeout_ms)
        t0 = time.monotonic()
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertIterateUntil(op.completed.is_set)
        self.iterate_for(50)

        self.assertTrue(op.started.is_set())
        self.assertEqual(outcomes.kinds(), ['timed-out'])
        _, signal_task, _, t_signal = outcomes.events[0]
        self.assertIs(signal_task, task)
        self.assertGreaterEqual(t_signal - t0, timeout_ms / 1000)
        self.assertLess(t_signal - t0, timeout_ms / 1000 + SLACK_S)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.TIMED_OUT)
        self.assertErrorMatches(task.get_error(), Gio.io_error_quark(),
                                Gio.IOErrorEnum.TIMED_OUT)
        self.assertIsNone(task.get_value())
        # The operation was cancelled through the task's cancellable.
        self.assertTrue(op.cancellable.is_cancelled())
        self.assertEqual(len(op.errors), 1)
        self.assertErrorMatches(op.errors[0], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    def test_late_result_dropped(self):
        # An operation that ignores its cancellable and completes after the
        # timeout: its value is dropped silently.
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        pending = []

        def func(task, cancellable, *data):
            pending.append(task)

        task = GtaskSup.Task.new_async(func)
        task.set_timeout(50)
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(len(pending), 1)
        task.return_value(GObject.Value(GObject.TYPE_STRING, 'late'))
        self.iterate_for(100)

        self.assertEqual(outcomes.kinds(), ['timed-out'])
        self.assertEqual(task.get_state(), GtaskSup.TaskState.TIMED_OUT)
        self.assertIsNone(task.get_value())

    def test_never_completed_times_out(self):
        # A function that starts nothing and returns: not NO_RESULT (that
        # is for thread functions), the task runs until its timeout.
        timeout_ms = 100
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        calls = []

        task = GtaskSup.Task.new_async(
            lambda task, cancellable, *data: calls.append(None))
        task.set_timeout(timeout_ms)
        t0 = time.monotonic()
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)

        self.assertEqual(calls, [None])
        self.assertEqual(outcomes.kinds(), ['timed-out'])
        self.assertGreaterEqual(outcomes.events[0][3] - t0, timeout_ms / 1000)
        self.assertErrorMatches(task.get_error(), Gio.io_error_quark(),
                                Gio.IOErrorEnum.TIMED_OUT)

    def test_never_completed_without_timeout(self):
        # The same without a timeout, the task dropped by the caller: it
        # stays running (and listed) until it is stopped.
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        children = sup.get_children()
        calls = []

        sup.start(GtaskSup.Task.new_async(
            lambda task, cancellable, *data: calls.append(None)))
        self.assertIterateUntil(lambda: len(calls) > 0)
        self.iterate_for(200)
        self.assertEqual(len(outcomes), 0)
        self.assertEqual(children.get_n_items(), 1)
        task = children.get_item(0)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.RUNNING)

        task.cancel()
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    def test_max_concurrency(self):
        # Async tasks take slots as thread tasks do: the second function
        # only runs once the first task is done.
        sup = GtaskSup.Supervisor.new(None)
        sup.props.max_concurrency = 1
        outcomes = Outcomes(sup)
        first = PipeRead(self)
        second_calls = []

        def second(task, cancellable, *data):
            second_calls.append(True)
            task.return_int(2)

        t1 = GtaskSup.Task.new_async(first.func)
        t2 = GtaskSup.Task.new_async(second)
        sup.start(t1)
        sup.start(t2)
        self.assertIterateUntil(first.started.is_set)
        self.iterate_for(50)
        self.assertEqual(second_calls, [])
        self.assertEqual(t2.get_state(), GtaskSup.TaskState.QUEUED)
        self.assertEqual(sup.get_n_queued(), 1)

        os.write(first.wfd, b'x')
        self.assertIterateUntil(lambda: len(outcomes) == 2)
        self.assertEqual(outcomes.kinds(), ['succeeded', 'succeeded'])
        self.assertEqual([e[1] for e in outcomes.events], [t1, t2])
        self.assertEqual(t1.get_value(), 'data')
        self.assertEqual(t2.get_value(), 2)
        self.assertEqual(second_calls, [True])

    def test_shutdown_cooperative(self):
        # The operation stops when cancelled: its own error is the outcome.
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        op = PipeRead(self)

        task = GtaskSup.Task.new_async(op.func)
        sup.start(task)
        self.assertIterateUntil(op.started.is_set)
        task.shutdown(10000)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)

        self.assertTrue(op.completed.is_set())
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    def test_shutdown_killed(self):
        # An operation that never completes, whatever its cancellable says,
        # is killed after the grace period.
        grace_ms = 100
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        pending = []

        def func(task, cancellable, *data):
            pending.append(cancellable)

        task = GtaskSup.Task.new_async(func)
        sup.start(task)
        self.assertIterateUntil(lambda: len(pending) > 0)
        t0 = time.monotonic()
        task.shutdown(grace_ms)
        self.assertTrue(pending[0].is_cancelled())
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        t_signal = outcomes.events[0][3]
        # Too late: dropped.
        task.return_int(1)
        self.iterate_for(50)

        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], GtaskSup.Error.quark(),
                                GtaskSup.Error.KILLED)
        self.assertGreaterEqual(t_signal - t0, grace_ms / 1000)
        self.assertLess(t_signal - t0, grace_ms / 1000 + SLACK_S)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)
        self.assertIsNone(task.get_value())


if __name__ == '__main__':
    unittest.main(verbosity=2)
