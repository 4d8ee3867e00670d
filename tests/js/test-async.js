// test-async.js: async tasks written in JavaScript (DESIGN §6)
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The work of an async task is a JS function run on the owner context: it
// starts a GIO _async() operation with the task's cancellable, and the
// operation's callback completes the task. The JS closure keeps the task
// for the callback; there is no other way to "keep a reference" in JS.

import {
    GLib, Gio, GtaskSup, Outcomes, assert, assertEqual, assertError,
    assertRejects, bytesToString, delay, newSupervisor, pollUntil, run
} from './harness.js';

const CONTENTS = 'first line of the test file\nsecond line\n';

// A real file for the tasks to load, removed after the test.
function withTempFile(func) {
    return async () => {
        const [fd, path] = GLib.file_open_tmp('gtask-sup-js-XXXXXX.txt');
        GLib.close(fd);
        GLib.file_set_contents(path, CONTENTS);
        try {
            await func(path);
        } finally {
            GLib.unlink(path);
        }
    };
}

// The usual shape, callback style: load a file, complete with its bytes or
// the GIO error.
function newLoadTask(path, log = null) {
    const file = Gio.File.new_for_path(path);
    const task = GtaskSup.Task.new_async((t, cancellable) => {
        log?.push('func');
        file.load_contents_async(cancellable, (f, result) => {
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

// An operation that only its cancellable ends: waiting for a connection
// that never comes. @state records what its callback saw.
function newAcceptTask(state) {
    const listener = new Gio.SocketListener();
    listener.add_any_inet_port(null);
    state.listener = listener;
    state.lateError = null;
    const task = GtaskSup.Task.new_async((t, cancellable) => {
        state.ran = true;
        listener.accept_async(cancellable, (l, result) => {
            try {
                l.accept_finish(result);
                t.return_value('connected');
            } catch (error) {
                state.lateError = error;
                t.return_error(error);
            }
        });
    });
    task.set_name('accept');
    return task;
}

async function testLoadFile(path) {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const log = [];
    const task = newLoadTask(path, log);

    assertEqual(task.get_kind(), GtaskSup.TaskKind.ASYNC, 'kind');
    sup.start(task);
    // The function runs from a later iteration of the owner context.
    assertEqual(log.length, 0, 'the function ran inside start()');
    assertEqual(outcomes.events.length, 0, 'events right after start()');

    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'succeeded', `outcome (${outcomes.summary()})`);
    assertEqual(event.state, GtaskSup.TaskState.SUCCEEDED, 'state');
    assertEqual(log.length, 1, 'runs of the function');
    assertEqual(bytesToString(task.get_value()), CONTENTS, 'value');
    assertEqual(task.get_error(), null, 'get_error()');
    await delay(100);
    assertEqual(outcomes.forTask(task).length, 1, 'outcomes of the task');
}

async function testMissingFile() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = newLoadTask('/nonexistent/gtask-sup-js-test');

    sup.start(task);
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome');
    assertError(event.error, Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND,
        'signal error');
    assertError(task.get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND,
        'get_error()');
    assertEqual(task.get_value(), null, 'get_value()');
}

// Async/await style, through a promisified load_contents_async() (see
// harness.js): an async JS function is an AsyncFunc like any other.
async function testAwaitStyle(path) {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const file = Gio.File.new_for_path(path);
    const task = GtaskSup.Task.new_async(async (t, cancellable) => {
        try {
            const [contents] = await file.load_contents_async(cancellable);
            t.return_value(new TextDecoder().decode(contents));
        } catch (error) {
            t.return_error(error);
        }
    });

    sup.start(task);
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'succeeded', `outcome (${outcomes.summary()})`);
    assertEqual(task.get_value(), CONTENTS, 'string value');
}

async function testTimeout() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const state = {};
    const task = newAcceptTask(state);
    task.set_timeout(200);

    const start = GLib.get_monotonic_time();
    sup.start(task);
    const event = await outcomes.outcome(task);
    const elapsed = (GLib.get_monotonic_time() - start) / 1000;
    assertEqual(event.kind, 'timed-out', `outcome (${outcomes.summary()})`);
    assert(elapsed >= 190, `timed out after ${elapsed} ms, not 200`);
    assertError(task.get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT,
        'get_error()');
    assert(task.get_cancellable().is_cancelled(), 'cancellable cancelled');

    // The operation ends with CANCELLED; its return_error() is dropped
    // silently (no critical, no second outcome).
    await pollUntil(() => state.lateError !== null, 'the late callback');
    assertError(state.lateError, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'the operation\'s own error');
    await delay(100);
    assertEqual(outcomes.summary(), 'timed-out(accept)', 'outcomes');
    state.listener.close();
}

async function testCancel() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const state = {};
    const task = newAcceptTask(state);

    sup.start(task);
    await pollUntil(() => state.ran, 'the function runs');
    await delay(50);
    assertEqual(outcomes.summary(), '', 'outcomes before cancel()');
    task.cancel();
    assertEqual(outcomes.events.length, 0, 'events inside cancel()');

    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome');
    assertError(event.error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'error');
    await pollUntil(() => state.lateError !== null, 'the late callback');
    await delay(100);
    assertEqual(outcomes.forTask(task).length, 1, 'outcomes of the task');
    state.listener.close();
}

async function testJoinAsync(path) {
    const sup = newSupervisor();
    const ok = newLoadTask(path);
    const missing = newLoadTask('/nonexistent/gtask-sup-js-test');

    sup.start(ok);
    sup.start(missing);
    assertEqual(await ok.join_async(null), true, 'join of a loaded file');
    assertEqual(bytesToString(ok.get_value()), CONTENTS, 'value after join');
    await assertRejects(missing.join_async(null), Gio.IOErrorEnum,
        Gio.IOErrorEnum.NOT_FOUND, 'join of a missing file');
}

// A shut-down task whose operation honours its cancellable ends with the
// operation's own error.
async function testShutdownCooperative() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const state = {};
    const task = newAcceptTask(state);

    sup.start(task);
    await pollUntil(() => state.ran, 'the function runs');
    task.shutdown(5000);
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome');
    assertError(event.error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'error');
    state.listener.close();
}

// One that ignores it is killed at the end of the grace period; its late
// result is dropped.
async function testShutdownKilled() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    let source = 0;
    let late = false;
    const task = GtaskSup.Task.new_async(t => {
        source = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 3000, () => {
            source = 0;
            late = true;
            t.return_value(1);
            return GLib.SOURCE_REMOVE;
        });
    });
    task.set_name('stubborn');

    try {
        sup.start(task);
        await pollUntil(() => source !== 0, 'the function runs');
        const start = GLib.get_monotonic_time();
        task.shutdown(200);
        const event = await outcomes.outcome(task);
        const elapsed = (GLib.get_monotonic_time() - start) / 1000;
        assertEqual(event.kind, 'failed', `outcome (${outcomes.summary()})`);
        assertError(event.error, GtaskSup.Error, GtaskSup.Error.KILLED, 'error');
        assert(elapsed >= 190, `killed after ${elapsed} ms, not 200`);
        assert(!late, 'the operation completed first');
    } finally {
        if (source !== 0)
            GLib.source_remove(source);
    }
}

// max-concurrency bounds the operations in flight; the others wait in
// QUEUED, in order.
async function testMaxConcurrency(path) {
    const sup = newSupervisor({max_concurrency: 2});
    const outcomes = new Outcomes(sup);
    const file = Gio.File.new_for_path(path);
    let active = 0;
    let maxActive = 0;
    const order = [];
    const tasks = [];

    for (let i = 0; i < 6; i++) {
        const task = GtaskSup.Task.new_async((t, cancellable) => {
            order.push(i);
            maxActive = Math.max(maxActive, ++active);
            file.load_contents_async(cancellable, (f, result) => {
                active--;
                try {
                    const [, contents] = f.load_contents_finish(result);
                    t.return_value(contents.length);
                } catch (error) {
                    t.return_error(error);
                }
            });
        });
        task.set_name(`load-${i}`);
        tasks.push(task);
        sup.start(task);
    }
    assertEqual(sup.get_n_queued(), 4, 'n-queued after six starts');
    assertEqual(tasks[5].get_state(), GtaskSup.TaskState.QUEUED, 'last state');

    await outcomes.wait(() => outcomes.events.length === 6, 'six outcomes');
    assert(outcomes.events.every(e => e.kind === 'succeeded'),
        `all succeeded: ${outcomes.summary()}`);
    assert(maxActive <= 2, `${maxActive} operations at once`);
    assertEqual(order.join(','), '0,1,2,3,4,5', 'FIFO start order');
    assertEqual(tasks[3].get_value(), CONTENTS.length, 'value');
    assertEqual(sup.get_n_running(), 0, 'n-running at the end');
}

run([
    ['async: load a real file, return_value(GLib.Bytes)',
        withTempFile(testLoadFile)],
    ['async: missing file, return_error(GLib.Error)', testMissingFile],
    ['async: async/await function', withTempFile(testAwaitStyle)],
    ['async: timeout cancels the operation, late error dropped', testTimeout],
    ['async: cancel()', testCancel],
    ['async: join_async promisified', withTempFile(testJoinAsync)],
    ['async: shutdown, operation honours its cancellable',
        testShutdownCooperative],
    ['async: shutdown, operation ignores it: KILLED', testShutdownKilled],
    ['async: max-concurrency queues the operations',
        withTempFile(testMaxConcurrency)],
]);
