// test-stream.js: streams (Supervisor.map) of async and subprocess tasks,
// seen from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GJS cannot run JavaScript on other threads: the items of a JS stream are
// async tasks (a GIO _async() operation started on the owner context) or
// subprocesses. The next function runs on the owner context, only when the
// stream has a free slot, and returns a new task or null at the end.

import {
    GLib, Gio, GtaskSup, assert, assertEqual, assertError, assertRejects,
    bytesToString, delay, newSupervisor, run, withTimeout, WAIT_MS
} from './harness.js';

Gio._promisify(GtaskSup.Stream.prototype, 'join_async', 'join_finish');

const Flags = Gio.SubprocessFlags;

// Records the signals of a stream.
class StreamLog {
    constructor(stream) {
        this.items = [];     // {index, task, state}
        this.finished = [];  // errors (null on success)
        this.inCall = false;
        this.violations = [];
        stream.connect('item', (s, index, task) => {
            if (this.inCall)
                this.violations.push(`item ${index} inside a call`);
            if (this.finished.length > 0)
                this.violations.push(`item ${index} after finished`);
            this.items.push({index: Number(index), task, state: task.get_state()});
        });
        stream.connect('finished', (s, error) => {
            if (this.inCall)
                this.violations.push('finished inside a call');
            this.finished.push(error);
        });
    }

    indexes() {
        return this.items.map(i => i.index).join(',');
    }
}

// N real files for the tasks to load, removed after the test.
function withTempFiles(n, func) {
    return async () => {
        const dir = GLib.dir_make_tmp('gtask-sup-js-stream-XXXXXX');
        const paths = [];
        for (let i = 0; i < n; i++) {
            const path = GLib.build_filenamev([dir, `file-${i}.txt`]);
            GLib.file_set_contents(path, `contents of file ${i}\n`);
            paths.push(path);
        }
        try {
            await func(paths);
        } finally {
            paths.forEach(p => GLib.unlink(p));
            GLib.rmdir(dir);
        }
    };
}

// An async task: load a file, complete with its bytes or the GIO error.
function newLoadTask(path, active) {
    const file = Gio.File.new_for_path(path);
    const task = GtaskSup.Task.new_async((t, cancellable) => {
        active.now++;
        active.max = Math.max(active.max, active.now);
        file.load_contents_async(cancellable, (f, result) => {
            active.now--;
            try {
                const [, contents] = f.load_contents_finish(result);
                t.return_value(new GLib.Bytes(contents));
            } catch (error) {
                t.return_error(error);
            }
        });
    });
    task.set_name(GLib.path_get_basename(path));
    return task;
}

async function testMapAsync(paths) {
    const sup = newSupervisor();
    const calls = [];
    const active = {now: 0, max: 0};
    let log = null;

    const stream = sup.map((s, index) => {
        index = Number(index);
        if (log?.inCall)
            log.violations.push(`next function called inside a call (${index})`);
        calls.push(index);
        // a missing file in the middle: a failed item, still an output
        if (index === 2)
            return newLoadTask(`${paths[0]}.missing`, active);
        return index < paths.length ? newLoadTask(paths[index], active) : null;
    });
    assert(stream instanceof GtaskSup.Stream, `map() gives a stream: ${stream}`);
    stream.set_max_concurrency(2);
    log = new StreamLog(stream);

    log.inCall = true;
    stream.start();
    const joined = stream.join_async(null);
    log.inCall = false;
    assertEqual(calls.length, 0, 'next function calls inside start()');

    const ok = await withTimeout(joined, WAIT_MS, 'join_async');
    assertEqual(ok, true, 'join_finish()');
    assertEqual(log.violations.join('; '), '', 'violations');
    assertEqual(log.finished.length, 1, 'finished emissions');
    assertEqual(log.finished[0], null, 'finished error');
    assertEqual(calls.join(','), [...paths.keys(), paths.length].join(','),
        'next function calls: N items and the end');
    assertEqual(log.indexes(), [...paths.keys()].join(','), 'output order');
    assert(active.max <= 2, `${active.max} loads at once`);

    for (const {index, task, state} of log.items) {
        if (index === 2) {
            assertEqual(state, GtaskSup.TaskState.FAILED, 'state of the missing file');
            assertError(task.get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND,
                'error of the missing file');
            continue;
        }
        assertEqual(state, GtaskSup.TaskState.SUCCEEDED, `state of item ${index}`);
        assertEqual(bytesToString(task.get_value()), `contents of file ${index}\n`,
            `contents of item ${index}`);
    }

    // retain: the stream is a list model of the tasks, in output order
    assertEqual(stream.get_n_items(), paths.length, 'n_items');
    assertEqual(stream.get_item(3), log.items[3].task, 'model item 3');
    assertEqual(Number(stream.get_n_outputs()), paths.length, 'n-outputs');

    // nothing after finished
    await delay(50);
    assertEqual(log.items.length, paths.length, 'items after finished');
    assertEqual(calls.length, paths.length + 1, 'calls after finished');
}

async function testMapSubprocessUnordered() {
    const sup = newSupervisor();
    const delays = ['0.45', '0.1', '0.25', '0'];

    // Slowest first: in completion order, the outputs come reversed.
    const stream = sup.map((s, index) => {
        index = Number(index);
        if (index >= delays.length)
            return null;
        const task = GtaskSup.Task.new_subprocess(
            ['sh', '-c', `sleep ${delays[index]}; echo item ${index}`],
            Flags.STDOUT_PIPE);
        task.set_name(`sh-${index}`);
        return task;
    });
    stream.set_max_concurrency(0);
    stream.set_ordered(false);
    stream.set_retain(false);
    const log = new StreamLog(stream);
    stream.start();

    assertEqual(await stream.join_async(null), true, 'join_finish()');
    assertEqual(log.violations.join('; '), '', 'violations');
    assertEqual(log.indexes(), '3,1,2,0', 'completion order');
    for (const {index, task} of log.items) {
        assertEqual(task.get_kind(), GtaskSup.TaskKind.SUBPROCESS, 'kind');
        assertEqual(bytesToString(task.get_value()), `item ${index}\n`,
            `stdout of item ${index}`);
    }
    assertEqual(stream.get_n_items(), 0, 'n_items without retain');
}

async function testCancelRejectsJoin() {
    const sup = newSupervisor();
    const asked = [];

    // An endless input of long subprocesses.
    const stream = sup.map((s, index) => {
        const task = GtaskSup.Task.new_subprocess(['sleep', '100'], Flags.NONE);
        task.set_name(`sleep-${index}`);
        asked.push(task);
        return task;
    });
    stream.set_max_concurrency(2);
    const log = new StreamLog(stream);
    stream.start();
    const joined = stream.join_async(null);

    // two running, read-ahead more ready, and no more asked for
    await delay(100);
    const bound = 2 + stream.get_read_ahead();
    assertEqual(asked.length, bound, 'next function calls with two slots');
    assertEqual(stream.get_n_running(), 2, 'n-running');

    log.inCall = true;
    stream.cancel();
    log.inCall = false;
    await assertRejects(joined, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'join_async after cancel()');
    assertEqual(log.violations.join('; '), '', 'violations');
    assertEqual(log.items.length, 0, 'items');
    assertEqual(log.finished.length, 1, 'finished emissions');
    assertError(log.finished[0], Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'finished error');
    assertEqual(asked.length, bound, 'next function calls after cancel()');
    assertEqual(sup.get_children().get_n_items() <= bound, true, 'children');
}

run([
    ['stream: map async tasks over files, join_async promisified',
        withTempFiles(5, testMapAsync)],
    ['stream: unordered subprocess items, completion order',
        testMapSubprocessUnordered],
    ['stream: cancel() rejects join_async with CANCELLED',
        testCancelRejectsJoin],
]);
