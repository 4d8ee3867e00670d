#!/usr/bin/python3
# test_owner.py: the owner's lifetime bounds its tasks, seen from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import unittest
import weakref

from gtasksuptest import (ContextTestCase, Outcomes, GLib, GObject, GtaskSup,
                          block_on_cancellable)


class TestOwner(ContextTestCase):

    def test_owner_property(self):
        owner = GObject.Object()
        sup = GtaskSup.Supervisor.new(owner)
        self.assertIs(sup.props.owner, owner)
        self.assertIs(sup.dup_owner(), owner)
        self.assertEqual(sup.get_main_context(), self.context)
        self.assertFalse(sup.get_closed())

        other = GtaskSup.Supervisor(owner=owner)
        self.assertIs(other.props.owner, owner)

    def test_supervisor_does_not_keep_owner_alive(self):
        owner = GObject.Object()
        alive = weakref.ref(owner)
        sup = GtaskSup.Supervisor.new(owner)
        del owner
        gc.collect()
        self.assertIsNone(alive())
        self.assertIsNone(sup.props.owner)
        self.assertIsNone(sup.dup_owner())

    def test_owner_dropped_with_running_task(self):
        owner = GObject.Object()
        alive = weakref.ref(owner)
        sup = GtaskSup.Supervisor.new(owner)
        outcomes = Outcomes(sup)
        started = self.flag()
        returned = self.flag()
        saw_cancel = []

        def func(task, cancellable, *data):
            started.set()
            saw_cancel.append(block_on_cancellable(cancellable))
            # Too late: freed, never reported.
            task.return_int(7)
            returned.set()

        task = GtaskSup.Task.new_thread(func)
        sup.start(task)
        self.assertIterateUntil(started.is_set)
        self.assertEqual(len(outcomes), 0)

        del owner
        gc.collect()
        self.assertIsNone(alive())

        # The task's cancellable fires and its function returns...
        self.assertIterateUntil(returned.is_set,
                                'the task was not cancelled with its owner')
        self.assertEqual(saw_cancel, [True])
        self.assertTrue(task.get_cancellable().is_cancelled())
        # ...and nothing is ever emitted, however long we iterate.
        self.iterate_for(200)
        self.assertEqual(outcomes.kinds(), [])

    def test_owner_dropped_with_queued_task(self):
        owner = GObject.Object()
        sup = GtaskSup.Supervisor.new(owner)
        sup.props.max_concurrency = 1
        outcomes = Outcomes(sup)
        started = self.flag()
        returned = self.flag()
        queued_ran = self.flag()

        def blocker(task, cancellable, *data):
            started.set()
            block_on_cancellable(cancellable)
            returned.set()

        def queued(task, cancellable, *data):
            queued_ran.set()
            task.return_int(1)

        first = GtaskSup.Task.new_thread(blocker)
        second = GtaskSup.Task.new_thread(queued)
        sup.start(first)
        sup.start(second)
        self.assertEqual(second.get_state(), GtaskSup.TaskState.QUEUED)
        self.assertIterateUntil(started.is_set)
        self.assertEqual(sup.get_n_queued(), 1)

        del owner
        gc.collect()

        self.assertIterateUntil(returned.is_set)
        self.iterate_for(200)
        self.assertFalse(queued_ran.is_set())
        self.assertEqual(outcomes.kinds(), [])

    def test_closed_after_owner_dropped(self):
        owner = GObject.Object()
        sup = GtaskSup.Supervisor.new(owner)
        outcomes = Outcomes(sup)
        del owner
        gc.collect()
        self.iterate_for(20)

        self.assertTrue(sup.get_closed())
        self.assertTrue(sup.props.closed)
        task = GtaskSup.Task.new_thread(lambda task, c, *d: task.return_int(1))
        with self.assertRaises(GLib.Error) as cm:
            sup.start(task)
        self.assertErrorMatches(cm.exception, GtaskSup.Error.quark(),
                                GtaskSup.Error.CLOSED)
        self.iterate_for(50)
        self.assertEqual(outcomes.kinds(), [])


if __name__ == '__main__':
    unittest.main(verbosity=2)
