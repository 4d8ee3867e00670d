#!/usr/bin/python3
# test_thread.py: thread tasks written in Python, through the C-style API
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import unittest

from gtasksuptest import (ContextTestCase, Outcomes, GLib, GObject, Gio,
                          GtaskSup, block_on_cancellable)


class TestThreadTask(ContextTestCase):

    def start(self, sup, func, name=None):
        task = GtaskSup.Task.new_thread(func)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.NEW)
        self.assertEqual(task.get_kind(), GtaskSup.TaskKind.THREAD)
        if name is not None:
            task.set_name(name)
        self.assertTrue(sup.start(task))
        return task

    def test_return_int(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        threads = []

        def func(task, cancellable, *data):
            threads.append(threading.get_ident())
            self.assertIsInstance(cancellable, Gio.Cancellable)
            task.return_int(42)

        task = self.start(sup, func)
        # Never synchronous: nothing before the context is iterated.
        self.assertEqual(len(outcomes), 0)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)

        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertIs(outcomes.events[0][1], task)
        self.assertEqual(len(threads), 1)
        self.assertNotEqual(threads[0], threading.get_ident())
        self.assertEqual(task.get_state(), GtaskSup.TaskState.SUCCEEDED)
        self.assertEqual(task.get_value(), 42)
        self.assertIsNone(task.get_error())
        self.assertEqual(task.propagate_int(), 42)

    def test_return_boolean(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        task = self.start(sup, lambda task, cancellable, *data:
                          task.return_boolean(True))
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertIs(task.get_value(), True)
        self.assertIs(task.propagate_boolean(), True)

    def test_return_value(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        def func(task, cancellable, *data):
            task.return_value(GObject.Value(GObject.TYPE_STRING, 'hello'))

        task = self.start(sup, func)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertEqual(task.get_value(), 'hello')

    def test_user_data(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        seen = []

        def func(task, cancellable, data):
            seen.append(data)
            task.return_int(len(data))

        task = GtaskSup.Task.new_thread(func, 'abcd')
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(seen, ['abcd'])
        self.assertEqual(task.get_value(), 4)

    def test_return_error(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        def func(task, cancellable, *data):
            task.return_error(GLib.Error.new_literal(
                Gio.io_error_quark(), 'no entry', Gio.IOErrorEnum.NOT_FOUND))

        task = self.start(sup, func, name='lookup')
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)

        self.assertEqual(outcomes.kinds(), ['failed'])
        _, signal_task, error, _ = outcomes.events[0]
        self.assertIs(signal_task, task)
        self.assertErrorMatches(error, Gio.io_error_quark(),
                                Gio.IOErrorEnum.NOT_FOUND, 'no entry')
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)
        self.assertIsNone(task.get_value())
        self.assertErrorMatches(task.get_error(), Gio.io_error_quark(),
                                Gio.IOErrorEnum.NOT_FOUND, 'no entry')
        with self.assertRaises(GLib.Error) as cm:
            task.propagate_int()
        self.assertErrorMatches(cm.exception, Gio.io_error_quark(),
                                Gio.IOErrorEnum.NOT_FOUND)

    def test_return_error_own_domain(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        def func(task, cancellable, *data):
            task.return_error(GLib.Error.new_literal(
                GtaskSup.Error.quark(), 'broken', GtaskSup.Error.FAILED))

        self.start(sup, func)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], GtaskSup.Error.quark(),
                                GtaskSup.Error.FAILED, 'broken')

    def test_no_result(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        self.start(sup, lambda task, cancellable, *data: None)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], GtaskSup.Error.quark(),
                                GtaskSup.Error.NO_RESULT)

    def test_detailed_signals(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        detailed = []
        sup.connect('succeeded::wanted',
                    lambda sup, task: detailed.append(task.get_name()))

        self.start(sup, lambda task, c, *d: task.return_int(1), name='other')
        self.start(sup, lambda task, c, *d: task.return_int(2), name='wanted')
        self.assertIterateUntil(lambda: len(outcomes) == 2)
        self.iterate_for(50)
        self.assertEqual(detailed, ['wanted'])

    def test_cancel(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        started = self.flag()
        returned = self.flag()
        saw_cancel = []

        def func(task, cancellable, *data):
            started.set()
            saw_cancel.append(block_on_cancellable(cancellable))
            task.return_int(1)  # too late: freed, never reported
            returned.set()

        task = self.start(sup, func)
        self.assertIterateUntil(started.is_set)
        task.cancel()
        self.assertEqual(len(outcomes), 0)
        self.assertIterateUntil(lambda: len(outcomes) > 0 and returned.is_set())
        self.iterate_for(50)

        self.assertEqual(saw_cancel, [True])
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)

    def test_join_async(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        results = []

        task = self.start(sup, lambda task, c, *d: task.return_int(9))
        task.join_async(None, lambda source, result, *data:
                        results.append((source, result)))
        self.assertEqual(results, [])
        self.assertIterateUntil(lambda: len(results) > 0)

        source, result = results[0]
        self.assertIs(source, task)
        self.assertTrue(task.join_finish(result))
        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertEqual(task.propagate_value(), (True, 9))

    def test_join_error(self):
        sup = GtaskSup.Supervisor.new(None)

        def func(task, cancellable, *data):
            task.return_error(GLib.Error.new_literal(
                Gio.io_error_quark(), 'denied',
                Gio.IOErrorEnum.PERMISSION_DENIED))

        task = self.start(sup, func)
        with self.assertRaises(GLib.Error) as cm:
            task.join(20000)
        self.assertErrorMatches(cm.exception, Gio.io_error_quark(),
                                Gio.IOErrorEnum.PERMISSION_DENIED, 'denied')
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)

    def test_children(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        children = sup.get_children()
        self.assertIsInstance(children, Gio.ListModel)
        self.assertEqual(children.get_item_type(), GtaskSup.Task.__gtype__)
        self.assertEqual(children.get_n_items(), 0)
        started = self.flag()

        def func(task, cancellable, *data):
            started.set()
            block_on_cancellable(cancellable)

        task = self.start(sup, func)
        self.assertIterateUntil(lambda: children.get_n_items() == 1)
        self.assertIs(children.get_item(0), task)
        self.assertIterateUntil(started.is_set)
        self.assertEqual(sup.get_n_running(), 1)

        task.cancel()
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertIterateUntil(lambda: children.get_n_items() == 0)

    def test_many_concurrent(self):
        # Worker threads are not rationed: all of these run at once, each
        # waiting for the others (bounded by the barrier timeout).
        n = 16
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        barrier = threading.Barrier(n, timeout=20)

        def func(task, cancellable, i):
            barrier.wait()
            task.return_int(i * i)

        tasks = []
        for i in range(n):
            task = GtaskSup.Task.new_thread(func, i)
            sup.start(task)
            tasks.append(task)

        self.assertIterateUntil(lambda: len(outcomes) == n)
        self.assertEqual(outcomes.kinds(), ['succeeded'] * n)
        self.assertEqual([t.get_value() for t in tasks],
                         [i * i for i in range(n)])


class TestErrorDomain(ContextTestCase):

    def test_domain(self):
        quark = GtaskSup.Error.quark()
        self.assertNotEqual(quark, 0)
        self.assertTrue(GLib.quark_to_string(quark))
        self.assertEqual(GtaskSup.error_quark(), quark)
        for name in ('FAILED', 'MAX_CHILDREN', 'CLOSED', 'NO_RESULT',
                     'KILLED'):
            self.assertTrue(hasattr(GtaskSup.Error, name), name)
        self.assertEqual(int(GtaskSup.Error.FAILED), 0)

    def test_max_children(self):
        sup = GtaskSup.Supervisor.new(None)
        sup.props.max_children = 1
        self.assertEqual(sup.get_max_children(), 1)
        outcomes = Outcomes(sup)
        started = self.flag()

        def func(task, cancellable, *data):
            started.set()
            block_on_cancellable(cancellable)

        first = GtaskSup.Task.new_thread(func)
        sup.start(first)
        second = GtaskSup.Task.new_thread(func)
        with self.assertRaises(GLib.Error) as cm:
            sup.start(second)
        self.assertErrorMatches(cm.exception, GtaskSup.Error.quark(),
                                GtaskSup.Error.MAX_CHILDREN)
        self.assertEqual(cm.exception.domain,
                         GLib.quark_to_string(GtaskSup.Error.quark()))
        self.assertEqual(second.get_state(), GtaskSup.TaskState.NEW)

        self.assertIterateUntil(started.is_set)
        first.cancel()
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)
        # Nothing is ever reported for the rejected task.
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertIs(outcomes.events[0][1], first)


if __name__ == '__main__':
    unittest.main(verbosity=2)
