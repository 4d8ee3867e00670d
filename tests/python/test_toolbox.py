#!/usr/bin/python3
# test_toolbox.py: the current task and its parent, completed tasks,
# terminate_child(), close and drain, logging of unheard failures and
# default subprocess names, from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import unittest

from gtasksuptest import (GLib, GObject, Gio, GtaskSup, ContextTestCase,
                          Outcomes, block_on_cancellable)


class TestCurrent(ContextTestCase):

    def test_current_in_thread_func(self):
        owner = GObject.Object()
        sup = GtaskSup.Supervisor.new(owner)
        outcomes = Outcomes(sup)
        seen = []

        def work():
            seen.append((GtaskSup.Task.get_current(),
                         threading.current_thread()))
            return 1

        task = sup.run_in_thread(work)
        self.assertIterateUntil(lambda: len(outcomes.events) == 1)
        current, thread = seen[0]
        self.assertIs(current, task)
        self.assertIsNot(thread, threading.current_thread())
        self.assertIsNone(GtaskSup.Task.get_current())

    def test_current_and_parent_in_async_func(self):
        owner = GObject.Object()
        sup = GtaskSup.Supervisor.new(owner)
        outcomes = Outcomes(sup)
        started = []

        def start(task, cancellable):
            self.assertIs(GtaskSup.Task.get_current(), task)
            child = GtaskSup.Task.new_completed(None)
            sup.start(child)
            started.append(child)
            task.return_boolean(True)

        parent = GtaskSup.Task.new_async(start)
        sup.start(parent)
        self.assertIterateUntil(lambda: len(outcomes.events) == 2)
        self.assertIs(started[0].get_parent(), parent)
        self.assertIsNone(parent.get_parent())
        self.assertIsNone(GtaskSup.Task.get_current())


class TestCompleted(ContextTestCase):

    def test_completed_value(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        task = GtaskSup.Task.new_completed('cached')
        self.assertEqual(task.get_kind(), GtaskSup.TaskKind.COMPLETED)
        sup.start(task)
        # Never from inside start().
        self.assertEqual(outcomes.events, [])
        self.assertIterateUntil(lambda: len(outcomes.events) == 1)
        self.assertEqual(outcomes.events[0][0], 'succeeded')
        self.assertEqual(task.get_value(), 'cached')

    def test_failed(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        error = GLib.Error.new_literal(Gio.io_error_quark(), 'not there',
                                       Gio.IOErrorEnum.NOT_FOUND)
        task = GtaskSup.Task.new_failed(error)
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes.events) == 1)
        kind, _, err, _ = outcomes.events[0]
        self.assertEqual(kind, 'failed')
        self.assertErrorMatches(err, Gio.io_error_quark(),
                                Gio.IOErrorEnum.NOT_FOUND, 'not there')


class TestTerminateChild(ContextTestCase):

    def test_terminate_child(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        def work(task, cancellable):
            block_on_cancellable(cancellable)

        task = GtaskSup.Task.new_thread(work)
        sup.start(task)
        self.assertTrue(sup.terminate_child(task, 1000))
        self.assertIterateUntil(lambda: len(outcomes.events) == 1)
        self.assertEqual(outcomes.events[0][0], 'failed')

        with self.assertRaises(GLib.Error) as caught:
            sup.terminate_child(task, 0)
        self.assertErrorMatches(caught.exception, GtaskSup.error_quark(),
                                GtaskSup.Error.NOT_FOUND)
        self.assertIn('ended', caught.exception.message)

        with self.assertRaises(GLib.Error) as caught:
            sup.terminate_child(GtaskSup.Task.new_completed(None), 0)
        self.assertErrorMatches(caught.exception, GtaskSup.error_quark(),
                                GtaskSup.Error.NOT_FOUND)


class TestCloseAndDrain(ContextTestCase):

    def test_close(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        gate = threading.Event()

        def work():
            gate.wait(20)
            return 5

        task = sup.run_in_thread(work)
        sup.close()
        self.assertTrue(sup.get_closed())
        self.assertTrue(sup.props.closed)
        with self.assertRaises(GLib.Error) as caught:
            sup.start(GtaskSup.Task.new_completed(None))
        self.assertErrorMatches(caught.exception, GtaskSup.error_quark(),
                                GtaskSup.Error.CLOSED)
        gate.set()
        self.assertIterateUntil(lambda: len(outcomes.events) == 1)
        self.assertEqual(outcomes.events[0][0], 'succeeded')
        self.assertEqual(task.get_value(), 5)

    def test_drain(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        gate = threading.Event()
        done = []

        def work():
            gate.wait(20)
            return 1

        for i in range(3):
            sup.run_in_thread(work)

        def on_drained(source, result, data):
            done.append((source.drain_finish(result), data,
                         len(outcomes.events)))

        sup.drain_async(None, on_drained, 'data')
        self.iterate_for(30)
        self.assertEqual(done, [])
        gate.set()
        self.assertIterateUntil(lambda: done)
        self.assertEqual(done, [(True, 'data', 3)])


class TestMany(ContextTestCase):

    def test_await_many_async(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        tasks = [GtaskSup.Task.new_completed(1), sup.run_in_thread(lambda: 2)]
        sup.start(tasks[0])
        done = []
        GtaskSup.await_many_async(tasks, None,
                                  lambda src, res, *data:
                                  done.append(GtaskSup.await_many_finish(res)))
        self.assertEqual(done, [])
        self.assertIterateUntil(lambda: done)
        self.assertEqual(done, [True])
        self.assertEqual(len(outcomes.events), 2)
        self.assertEqual([t.get_value() for t in tasks], [1, 2])

    def test_await_many_fails_fast(self):
        sup = GtaskSup.Supervisor.new(None)
        gate = threading.Event()

        def slow():
            gate.wait(20)
            return 1

        error = GLib.Error.new_literal(Gio.io_error_quark(), 'no',
                                       Gio.IOErrorEnum.PERMISSION_DENIED)
        failing = GtaskSup.Task.new_failed(error)
        sup.start(failing)
        slow_task = sup.run_in_thread(slow)
        with self.assertRaises(GLib.Error) as caught:
            GtaskSup.await_many([slow_task, failing], -1)
        self.assertErrorMatches(caught.exception, Gio.io_error_quark(),
                                Gio.IOErrorEnum.PERMISSION_DENIED, 'no')
        self.assertLess(slow_task.get_state(), GtaskSup.TaskState.SUCCEEDED)
        gate.set()
        self.assertTrue(GtaskSup.await_many([slow_task], -1))
        self.assertEqual(slow_task.get_value(), 1)

    def test_yield_many(self):
        sup = GtaskSup.Supervisor.new(None)
        quick = GtaskSup.Task.new_completed('q')
        sup.start(quick)

        def slow(task, cancellable):
            block_on_cancellable(cancellable)

        slow_task = GtaskSup.Task.new_thread(slow)
        sup.start(slow_task)
        done = GtaskSup.yield_many([slow_task, quick], 50, 0,
                                   GtaskSup.YieldTimeout.SHUTDOWN)
        self.assertEqual(done, [quick])
        self.assertIterateUntil(
            lambda: slow_task.get_state() == GtaskSup.TaskState.FAILED)


class TestPriorityAndIgnore(ContextTestCase):

    def test_queued_in_priority_order(self):
        sup = GtaskSup.Supervisor.new(None)
        sup.props.max_concurrency = 1
        outcomes = Outcomes(sup)
        gate = threading.Event()
        ran = []

        sup.run_in_thread(gate.wait, 20)
        for name, priority in (('low', GLib.PRIORITY_LOW),
                               ('default', GLib.PRIORITY_DEFAULT),
                               ('high', GLib.PRIORITY_HIGH)):
            task = GtaskSup.Task.new_thread(
                lambda task, cancellable, name: (ran.append(name),
                                                 task.return_boolean(True)),
                name)
            task.props.priority = priority
            sup.start(task)
        gate.set()
        self.assertIterateUntil(lambda: len(outcomes.events) == 4)
        self.assertEqual(ran, ['high', 'default', 'low'])

    def test_ignore(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        gate = threading.Event()

        def work():
            gate.wait(20)
            return 'kept'

        task = sup.run_in_thread(work)
        self.assertTrue(sup.ignore(task))
        gate.set()
        self.assertIterateUntil(
            lambda: task.get_state() == GtaskSup.TaskState.SUCCEEDED)
        self.iterate_for(20)
        self.assertEqual(outcomes.events, [])
        self.assertEqual(task.get_value(), 'kept')
        with self.assertRaises(GLib.Error) as caught:
            sup.ignore(task)
        self.assertErrorMatches(caught.exception, GtaskSup.error_quark(),
                                GtaskSup.Error.NOT_FOUND)


class TestNested(ContextTestCase):

    def test_parent_shutdown_reaches_descendants(self):
        owner = GObject.Object()
        parent = GtaskSup.Supervisor.new(owner)
        child = parent.new_child()
        grandchild = child.new_child()
        order = []
        for name, sup in (('parent', parent), ('child', child),
                          ('grandchild', grandchild)):
            sup.connect('failed', lambda s, t, e, name=name:
                        order.append((name, t.get_kind())))
            sup.connect('succeeded', lambda s, t, name=name:
                        order.append((name, t.get_kind())))
        parent.connect('stopped', lambda s, reason: order.append('stopped'))

        def work(task, cancellable):
            block_on_cancellable(cancellable)

        tasks = [GtaskSup.Task.new_thread(work) for i in range(2)]
        child.start(tasks[0])
        grandchild.start(tasks[1])
        done = []
        parent.shutdown_async(None, lambda s, res: done.append(
            s.shutdown_finish(res)))
        self.assertIterateUntil(lambda: done)
        self.assertEqual(done, [True])
        kinds = GtaskSup.TaskKind
        self.assertEqual(len(order), 5, order)
        # Every thread task ended before its supervisor's run, and the
        # parent stopped last.
        self.assertEqual(order[-1], 'stopped')
        self.assertEqual(order[-2], ('parent', kinds.SUPERVISOR))
        self.assertLess(order.index(('grandchild', kinds.THREAD)),
                        order.index(('child', kinds.SUPERVISOR)))
        self.assertTrue(all(t.get_state() == GtaskSup.TaskState.FAILED
                            for t in tasks))

    def test_child_supervisor_of_task(self):
        parent = GtaskSup.Supervisor.new(None)
        child = GtaskSup.Supervisor.new(None)
        task = GtaskSup.Task.new_supervisor(child)
        self.assertEqual(task.get_kind(), GtaskSup.TaskKind.SUPERVISOR)
        self.assertIs(task.get_child_supervisor(), child)
        self.assertEqual(task.props.shutdown_timeout, -1)
        parent.start(task)
        outcomes = Outcomes(parent)
        done = []
        child.shutdown_async(None, lambda s, res: done.append(True))
        self.assertIterateUntil(lambda: outcomes.events)
        self.assertEqual(outcomes.events[0][0], 'succeeded')
        self.assertIsNone(GtaskSup.Task.new_thread(
            lambda t, c: None).get_child_supervisor())


class TestStreamInput(ContextTestCase):

    def test_wait_for_input(self):
        sup = GtaskSup.Supervisor.new(None)
        produced = ['a', 'b']
        ended = []
        items = []

        def next_item(stream, index):
            if index < len(produced):
                return GtaskSup.Task.new_completed(produced[index])
            if ended:
                return None
            stream.wait_for_input()
            return None

        stream = sup.map(next_item)
        stream.connect('item', lambda s, i, t: items.append(t.get_value()))
        finished = []
        stream.connect('finished', lambda s, e: finished.append(e))
        stream.start()
        self.assertIterateUntil(lambda: len(items) == 2)
        self.iterate_for(20)
        self.assertEqual(finished, [])
        produced.append('c')
        ended.append(True)
        stream.input_ready()
        self.assertIterateUntil(lambda: finished)
        self.assertEqual(items, ['a', 'b', 'c'])
        self.assertEqual(finished, [None])

    def test_push(self):
        sup = GtaskSup.Supervisor.new(None)
        stream = sup.map_push()
        stream.props.max_concurrency = 1
        stream.props.read_ahead = 0
        items = []
        stream.connect('item', lambda s, i, t: items.append((i, t.get_value())))
        pushed = []

        def push_next(n):
            if n == 4:
                stream.close_input()
                return
            stream.push_async(GtaskSup.Task.new_completed(n * 2), None,
                              lambda s, res: (pushed.append(s.push_finish(res)),
                                              push_next(n + 1)))

        stream.start()
        push_next(0)
        finished = []
        stream.connect('finished', lambda s, e: finished.append(e))
        self.assertIterateUntil(lambda: finished)
        self.assertEqual(pushed, [True] * 4)
        self.assertEqual(items, [(0, 0), (1, 2), (2, 4), (3, 6)])

    def test_input_of_failed_item(self):
        sup = GtaskSup.Supervisor.new(None)
        store = Gio.ListStore.new(Gio.File)
        for name in ('ok', 'broken'):
            store.append(Gio.File.new_for_path('/nonexistent/' + name))

        def make(stream, item):
            if item.get_basename() == 'broken':
                return GtaskSup.Task.new_failed(GLib.Error.new_literal(
                    Gio.io_error_quark(), 'broken', Gio.IOErrorEnum.FAILED))
            return GtaskSup.Task.new_completed(None)

        stream = sup.map_model(store, make)
        failed = []
        stream.connect('item', lambda s, i, t: failed.append(
            (i, t.props.input.get_basename()))
            if t.get_state() == GtaskSup.TaskState.FAILED else None)
        done = []
        stream.connect('finished', lambda s, e: done.append(True))
        stream.start()
        self.assertIterateUntil(lambda: done)
        self.assertEqual(failed, [(1, 'broken')])


class Window(GObject.Object):
    """A stand-in for Gtk.Window: close-request returns a boolean."""
    __gsignals__ = {
        'close-request': (GObject.SignalFlags.RUN_LAST, bool, (),
                          GObject.signal_accumulator_true_handled),
    }

    def __init__(self):
        super().__init__()
        # The usual PyGObject style: a handler bound to self, so the
        # window is never disposed while Python holds it.
        self.connect('notify', self.on_notify)
        self.supervisor = GtaskSup.Supervisor.new(self)

    def on_notify(self, *args):
        pass


class TestLifetime(ContextTestCase):

    def test_close_request_ends_the_work(self):
        window = Window()
        sup = window.supervisor
        sup.bind_lifetime(window, 'close-request')
        outcomes = Outcomes(sup)
        ran = []

        def work(task, cancellable):
            ran.append(True)
            block_on_cancellable(cancellable)

        task = GtaskSup.Task.new_thread(work)
        sup.start(task)
        self.assertIterateUntil(lambda: ran)
        # Left unhandled: the window closes as it would have.
        self.assertFalse(window.emit('close-request'))
        # The window lives on (Python holds it), its work does not.
        self.assertIterateUntil(lambda: task.get_cancellable().is_cancelled())
        self.iterate_for(30)
        self.assertEqual(outcomes.events, [])
        self.assertTrue(sup.get_closed())


class TestLogUnhandled(ContextTestCase):

    def setUp(self):
        super().setUp()
        self.logged = []
        self.handler = GLib.log_set_handler(
            'GtaskSup', GLib.LogLevelFlags.LEVEL_WARNING,
            lambda domain, level, message, *data:
                self.logged.append(message))

    def tearDown(self):
        GLib.log_remove_handler('GtaskSup', self.handler)
        super().tearDown()

    def run_failing(self, sup, name):
        task = GtaskSup.Task.new_failed(
            GLib.Error.new_literal(Gio.io_error_quark(), 'it broke',
                                   Gio.IOErrorEnum.FAILED))
        task.set_name(name)
        sup.start(task)
        self.assertIterateUntil(
            lambda: task.get_state() == GtaskSup.TaskState.FAILED)
        self.iterate_for(10)

    def test_logged_without_handler(self):
        sup = GtaskSup.Supervisor.new(None)
        self.run_failing(sup, 'fetch')
        self.assertEqual(self.logged, [
            'Task “fetch” failed, and no handler of ::failed heard it: '
            'it broke'])

    def test_quiet_with_handler(self):
        sup = GtaskSup.Supervisor.new(None)
        heard = []
        sup.connect('failed::fetch', lambda s, t, e: heard.append(e))
        self.run_failing(sup, 'fetch')
        self.assertEqual(len(heard), 1)
        self.assertEqual(self.logged, [])

    def test_quiet_when_off(self):
        sup = GtaskSup.Supervisor.new(None)
        sup.props.log_unhandled = False
        self.run_failing(sup, 'fetch')
        self.assertEqual(self.logged, [])


class TestDefaultName(ContextTestCase):

    def test_subprocess_named_after_program(self):
        task = GtaskSup.Task.new_subprocess(['/bin/true'],
                                            Gio.SubprocessFlags.NONE)
        self.assertEqual(task.get_name(), 'true')
        task.set_name('mine')
        self.assertEqual(task.props.name, 'mine')


if __name__ == '__main__':
    unittest.main()
