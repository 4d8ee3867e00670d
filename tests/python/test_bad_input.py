#!/usr/bin/python3
# test_bad_input.py: bad arguments to every public method, from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every constructor and method of GtaskSup.Supervisor, GtaskSup.Task and
# GtaskSup.Stream is called through PyGObject (and the override) with None
# where an object is expected, an object of the wrong class, arguments of
# the wrong type, numbers out of range (timeouts below -1, progress outside
# 0..1, max-seconds 0, unsigned values below 0, values past the C type) and
# invalid enumeration values.
#
# The calls run in child processes (/usr/bin/python3 -c, with this
# environment but without G_DEBUG=fatal-criticals), several per child, each
# child bounded by a timeout. A child must not crash (no signal) nor hang,
# and each call must end the way it is declared to:
#
#  - EXC: a Python exception raised by PyGObject's own checks (or the
#    override's) before the C function is called, and no critical;
#  - CRIT: the C function is called and rejects the argument with a
#    g_return_if_fail() critical, and the call returns normally;
#  - CRIT+TypeError: the critical, then PyGObject cannot convert what the
#    function returned after it (a constructor's NULL, an unset GValue);
#  - WARN: GObject rejects a property value ("invalid or out of range");
#  - Error: the call reports a runtime condition as a GLib.Error (a task
#    that is not a child of the supervisor), and no critical;
#  - OK: the value is valid (a boundary such as -1 or 1.0), no critical.
#
# return_pointer() and propagate_pointer() are not introspectable (they
# are not in the typelib): Python cannot call them.
#
# A batch whose child crashes or hangs is run again one call per child, so
# that the failure names the call. One more test checks that with
# fatal-criticals (as meson runs the suites) a critical ends the child with
# SIGTRAP or SIGABRT, not another signal.

import json
import os
import signal
import subprocess
import unittest

from gtasksuptest import GtaskSup

PYTHON = '/usr/bin/python3'
CHILD_TIMEOUT_S = 20
MARK = '@@gtask-sup-bad-input@@ '
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

# Run by each child: argv[1] is this folder, argv[2] a JSON list of
# [label, code]. Each result goes to stdout as one JSON line; a mark on
# stderr (written with the fd, after flushing Python's buffer, so that it
# is ordered with GLib's output) starts the stderr of each call.
CHILD = r'''
import json
import os
import sys
import warnings

sys.path.insert(0, sys.argv[1])

from gtasksuptest import GLib, GObject, Gio, GtaskSup

# Every GLib warning PyGObject turns into a Python one, not the first only.
warnings.simplefilter('always')

MARK = %(mark)r


def base(cls):
    """The class PyGObject made from the typelib, under the override."""
    return next(c for c in cls.__mro__
                if c.__module__ == 'gi.repository.GtaskSup')


def trivial(task, cancellable, *data):
    task.return_int(1)


context = GLib.MainContext.new()
context.push_thread_default()

ns = dict(GLib=GLib, GObject=GObject, Gio=Gio, GtaskSup=GtaskSup,
          trivial=trivial)
ns['BaseTask'] = base(GtaskSup.Task)
ns['BaseSupervisor'] = base(GtaskSup.Supervisor)
ns['BaseStream'] = base(GtaskSup.Stream)
ns['owner'] = GObject.Object()
ns['sup'] = GtaskSup.Supervisor.new(ns['owner'])
ns['task'] = GtaskSup.Task.new_thread(trivial)
ns['async_task'] = GtaskSup.Task.new_async(lambda task, c: None)
ns['started'] = GtaskSup.Task.new_thread(trivial)
ns['sup'].start(ns['started'])
ns['stream'] = ns['sup'].map(lambda stream, index: None)
ns['started_stream'] = ns['sup'].map(lambda stream, index: None)
ns['started_stream'].start()
ns['model'] = Gio.ListStore.new(GObject.Object)
# A GAsyncResult that belongs to none of them.
ns['foreign'] = Gio.Task.new(ns['owner'], None, None, None)
ns['error'] = GLib.Error.new_literal(GLib.quark_from_string('test'),
                                     'test', 1)

for label, code in json.loads(sys.argv[2]):
    sys.stderr.flush()
    os.write(2, ('\n' + MARK + label + '\n').encode())
    try:
        exec(code, ns)
    except Exception as exc:
        result = type(exc).__name__
    else:
        result = 'OK'
    sys.stderr.flush()
    print(json.dumps([label, result]), flush=True)

# Let the started task and stream end before the process does.
ns['started'].wait(10000)
for i in range(100):
    context.iteration(False)
print(json.dumps(['<end>', 'OK']), flush=True)
''' % {'mark': MARK}

EXC_TYPES = ('TypeError', 'ValueError', 'OverflowError', 'Error')

# (label, code, expected): the label starts with "Class.method", which the
# coverage test checks against the typelib. Expected is 'OK', 'CRIT',
# 'WARN', an exception name, or 'CRIT+TypeError' (a constructor that
# returns NULL after its critical: PyGObject raises TypeError).
SUPERVISOR_CASES = [
    ('Supervisor.new: None owner', 'GtaskSup.Supervisor.new(None)', 'OK'),
    ('Supervisor.new: int owner', 'GtaskSup.Supervisor.new(5)', 'TypeError'),
    ('Supervisor.new: str owner', 'GtaskSup.Supervisor.new("x")',
     'TypeError'),
    # PyGObject lets a trailing nullable argument out.
    ('Supervisor.new: no owner',
     'assert GtaskSup.Supervisor.new().dup_owner() is None', 'OK'),
    ('Supervisor.set_max_children: -1', 'sup.set_max_children(-1)',
     'OverflowError'),
    ('Supervisor.set_max_children: 2**32', 'sup.set_max_children(2**32)',
     'OverflowError'),
    ('Supervisor.set_max_children: str', 'sup.set_max_children("1")',
     'TypeError'),
    ('Supervisor.set_max_children: None', 'sup.set_max_children(None)',
     'TypeError'),
    ('Supervisor.set_max_concurrency: -1', 'sup.set_max_concurrency(-1)',
     'OverflowError'),
    ('Supervisor.set_max_restarts: -1', 'sup.set_max_restarts(-1)',
     'OverflowError'),
    ('Supervisor.set_max_restarts: None', 'sup.set_max_restarts(None)',
     'TypeError'),
    ('Supervisor.set_max_seconds: 0', 'sup.set_max_seconds(0)', 'CRIT'),
    ('Supervisor.set_max_seconds: 0 kept 5',
     'assert sup.get_max_seconds() == 5', 'OK'),
    ('Supervisor.set_max_seconds: -1', 'sup.set_max_seconds(-1)',
     'OverflowError'),
    ('Supervisor.set_max_seconds: property 0',
     'sup.set_property("max-seconds", 0)', 'WARN'),
    ('Supervisor.start: None', 'sup.start(None)', 'TypeError'),
    ('Supervisor.start: int', 'sup.start(5)', 'TypeError'),
    ('Supervisor.start: Stream', 'sup.start(stream)', 'TypeError'),
    ('Supervisor.start: Supervisor', 'sup.start(sup)', 'TypeError'),
    ('Supervisor.start: started task', 'sup.start(started)', 'CRIT'),
    ('Supervisor.run_in_thread: None', 'sup.run_in_thread(None)',
     'TypeError'),
    ('Supervisor.run_in_thread: int', 'sup.run_in_thread(5)', 'TypeError'),
    ('Supervisor.run_in_thread: base None',
     'BaseSupervisor.run_in_thread(sup, None)', 'TypeError'),
    ('Supervisor.run_in_thread: base int',
     'BaseSupervisor.run_in_thread(sup, 5)', 'TypeError'),
    ('Supervisor.run_in_thread: timeout -2',
     'sup.run_in_thread(lambda: 1, timeout=-2)', 'CRIT'),
    ('Supervisor.run_in_thread: timeout str',
     'sup.run_in_thread(lambda: 1, timeout="x")', 'TypeError'),
    ('Supervisor.run_in_thread: restart int',
     'sup.run_in_thread(lambda: 1, restart=9)', 'TypeError'),
    ('Supervisor.map: None', 'sup.map(None)', 'TypeError'),
    ('Supervisor.map: int', 'sup.map(5)', 'TypeError'),
    ('Supervisor.map: base None', 'BaseSupervisor.map(sup, None)',
     'TypeError'),
    ('Supervisor.map: base int', 'BaseSupervisor.map(sup, 5)', 'TypeError'),
    ('Supervisor.map_model: None items',
     'sup.map_model(None, lambda s, item: None)', 'TypeError'),
    ('Supervisor.map_model: int items',
     'sup.map_model(5, lambda s, item: None)', 'TypeError'),
    ('Supervisor.map_model: Supervisor items',
     'sup.map_model(sup, lambda s, item: None)', 'TypeError'),
    ('Supervisor.map_model: None func', 'sup.map_model(model, None)',
     'TypeError'),
    ('Supervisor.map_model: int func', 'sup.map_model(model, 5)',
     'TypeError'),
    ('Supervisor.map_model: base None func',
     'BaseSupervisor.map_model(sup, model, None)', 'TypeError'),
    ('Supervisor.shutdown_async: int cancellable',
     'sup.shutdown_async(5, None)', 'TypeError'),
    ('Supervisor.shutdown_async: Task cancellable',
     'sup.shutdown_async(task, None)', 'TypeError'),
    ('Supervisor.shutdown_async: int callback',
     'sup.shutdown_async(None, 5)', 'TypeError'),
    ('Supervisor.shutdown_finish: None', 'sup.shutdown_finish(None)',
     'TypeError'),
    ('Supervisor.shutdown_finish: int', 'sup.shutdown_finish(5)',
     'TypeError'),
    ('Supervisor.shutdown_finish: foreign result',
     'sup.shutdown_finish(foreign)', 'CRIT'),
    ('Supervisor.get_max_children: extra argument',
     'sup.get_max_children(1)', 'TypeError'),
    ('Supervisor.terminate_child: None task', 'sup.terminate_child(None, 0)',
     'TypeError'),
    ('Supervisor.terminate_child: int task', 'sup.terminate_child(5, 0)',
     'TypeError'),
    ('Supervisor.terminate_child: grace -2',
     'sup.terminate_child(started, -2)', 'CRIT'),
    ('Supervisor.terminate_child: not a child',
     'sup.terminate_child(task, 0)', 'Error'),
    ('Supervisor.drain_async: int callback', 'sup.drain_async(None, 5)',
     'TypeError'),
    ('Supervisor.drain_async: Task cancellable',
     'sup.drain_async(task, None)', 'TypeError'),
    ('Supervisor.drain_finish: None', 'sup.drain_finish(None)', 'TypeError'),
    ('Supervisor.drain_finish: foreign result', 'sup.drain_finish(foreign)',
     'CRIT'),
    ('Supervisor.set_log_unhandled: str', 'sup.set_log_unhandled("x")', 'OK'),
    ('Supervisor.close: extra argument', 'sup.close(1)', 'TypeError'),
    ('Supervisor.ignore: None', 'sup.ignore(None)', 'TypeError'),
    ('Supervisor.new_child: extra argument', 'sup.new_child(1)', 'TypeError'),
    ('Supervisor.bind_lifetime: None instance',
     'sup.bind_lifetime(None, "notify")', 'TypeError'),
    ('Supervisor.bind_lifetime: no such signal',
     'sup.bind_lifetime(owner, "no-such-signal")', 'CRIT'),
    ('Supervisor.bind_lifetime: None signal', 'sup.bind_lifetime(owner, None)',
     'TypeError'),
    ('Supervisor.bind_bus_name: None connection',
     'sup.bind_bus_name(None, ":1.1")', 'TypeError'),
    ('Supervisor.set_progress_interval: 60001',
     'sup.set_progress_interval(60001)', 'CRIT'),
    ('Supervisor.set_progress_interval: -1',
     'sup.set_progress_interval(-1)', 'OverflowError'),
    ('Supervisor.set_progress_interval: 0', 'sup.set_progress_interval(0)',
     'OK'),
    ('Supervisor.set_progress_interval: property 60001',
     'sup.props.progress_interval = 60001', 'WARN'),
    ('Supervisor.ignore: not a child', 'sup.ignore(task)', 'Error'),
    ('Supervisor.ignore: stream item', 'sup.ignore(stream)', 'TypeError'),
]

TASK_CASES = [
    # Functions of the namespace, waiting for many tasks.
    ('await_many_async: None in tasks',
     'GtaskSup.await_many_async([None], None, None)', 'CRIT'),
    ('await_many_async: task not started',
     'GtaskSup.await_many_async([task], None, None)', 'CRIT'),
    ('await_many_async: int in tasks',
     'GtaskSup.await_many_async([5], None, None)', 'TypeError'),
    ('await_many: timeout -2', 'GtaskSup.await_many([started], -2)', 'CRIT'),
    ('await_many_finish: None', 'GtaskSup.await_many_finish(None)',
     'TypeError'),
    ('await_many_finish: foreign result',
     'GtaskSup.await_many_finish(foreign)', 'CRIT'),
    ('yield_many: timeout -2', 'GtaskSup.yield_many([started], -2, 0, '
     'GtaskSup.YieldTimeout.LEAVE_RUNNING)', 'CRIT'),
    ('yield_many: int policy', 'GtaskSup.yield_many([started], 0, 0, 7)',
     'TypeError'),
    ('yield_many_async: task not started',
     'GtaskSup.yield_many_async([task], 0, 0, '
     'GtaskSup.YieldTimeout.LEAVE_RUNNING, None, None)', 'CRIT'),
    ('yield_many_finish: foreign result',
     'GtaskSup.yield_many_finish(foreign)', 'CRIT'),
    ('Task.new_supervisor: None', 'GtaskSup.Task.new_supervisor(None)',
     'TypeError'),
    ('Task.new_supervisor: Task', 'GtaskSup.Task.new_supervisor(task)',
     'TypeError'),
    ('Task.get_child_supervisor: thread task',
     'assert task.get_child_supervisor() is None', 'OK'),
    ('Task.new_completed: None', 'GtaskSup.Task.new_completed(None)', 'OK'),
    ('Task.new_completed: int', 'GtaskSup.Task.new_completed(5)', 'OK'),
    ('Task.new_failed: None', 'GtaskSup.Task.new_failed(None)', 'TypeError'),
    ('Task.new_failed: int', 'GtaskSup.Task.new_failed(5)', 'TypeError'),
    ('Task.set_priority: 2**15', 'task.set_priority(2**15)', 'CRIT'),
    ('Task.set_priority: -2**15 - 1', 'task.set_priority(-2**15 - 1)',
     'CRIT'),
    ('Task.set_priority: -2**15', 'task.set_priority(-2**15)', 'OK'),
    ('Task.set_priority: str', 'task.set_priority("high")', 'TypeError'),
    ('Task.set_priority: property 2**15', 'task.props.priority = 2**15',
     'WARN'),
    ('Task.set_priority: started', 'started.set_priority(1)', 'CRIT'),
    ('Task.get_current: extra argument', 'GtaskSup.Task.get_current(1)',
     'TypeError'),
    ('Task.get_current: outside a task',
     'assert GtaskSup.Task.get_current() is None', 'OK'),
    ('Task.new_thread: None', 'GtaskSup.Task.new_thread(None)', 'TypeError'),
    ('Task.new_thread: int', 'GtaskSup.Task.new_thread(5)', 'TypeError'),
    ('Task.new_thread: base None', 'BaseTask.new_thread(None)', 'TypeError'),
    ('Task.new_thread: base int', 'BaseTask.new_thread(5)', 'TypeError'),
    ('Task.new_async: None', 'GtaskSup.Task.new_async(None)', 'TypeError'),
    ('Task.new_async: int', 'GtaskSup.Task.new_async(5)', 'TypeError'),
    ('Task.new_async: base None', 'BaseTask.new_async(None)', 'TypeError'),
    ('Task.new_subprocess: None argv',
     'GtaskSup.Task.new_subprocess(None, Gio.SubprocessFlags.NONE)',
     'TypeError'),
    ('Task.new_subprocess: empty argv',
     'GtaskSup.Task.new_subprocess([], Gio.SubprocessFlags.NONE)',
     'CRIT+TypeError'),
    ('Task.new_subprocess: int in argv',
     'GtaskSup.Task.new_subprocess([5], Gio.SubprocessFlags.NONE)',
     'TypeError'),
    # PyGObject ends the array at None: argv is ["true"].
    ('Task.new_subprocess: None in argv',
     'GtaskSup.Task.new_subprocess(["true", None], '
     'Gio.SubprocessFlags.NONE)', 'OK'),
    ('Task.new_subprocess: None first in argv',
     'GtaskSup.Task.new_subprocess([None, "true"], '
     'Gio.SubprocessFlags.NONE)', 'CRIT+TypeError'),
    ('Task.new_subprocess: int argv',
     'GtaskSup.Task.new_subprocess(5, Gio.SubprocessFlags.NONE)',
     'TypeError'),
    ('Task.new_subprocess: int flags',
     'GtaskSup.Task.new_subprocess(["true"], 1 << 20)', 'TypeError'),
    ('Task.new_subprocess: None flags',
     'GtaskSup.Task.new_subprocess(["true"], None)', 'TypeError'),
    ('Task.new_subprocess: unknown flag',
     'GtaskSup.Task.new_subprocess(["true"], Gio.SubprocessFlags(1 << 20))',
     'CRIT+TypeError'),
    ('Task.new_subprocess: conflicting flags',
     'GtaskSup.Task.new_subprocess(["true"], '
     'Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDOUT_SILENCE)',
     'CRIT+TypeError'),
    ('Task.set_name: int', 'task.set_name(5)', 'TypeError'),
    ('Task.set_name: None', 'task.set_name(None)', 'OK'),
    ('Task.set_name: started', 'started.set_name("x")', 'CRIT'),
    ('Task.set_timeout: -2', 'task.set_timeout(-2)', 'CRIT'),
    ('Task.set_timeout: -2 kept -1', 'assert task.get_timeout() == -1', 'OK'),
    ('Task.set_timeout: -1', 'task.set_timeout(-1)', 'OK'),
    ('Task.set_timeout: INT_MIN', 'task.set_timeout(-2**31)', 'CRIT'),
    ('Task.set_timeout: 2**31', 'task.set_timeout(2**31)', 'OverflowError'),
    ('Task.set_timeout: str', 'task.set_timeout("1")', 'TypeError'),
    ('Task.set_timeout: None', 'task.set_timeout(None)', 'TypeError'),
    ('Task.set_timeout: property -2', 'task.set_property("timeout", -2)',
     'WARN'),
    ('Task.set_timeout: started', 'started.set_timeout(1)', 'CRIT'),
    ('Task.set_shutdown_timeout: -2', 'task.set_shutdown_timeout(-2)',
     'CRIT'),
    ('Task.set_shutdown_timeout: -2**40',
     'task.set_shutdown_timeout(-2**40)', 'OverflowError'),
    ('Task.set_progress: -0.1', 'task.set_progress(-0.1)', 'CRIT'),
    ('Task.set_progress: 1.1', 'task.set_progress(1.1)', 'CRIT'),
    ('Task.set_progress: nan', 'task.set_progress(float("nan"))', 'CRIT'),
    ('Task.set_progress: inf', 'task.set_progress(float("inf"))', 'CRIT'),
    ('Task.set_progress: -inf', 'task.set_progress(float("-inf"))', 'CRIT'),
    ('Task.set_progress: kept 0', 'assert task.get_progress() == 0.0', 'OK'),
    ('Task.set_progress: 1.0', 'task.set_progress(1.0)', 'OK'),
    ('Task.set_progress: 0.0', 'task.set_progress(0.0)', 'OK'),
    ('Task.set_progress: str', 'task.set_progress("0.5")', 'TypeError'),
    ('Task.set_progress: None', 'task.set_progress(None)', 'TypeError'),
    ('Task.set_progress: property 2', 'task.set_property("progress", 2.0)',
     'WARN'),
    ('Task.set_restart: int 7', 'task.set_restart(7)', 'TypeError'),
    ('Task.set_restart: enum 7', 'task.set_restart(GtaskSup.Restart(7))',
     'ValueError'),
    ('Task.set_restart: enum -1', 'task.set_restart(GtaskSup.Restart(-1))',
     'ValueError'),
    ('Task.set_restart: None', 'task.set_restart(None)', 'TypeError'),
    ('Task.set_restart: property 7', 'task.set_property("restart", 7)',
     'WARN'),
    ('Task.set_restart: kept', 'assert task.get_restart() == '
     'GtaskSup.Restart.TEMPORARY', 'OK'),
    # PyGObject takes an enumeration of another type by its value, if
    # valid for this one (KILL_TASK is 1, TRANSIENT).
    ('Task.set_restart: other enum',
     'task.set_restart(GtaskSup.OnTimeout.KILL_TASK)', 'OK'),
    ('Task.set_restart: started',
     'started.set_restart(GtaskSup.Restart.PERMANENT)', 'CRIT'),
    ('Task.shutdown: -2', 'started.shutdown(-2)', 'CRIT'),
    ('Task.shutdown: 2**31', 'started.shutdown(2**31)', 'OverflowError'),
    ('Task.shutdown: str', 'started.shutdown("1")', 'TypeError'),
    ('Task.shutdown: not started', 'task.shutdown(0)', 'CRIT'),
    ('Task.wait: -2', 'started.wait(-2)', 'CRIT'),
    ('Task.wait: INT_MIN', 'started.wait(-2**31)', 'CRIT'),
    ('Task.wait: 2**31', 'started.wait(2**31)', 'OverflowError'),
    ('Task.wait: None', 'started.wait(None)', 'TypeError'),
    ('Task.wait: not started', 'task.wait(0)', 'CRIT'),
    ('Task.join: -2', 'started.join(-2)', 'CRIT'),
    ('Task.join: 2**31', 'started.join(2**31)', 'OverflowError'),
    ('Task.join: not started', 'task.join(0)', 'CRIT'),
    ('Task.join_async: int cancellable', 'started.join_async(5, None)',
     'TypeError'),
    ('Task.join_async: int callback', 'started.join_async(None, 5)',
     'TypeError'),
    ('Task.join_async: not started',
     'task.join_async(None, lambda *a: None)', 'CRIT'),
    ('Task.join_finish: None', 'started.join_finish(None)', 'TypeError'),
    ('Task.join_finish: int', 'started.join_finish(5)', 'TypeError'),
    ('Task.join_finish: foreign result', 'started.join_finish(foreign)',
     'CRIT'),
    ('Task.cancel: not started', 'task.cancel()', 'CRIT'),
    ('Task.return_error: None', 'task.return_error(None)', 'TypeError'),
    ('Task.return_error: int', 'task.return_error(5)', 'TypeError'),
    ('Task.return_error: not running', 'task.return_error(error)', 'CRIT'),
    ('Task.return_int: str', 'task.return_int("1")', 'TypeError'),
    ('Task.return_int: 2**63', 'task.return_int(2**63)', 'OverflowError'),
    ('Task.return_int: not running', 'task.return_int(1)', 'CRIT'),
    ('Task.return_boolean: not running', 'task.return_boolean(True)',
     'CRIT'),
    ('Task.return_value: not running', 'task.return_value(None)', 'CRIT'),
    ('Task.return_value: int', 'BaseTask.return_value(task, 5)', 'CRIT'),
    # The GValue it did not set is not one PyGObject can read.
    ('Task.propagate_value: not final', 'task.propagate_value()',
     'CRIT+TypeError'),
    ('Task.propagate_boolean: not final', 'task.propagate_boolean()',
     'CRIT'),
    ('Task.propagate_int: not final', 'task.propagate_int()', 'CRIT'),
    ('Task.get_value: not final', 'assert task.get_value() is None', 'OK'),
    ('Task.get_error: not final', 'assert task.get_error() is None', 'OK'),
    ('Task.dup_subprocess: thread task',
     'assert task.dup_subprocess() is None', 'OK'),
    ('Task.dup_identifier: thread task',
     'assert task.dup_identifier() is None', 'OK'),
    ('Task.get_spawn_mode: thread task', 'task.get_spawn_mode()', 'CRIT'),
    ('Task.set_spawn_mode: thread task',
     'task.set_spawn_mode(GtaskSup.SpawnMode.POSIX_SPAWN)', 'CRIT'),
    ('Task.set_spawn_mode: enum 7',
     'GtaskSup.Task.new_subprocess(["true"], 0).set_spawn_mode('
     'GtaskSup.SpawnMode(7))', 'ValueError'),
    ('Task.get_cancellable: not started', 'task.get_cancellable()', 'OK'),
]

STREAM_CASES = [
    ('Stream.wait_for_input: outside the next function',
     'stream.wait_for_input()', 'CRIT'),
    ('Stream.input_ready: not waiting', 'stream.input_ready()', 'OK'),
    ('Stream.push_async: None task', 'stream.push_async(None, None, None)',
     'TypeError'),
    ('Stream.push_async: not a pushed stream',
     'stream.push_async(task, None, None)', 'CRIT'),
    ('Stream.push_async: started task',
     'sup.map_push().push_async(started, None, None)', 'CRIT'),
    ('Stream.push_finish: foreign result', 'stream.push_finish(foreign)',
     'CRIT'),
    ('Stream.close_input: not a pushed stream', 'stream.close_input()',
     'CRIT'),
    ('Supervisor.map_push: extra argument', 'sup.map_push(1)', 'TypeError'),
    ('Task.set_input: int', 'task.set_input(5)', 'TypeError'),
    ('Task.set_input: started', 'started.set_input(None)', 'CRIT'),
    ('Stream.set_timeout: -2', 'stream.set_timeout(-2)', 'CRIT'),
    ('Stream.set_timeout: -1', 'stream.set_timeout(-1)', 'OK'),
    ('Stream.set_timeout: 2**31', 'stream.set_timeout(2**31)',
     'OverflowError'),
    ('Stream.set_timeout: str', 'stream.set_timeout("1")', 'TypeError'),
    ('Stream.set_timeout: property -2', 'stream.set_property("timeout", -2)',
     'WARN'),
    ('Stream.set_max_concurrency: -1', 'stream.set_max_concurrency(-1)',
     'OverflowError'),
    ('Stream.set_max_concurrency: None', 'stream.set_max_concurrency(None)',
     'TypeError'),
    ('Stream.set_read_ahead: -1', 'stream.set_read_ahead(-1)',
     'OverflowError'),
    ('Stream.set_read_ahead: 2**32', 'stream.set_read_ahead(2**32)',
     'OverflowError'),
    ('Stream.set_on_timeout: int 7', 'stream.set_on_timeout(7)',
     'TypeError'),
    ('Stream.set_on_timeout: enum 7',
     'stream.set_on_timeout(GtaskSup.OnTimeout(7))', 'ValueError'),
    ('Stream.set_on_timeout: other enum',
     'stream.set_on_timeout(GtaskSup.Restart.PERMANENT)', 'TypeError'),
    ('Stream.set_on_timeout: property 7',
     'stream.set_property("on-timeout", 7)', 'WARN'),
    ('Stream.set_on_timeout: kept', 'assert stream.get_on_timeout() == '
     'GtaskSup.OnTimeout.EXIT', 'OK'),
    ('Stream.set_ordered: started', 'started_stream.set_ordered(False)',
     'CRIT'),
    ('Stream.set_retain: started', 'started_stream.set_retain(False)',
     'CRIT'),
    ('Stream.set_max_concurrency: started',
     'started_stream.set_max_concurrency(1)', 'CRIT'),
    ('Stream.set_read_ahead: started', 'started_stream.set_read_ahead(1)',
     'CRIT'),
    ('Stream.set_timeout: started', 'started_stream.set_timeout(1)', 'CRIT'),
    ('Stream.set_on_timeout: started',
     'started_stream.set_on_timeout(GtaskSup.OnTimeout.KILL_TASK)', 'CRIT'),
    ('Stream.start: twice', 'BaseStream.start(started_stream)', 'CRIT'),
    ('Stream.join_async: int cancellable', 'stream.join_async(5, None)',
     'TypeError'),
    ('Stream.join_async: Task cancellable', 'stream.join_async(task, None)',
     'TypeError'),
    ('Stream.join_async: int callback', 'stream.join_async(None, 5)',
     'TypeError'),
    ('Stream.join_finish: None', 'stream.join_finish(None)', 'TypeError'),
    ('Stream.join_finish: base None', 'BaseStream.join_finish(stream, None)',
     'TypeError'),
    ('Stream.join_finish: int', 'stream.join_finish(5)', 'TypeError'),
    ('Stream.join_finish: foreign result', 'stream.join_finish(foreign)',
     'CRIT'),
    ('Stream.connect: int handler', 'stream.connect("item", 5)',
     'TypeError'),
    ('Stream.connect: finished int handler',
     'stream.connect("finished", 5)', 'TypeError'),
    ('Stream.cancel: not started', 'stream.cancel()', 'OK'),
]

# Valid arguments (as code) of each method, for the calls with a bad self.
VALID_ARGS = {
    'Supervisor': {
        'dup_owner': '', 'get_children': '', 'get_closed': '',
        'get_main_context': '', 'get_max_children': '',
        'get_max_concurrency': '', 'get_max_restarts': '',
        'get_max_seconds': '', 'get_n_queued': '', 'get_n_running': '',
        'close': '', 'drain_async': 'None, None', 'drain_finish': 'foreign',
        'get_log_unhandled': '', 'set_log_unhandled': 'True',
        'terminate_child': 'task, 0', 'ignore': 'task', 'new_child': '',
        'map_push': '', 'get_progress_interval': '',
        'bind_lifetime': 'owner, "notify"',
        'bind_bus_name': 'Gio.DBusConnection.__new__(Gio.DBusConnection), ":1.1"',
        'set_progress_interval': '16',
        'map': 'lambda s, i: None', 'map_model': 'model, lambda s, i: None',
        'run_in_thread': 'trivial', 'set_max_children': '1',
        'set_max_concurrency': '1', 'set_max_restarts': '1',
        'set_max_seconds': '1', 'shutdown_async': 'None, None',
        'shutdown_finish': 'foreign', 'start': 'task',
    },
    'Task': {
        'cancel': '', 'dup_subprocess': '', 'get_cancellable': '',
        'dup_identifier': '', 'get_spawn_mode': '',
        'set_spawn_mode': 'GtaskSup.SpawnMode.POSIX_SPAWN',
        'get_error': '', 'get_kind': '', 'get_name': '', 'get_progress': '',
        'get_parent': '', 'get_priority': '', 'set_priority': '0',
        'get_child_supervisor': '', 'get_input': '', 'set_input': 'None',
        'get_restart': '', 'get_shutdown_timeout': '', 'get_state': '',
        'get_timeout': '', 'get_value': '', 'join': '0',
        'join_async': 'None, None', 'join_finish': 'foreign',
        'propagate_boolean': '', 'propagate_int': '', 'propagate_value': '',
        'return_boolean': 'True', 'return_error': 'error',
        'return_int': '1', 'return_value': 'None', 'set_name': '"x"',
        'set_progress': '0.5',
        'set_restart': 'GtaskSup.Restart.TRANSIENT',
        'set_shutdown_timeout': '0', 'set_timeout': '0', 'shutdown': '0',
        'wait': '0',
    },
    'Stream': {
        'cancel': '', 'dup_supervisor': '', 'get_finished': '',
        'get_max_concurrency': '', 'get_n_outputs': '', 'get_n_running': '',
        'get_on_timeout': '', 'get_ordered': '', 'get_read_ahead': '',
        'get_retain': '', 'get_timeout': '', 'join_async': 'None, None',
        'join_finish': 'foreign', 'set_max_concurrency': '1',
        'set_on_timeout': 'GtaskSup.OnTimeout.EXIT', 'set_ordered': 'True',
        'set_read_ahead': '1', 'set_retain': 'True', 'set_timeout': '0',
        'wait_for_input': '', 'input_ready': '', 'close_input': '',
        'push_async': 'task, None, None', 'push_finish': 'foreign',
        'start': '',
    },
}

# An object of another class, for each class.
WRONG_SELF = {'Supervisor': 'task', 'Task': 'stream', 'Stream': 'sup'}


def self_cases(class_name):
    """Every method of @class_name called on None and on another object.

    Through the class PyGObject made from the typelib (the override's
    methods may not check their self before calling it)."""
    cases = []
    for method, args in sorted(VALID_ARGS[class_name].items()):
        rest = ', ' + args if args else ''
        for what, obj in (('None', 'None'),
                          ('wrong class', WRONG_SELF[class_name])):
            cases.append(('%s.%s: self %s' % (class_name, method, what),
                          'Base%s.%s(%s%s)' % (class_name, method, obj, rest),
                          'TypeError'))
    return cases


def typelib_methods(cls):
    """Names of the constructors and methods of @cls in the typelib."""
    info = next(c for c in cls.__mro__
                if c.__module__ == 'gi.repository.GtaskSup').__info__
    return {m.get_name() for m in info.get_methods()}


def child_env(fatal_criticals=False):
    env = dict(os.environ)
    if fatal_criticals:
        env['G_DEBUG'] = 'fatal-criticals'
    else:
        env.pop('G_DEBUG', None)
    return env


def run_child(cases, fatal_criticals=False):
    """Runs @cases in a child. Returns the CompletedProcess, or raises
    subprocess.TimeoutExpired."""
    payload = json.dumps([[label, code] for label, code, _ in cases])
    return subprocess.run([PYTHON, '-c', CHILD, TESTS_DIR, payload],
                          env=child_env(fatal_criticals),
                          stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=CHILD_TIMEOUT_S)


def describe_exit(returncode):
    if returncode < 0:
        return 'killed by %s' % signal.Signals(-returncode).name
    return 'exit status %d' % returncode


def split_stderr(stderr):
    """{label: the stderr of its call} from the marks of the child."""
    parts = {}
    for chunk in stderr.split('\n' + MARK)[1:]:
        label, _, text = chunk.partition('\n')
        parts[label] = text
    return parts


class BadInputTestCase(unittest.TestCase):

    def run_batch(self, cases):
        """Runs @cases in one child and checks each one's outcome; if the
        child crashes or hangs, runs each case alone to name the culprit."""
        try:
            proc = run_child(cases)
        except subprocess.TimeoutExpired:
            self.fail_by_case(cases, 'the batch hung for %d s'
                              % CHILD_TIMEOUT_S)
            return
        if proc.returncode != 0:
            self.fail_by_case(cases, 'the batch ended with %s:\n%s'
                              % (describe_exit(proc.returncode),
                                 proc.stderr[-3000:]))
            return

        results = dict(json.loads(line) for line in proc.stdout.splitlines()
                       if line.startswith('['))
        self.assertEqual(results.pop('<end>', None), 'OK', proc.stderr)
        stderrs = split_stderr(proc.stderr)

        for label, code, expected in cases:
            with self.subTest(label):
                self.check_case(label, code, expected, results.get(label),
                                stderrs.get(label, ''))

    def check_case(self, label, code, expected, result, stderr):
        where = '%s: %s\nstderr: %s' % (label, code, stderr.strip())
        self.assertIsNotNone(result, where)
        critical = 'CRITICAL' in stderr
        warned = 'invalid or out of range' in stderr

        if expected == 'OK':
            self.assertEqual(result, 'OK', where)
            self.assertFalse(critical, where)
            self.assertNotIn('Warning', stderr, where)
        elif expected == 'CRIT':
            self.assertEqual(result, 'OK', where)
            self.assertTrue(critical, 'no critical for ' + where)
        elif expected == 'CRIT+TypeError':
            self.assertEqual(result, 'TypeError', where)
            self.assertTrue(critical, 'no critical for ' + where)
        elif expected == 'WARN':
            self.assertEqual(result, 'OK', where)
            self.assertTrue(warned, 'no warning for ' + where)
            self.assertFalse(critical, where)
        else:
            self.assertIn(expected, EXC_TYPES)
            self.assertEqual(result, expected, where)
            self.assertFalse(critical, 'a critical before %s for %s'
                             % (expected, where))

    def fail_by_case(self, cases, why):
        """Runs each of @cases alone; fails naming those that crash/hang."""
        culprits = []
        for label, code, _ in cases:
            try:
                proc = run_child([(label, code, None)])
            except subprocess.TimeoutExpired:
                culprits.append('%s: %s: hangs' % (label, code))
                continue
            if proc.returncode != 0:
                culprits.append('%s: %s: %s\n%s'
                                % (label, code,
                                   describe_exit(proc.returncode),
                                   proc.stderr[-2000:]))
        self.fail('%s\nalone: %s' % (why, '\n'.join(culprits) or
                                     'none fails alone'))


class TestSupervisor(BadInputTestCase):

    def test_arguments(self):
        self.run_batch(SUPERVISOR_CASES)

    def test_self(self):
        self.run_batch(self_cases('Supervisor'))


class TestTask(BadInputTestCase):

    def test_arguments(self):
        self.run_batch(TASK_CASES)

    def test_self(self):
        self.run_batch(self_cases('Task'))


class TestStream(BadInputTestCase):

    def test_arguments(self):
        self.run_batch(STREAM_CASES)

    def test_self(self):
        self.run_batch(self_cases('Stream'))


class TestCoverage(unittest.TestCase):
    """Every constructor and method in the typelib has a case."""

    def test_every_method(self):
        all_cases = SUPERVISOR_CASES + TASK_CASES + STREAM_CASES
        for class_name in ('Supervisor', 'Task', 'Stream'):
            with self.subTest(class_name):
                cls = getattr(GtaskSup, class_name)
                with_self = {'%s.%s' % (class_name, m)
                             for m in VALID_ARGS[class_name]}
                with_args = {label.partition(':')[0]
                             for label, _, _ in all_cases}
                methods = typelib_methods(cls)
                for name in sorted(methods):
                    qualified = '%s.%s' % (class_name, name)
                    self.assertTrue(qualified in with_self or
                                    qualified in with_args,
                                    qualified + ' is never called')
                # And no case is for a method that is not there.
                self.assertLessEqual(set(VALID_ARGS[class_name]), methods)


class TestFatalCriticals(unittest.TestCase):
    """With G_DEBUG=fatal-criticals, as meson runs the suites, a critical
    ends the child with the signal of G_BREAKPOINT (SIGTRAP) or abort()
    (SIGABRT), never another signal."""

    def test_critical_traps(self):
        cases = [('Task.set_progress: 2', 'task.set_progress(2.0)', 'CRIT'),
                 ('after the critical', 'pass', 'OK')]
        proc = run_child(cases, fatal_criticals=True)
        self.assertIn(proc.returncode, (-signal.SIGTRAP, -signal.SIGABRT),
                      describe_exit(proc.returncode) + '\n' + proc.stderr)
        self.assertIn('CRITICAL', proc.stderr)
        self.assertNotIn('after the critical', proc.stdout)

    def test_exception_is_not_critical(self):
        cases = [('Supervisor.start: None', 'sup.start(None)', 'TypeError')]
        proc = run_child(cases, fatal_criticals=True)
        self.assertEqual(proc.returncode, 0,
                         describe_exit(proc.returncode) + '\n' + proc.stderr)


if __name__ == '__main__':
    unittest.main()
