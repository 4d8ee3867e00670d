#!/usr/bin/python3
# test_subprocess.py: subprocess tasks (Task.new_subprocess) from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import os
import shutil
import tempfile
import time
import unittest

from gtasksuptest import ContextTestCase, Outcomes, GLib, GObject, Gio, GtaskSup

F = Gio.SubprocessFlags

# Slack for a loaded 2-core machine (upper bounds only).
SLACK_S = 5.0

# Writes its pid to "$1" (atomically) once SIGTERM is ignored, then loops.
# The ignored disposition is inherited by the `sleep` children, so only
# SIGKILL stops the group. (`exec sleep` would not do: the loop is needed
# for the shell to stay around with its trap.)
IGNORE_TERM = ('trap "" TERM; echo $$ > "$1.tmp" && mv "$1.tmp" "$1"; '
               'while :; do sleep 0.05; done')
# Writes its pid to "$1", then becomes `sleep 30` (SIGTERM kills it).
SLEEP = 'echo $$ > "$1.tmp" && mv "$1.tmp" "$1"; exec sleep 30'


def proc_stat(pid):
    """(state, pgrp) of a process, or None if there is none."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(')') + 2:].split()
    return fields[0], int(fields[2])


def alive(pid):
    """Whether @pid runs: a zombie does not (our init may never reap it)."""
    stat = proc_stat(pid)
    return stat is not None and stat[0] not in ('Z', 'X')


def live_group_members(pgid):
    members = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        stat = proc_stat(int(entry))
        if stat is not None and stat[1] == pgid and stat[0] not in ('Z', 'X'):
            members.append(int(entry))
    return members


class TestSubprocessTask(ContextTestCase):

    def setUp(self):
        super().setUp()
        self.tmpdir = tempfile.mkdtemp(prefix='gtask-sup-test-')
        self.addCleanup(shutil.rmtree, self.tmpdir)
        self.pgids = []
        self.addCleanup(self.kill_leftovers)

    def kill_leftovers(self):
        # Only if a test failed: never leave a looping child behind.
        for pgid in self.pgids:
            if live_group_members(pgid):
                os.killpg(pgid, 9)

    def script_task(self, script, flags=F.NONE, name='script'):
        """A task running sh -c @script; returns (task, pid_file)."""
        pid_file = os.path.join(self.tmpdir, name + '.pid')
        task = GtaskSup.Task.new_subprocess(['sh', '-c', script, 'sh', pid_file],
                                            flags)
        task.set_name(name)
        return task, pid_file

    def read_pid(self, pid_file):
        with open(pid_file) as f:
            pid = int(f.read())
        self.pgids.append(pid)
        return pid

    def wait_for_pid(self, task, pid_file):
        """Waits for the running script to write its pid; checks it against
        the task's GSubprocess and its process group."""
        self.assertTrue(self.poll_until(lambda: os.path.exists(pid_file)),
                        'the child never wrote its pid')
        pid = self.read_pid(pid_file)
        # The child may run before the spawn returns in the parent: the
        # task knows its GSubprocess a little later.
        self.assertTrue(self.poll_until(lambda: task.dup_subprocess()),
                        'dup_subprocess() stays NULL')
        process = task.dup_subprocess()
        self.assertIsInstance(process, Gio.Subprocess)
        self.assertEqual(process.get_identifier(), str(pid))
        # Its own process group.
        self.assertEqual(proc_stat(pid)[1], pid)
        self.assertEqual(os.getpgid(pid), pid)
        self.assertNotEqual(os.getpgid(pid), os.getpgrp())
        return pid

    def assertGroupGone(self, pgid, message, context=None):
        self.assertTrue(self.poll_until(lambda: not live_group_members(pgid),
                                        context=context), message)
        return time.monotonic()

    def run_one(self, task, sup=None):
        sup = sup or GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        self.assertTrue(sup.start(task))
        # Never synchronous.
        self.assertEqual(len(outcomes), 0)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.iterate_for(50)
        self.assertEqual(len(outcomes), 1, outcomes.events)
        self.assertIs(outcomes.events[0][1], task)
        return outcomes.events[0]

    def test_stdout(self):
        task = GtaskSup.Task.new_subprocess(['echo', 'hi'], F.STDOUT_PIPE)
        self.assertEqual(task.get_kind(), GtaskSup.TaskKind.SUBPROCESS)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.NEW)
        self.assertIsNone(task.dup_subprocess())

        kind, _, error, _ = self.run_one(task)
        self.assertEqual(kind, 'succeeded', error)
        self.assertEqual(task.get_state(), GtaskSup.TaskState.SUCCEEDED)
        value = task.get_value()
        self.assertIsInstance(value, GLib.Bytes)
        self.assertEqual(value.get_data(), b'hi\n')
        self.assertIsNone(task.get_error())
        ok, copy = task.propagate_value()
        self.assertTrue(ok)
        self.assertEqual(copy.get_data(), b'hi\n')
        process = task.dup_subprocess()
        self.assertIsInstance(process, Gio.Subprocess)
        self.assertTrue(process.get_successful())

    def test_posix_spawn(self):
        """posix_spawn(): the same outcome and value, no Gio.Subprocess, the
        process id from dup_identifier(), its own process group, and a
        cancel that ends it."""
        task = GtaskSup.Task.new_subprocess(['echo', 'hi'], F.STDOUT_PIPE)
        self.assertEqual(task.get_spawn_mode(),
                         GtaskSup.SpawnMode.SUBPROCESS)
        task.set_spawn_mode(GtaskSup.SpawnMode.POSIX_SPAWN)
        self.assertEqual(task.get_spawn_mode(),
                         GtaskSup.SpawnMode.POSIX_SPAWN)
        kind, _, error, _ = self.run_one(task)
        self.assertEqual(kind, 'succeeded', error)
        self.assertEqual(task.get_value().get_data(), b'hi\n')
        self.assertIsNone(task.dup_subprocess())
        self.assertIsNone(task.dup_identifier())

        task, pid_file = self.script_task(SLEEP, name='sleeper')
        task.set_spawn_mode(GtaskSup.SpawnMode.POSIX_SPAWN)
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        sup.start(task)
        self.assertTrue(self.poll_until(lambda: os.path.exists(pid_file)),
                        'the child never wrote its pid')
        pid = self.read_pid(pid_file)
        # The child may run before the spawn returns in the parent.
        self.assertTrue(self.poll_until(lambda: task.dup_identifier()),
                        'dup_identifier() stays None')
        self.assertEqual(task.dup_identifier(), str(pid))
        self.assertIsNone(task.dup_subprocess())
        self.assertEqual(os.getpgid(pid), pid)
        task.cancel()
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertGroupGone(pid, 'SIGTERM did not stop the child')

    def test_no_stdout_pipe(self):
        task = GtaskSup.Task.new_subprocess(['true'], F.NONE)
        kind, _, error, _ = self.run_one(task)
        self.assertEqual(kind, 'succeeded', error)
        self.assertIsNone(task.get_value())

    def test_binary_stdout(self):
        task = GtaskSup.Task.new_subprocess(
            ['printf', r'a\000b\377'], F.STDOUT_PIPE)
        kind, _, error, _ = self.run_one(task)
        self.assertEqual(kind, 'succeeded', error)
        self.assertEqual(task.get_value().get_data(), b'a\x00b\xff')

    def test_exit_status_with_stderr(self):
        task = GtaskSup.Task.new_subprocess(
            ['sh', '-c', 'echo out; echo first >&2; echo last >&2; exit 3'],
            F.STDOUT_PIPE | F.STDERR_PIPE)
        task.set_name('three')
        sup = GtaskSup.Supervisor.new(None)
        detailed = []
        sup.connect('failed::three', lambda sup, task, error:
                    detailed.append(error.code))

        kind, _, error, _ = self.run_one(task, sup)
        self.assertEqual(kind, 'failed')
        self.assertEqual(error.domain, 'g-spawn-exit-error-quark')
        self.assertErrorMatches(error, GLib.spawn_exit_error_quark(), 3,
                                '“sh” exited with code 3: first\nlast')
        self.assertEqual(detailed, [3])
        self.assertEqual(task.get_state(), GtaskSup.TaskState.FAILED)
        self.assertIsNone(task.get_value())
        self.assertErrorMatches(task.get_error(),
                                GLib.spawn_exit_error_quark(), 3)
        with self.assertRaises(GLib.Error) as cm:
            task.propagate_value()
        self.assertErrorMatches(cm.exception, GLib.spawn_exit_error_quark(), 3)

    def test_exit_status_without_stderr_pipe(self):
        task = GtaskSup.Task.new_subprocess(['sh', '-c', 'exit 7'], F.NONE)
        kind, _, error, _ = self.run_one(task)
        self.assertEqual(kind, 'failed')
        self.assertErrorMatches(error, GLib.spawn_exit_error_quark(), 7,
                                '“sh” exited with code 7')

    def test_exit_status_empty_stderr(self):
        # A captured but empty stderr adds nothing to the message.
        for script, domain, message in (
                ('exit 4', GLib.spawn_exit_error_quark(),
                 '“sh” exited with code 4'),
                ('kill -KILL $$', GLib.spawn_error_quark(),
                 '“sh” was killed by signal 9 (SIGKILL)')):
            with self.subTest(script=script):
                task = GtaskSup.Task.new_subprocess(['sh', '-c', script],
                                                    F.STDERR_PIPE)
                kind, _, error, _ = self.run_one(task)
                self.assertEqual(kind, 'failed')
                self.assertEqual(error.domain, GLib.quark_to_string(domain))
                self.assertEqual(error.message, message)

    def test_stderr_tail(self):
        # Only the end of a long stderr goes into the message.
        script = ('i=0; while [ $i -lt 200 ]; do echo "line $i" >&2; '
                  'i=$((i+1)); done; exit 1')
        task = GtaskSup.Task.new_subprocess(['sh', '-c', script],
                                            F.STDERR_PIPE)
        kind, _, error, _ = self.run_one(task)
        self.assertEqual(kind, 'failed')
        self.assertErrorMatches(error, GLib.spawn_exit_error_quark(), 1)
        self.assertTrue(error.message.startswith('“sh” exited with code 1: '),
                        error.message)
        self.assertTrue(error.message.endswith('\nline 199'), error.message)
        self.assertNotIn('line 0\n', error.message)
        self.assertLess(len(error.message), 2000)

    def test_killed_by_signal(self):
        task = GtaskSup.Task.new_subprocess(['sh', '-c', 'kill -KILL $$'],
                                            F.NONE)
        kind, _, error, _ = self.run_one(task)
        self.assertEqual(kind, 'failed')
        self.assertEqual(error.domain,
                         GLib.quark_to_string(GLib.spawn_error_quark()))
        self.assertEqual(error.message,
                         '“sh” was killed by signal 9 (SIGKILL)')

    def test_missing_binary(self):
        for argv in (['gtask-sup-test-no-such-program', 'arg'],
                     [os.path.join(self.tmpdir, 'no-such-program')]):
            with self.subTest(argv=argv):
                task = GtaskSup.Task.new_subprocess(argv, F.STDOUT_PIPE)
                # start() succeeds: the spawn error comes later, as the
                # outcome (run_one checks nothing is synchronous).
                kind, _, error, _ = self.run_one(task)
                self.assertEqual(kind, 'failed')
                self.assertErrorMatches(error, GLib.spawn_error_quark(),
                                        GLib.SpawnError.NOENT)
                self.assertEqual(error.domain, 'g-exec-error-quark')
                self.assertIn(argv[0], error.message)
                self.assertIsNone(task.dup_subprocess())

    def test_timeout_terminates(self):
        timeout_ms = 100
        task, pid_file = self.script_task(SLEEP, name='slow')
        task.set_timeout(timeout_ms)
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)

        t0 = time.monotonic()
        sup.start(task)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        t_signal = outcomes.events[0][3]
        self.assertEqual(outcomes.kinds(), ['timed-out'])
        self.assertGreaterEqual(t_signal - t0, timeout_ms / 1000)
        self.assertLess(t_signal - t0, timeout_ms / 1000 + SLACK_S)
        self.assertErrorMatches(task.get_error(), Gio.io_error_quark(),
                                Gio.IOErrorEnum.TIMED_OUT)

        # Usually spawned long before the timeout; if not, it is signalled
        # as soon as it is.
        if os.path.exists(pid_file):
            pid = self.read_pid(pid_file)
            self.assertGroupGone(pid, 'SIGTERM did not stop the child')
        self.iterate_for(50)
        self.assertEqual(len(outcomes), 1)

    def test_cancel_sigterm_ignored(self):
        grace_ms = 300
        task, pid_file = self.script_task(IGNORE_TERM, name='stubborn')
        task.set_shutdown_timeout(grace_ms)
        self.assertEqual(task.get_shutdown_timeout(), grace_ms)
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        sup.start(task)

        pid = self.wait_for_pid(task, pid_file)
        self.assertTrue(alive(pid))
        self.assertEqual(len(outcomes), 0)

        t0 = time.monotonic()
        task.cancel()
        # The outcome comes at once, without waiting for the child.
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

        # SIGTERM is ignored; SIGKILL after the shutdown timeout.
        t_gone = self.assertGroupGone(pid, 'the child survived its kill')
        self.assertGreaterEqual(t_gone - t0, grace_ms / 1000)
        self.assertLess(t_gone - t0, grace_ms / 1000 + SLACK_S)
        self.iterate_for(50)
        self.assertEqual(len(outcomes), 1)

    def test_cancel_shutdown_timeout_zero(self):
        task, pid_file = self.script_task(IGNORE_TERM, name='zero')
        task.set_shutdown_timeout(0)
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        sup.start(task)
        pid = self.wait_for_pid(task, pid_file)

        t0 = time.monotonic()
        task.cancel()
        t_gone = self.assertGroupGone(pid, 'SIGKILL was not sent')
        self.assertLess(t_gone - t0, SLACK_S)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    def test_shutdown_sigterm(self):
        # A child that dies of the shutdown's SIGTERM was cancelled.
        task, pid_file = self.script_task(SLEEP, name='polite')
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        sup.start(task)
        pid = self.wait_for_pid(task, pid_file)

        t0 = time.monotonic()
        task.shutdown(20000)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        self.assertLess(outcomes.events[0][3] - t0, SLACK_S)
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)
        self.assertFalse(alive(pid))

    def test_shutdown_killed(self):
        grace_ms = 200
        task, pid_file = self.script_task(IGNORE_TERM, name='deaf')
        sup = GtaskSup.Supervisor.new(None)
        outcomes = Outcomes(sup)
        sup.start(task)
        pid = self.wait_for_pid(task, pid_file)

        t0 = time.monotonic()
        task.shutdown(grace_ms)
        self.assertIterateUntil(lambda: len(outcomes) > 0)
        t_signal = outcomes.events[0][3]
        self.assertEqual(outcomes.kinds(), ['failed'])
        self.assertErrorMatches(outcomes.events[0][2], GtaskSup.Error.quark(),
                                GtaskSup.Error.KILLED)
        self.assertGreaterEqual(t_signal - t0, grace_ms / 1000)
        self.assertLess(t_signal - t0, grace_ms / 1000 + SLACK_S)
        self.assertGroupGone(pid, 'the killed child survived')
        self.iterate_for(50)
        self.assertEqual(len(outcomes), 1)

    def check_killed_without_owner_context(self, drop, grace_ms=200):
        """Starts a SIGTERM-ignoring child, calls drop(); the child must be
        gone within the grace period (plus slack) although the owner
        context is never iterated again."""
        owner = GObject.Object()
        sup = GtaskSup.Supervisor.new(owner)
        outcomes = Outcomes(sup)
        task, pid_file = self.script_task(IGNORE_TERM, name='orphan')
        task.set_shutdown_timeout(grace_ms)
        sup.start(task)
        pid = self.wait_for_pid(task, pid_file)
        objects = {'owner': owner, 'sup': sup}
        del owner, sup

        t0 = time.monotonic()
        drop(objects)
        gc.collect()
        elsewhere = GLib.MainContext.new()
        t_gone = self.assertGroupGone(pid, 'the child outlived its owner',
                                      context=elsewhere)
        self.assertGreaterEqual(t_gone - t0, grace_ms / 1000)
        self.assertLess(t_gone - t0, grace_ms / 1000 + SLACK_S)
        # Nothing is ever emitted.
        self.iterate_for(100)
        self.assertEqual(outcomes.kinds(), [])
        self.assertTrue(task.get_cancellable().is_cancelled())

    def test_owner_disposed(self):
        self.check_killed_without_owner_context(
            lambda objects: objects.pop('owner'))

    def test_supervisor_finalized(self):
        self.check_killed_without_owner_context(
            lambda objects: objects.pop('sup'))

    def test_max_concurrency(self):
        # With one slot, the second program starts after the first exits.
        sup = GtaskSup.Supervisor.new(None)
        sup.props.max_concurrency = 1
        outcomes = Outcomes(sup)
        stamp = os.path.join(self.tmpdir, 'stamp')
        first = GtaskSup.Task.new_subprocess(
            ['sh', '-c', 'sleep 0.2; echo first > "$1"', 'sh', stamp],
            F.NONE)
        second = GtaskSup.Task.new_subprocess(['cat', stamp], F.STDOUT_PIPE)
        sup.start(first)
        sup.start(second)
        self.assertEqual(second.get_state(), GtaskSup.TaskState.QUEUED)
        self.assertIterateUntil(lambda: len(outcomes) == 2)
        self.assertEqual(outcomes.kinds(), ['succeeded', 'succeeded'])
        self.assertEqual([e[1] for e in outcomes.events], [first, second])
        self.assertEqual(second.get_value().get_data(), b'first\n')


if __name__ == '__main__':
    unittest.main(verbosity=2)
