#!/usr/bin/python3
# test_stream.py: streams (Supervisor.map) driven from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import time
import unittest

from gtasksuptest import (ContextTestCase, GLib, GObject, Gio, GtaskSup,
                          block_on_cancellable)


def _has_iter_override():
    return '__iter__' in vars(GtaskSup.Stream)


class TestStream(ContextTestCase):

    N = 8

    def setUp(self):
        super().setUp()
        self.owner = GObject.Object()
        self.sup = GtaskSup.Supervisor.new(self.owner)
        self.main_thread = threading.get_ident()

    def tearDown(self):
        # Disposing of the owner stops whatever a failed test left running.
        self.owner.run_dispose()
        self.owner = None
        self.sup = None
        super().tearDown()

    def square_task(self, index, delay_s):
        """A thread task that works @delay_s seconds and returns index²."""

        def func(task, cancellable, *data):
            time.sleep(delay_s)
            if threading.get_ident() == self.main_thread:
                task.return_error(GLib.Error.new_literal(
                    Gio.io_error_quark(), 'ran on the main thread',
                    int(Gio.IOErrorEnum.FAILED)))
            else:
                task.return_int(index * index)

        return GtaskSup.Task.new_thread(func)

    def test_map_thread_tasks(self):
        calls = []
        # Exceptions raised in callbacks are only printed: collect what
        # went wrong instead, and check it at the end.
        violations = []

        def next_func(stream, index, *data):
            # On the owner context, only when a slot is free, never inside
            # start().
            if threading.get_ident() != self.main_thread:
                violations.append('next_func off the main thread')
            if not self.context.is_owner():
                violations.append('next_func outside the owner context')
            if in_start[0]:
                violations.append('next_func inside start()')
            calls.append(index)
            if index >= self.N:
                return None
            # Slowest first: in completion order, the outputs would be
            # reversed.
            return self.square_task(index, (self.N - index) * 0.01)

        stream = self.sup.map(next_func)
        self.assertIsInstance(stream, GtaskSup.Stream)
        self.assertIsInstance(stream, Gio.ListModel)
        stream.set_max_concurrency(3)
        self.assertTrue(stream.get_ordered())

        items = []
        finished = []
        in_start = [False]

        def on_item(s, index, task):
            if in_start[0]:
                violations.append('item inside start()')
            if finished:
                violations.append('item after finished')
            if s is not stream:
                violations.append('item from another stream')
            if task.get_state() != GtaskSup.TaskState.SUCCEEDED:
                violations.append('item %d: state %r' % (index, task.get_state()))
            items.append((index, task.get_value()))

        def on_finished(s, error):
            if in_start[0]:
                violations.append('finished inside start()')
            finished.append(error)

        stream.connect('item', on_item)
        stream.connect('finished', on_finished)

        in_start[0] = True
        stream.start()
        in_start[0] = False
        # Never synchronous: nothing until the context is iterated.
        self.assertEqual(calls, [])
        self.assertEqual(items, [])

        self.assertIterateUntil(lambda: finished)
        self.iterate_for(50)

        self.assertEqual(violations, [])
        self.assertEqual(finished, [None])
        self.assertEqual(items, [(i, i * i) for i in range(self.N)])
        self.assertEqual(calls, list(range(self.N + 1)))
        self.assertTrue(stream.get_finished())
        self.assertEqual(stream.get_n_outputs(), self.N)
        self.assertEqual(stream.props.n_outputs, self.N)
        # retain (the default): the stream is a model of the tasks, in order
        self.assertEqual(stream.get_n_items(), self.N)
        self.assertEqual([stream.get_item(i).get_value() for i in range(self.N)],
                         [i * i for i in range(self.N)])

    def test_map_unordered_failures(self):
        def next_func(stream, index, *data):
            if index >= 4:
                return None
            if index % 2:
                def fail(task, cancellable, *unused):
                    task.return_error(GLib.Error.new_literal(
                        Gio.io_error_quark(), 'item %d failed' % index,
                        int(Gio.IOErrorEnum.NOT_FOUND)))
                return GtaskSup.Task.new_thread(fail)
            return self.square_task(index, 0)

        stream = self.sup.map(next_func)
        stream.set_ordered(False)
        stream.set_max_concurrency(2)
        items = {}
        finished = []
        stream.connect('item', lambda s, i, t: items.setdefault(i, t))
        stream.connect('finished', lambda s, e: finished.append(e))
        stream.start()
        self.assertIterateUntil(lambda: finished)

        # Failed items are outputs; the stream itself succeeds.
        self.assertEqual(finished, [None])
        self.assertEqual(sorted(items), [0, 1, 2, 3])
        self.assertEqual(items[2].get_value(), 4)
        self.assertEqual(items[1].get_state(), GtaskSup.TaskState.FAILED)
        error = items[1].get_error()
        self.assertTrue(error.matches(Gio.io_error_quark(),
                                      int(Gio.IOErrorEnum.NOT_FOUND)))
        self.assertEqual(error.message, 'item 1 failed')

    def test_cancel(self):
        started = self.flag()

        def blocking(task, cancellable, *data):
            started.set()
            block_on_cancellable(cancellable)
            task.return_int(-1)

        stream = self.sup.map(
            lambda s, index, *data: GtaskSup.Task.new_thread(blocking))
        stream.set_max_concurrency(1)
        finished = []
        stream.connect('finished', lambda s, e: finished.append(e))
        stream.start()
        self.assertIterateUntil(started.is_set)
        stream.cancel()
        self.assertEqual(finished, [])
        self.assertIterateUntil(lambda: finished)
        self.assertErrorMatches(finished[0], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    @unittest.skipUnless(_has_iter_override(),
                         'the Stream.__iter__ override is not loaded')
    def test_iterate(self):
        def next_func(stream, index, *data):
            if index >= self.N:
                return None
            return self.square_task(index, (self.N - index) * 0.005)

        stream = self.sup.map(next_func)
        stream.set_max_concurrency(3)

        # Not started: iterating starts it, and yields (index, task) pairs
        # as they come, in order.
        results = [(index, task.get_value()) for index, task in stream]
        self.assertEqual(results, [(i, i * i) for i in range(self.N)])
        self.assertTrue(stream.get_finished())

    @unittest.skipUnless(_has_iter_override(),
                         'the Stream.__iter__ override is not loaded')
    def test_iterate_started_and_failed(self):
        def next_func(stream, index, *data):
            if index == 0:
                return self.square_task(3, 0)
            # An endless second item, stopped by the stream's timeout.
            def endless(task, cancellable, *unused):
                while not cancellable.is_cancelled():
                    time.sleep(0.005)
                task.return_int(0)
            return GtaskSup.Task.new_thread(endless)

        stream = self.sup.map(next_func)
        stream.set_max_concurrency(2)
        stream.set_timeout(100)
        stream.start()   # started already: iterating does not start it again
        seen = []
        with self.assertRaises(GLib.Error) as cm:
            for index, task in stream:
                seen.append((index, task.get_value()))
        self.assertEqual(seen, [(0, 9)])
        self.assertErrorMatches(cm.exception, Gio.io_error_quark(),
                                Gio.IOErrorEnum.TIMED_OUT)

    @unittest.skipUnless(_has_iter_override(),
                         'the Stream.__iter__ override is not loaded')
    def test_iterate_break_cancels(self):
        started = []

        def next_func(stream, index, *data):
            started.append(index)
            return self.square_task(index, 0)   # endless input

        stream = self.sup.map(next_func)
        stream.set_max_concurrency(2)
        finished = []
        stream.connect('finished', lambda s, e: finished.append(e))
        it = iter(stream)
        for index, task in it:
            if index == 5:
                break
        # (one iteration of the context may have emitted more than the
        # loop consumed)
        n_outputs = stream.get_n_outputs()
        it.close()
        # Leaving the loop stops the stream, like halting an Elixir stream.
        self.assertIterateUntil(lambda: finished)
        self.assertErrorMatches(finished[0], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        n_started = len(started)
        self.iterate_for(50)
        self.assertEqual(len(started), n_started)
        # back-pressure: at most max-concurrency + read-ahead more than the
        # outputs
        self.assertLessEqual(n_started,
                             n_outputs + 2 + stream.get_read_ahead())

    @unittest.skipUnless(_has_iter_override(),
                         'the Stream.__iter__ override is not loaded')
    def test_iterate_owner_disposed(self):
        stream = self.sup.map(
            lambda s, index, *data: self.square_task(index, 0.01 * index))
        stream.set_max_concurrency(2)
        seen = []
        with self.assertRaises(GLib.Error) as cm:
            for index, task in stream:
                seen.append(index)
                if index == 1:
                    # The owner goes away while the stream runs: it falls
                    # silent, and the loop ends.
                    self.owner.run_dispose()
        self.assertEqual(seen, [0, 1])
        self.assertErrorMatches(cm.exception, Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)


if __name__ == '__main__':
    unittest.main(verbosity=2)
