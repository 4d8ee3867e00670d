#!/usr/bin/python3
# test_override.py: the PyGObject override (introspection/GtaskSup.py)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import sys
import threading
import unittest

from gtasksuptest import (ContextTestCase, Outcomes, GLib, GObject, Gio,
                          GtaskSup, block_on_cancellable)


LOGGER = 'gi.overrides.GtaskSup'


class Payload:
    pass


class TestRunInThread(ContextTestCase):

    def setUp(self):
        super().setUp()
        self.sup = GtaskSup.Supervisor.new(None)
        self.outcomes = Outcomes(self.sup)

    def tearDown(self):
        self.sup = None
        self.outcomes = None
        super().tearDown()

    def run_one(self, fn, *args, **kwargs):
        task = self.sup.run_in_thread(fn, *args, **kwargs)
        self.assertIsInstance(task, GtaskSup.Task)
        self.assertIterateUntil(lambda: len(self.outcomes.for_task(task)) > 0)
        self.iterate_for(20)
        events = self.outcomes.for_task(task)
        self.assertEqual(len(events), 1, events)
        return task, events[0]

    def assertSucceeded(self, fn, *args, **kwargs):
        task, (kind, _, error, _) = self.run_one(fn, *args, **kwargs)
        self.assertEqual(kind, 'succeeded', error)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.SUCCEEDED)
        return task

    def assertFailed(self, fn, *args, **kwargs):
        task, (kind, _, error, _) = self.run_one(fn, *args, **kwargs)
        self.assertEqual(kind, 'failed')
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)
        return task, error

    def test_override_loaded(self):
        # The class is the override's, not the plain introspected one.
        self.assertEqual(type(self.sup).__module__, 'gi.overrides.GtaskSup')
        self.assertTrue(callable(GtaskSup.current_task))

    def test_override_under_test(self):
        # The override of this tree (GTASK_SUP_OVERRIDES_DIR, set by
        # meson), not one installed for whatever python3 comes first in
        # PATH.
        overrides_dir = os.environ.get('GTASK_SUP_OVERRIDES_DIR')
        self.assertTrue(overrides_dir, 'GTASK_SUP_OVERRIDES_DIR is not set')
        module = sys.modules[type(self.sup).__module__]
        self.assertEqual(os.path.realpath(module.__file__),
                         os.path.realpath(os.path.join(overrides_dir,
                                                       'GtaskSup.py')))

    def test_args_and_kwargs(self):
        def fn(a, b, *, scale=1):
            return (a + b) * scale

        task = self.assertSucceeded(fn, 2, 3, scale=10)
        self.assertEqual(task.get_value(), 50)

    def test_int(self):
        task = self.assertSucceeded(lambda: 42)
        self.assertEqual(task.get_value(), 42)
        # Stored as a gint64.
        self.assertEqual(task.propagate_int(), 42)

    def test_big_int(self):
        big = 1 << 70
        task = self.assertSucceeded(lambda: big)
        self.assertEqual(task.get_value(), big)

    def test_bool(self):
        task = self.assertSucceeded(lambda: True)
        self.assertIs(task.get_value(), True)
        self.assertIs(task.propagate_boolean(), True)

    def test_float(self):
        task = self.assertSucceeded(lambda: 0.25)
        self.assertEqual(task.get_value(), 0.25)

    def test_str(self):
        task = self.assertSucceeded(lambda: 'héllo')
        self.assertEqual(task.get_value(), 'héllo')

    def test_gobject(self):
        obj = Gio.SimpleAction.new('act', None)
        task = self.assertSucceeded(lambda: obj)
        self.assertIs(task.get_value(), obj)

    def test_pyobject(self):
        payload = Payload()
        task = self.assertSucceeded(lambda: {'answer': [payload]})
        self.assertEqual(task.get_value(), {'answer': [payload]})
        self.assertIs(task.get_value()['answer'][0], payload)

    def test_none(self):
        task = self.assertSucceeded(lambda: None)
        self.assertIsNone(task.get_value())

    def test_gvalue(self):
        task = self.assertSucceeded(
            lambda: GObject.Value(GObject.TYPE_UINT, 7))
        self.assertEqual(task.get_value(), 7)

    def test_exception(self):
        def fn():
            raise ValueError('bad input')

        # (its traceback is logged: see test_exceptions.py)
        with self.assertLogs(LOGGER, 'ERROR'):
            task, error = self.assertFailed(fn)
        self.assertErrorMatches(error, GtaskSup.Error.quark(),
                                GtaskSup.Error.FAILED, 'ValueError: bad input')
        self.assertErrorMatches(task.get_error(), GtaskSup.Error.quark(),
                                GtaskSup.Error.FAILED, 'ValueError: bad input')

    def test_exception_without_message(self):
        def fn():
            raise KeyError

        with self.assertLogs(LOGGER, 'ERROR'):
            task, error = self.assertFailed(fn)
        self.assertErrorMatches(error, GtaskSup.Error.quark(),
                                GtaskSup.Error.FAILED, 'KeyError')

    def test_glib_error_kept(self):
        def fn():
            raise GLib.Error.new_literal(Gio.io_error_quark(), 'gone',
                                         Gio.IOErrorEnum.NOT_FOUND)

        with self.assertLogs(LOGGER, 'ERROR'):
            task, error = self.assertFailed(fn)
        self.assertErrorMatches(error, Gio.io_error_quark(),
                                Gio.IOErrorEnum.NOT_FOUND, 'gone')

    def test_runs_on_worker_thread(self):
        main = threading.get_ident()
        task = self.assertSucceeded(lambda: threading.get_ident() != main)
        self.assertIs(task.get_value(), True)

    def test_current_task(self):
        self.assertIsNone(GtaskSup.current_task())
        seen = []

        def fn():
            task = GtaskSup.current_task()
            seen.append(task)
            return isinstance(task.get_cancellable(), Gio.Cancellable)

        task = self.assertSucceeded(fn)
        self.assertIs(task.get_value(), True)
        self.assertEqual(seen, [task])
        self.assertIsNone(GtaskSup.current_task())

    def test_cancel_through_current_task(self):
        started = self.flag()

        def fn():
            started.set()
            cancellable = GtaskSup.current_task().get_cancellable()
            return block_on_cancellable(cancellable)

        task = self.sup.run_in_thread(fn)
        self.assertIterateUntil(started.is_set)
        task.cancel()
        self.assertIterateUntil(lambda: len(self.outcomes) > 0)
        self.iterate_for(20)
        self.assertEqual(self.outcomes.kinds(), ['failed'])
        self.assertErrorMatches(self.outcomes.events[0][2],
                                Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    def test_start_error(self):
        self.sup.props.max_children = 1
        started = self.flag()

        def fn():
            started.set()
            block_on_cancellable(GtaskSup.current_task().get_cancellable())

        first = self.sup.run_in_thread(fn)
        with self.assertRaises(GLib.Error) as cm:
            self.sup.run_in_thread(lambda: 1)
        self.assertErrorMatches(cm.exception, GtaskSup.Error.quark(),
                                GtaskSup.Error.MAX_CHILDREN)
        self.assertIterateUntil(started.is_set)
        first.cancel()
        self.assertIterateUntil(lambda: len(self.outcomes) > 0)

    def test_task_options(self):
        # name, timeout and restart set the task before it starts; other
        # keywords, `fn` included, go to the function.
        started = self.flag()
        seen = []

        def fn(a, *, fn=None):
            task = GtaskSup.current_task()
            seen.append((a, fn, task.get_name(), task.get_timeout(),
                         task.get_restart()))
            started.set()
            block_on_cancellable(task.get_cancellable())

        task = self.sup.run_in_thread(fn, 1, fn='f', name='job',
                                      timeout=60000,
                                      restart=GtaskSup.Restart.TEMPORARY)
        self.assertEqual(task.get_name(), 'job')
        self.assertEqual(task.get_timeout(), 60000)
        self.assertEqual(task.get_restart(), GtaskSup.Restart.TEMPORARY)
        self.assertIterateUntil(started.is_set)
        task.cancel()
        self.assertIterateUntil(lambda: len(self.outcomes) > 0)
        self.iterate_for(20)
        self.assertEqual(seen, [(1, 'f', 'job', 60000,
                                 GtaskSup.Restart.TEMPORARY)])
        self.assertEqual(self.outcomes.kinds(), ['failed'])
        self.assertErrorMatches(self.outcomes.events[0][2],
                                Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    def test_restart_option(self):
        runs = []

        def fn():
            runs.append(GtaskSup.current_task())
            if len(runs) < 3:
                raise RuntimeError('run %d' % len(runs))
            return len(runs)

        with self.assertLogs(LOGGER, 'ERROR') as logs:
            self.sup.run_in_thread(fn, restart=GtaskSup.Restart.TRANSIENT)
            self.assertIterateUntil(lambda: len(self.outcomes) == 3)
            self.iterate_for(20)
        self.assertEqual(len(logs.records), 2)
        self.assertEqual(self.outcomes.kinds(),
                         ['failed', 'failed', 'succeeded'])
        self.assertEqual(self.outcomes.events[1][2].message,
                         'RuntimeError: run 2')
        self.assertEqual(self.outcomes.events[2][1].get_value(), 3)

    def test_not_callable(self):
        with self.assertRaises(TypeError):
            self.sup.run_in_thread(42)

    def test_many(self):
        n = 8
        tasks = [self.sup.run_in_thread(lambda i: i * 2, i) for i in range(n)]
        self.assertIterateUntil(lambda: len(self.outcomes) == n)
        self.iterate_for(20)
        self.assertEqual(self.outcomes.kinds(), ['succeeded'] * n)
        self.assertEqual([t.get_value() for t in tasks],
                         [i * 2 for i in range(n)])


if __name__ == '__main__':
    unittest.main(verbosity=2)
