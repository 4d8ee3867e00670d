# gtasksuptest.py: shared set-up of the Python tests
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# meson runs the tests with GI_TYPELIB_PATH and LD_LIBRARY_PATH pointing at
# the build tree and GTASK_SUP_OVERRIDES_DIR at the source folder that holds
# GtaskSup.py. PyGObject imports overrides as the `gi.overrides.<Namespace>`
# module, so adding that folder to the `gi.overrides` package path, before
# GtaskSup is imported, makes it load the override under test rather than
# an installed one (or none).

import os
import select
import threading
import time
import unittest

import gi

gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
gi.require_version('Gio', '2.0')

import gi.overrides  # noqa: E402

_overrides_dir = os.environ.get('GTASK_SUP_OVERRIDES_DIR')
if _overrides_dir:
    gi.overrides.__path__.insert(0, _overrides_dir)

gi.require_version('GtaskSup', '1')

from gi.repository import GLib, GObject, Gio, GtaskSup  # noqa: E402

__all__ = ['GLib', 'GObject', 'Gio', 'GtaskSup', 'WAIT_MS', 'Flag',
           'ContextTestCase', 'Outcomes', 'block_on_cancellable']

# Upper bound for waiting, generous for a loaded 2-core machine; a passing
# test never waits this long.
WAIT_MS = 20000


def block_on_cancellable(cancellable, timeout_s=WAIT_MS / 1000):
    """Blocks the calling (worker) thread until @cancellable is cancelled.

    Returns True if it was, False if @timeout_s passed first.
    """
    fd = cancellable.get_fd()
    if fd < 0:
        raise RuntimeError('GCancellable.get_fd() failed')
    try:
        readable, _, _ = select.select([fd], [], [], timeout_s)
        return bool(readable) and cancellable.is_cancelled()
    finally:
        cancellable.release_fd()


class Flag(threading.Event):
    """A threading.Event that also wakes up a GMainContext when set.

    Worker threads set it; the main thread waits for it with
    ContextTestCase.iterate_until(flag.is_set), which blocks in
    g_main_context_iteration(): without the wakeup it would only notice the
    flag at the next event of the context.
    """

    def __init__(self, context):
        super().__init__()
        self._context = context

    def set(self):
        super().set()
        self._context.wakeup()


class ContextTestCase(unittest.TestCase):
    """Each test runs with its own thread-default GMainContext.

    Supervisors created in a test capture it as their owner context, so
    nothing a test leaves behind can be dispatched into the next one.
    """

    def setUp(self):
        self.context = GLib.MainContext.new()
        self.context.push_thread_default()

    def tearDown(self):
        # Let late cleanups run on this context before it goes away.
        self.iterate_for(20)
        self.context.pop_thread_default()
        self.context = None

    def flag(self):
        """A Flag for worker threads that wakes up the test context."""
        return Flag(self.context)

    def iterate_until(self, condition, timeout_ms=WAIT_MS):
        """Iterates the test context until condition() is true.

        Bounded by a timeout source on the same context, so it never hangs;
        returns the final value of condition().
        """
        expired = []

        def on_timeout(*args):
            expired.append(True)
            return GLib.SOURCE_REMOVE

        source = GLib.timeout_source_new(timeout_ms)
        source.set_callback(on_timeout)
        source.attach(self.context)
        try:
            while not condition() and not expired:
                self.context.iteration(True)
        finally:
            source.destroy()
        return condition()

    def iterate_for(self, ms):
        """Iterates the test context for @ms milliseconds (at least)."""
        expired = []

        def on_timeout(*args):
            expired.append(True)
            return GLib.SOURCE_REMOVE

        source = GLib.timeout_source_new(ms)
        source.set_callback(on_timeout)
        source.attach(self.context)
        try:
            while not expired:
                self.context.iteration(True)
        finally:
            source.destroy()

    def poll_until(self, condition, timeout_ms=WAIT_MS, interval_ms=10,
                   context=None):
        """Like iterate_until(), for a condition no event announces (a
        process that is gone): also checks it every @interval_ms.

        Iterates @context (default: the test context) meanwhile; pass a
        context of its own to show that something happens without the
        test context being iterated.
        """
        context = context or self.context
        expired = []

        def on_timeout(*args):
            expired.append(True)
            return GLib.SOURCE_REMOVE

        deadline = GLib.timeout_source_new(timeout_ms)
        deadline.set_callback(on_timeout)
        deadline.attach(context)
        tick = GLib.timeout_source_new(interval_ms)
        tick.set_callback(lambda *args: GLib.SOURCE_CONTINUE)
        tick.attach(context)
        try:
            while not condition() and not expired:
                context.iteration(True)
        finally:
            tick.destroy()
            deadline.destroy()
        return condition()

    def assertIterateUntil(self, condition, message=None, timeout_ms=WAIT_MS):
        start = time.monotonic()
        if not self.iterate_until(condition, timeout_ms):
            self.fail(message or 'condition not met after %.1f s'
                      % (time.monotonic() - start))

    def assertErrorMatches(self, error, domain, code, message=None):
        self.assertIsInstance(error, GLib.Error)
        self.assertTrue(error.matches(domain, int(code)),
                        'expected %s/%d, got %s/%d (%s)'
                        % (GLib.quark_to_string(domain), int(code),
                           error.domain, error.code, error.message))
        if message is not None:
            self.assertEqual(error.message, message)


class Outcomes:
    """Records every outcome signal of a supervisor, with its time."""

    def __init__(self, sup):
        self.events = []
        self.handler_ids = [
            sup.connect('succeeded', self._on_succeeded),
            sup.connect('failed', self._on_failed),
            sup.connect('timed-out', self._on_timed_out),
        ]

    def _on_succeeded(self, sup, task):
        self.events.append(('succeeded', task, None, time.monotonic()))

    def _on_failed(self, sup, task, error):
        self.events.append(('failed', task, error, time.monotonic()))

    def _on_timed_out(self, sup, task):
        self.events.append(('timed-out', task, None, time.monotonic()))

    def __len__(self):
        return len(self.events)

    def for_task(self, task):
        return [e for e in self.events if e[1] is task]

    def kinds(self):
        return [e[0] for e in self.events]
