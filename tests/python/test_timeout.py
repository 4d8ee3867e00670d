#!/usr/bin/python3
# test_timeout.py: per-task timeouts seen from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import time
import unittest

from gtasksuptest import (ContextTestCase, Outcomes, GLib, Gio, GtaskSup,
                          block_on_cancellable)

TIMEOUT_MS = 50
# Slack for a loaded 2-core machine: only catches a timeout that never fires
# on time at all, not scheduling jitter.
SLACK_S = 5.0


class TestTimeout(ContextTestCase):

    def test_timed_out(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        detailed = []
        sup.connect('timed-out::slow',
                    lambda sup, task: detailed.append(task))
        started = self.flag()
        returned = self.flag()
        worker = {}

        def func(task, cancellable, *data):
            t0 = time.monotonic()
            started.set()
            worker['cancelled'] = block_on_cancellable(cancellable)
            worker['blocked_s'] = time.monotonic() - t0
            # A result after the timeout is freed and never reported.
            task.return_int(1)
            returned.set()

        task = GtaskSup.Task.new_thread(func)
        task.set_name('slow')
        task.set_timeout(TIMEOUT_MS)
        self.assertEqual(task.get_timeout(), TIMEOUT_MS)

        t0 = time.monotonic()
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertIterateUntil(returned.is_set)
        self.iterate_for(100)

        self.assertTrue(started.is_set())
        self.assertEqual(outcomes.kinds(), ['timed-out'])
        _, signal_task, _, t_signal = outcomes.events[0]
        self.assertIs(signal_task, task)
        self.assertEqual(detailed, [task])

        elapsed = t_signal - t0
        self.assertGreaterEqual(elapsed, TIMEOUT_MS / 1000)
        self.assertLess(elapsed, TIMEOUT_MS / 1000 + SLACK_S)

        # The worker was told through its cancellable.
        self.assertTrue(worker['cancelled'])
        self.assertGreater(worker['blocked_s'], 0)

        self.assertEqual(task.get_state(), GtaskSup.TaskState.TIMED_OUT)
        self.assertIsNone(task.get_value())
        self.assertErrorMatches(task.get_error(), Gio.io_error_quark(),
                                Gio.IOErrorEnum.TIMED_OUT)
        self.assertTrue(task.get_cancellable().is_cancelled())

    def test_done_before_timeout(self):
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        # Generous, so that a loaded machine still finishes in time.
        timeout_ms = 1000

        task = GtaskSup.Task.new_thread(
            lambda task, cancellable, *data: task.return_int(5))
        task.set_timeout(timeout_ms)
        t0 = time.monotonic()
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        # Past the timeout: still only the one outcome.
        elapsed_ms = int((time.monotonic() - t0) * 1000)
        self.iterate_for(max(timeout_ms - elapsed_ms, 0) + 100)

        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertEqual(task.get_state(), GtaskSup.TaskState.SUCCEEDED)
        self.assertEqual(task.get_value(), 5)
        self.assertFalse(task.get_cancellable().is_cancelled())

    def test_no_timeout_by_default(self):
        task = GtaskSup.Task.new_thread(lambda task, c, *d: None)
        self.assertEqual(task.get_timeout(), -1)

    def test_wait(self):
        # wait() is Elixir's yield: it gives up after its own timeout and
        # leaves the task running.
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        gate = threading.Event()

        def func(task, cancellable, *data):
            gate.wait(20)
            task.return_int(3)

        task = GtaskSup.Task.new_thread(func)
        sup.start(task)

        t0 = time.monotonic()
        with self.assertRaises(GLib.Error) as cm:
            task.wait(TIMEOUT_MS)
        self.assertGreaterEqual(time.monotonic() - t0, TIMEOUT_MS / 1000)
        self.assertErrorMatches(cm.exception, Gio.io_error_quark(),
                                Gio.IOErrorEnum.TIMED_OUT)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.RUNNING)
        self.assertFalse(task.get_cancellable().is_cancelled())

        gate.set()
        self.assertTrue(task.wait(20000))
        self.assertEqual(task.get_state(), GtaskSup.TaskState.SUCCEEDED)
        self.iterate_for(50)
        self.assertEqual(outcomes.kinds(), ['succeeded'])
        self.assertEqual(task.get_value(), 3)


if __name__ == '__main__':
    unittest.main(verbosity=2)
