// test-subprocess.js: subprocess tasks and join_async, seen from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import {
    GLib, Gio, GtaskSup, Outcomes, assert, assertEqual, assertError,
    assertMatch, assertRejects, bytesToString, delay, newSupervisor,
    pollUntil, processExists, run, spawnedPid
} from './harness.js';

const Flags = Gio.SubprocessFlags;

function subprocessTask(name, argv, flags = Flags.NONE) {
    const task = GtaskSup.Task.new_subprocess(argv, flags);
    task.set_name(name);
    return task;
}

async function testStdoutCaptured() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('printf',
        ['printf', '%s\\n', 'hello', 'gtask-sup'], Flags.STDOUT_PIPE);

    assertEqual(task.get_kind(), GtaskSup.TaskKind.SUBPROCESS, 'kind');
    assertEqual(task.get_state(), GtaskSup.TaskState.NEW, 'state before start');
    sup.start(task);
    // Never synchronous: nothing inside start().
    assertEqual(outcomes.events.length, 0, 'events right after start()');

    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'succeeded', 'outcome');
    assertEqual(event.state, GtaskSup.TaskState.SUCCEEDED,
        'state when succeeded is emitted');
    const value = task.get_value();
    assert(value instanceof GLib.Bytes, `get_value() is a GLib.Bytes: ${value}`);
    assertEqual(bytesToString(value), 'hello\ngtask-sup\n', 'captured stdout');
    assertEqual(task.get_error(), null, 'get_error() of a succeeded task');

    // Exactly one outcome.
    await delay(100);
    assertEqual(outcomes.forTask(task).length, 1, 'outcomes of the task');
}

async function testNoPipeNoValue() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('true', ['true']);

    sup.start(task);
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'succeeded', 'outcome');
    assertEqual(task.get_value(), null, 'get_value() without STDOUT_PIPE');
}

async function testExitStatus() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('exit3',
        ['sh', '-c', 'echo some output; echo it went wrong >&2; exit 3'],
        Flags.STDOUT_PIPE | Flags.STDERR_PIPE);

    sup.start(task);
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome');
    assertEqual(event.state, GtaskSup.TaskState.FAILED, 'state');
    assertError(event.error, GLib.spawn_exit_error_quark(), 3, 'signal error');
    assertMatch(event.error.message, /exited with code 3/, 'message');
    assertMatch(event.error.message, /it went wrong/, 'stderr tail');
    assertError(task.get_error(), GLib.spawn_exit_error_quark(), 3,
        'get_error()');
    assertEqual(task.get_value(), null, 'get_value() of a failed task');
}

async function testMissingProgram() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('missing',
        ['gtask-sup-js-test-no-such-program-here']);

    // The spawn error is an outcome, not an exception of start().
    sup.start(task);
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome');
    assertEqual(GLib.quark_to_string(event.error.domain), 'g-exec-error-quark',
        `error domain of ${event.error.message}`);
}

async function testKilledBySignal() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('suicide', ['sh', '-c', 'kill -KILL $$']);

    sup.start(task);
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome');
    assertEqual(event.error.domain, GLib.spawn_error_quark(),
        `error domain of ${event.error.message}`);
    assertMatch(event.error.message, /killed by signal 9 \(SIGKILL\)/,
        'message');
}

async function testTimeoutKillsChild() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('sleeper', ['sleep', '30']);
    task.set_timeout(300);
    task.set_shutdown_timeout(2000);

    sup.start(task);
    const pid = await spawnedPid(task);
    assert(processExists(pid), `child ${pid} runs`);

    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'timed-out', 'outcome');
    assertEqual(event.state, GtaskSup.TaskState.TIMED_OUT, 'state');
    assertError(task.get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT,
        'get_error()');
    assert(task.get_cancellable().is_cancelled(), 'cancellable cancelled');
    // SIGTERM right away: gone well before `sleep 30` would end.
    await pollUntil(() => !processExists(pid), `child ${pid} is gone`);
    await delay(100);
    assertEqual(outcomes.forTask(task).length, 1, 'outcomes of the task');
}

async function testJoinAsync() {
    const sup = newSupervisor();
    const ok = subprocessTask('ok', ['true']);
    const bad = subprocessTask('bad', ['sh', '-c', 'exit 4']);

    sup.start(ok);
    sup.start(bad);
    // join_async() promisified by the harness with Gio._promisify().
    assertEqual(await ok.join_async(null), true, 'join of a success');
    await assertRejects(bad.join_async(null), GLib.spawn_exit_error_quark(), 4,
        'join of a failure');

    // Joining a finished task again gives the same outcome.
    assertEqual(await ok.join_async(null), true, 'second join of a success');
    await assertRejects(bad.join_async(null), GLib.spawn_exit_error_quark(), 4,
        'second join of a failure');
}

async function testJoinAsyncTimedOut() {
    const sup = newSupervisor();
    const task = subprocessTask('slow', ['sleep', '30']);
    task.set_timeout(200);

    sup.start(task);
    await assertRejects(task.join_async(null), Gio.IOErrorEnum,
        Gio.IOErrorEnum.TIMED_OUT, 'join of a timed-out task');
}

async function testJoinAsyncCancelled() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('slow', ['sleep', '30']);
    const cancellable = new Gio.Cancellable();

    sup.start(task);
    const join = task.join_async(cancellable);
    await delay(50);
    cancellable.cancel();
    // Cancelling the wait does not cancel the task.
    await assertRejects(join, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'cancelled join');
    assertEqual(task.get_state(), GtaskSup.TaskState.RUNNING, 'task state');
    assertEqual(outcomes.events.length, 0, 'outcomes');

    task.cancel();
    await assertRejects(task.join_async(null), Gio.IOErrorEnum,
        Gio.IOErrorEnum.CANCELLED, 'join of a cancelled task');
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome of a cancelled task');
}

async function testDetailedSignal() {
    const sup = newSupervisor();
    const seen = [];
    sup.connect('succeeded::wanted', (s, task) => seen.push(task.get_name()));
    const outcomes = new Outcomes(sup);
    const wanted = subprocessTask('wanted', ['true']);
    const other = subprocessTask('other', ['true']);

    sup.start(other);
    sup.start(wanted);
    await outcomes.wait(() => outcomes.events.length === 2, 'both outcomes');
    assertEqual(seen.join(','), 'wanted', 'tasks seen by succeeded::wanted');
}

// STDERR_PIPE and a program that writes nothing on stderr: the message
// has no tail, and nothing else goes wrong (with fatal criticals, a
// critical aborts the process: this test comes last).
async function testEmptyStderr() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('silent', ['sh', '-c', 'exit 3'],
        Flags.STDERR_PIPE);

    sup.start(task);
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome');
    assertError(event.error, GLib.spawn_exit_error_quark(), 3, 'error');
    assertEqual(event.error.message, '“sh” exited with code 3', 'message');
}

run([
    ['subprocess: stdout captured as GLib.Bytes', testStdoutCaptured],
    ['subprocess: no STDOUT_PIPE, no value', testNoPipeNoValue],
    ['subprocess: non-zero exit fails with its status and stderr',
        testExitStatus],
    ['subprocess: missing program fails asynchronously', testMissingProgram],
    ['subprocess: killed by a signal', testKilledBySignal],
    ['subprocess: timeout kills the child', testTimeoutKillsChild],
    ['join_async: promisified, resolves and rejects', testJoinAsync],
    ['join_async: timed-out task rejects with TIMED_OUT',
        testJoinAsyncTimedOut],
    ['join_async: cancelling the wait leaves the task running',
        testJoinAsyncCancelled],
    ['signals: detail is the task name', testDetailedSignal],
    ['subprocess: STDERR_PIPE, nothing on stderr, non-zero exit',
        testEmptyStderr],
]);
