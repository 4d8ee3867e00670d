#!/usr/bin/python3
# run-commands.py: runs commands under a gtask-sup supervisor
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Runs commands side by side under a GtaskSup.Supervisor.

Each COMMAND is one argument, split into words as a shell would (with
shlex) but run without a shell, so `'ls -l /tmp'` runs `ls` with two
arguments. Every command is a subprocess task: its outcome is printed as
soon as it arrives (exit status, signal, first line of its output, or
timeout), then a summary. Ctrl-C shuts the supervisor down: running
commands get SIGTERM, and SIGKILL if they are still there after --grace
milliseconds; queued ones never start.

Without COMMANDs, a small built-in set shows each kind of outcome.

Exit status: 0 if every command succeeded, 1 otherwise, 128 + the signal
number if interrupted, 2 for a usage error.

From the build tree (only the introspection data is needed, not the Python
override):

    GI_TYPELIB_PATH=_build/introspection LD_LIBRARY_PATH=_build/gtask-sup \\
        examples/python/run-commands.py --jobs 2 'uname -a' 'ls /nonexistent'
"""

import argparse
import os
import shlex
import signal
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('GtaskSup', '1')

from gi.repository import GLib, Gio, GtaskSup  # noqa: E402

DEMO_COMMANDS = [
    'uname -sr',
    'sh -c "echo working; sleep 0.2; echo done"',
    'ls /nonexistent',
    'sh -c "kill -TERM $$"',
    'sleep 5',
    'no-such-command --help',
]
# The built-in set's timeout, when --timeout is not given: `sleep 5` times
# out.
DEMO_TIMEOUT_MS = 1000

FLAGS = Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE


def last_line(text):
    lines = text.strip().splitlines()
    return lines[-1] if lines else ''


class Runner:
    """Starts the commands and reports each outcome as it arrives."""

    def __init__(self, jobs, timeout_ms, grace_ms):
        self.timeout_ms = timeout_ms
        self.grace_ms = grace_ms
        self.loop = GLib.MainLoop.new(None, False)
        # A command-line tool has no object to own the work: no owner.
        self.sup = GtaskSup.Supervisor.new(None)
        self.sup.set_max_concurrency(jobs)
        self.sup.connect('succeeded', self.on_succeeded)
        self.sup.connect('failed', self.on_failed)
        self.sup.connect('timed-out', self.on_timed_out)
        self.commands = {}         # task → its command line
        self.n_started = 0
        self.counts = {}
        self.interrupted_by = None

    def start(self, line, argv):
        task = GtaskSup.Task.new_subprocess(argv, FLAGS)
        task.set_name(line)
        # Counted from start(): time spent queued behind --jobs counts.
        task.set_timeout(self.timeout_ms)
        task.set_shutdown_timeout(self.grace_ms)
        # Raises GLib.Error (CLOSED) once interrupted; never happens here,
        # as every command is started before the loop runs.
        # The command runs at once, so Ctrl-C must be handled before it is
        # started: see watch_signals().
        self.sup.start(task)
        self.commands[task] = line
        self.n_started += 1

    def watch_signals(self):
        # Before the first start(): a command may be interrupted as soon as
        # it runs, before the loop does.
        for signum in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum,
                                 self.on_signal, signum)

    def run(self):
        if self.commands:
            self.loop.run()

    # Outcomes, on the main context: exactly one per command.

    def report(self, task, kind, status, detail=''):
        line = self.commands.pop(task)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        text = '%-10s %s' % (status, line)
        if detail:
            text += ': ' + detail
        print(text, flush=True)
        if not self.commands and self.interrupted_by is None:
            self.loop.quit()

    def on_succeeded(self, sup, task):
        output = task.get_value()  # GLib.Bytes: STDOUT_PIPE was set
        text = output.get_data().decode(errors='replace') if output else ''
        lines = text.splitlines()
        self.report(task, 'succeeded', 'ok', lines[0] if lines else '(no output)')

    def on_failed(self, sup, task, error):
        if error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED):
            self.report(task, 'cancelled', 'cancelled')
        elif error.matches(GtaskSup.Error.quark(), GtaskSup.Error.KILLED):
            self.report(task, 'cancelled', 'killed',
                        'still running %d ms after SIGTERM' % self.grace_ms)
        elif error.domain == GLib.quark_to_string(GLib.spawn_exit_error_quark()):
            # The code is the exit status; the message ends with the last
            # lines of stderr.
            self.report(task, 'failed', 'exit %d' % error.code,
                        last_line(error.message))
        else:
            process = task.dup_subprocess()
            if process is not None and process.get_if_signaled():
                self.report(task, 'failed', 'signal %d' % process.get_term_sig(),
                            error.message)
            elif process is None:
                # It could not be started (not found, not executable...).
                self.report(task, 'failed', 'not run', error.message)
            else:
                self.report(task, 'failed', 'error', error.message)

    def on_timed_out(self, sup, task):
        self.report(task, 'timed out', 'timed out',
                    'after %d ms' % task.get_timeout())

    # Ctrl-C

    def on_signal(self, signum):
        if self.interrupted_by is None:
            self.interrupted_by = signum
            print('Interrupted: stopping %d command(s)…' % len(self.commands),
                  file=sys.stderr, flush=True)
            # Every child's outcome is emitted before this completes.
            self.sup.shutdown_async(None, self.on_shutdown)
        else:
            print('Still stopping: SIGKILL comes %d ms after SIGTERM'
                  % self.grace_ms, file=sys.stderr, flush=True)
        return GLib.SOURCE_CONTINUE

    def on_shutdown(self, sup, result):
        sup.shutdown_finish(result)
        self.loop.quit()

    def summary(self):
        parts = ['%d %s' % (self.counts[kind], kind)
                 for kind in ('succeeded', 'failed', 'timed out', 'cancelled')
                 if self.counts.get(kind)]
        text = '%d command%s' % (self.n_started,
                                 '' if self.n_started == 1 else 's')
        if parts:
            text += ': ' + ', '.join(parts)
        if self.interrupted_by is not None:
            text += ' (interrupted)'
        return text

    def exit_status(self):
        if self.interrupted_by is not None:
            return 128 + self.interrupted_by
        if set(self.counts) - {'succeeded'}:
            return 1
        return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description='Run commands under a gtask-sup supervisor and report '
                    'each outcome as it arrives.',
        epilog='Each COMMAND is one argument, split like a shell would but '
               'run without a shell. Without COMMANDs, runs a built-in set '
               'with a %d ms timeout.' % DEMO_TIMEOUT_MS)
    parser.add_argument('-j', '--jobs', type=int, default=os.cpu_count() or 2,
                        metavar='N',
                        help='run at most N commands at once, 0 for no limit '
                             '(default: the number of processors)')
    parser.add_argument('-t', '--timeout', type=int, default=None,
                        metavar='MS',
                        help='time limit of each command in milliseconds, '
                             'counted from when it is submitted '
                             '(default: none)')
    parser.add_argument('-g', '--grace', type=int, default=2000, metavar='MS',
                        help='on Ctrl-C or timeout, time between SIGTERM and '
                             'SIGKILL in milliseconds (default: 2000)')
    parser.add_argument('commands', nargs='*', metavar='COMMAND')
    args = parser.parse_args(argv)

    if args.jobs < 0:
        parser.error('--jobs must be 0 or more')
    if args.timeout is not None and args.timeout < 0:
        parser.error('--timeout must be 0 or more')
    if args.grace < 0:
        parser.error('--grace must be 0 or more')
    if not args.commands:
        args.commands = DEMO_COMMANDS
        if args.timeout is None:
            args.timeout = DEMO_TIMEOUT_MS

    args.argvs = []
    for line in args.commands:
        try:
            words = shlex.split(line)
        except ValueError as e:
            parser.error('cannot split %r: %s' % (line, e))
        if not words:
            parser.error('empty command')
        args.argvs.append(words)
    return args


def main(argv):
    args = parse_args(argv)
    runner = Runner(args.jobs,
                    args.timeout if args.timeout is not None else -1,
                    args.grace)
    runner.watch_signals()
    for line, words in zip(args.commands, args.argvs):
        runner.start(line, words)
    runner.run()
    print(runner.summary(), flush=True)
    return runner.exit_status()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
