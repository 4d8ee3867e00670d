#!/usr/bin/env -S gjs -m
// fetch-files.js: load files concurrently under a gtask-sup supervisor
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Usage: gjs -m fetch-files.js [-j JOBS] [-t TIMEOUT_MS] [-c COMMAND] [FILE...]
//
// Loads every FILE (by default a few under /etc and
// /usr/share/common-licenses) with Gio.File.load_contents_async(), as async
// tasks of one supervisor: at most JOBS at once (max-concurrency), each
// given TIMEOUT_MS from its start. Each result is printed as it arrives
// (size and first non-blank line), then a summary. With -c, COMMAND (no shell; quote
// arguments as in a shell) runs too, as a subprocess task under the same
// limits, and the first line of its output is printed. Ctrl-C shuts the
// supervisor down: operations are cancelled, the command is terminated.
//
// Exit status: 0 if everything succeeded, 1 if anything failed or timed
// out, 2 on a usage error, 130 if interrupted.
//
// From a build tree, the typelib and the library are not installed:
//   GI_TYPELIB_PATH=_build/introspection LD_LIBRARY_PATH=_build/gtask-sup \
//     gjs -m examples/js/fetch-files.js -c 'uname -sr'

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GtaskSup from 'gi://GtaskSup?version=1';
import System from 'system';

Gio._promisify(Gio.File.prototype, 'load_contents_async',
    'load_contents_finish');
Gio._promisify(GtaskSup.Supervisor.prototype, 'shutdown_async',
    'shutdown_finish');

const DEFAULT_FILES = [
    '/etc/hostname',
    '/etc/os-release',
    '/etc/debian_version',
    '/usr/share/common-licenses/Apache-2.0',
    '/usr/share/common-licenses/GPL-3',
    '/usr/share/common-licenses/LGPL-2.1',
    '/usr/share/common-licenses/MPL-2.0',
];

const USAGE = `Usage: gjs -m fetch-files.js [-j JOBS] [-t TIMEOUT_MS] [-c COMMAND] [FILE...]

Loads the files concurrently, under a supervisor, and prints each one's size
and first line as it arrives, then a summary.

  -j JOBS        files loaded at once (default 3)
  -t TIMEOUT_MS  time each file (and the command) may take (default 5000)
  -c COMMAND     also run COMMAND (no shell) and print its first line
  -h             show this help`;

function parseArgs(argv) {
    const options = {jobs: 3, timeout: 5000, command: null, files: []};
    const number = (flag, value) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n <= 0)
            throw new Error(`${flag} needs a positive integer, not “${value}”`);
        return n;
    };

    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            if (i + 1 >= argv.length)
                throw new Error(`${arg} needs a value`);
            return argv[++i];
        };
        if (arg === '-h' || arg === '--help') {
            print(USAGE);
            System.exit(0);
        } else if (arg === '-j' || arg === '--jobs') {
            options.jobs = number(arg, value());
        } else if (arg === '-t' || arg === '--timeout') {
            options.timeout = number(arg, value());
        } else if (arg === '-c' || arg === '--command') {
            options.command = GLib.shell_parse_argv(value())[1];
        } else if (arg === '--') {
            options.files.push(...argv.slice(i + 1));
            break;
        } else if (arg.startsWith('-') && arg !== '-') {
            throw new Error(`unknown option ${arg}`);
        } else {
            options.files.push(arg);
        }
    }

    // The default files that this system has (not every one is Debian).
    if (options.files.length === 0) {
        options.files = DEFAULT_FILES.filter(path =>
            GLib.file_test(path, GLib.FileTest.EXISTS));
    }
    return options;
}

// The first line of @bytes that is not blank, trimmed and shortened for a
// terminal.
function firstLine(bytes, max = 60) {
    const data = bytes.toArray().subarray(0, 4096);
    let line = new TextDecoder().decode(data).split('\n')
        .map(l => l.trim()).find(l => l.length > 0) ?? '';
    if (line.length > max)
        line = `${line.slice(0, max - 1)}…`;
    return line;
}

// The work of one file: runs on the main loop once the task has a slot,
// starts the load with the task's cancellable (cancelled on timeout,
// shutdown, or Ctrl-C), and completes the task from the result.
function newLoadTask(path) {
    const file = Gio.File.new_for_commandline_arg(path);
    const task = GtaskSup.Task.new_async(async (t, cancellable) => {
        try {
            const [contents] = await file.load_contents_async(cancellable);
            t.return_value(new GLib.Bytes(contents));
        } catch (error) {
            t.return_error(error instanceof GLib.Error ? error
                : new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED,
                    String(error)));
        }
    });
    task.set_name(path);
    return task;
}

function main(argv) {
    let options;
    try {
        options = parseArgs(argv);
    } catch (error) {
        printerr(`fetch-files: ${error.message}\n\n${USAGE}`);
        return 2;
    }
    if (options.files.length === 0 && options.command === null) {
        printerr('fetch-files: nothing to do');
        return 2;
    }

    const loop = new GLib.MainLoop(null, false);
    const sup = new GtaskSup.Supervisor({max_concurrency: options.jobs});
    const counts = {succeeded: 0, failed: 0, 'timed out': 0};
    const commandTasks = new Set();
    let pending = 0;
    let interrupted = false;
    let stopping = null;

    // Every started task ends in exactly one of these three signals, on
    // this main loop, in the order the tasks complete.
    const done = () => {
        if (--pending === 0)
            stop();
    };
    sup.connect('succeeded', (s, task) => {
        counts.succeeded++;
        const value = task.get_value();
        if (commandTasks.has(task)) {
            print(`ok       ${options.command.join(' ')}: ${
                value ? firstLine(value) : ''}`);
        } else {
            print(`ok       ${String(value.get_size()).padStart(8)} B  ${
                task.get_name()}: ${firstLine(value)}`);
        }
        done();
    });
    sup.connect('failed', (s, task, error) => {
        counts.failed++;
        print(`failed   ${task.get_name()}: ${error.message}`);
        done();
    });
    sup.connect('timed-out', (s, task) => {
        counts['timed out']++;
        print(`timeout  ${task.get_name()}: not done after ${
            task.get_timeout()} ms`);
        done();
    });

    // Shuts the supervisor down (what is left is cancelled, or terminated),
    // then ends the main loop.
    const stop = () => {
        stopping ??= sup.shutdown_async(null)
            .catch(error => printerr(`fetch-files: ${error.message}`))
            .finally(() => loop.quit());
    };

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2 /* SIGINT */, () => {
        interrupted = true;
        printerr('fetch-files: interrupted, stopping');
        stop();
        return GLib.SOURCE_REMOVE;
    });

    print(`Loading ${options.files.length} file(s), ${options.jobs} at a time, ${
        options.timeout} ms each${options.command ? ', and running a command'
        : ''}`);

    const tasks = options.files.map(newLoadTask);
    if (options.command !== null) {
        const task = GtaskSup.Task.new_subprocess(options.command,
            Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE);
        task.set_name(options.command[0]);
        // Time to exit after SIGTERM (on timeout or Ctrl-C), then SIGKILL.
        task.set_shutdown_timeout(1000);
        commandTasks.add(task);
        tasks.push(task);
    }

    for (const task of tasks) {
        task.set_timeout(options.timeout);
        try {
            sup.start(task);
            pending++;
        } catch (error) {
            counts.failed++;
            print(`failed   ${task.get_name()}: ${error.message}`);
        }
    }
    if (pending === 0)
        stop();

    loop.run();

    const total = counts.succeeded + counts.failed + counts['timed out'];
    print(`\n${total} task(s): ${Object.entries(counts)
        .map(([what, n]) => `${n} ${what}`).join(', ')}`);

    if (interrupted)
        return 130;
    return counts.succeeded === tasks.length ? 0 : 1;
}

const status = main(ARGV);
if (status !== 0)
    System.exit(status);
