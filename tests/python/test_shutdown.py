#!/usr/bin/python3
# test_shutdown.py: supervisor shutdown, task shutdown and restarts
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import threading
import time
import unittest

from gtasksuptest import (ContextTestCase, Outcomes, GLib, GObject, Gio,
                          GtaskSup, WAIT_MS, block_on_cancellable)

# Slack for a loaded 2-core machine (upper bounds only).
SLACK_S = 5.0


class Stopped:
    """Records the supervisor's `stopped` signal and notify::closed."""

    def __init__(self, sup, outcomes=None):
        self.reasons = []
        self.n_outcomes_before = []
        self.closed_notifies = 0
        self._outcomes = outcomes
        sup.connect('stopped', self._on_stopped)
        sup.connect('notify::closed', self._on_closed)

    def _on_stopped(self, sup, reason):
        self.reasons.append(reason)
        if self._outcomes is not None:
            self.n_outcomes_before.append(len(self._outcomes))

    def _on_closed(self, sup, pspec):
        self.closed_notifies += 1

    def __len__(self):
        return len(self.reasons)


class ShutdownCall:
    """A shutdown_async() call and its Gio-style completion."""

    def __init__(self, testcase, sup, cancellable=None):
        self.results = []
        self.errors = []
        sup.shutdown_async(cancellable, self._done, 'data')

    def _done(self, sup, result, data):
        self.data = data
        try:
            self.results.append(sup.shutdown_finish(result))
        except GLib.Error as error:
            self.errors.append(error)

    def done(self):
        return bool(self.results or self.errors)


class Gate(threading.Event):
    """Blocks a worker that ignores its cancellable; opened at cleanup so
    that no worker thread outlives the test."""

    def __init__(self, testcase):
        super().__init__()
        testcase.addCleanup(self.set)

    def wait_open(self):
        return self.wait(WAIT_MS / 1000)


class TestSupervisorShutdown(ContextTestCase):

    def assertClosed(self, sup):
        self.assertTrue(sup.get_closed())
        self.assertTrue(sup.props.closed)
        task = GtaskSup.Task.new_thread(lambda t, c, *d: t.return_int(0))
        with self.assertRaises(GLib.Error) as cm:
            sup.start(task)
        self.assertErrorMatches(cm.exception, GtaskSup.Error.quark(),
                                GtaskSup.Error.CLOSED)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.NEW)
        with self.assertRaises(GLib.Error) as cm:
            sup.run_in_thread(lambda: 1)
        self.assertErrorMatches(cm.exception, GtaskSup.Error.quark(),
                                GtaskSup.Error.CLOSED)

    def test_shutdown_with_children(self):
        sup = GtaskSup.Supervisor.new(None)
        sup.props.max_concurrency = 2
        outcomes = Outcomes(sup)
        stopped = Stopped(sup, outcomes)
        started = [self.flag(), self.flag()]
        ran = []

        def blocker(task, cancellable, i):
            ran.append(i)
            started[i].set()
            block_on_cancellable(cancellable)

        tasks = [GtaskSup.Task.new_thread(blocker, i) for i in range(3)]
        for task in tasks:
            sup.start(task)
        self.assertIterateUntil(lambda: started[0].is_set() and
                                started[1].is_set())
        self.assertEqual(tasks[2].get_state(), GtaskSup.TaskState.QUEUED)

        call = ShutdownCall(self, sup)
        # Closed at once; nothing emitted or completed from inside the call.
        self.assertClosed(sup)
        self.assertFalse(call.done())
        self.assertEqual(len(stopped), 0)
        self.assertEqual(len(outcomes), 0)

        self.assertIterateUntil(lambda: call.done() and len(stopped) > 0)
        self.iterate_for(100)

        self.assertEqual(call.results, [True])
        self.assertEqual(call.data, 'data')
        self.assertEqual(stopped.reasons, [None])
        self.assertEqual(stopped.closed_notifies, 1)
        # Every child has its outcome before `stopped`.
        self.assertEqual(stopped.n_outcomes_before, [3])
        self.assertEqual(sorted(outcomes.kinds()), ['failed'] * 3)
        for _, task, error, _ in outcomes.events:
            self.assertErrorMatches(error, Gio.io_error_quark(),
                                    Gio.IOErrorEnum.CANCELLED)
        self.assertEqual(set(e[1] for e in outcomes.events), set(tasks))
        # The queued one never ran.
        self.assertEqual(sorted(ran), [0, 1])
        self.assertEqual(sup.get_children().get_n_items(), 0)
        self.assertEqual(sup.get_n_running(), 0)
        self.assertEqual(sup.get_n_queued(), 0)
        self.assertClosed(sup)

    def test_shutdown_no_children(self):
        sup = GtaskSup.Supervisor.new(None)
        stopped = Stopped(sup)

        call = ShutdownCall(self, sup)
        self.assertFalse(call.done())
        self.assertEqual(len(stopped), 0)
        self.assertClosed(sup)

        self.assertIterateUntil(lambda: call.done() and len(stopped) > 0)
        self.iterate_for(50)
        self.assertEqual(call.results, [True])
        self.assertEqual(stopped.reasons, [None])

    def test_shutdown_twice(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        stopped = Stopped(sup)
        started = self.flag()

        def blocker(task, cancellable, *data):
            started.set()
            block_on_cancellable(cancellable)

        sup.start(GtaskSup.Task.new_thread(blocker))
        self.assertIterateUntil(started.is_set)

        first = ShutdownCall(self, sup)
        second = ShutdownCall(self, sup)
        self.assertIterateUntil(lambda: first.done() and second.done())
        self.iterate_for(50)
        self.assertEqual(first.results, [True])
        self.assertEqual(second.results, [True])
        self.assertEqual(stopped.reasons, [None])
        self.assertEqual(outcomes.kinds(), ['failed'])

        # After it stopped: completes (from a later iteration), emits
        # nothing new.
        third = ShutdownCall(self, sup)
        self.assertFalse(third.done())
        self.assertIterateUntil(third.done)
        self.iterate_for(50)
        self.assertEqual(third.results, [True])
        self.assertEqual(stopped.reasons, [None])
        self.assertEqual(len(outcomes), 1)

    def test_shutdown_kills_after_grace(self):
        grace_ms = 150
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        stopped = Stopped(sup, outcomes)
        gate = Gate(self)
        started = self.flag()

        def deaf(task, cancellable, *data):
            started.set()
            gate.wait_open()
            task.return_int(1)  # long after the kill: dropped

        task = GtaskSup.Task.new_thread(deaf)
        task.set_shutdown_timeout(grace_ms)
        sup.start(task)
        self.assertIterateUntil(started.is_set)

        t0 = time.monotonic()
        call = ShutdownCall(self, sup)
        self.assertIterateUntil(lambda: call.done() and len(stopped) > 0)
        t_done = time.monotonic()

        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], GtaskSup.Error.quark(),
                                GtaskSup.Error.KILLED)
        self.assertGreaterEqual(outcomes.events[0][3] - t0, grace_ms / 1000)
        self.assertLess(t_done - t0, grace_ms / 1000 + SLACK_S)
        self.assertEqual(stopped.reasons, [None])
        self.assertEqual(stopped.n_outcomes_before, [1])

        gate.set()
        self.iterate_for(100)
        self.assertEqual(len(outcomes), 1)
        self.assertIsNone(task.get_value())

    def test_shutdown_wait_cancelled(self):
        # Cancelling the wait does not stop the shutdown.
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        stopped = Stopped(sup)
        gate = Gate(self)
        started = self.flag()

        def slow(task, cancellable, *data):
            started.set()
            gate.wait_open()
            task.return_int(5)

        task = GtaskSup.Task.new_thread(slow)
        task.set_shutdown_timeout(-1)
        sup.start(task)
        self.assertIterateUntil(started.is_set)

        cancellable = Gio.Cancellable()
        call = ShutdownCall(self, sup, cancellable)
        self.iterate_for(20)
        self.assertFalse(call.done())
        cancellable.cancel()
        self.assertIterateUntil(call.done)
        self.assertEqual(call.results, [])
        self.assertErrorMatches(call.errors[0], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        self.assertEqual(len(stopped), 0)
        self.assertClosed(sup)

        # The task returns in its (unlimited) grace period: its own result.
        gate.set()
        self.assertIterateUntil(lambda: len(stopped) > 0)
        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertEqual(task.get_value(), 5)
        self.assertEqual(stopped.reasons, [None])

    def test_owner_disposed_during_shutdown(self):
        owner = GObject.Object()
        sup = GtaskSup.Supervisor.new(owner)
        outcomes = Outcomes(sup)
        stopped = Stopped(sup)
        gate = Gate(self)
        started = self.flag()

        def slow(task, cancellable, *data):
            started.set()
            gate.wait_open()

        task = GtaskSup.Task.new_thread(slow)
        task.set_shutdown_timeout(-1)
        sup.start(task)
        self.assertIterateUntil(started.is_set)

        call = ShutdownCall(self, sup)
        self.iterate_for(20)
        self.assertFalse(call.done())
        del owner
        gc.collect()
        self.assertIterateUntil(call.done)
        self.assertEqual(call.results, [True])

        gate.set()
        self.iterate_for(200)
        self.assertEqual(len(stopped), 0)
        self.assertEqual(outcomes.kinds(), [])

    def test_shutdown_after_owner_disposed(self):
        owner = GObject.Object()
        sup = GtaskSup.Supervisor.new(owner)
        stopped = Stopped(sup)
        del owner
        gc.collect()
        call = ShutdownCall(self, sup)
        self.assertIterateUntil(call.done)
        self.assertEqual(call.results, [True])
        self.iterate_for(50)
        self.assertEqual(len(stopped), 0)


class TestRestart(ContextTestCase):

    def test_default(self):
        task = GtaskSup.Task.new_thread(lambda t, c, *d: None)
        self.assertEqual(task.get_restart(), GtaskSup.Restart.TEMPORARY)
        sup = GtaskSup.Supervisor.new(None)
        self.assertEqual(sup.get_max_restarts(), 3)
        self.assertEqual(sup.get_max_seconds(), 5)
        self.assertEqual(sup.props.max_restarts, 3)
        self.assertEqual(sup.props.max_seconds, 5)

    def test_restart_intensity(self):
        max_restarts = 2
        sup = GtaskSup.Supervisor.new(None)
        sup.props.max_restarts = max_restarts
        self.assertEqual(sup.get_max_restarts(), max_restarts)
        outcomes = Outcomes(sup)
        stopped = Stopped(sup, outcomes)
        runs = []

        def failing(task, cancellable, *data):
            runs.append(task.get_name())
            task.return_error(GLib.Error.new_literal(
                Gio.io_error_quark(), 'broken', Gio.IOErrorEnum.FAILED))

        task = GtaskSup.Task.new_thread(failing)
        task.set_name('crashy')
        task.set_restart(GtaskSup.Restart.PERMANENT)
        self.assertEqual(task.get_restart(), GtaskSup.Restart.PERMANENT)
        sup.start(task)

        self.assertIterateUntil(lambda: len(stopped) > 0)
        self.iterate_for(100)

        # max-restarts restarts, then one failure too many.
        self.assertEqual(outcomes.kinds(), ['failed'] * (max_restarts + 1))
        self.assertEqual(runs, ['crashy'] * (max_restarts + 1))
        tasks = [e[1] for e in outcomes.events]
        self.assertIs(tasks[0], task)
        # Each run is a task of its own, with the same settings.
        self.assertEqual(len(set(id(t) for t in tasks)), len(tasks))
        for t in tasks:
            self.assertEqual(t.get_name(), 'crashy')
            self.assertEqual(t.get_restart(), GtaskSup.Restart.PERMANENT)
            self.assertEqual(t.get_state(), GtaskSup.TaskState.FAILED)
            self.assertErrorMatches(t.get_error(), Gio.io_error_quark(),
                                    Gio.IOErrorEnum.FAILED, 'broken')

        self.assertEqual(len(stopped), 1)
        self.assertErrorMatches(stopped.reasons[0], GtaskSup.Error.quark(),
                                GtaskSup.Error.RESTART_INTENSITY)
        self.assertEqual(stopped.n_outcomes_before, [max_restarts + 1])
        self.assertEqual(stopped.closed_notifies, 1)
        self.assertTrue(sup.get_closed())
        with self.assertRaises(GLib.Error) as cm:
            sup.start(GtaskSup.Task.new_thread(lambda t, c, *d: None))
        self.assertErrorMatches(cm.exception, GtaskSup.Error.quark(),
                                GtaskSup.Error.CLOSED)

    def test_restart_intensity_shuts_down_others(self):
        # Giving up shuts the other children down before `stopped`.
        sup = GtaskSup.Supervisor.new(None)
        sup.props.max_restarts = 0
        outcomes = Outcomes(sup)
        stopped = Stopped(sup, outcomes)
        started = self.flag()

        def blocker(task, cancellable, *data):
            started.set()
            block_on_cancellable(cancellable)

        bystander = GtaskSup.Task.new_thread(blocker)
        sup.start(bystander)
        self.assertIterateUntil(started.is_set)

        crashy = GtaskSup.Task.new_thread(
            lambda t, c, *d: t.return_error(GLib.Error.new_literal(
                Gio.io_error_quark(), 'broken', Gio.IOErrorEnum.FAILED)))
        crashy.set_restart(GtaskSup.Restart.PERMANENT)
        sup.start(crashy)

        self.assertIterateUntil(lambda: len(stopped) > 0)
        self.iterate_for(50)
        self.assertEqual(stopped.n_outcomes_before, [2])
        self.assertErrorMatches(stopped.reasons[0], GtaskSup.Error.quark(),
                                GtaskSup.Error.RESTART_INTENSITY)
        by_task = {id(e[1]): e for e in outcomes.events}
        self.assertErrorMatches(by_task[id(bystander)][2],
                                Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        self.assertEqual(len(outcomes), 2)

    def test_permanent_restarts_after_cancel_not_shutdown(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        stopped = Stopped(sup, outcomes)
        children = sup.get_children()
        runs = []
        running = []

        def blocker(task, cancellable, *data):
            runs.append(task)
            running.append(self.flag())
            running[-1].set()
            block_on_cancellable(cancellable)

        task = GtaskSup.Task.new_thread(blocker)
        task.set_restart(GtaskSup.Restart.PERMANENT)
        sup.start(task)
        self.assertIterateUntil(lambda: len(running) == 1)
        self.assertIterateUntil(lambda: children.get_n_items() == 1)
        self.assertIs(children.get_item(0), task)

        task.cancel()
        self.assertIterateUntil(lambda: len(running) == 2)
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        # The children list shows the live run.
        self.assertIterateUntil(lambda: children.get_n_items() == 1 and
                                children.get_item(0) is not task)
        second = children.get_item(0)
        self.assertEqual(second.get_state(), GtaskSup.TaskState.RUNNING)

        call = ShutdownCall(self, sup)
        self.assertIterateUntil(lambda: call.done() and len(stopped) > 0)
        self.iterate_for(100)
        self.assertEqual(len(runs), 2)
        self.assertEqual(outcomes.kinds(), ['failed', 'failed'])
        self.assertIs(outcomes.events[1][1], second)
        self.assertEqual(stopped.reasons, [None])

    def test_transient(self):
        # Restarted after a failure, not after success.
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        runs = []

        def flaky(task, cancellable, *data):
            runs.append(task)
            if len(runs) == 1:
                task.return_error(GLib.Error.new_literal(
                    Gio.io_error_quark(), 'flaky', Gio.IOErrorEnum.FAILED))
            else:
                task.return_int(len(runs))

        task = GtaskSup.Task.new_thread(flaky)
        task.set_restart(GtaskSup.Restart.TRANSIENT)
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes) == 2)
        self.iterate_for(200)
        self.assertEqual(outcomes.kinds(), ['failed', 'succeeded'])
        self.assertEqual(outcomes.events[1][1].get_value(), 2)
        self.assertEqual(len(runs), 2)
        self.assertFalse(sup.get_closed())

    def test_transient_not_after_cancel(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        started = self.flag()
        runs = []

        def blocker(task, cancellable, *data):
            runs.append(task)
            started.set()
            block_on_cancellable(cancellable)

        task = GtaskSup.Task.new_thread(blocker)
        task.set_restart(GtaskSup.Restart.TRANSIENT)
        sup.start(task)
        self.assertIterateUntil(started.is_set)
        task.cancel()
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(200)
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertEqual(len(runs), 1)


class TestTaskShutdown(ContextTestCase):

    def test_blocking_thread_killed(self):
        # A Python thread function that ignores its cancellable is killed
        # (abandoned) after the grace period.
        grace_ms = 150
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        gate = Gate(self)
        started = self.flag()
        returned = self.flag()

        def deaf(task, cancellable, *data):
            started.set()
            gate.wait_open()
            task.return_int(1)  # dropped
            returned.set()

        task = GtaskSup.Task.new_thread(deaf)
        sup.start(task)
        self.assertIterateUntil(started.is_set)

        t0 = time.monotonic()
        task.shutdown(grace_ms)
        self.assertTrue(task.get_cancellable().is_cancelled())
        self.assertEqual(len(outcomes), 0)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        t_signal = outcomes.events[0][3]

        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], GtaskSup.Error.quark(),
                                GtaskSup.Error.KILLED)
        self.assertGreaterEqual(t_signal - t0, grace_ms / 1000)
        self.assertLess(t_signal - t0, grace_ms / 1000 + SLACK_S)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)
        self.assertFalse(returned.is_set())

        # The abandoned function returns later; its result is dropped.
        gate.set()
        self.assertIterateUntil(returned.is_set)
        self.iterate_for(50)
        self.assertEqual(len(outcomes), 1)
        self.assertIsNone(task.get_value())
        self.assertErrorMatches(task.get_error(), GtaskSup.Error.quark(),
                                GtaskSup.Error.KILLED)

    def test_cooperative_without_result(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        started = self.flag()

        def blocker(task, cancellable, *data):
            started.set()
            block_on_cancellable(cancellable)

        task = GtaskSup.Task.new_thread(blocker)
        sup.start(task)
        self.assertIterateUntil(started.is_set)
        task.shutdown(20000)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    def test_cooperative_with_result(self):
        # Returning in time: the function's own result is the outcome.
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        started = self.flag()

        def wraps_up(task, cancellable, *data):
            started.set()
            block_on_cancellable(cancellable)
            task.return_int(42)

        task = GtaskSup.Task.new_thread(wraps_up)
        sup.start(task)
        self.assertIterateUntil(started.is_set)
        task.shutdown(20000)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertEqual(task.get_value(), 42)

    def test_queued_task(self):
        sup = GtaskSup.Supervisor.new(None)
        sup.props.max_concurrency = 1
        outcomes = Outcomes(sup)
        started = self.flag()
        ran = []

        def blocker(task, cancellable, name):
            ran.append(name)
            started.set()
            block_on_cancellable(cancellable)

        first = GtaskSup.Task.new_thread(blocker, 'first')
        queued = GtaskSup.Task.new_thread(blocker, 'queued')
        sup.start(first)
        sup.start(queued)
        self.assertIterateUntil(started.is_set)
        self.assertEqual(queued.get_state(), GtaskSup.TaskState.QUEUED)

        queued.shutdown(20000)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertIs(outcomes.events[0][1], queued)
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        first.cancel()
        self.assertIterateUntil(lambda: len(outcomes) == 2)
        self.iterate_for(50)
        self.assertEqual(ran, ['first'])

    def test_finished_task(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        task = GtaskSup.Task.new_thread(lambda t, c, *d: t.return_int(3))
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes) > 0)

        task.shutdown(0)
        task.cancel()
        self.iterate_for(100)
        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertEqual(task.get_state(), GtaskSup.TaskState.SUCCEEDED)
        self.assertEqual(task.get_value(), 3)


if __name__ == '__main__':
    unittest.main(verbosity=2)
