#!/usr/bin/python3
# test_example_run_commands.py: smoke test of examples/python/run-commands.py
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the example as a user would from the build tree: as an executable,
# with GI_TYPELIB_PATH and LD_LIBRARY_PATH only (meson sets them), and
# without the Python override, which the example must not need.

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import unittest

EXAMPLE = os.environ.get('RUN_COMMANDS_EXAMPLE') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    '..', '..', 'examples', 'python', 'run-commands.py')

# Upper bound for one run, generous for a loaded 2-core machine.
RUN_TIMEOUT_S = 60


def example_env():
    env = dict(os.environ)
    env.pop('GTASK_SUP_OVERRIDES_DIR', None)
    env.pop('PYTHONPATH', None)
    return env


class TestRunCommands(unittest.TestCase):

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix='gtask-sup-example-')
        self.addCleanup(shutil.rmtree, self.tmpdir)

    def run_example(self, *args):
        proc = subprocess.run([EXAMPLE] + list(args), env=example_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=RUN_TIMEOUT_S)
        return (proc.returncode, proc.stdout.decode('utf-8'),
                proc.stderr.decode('utf-8'))

    def assertLines(self, stdout, expected):
        """@expected: regular expressions, one per line, in any order but
        the last (the summary)."""
        lines = stdout.splitlines()
        self.assertEqual(len(lines), len(expected), stdout)
        for pattern in expected[:-1]:
            self.assertTrue(any(re.fullmatch(pattern, line) for line in lines[:-1]),
                            '%r not in:\n%s' % (pattern, stdout))
        self.assertRegex(lines[-1], '^' + expected[-1] + '$')

    def test_executable(self):
        self.assertTrue(os.access(EXAMPLE, os.X_OK))
        with open(EXAMPLE) as f:
            self.assertEqual(f.readline(), '#!/usr/bin/python3\n')

    def test_help(self):
        status, stdout, stderr = self.run_example('--help')
        self.assertEqual(status, 0, stderr)
        self.assertIn('--jobs', stdout)
        self.assertIn('--timeout', stdout)

    def test_default_set(self):
        status, stdout, stderr = self.run_example()
        self.assertEqual(status, 1, stderr)
        self.assertLines(stdout, [
            r'ok +uname -sr: \S+ \S+',
            r'ok +sh -c "echo working; sleep 0\.2; echo done": working',
            r'exit 2 +ls /nonexistent: .*/nonexistent.*',
            r'signal 15 +sh -c "kill -TERM \$\$": .*SIGTERM.*',
            r'timed out +sleep 5: after 1000 ms',
            r'not run +no-such-command --help: .*no-such-command.*',
            r'6 commands: 2 succeeded, 3 failed, 1 timed out',
        ])

    def test_all_succeed(self):
        status, stdout, stderr = self.run_example(
            'echo "hello   world"', 'true', "printf 'one\\ntwo\\n'")
        self.assertEqual(status, 0, stderr)
        self.assertEqual(stderr, '')
        self.assertLines(stdout, [
            r'ok +echo "hello   world": hello   world',
            r'ok +true: \(no output\)',
            r"ok +printf 'one\\ntwo\\n': one",
            r'3 commands: 3 succeeded',
        ])

    def test_failures(self):
        status, stdout, stderr = self.run_example(
            'ls /nonexistent', 'sh -c "echo first >&2; echo oops >&2; exit 3"',
            'gtask-sup-no-such-command', 'echo fine')
        self.assertEqual(status, 1, stderr)
        self.assertLines(stdout, [
            r'exit 2 +ls /nonexistent: .*/nonexistent.*',
            # Only the last line of stderr.
            r'exit 3 +sh -c "echo first >&2; echo oops >&2; exit 3": oops',
            r'not run +gtask-sup-no-such-command: .*gtask-sup-no-such-command.*',
            r'ok +echo fine: fine',
            r'4 commands: 1 succeeded, 3 failed',
        ])

    def test_jobs_one_is_sequential(self):
        # With one slot the slow first command still reports first.
        status, stdout, stderr = self.run_example(
            '--jobs', '1', 'sh -c "sleep 0.3; echo slow"', 'echo fast')
        self.assertEqual(status, 0, stderr)
        self.assertEqual(stdout.splitlines()[:2],
                         ['ok         sh -c "sleep 0.3; echo slow": slow',
                          'ok         echo fast: fast'])

    def test_timeout(self):
        status, stdout, stderr = self.run_example(
            '--timeout', '200', 'sleep 30', 'echo quick')
        self.assertEqual(status, 1, stderr)
        self.assertLines(stdout, [
            r'timed out +sleep 30: after 200 ms',
            r'ok +echo quick: quick',
            r'2 commands: 1 succeeded, 1 timed out',
        ])

    def test_usage_errors(self):
        for args in (['echo "unbalanced'], [''], ['--jobs', '-1', 'true']):
            with self.subTest(args=args):
                status, stdout, stderr = self.run_example(*args)
                self.assertEqual(status, 2)
                self.assertIn('usage:', stderr)
                self.assertEqual(stdout, '')

    def interrupt(self, script, *args):
        """Runs the example with a first command that runs @script (which
        writes its pid to "$1") and a queued `sleep 30`; sends SIGINT once
        the script has written its pid. Returns (status, stdout, stderr,
        pid)."""
        fifo = os.path.join(self.tmpdir, 'ready')
        os.mkfifo(fifo)
        first = shlex.join(['sh', '-c', script, 'sh', fifo])
        pids = []

        def read_pid():
            # Blocks until the script opens the fifo: no polling.
            with open(fifo) as f:
                pids.append(int(f.read()))

        reader = threading.Thread(target=read_pid, daemon=True)
        reader.start()
        proc = subprocess.Popen([EXAMPLE, '--jobs', '1'] + list(args) +
                                [first, 'sleep 30'],
                                env=example_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            reader.join(RUN_TIMEOUT_S)
            self.assertEqual(len(pids), 1, 'the first command never ran')
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if not pids:
                # Unblock the reader.
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        return (proc.returncode, stdout.decode('utf-8'),
                stderr.decode('utf-8'), pids[0], first)

    def assertProcessGone(self, pid):
        try:
            with open('/proc/%d/stat' % pid) as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except FileNotFoundError:
            return
        self.assertIn(state, ('Z', 'X'), 'process %d survived' % pid)

    def test_interrupt(self):
        status, stdout, stderr, pid, first = self.interrupt(
            'echo $$ > "$1"; exec sleep 30')
        self.assertEqual(status, 128 + signal.SIGINT, stderr)
        self.assertIn('Interrupted: stopping 2 command(s)', stderr)
        self.assertLines(stdout, [
            r'cancelled +' + re.escape(first),
            r'cancelled +sleep 30',
            r'2 commands: 2 cancelled \(interrupted\)',
        ])
        self.assertProcessGone(pid)

    def test_interrupt_sigterm_ignored(self):
        status, stdout, stderr, pid, first = self.interrupt(
            'trap "" TERM; echo $$ > "$1"; while :; do sleep 0.05; done',
            '--grace', '200')
        self.assertEqual(status, 128 + signal.SIGINT, stderr)
        self.assertLines(stdout, [
            r'killed +' + re.escape(first) +
            r': still running 200 ms after SIGTERM',
            r'cancelled +sleep 30',
            r'2 commands: 2 cancelled \(interrupted\)',
        ])
        self.assertProcessGone(pid)


if __name__ == '__main__':
    unittest.main(verbosity=2)
