// test-owner.js: the owner's lifetime bounds its tasks, seen from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The owner is a plain GObject.Object whose only JS reference is dropped;
// the garbage collector then releases the wrapper's reference, the owner is
// finalized, and the supervisor must go silent and stop its children
// (DESIGN §4 rule 3).

import {
    GObject, Gio, GtaskSup, Outcomes, System, assert, assertEqual,
    assertError, assertRejects, assertThrows, delay, pollUntil, processExists,
    run, spawnedPid, withTimeout, WAIT_MS
} from './harness.js';

// Drops the owner held in @holder and collects until it is finalized, which
// the supervisor tells through its `closed` property (closing silently has
// no notify).
async function dropOwner(holder, sup) {
    holder.owner = null;
    await pollUntil(() => {
        System.gc();
        return sup.get_closed();
    }, 'the owner is finalized after its last JS reference was dropped',
    WAIT_MS, 50);
    assertEqual(sup.dup_owner(), null, 'dup_owner() after the owner is gone');
}

async function testOwnerDroppedKillsSubprocess() {
    // No local variable may keep the owner: only `holder` does.
    const holder = {owner: new GObject.Object()};
    const sup = GtaskSup.Supervisor.new(holder.owner);
    sup.set_max_concurrency(1);
    const outcomes = new Outcomes(sup);

    const sleeper = GtaskSup.Task.new_subprocess(['sleep', '30'],
        Gio.SubprocessFlags.NONE);
    sleeper.set_name('sleeper');
    sleeper.set_shutdown_timeout(1000);
    // Queued behind the sleeper by max-concurrency 1: must never run.
    const queued = GtaskSup.Task.new_subprocess(['true'],
        Gio.SubprocessFlags.NONE);
    queued.set_name('queued');

    sup.start(sleeper);
    sup.start(queued);
    assertEqual(queued.get_state(), GtaskSup.TaskState.QUEUED, 'queued state');
    const pid = await spawnedPid(sleeper);
    assert(processExists(pid), `child ${pid} runs`);
    await delay(50);
    assertEqual(outcomes.events.length, 0, 'outcomes before the owner goes');

    await dropOwner(holder, sup);

    assert(sleeper.get_cancellable().is_cancelled(),
        'the running task was cancelled');
    await pollUntil(() => !processExists(pid),
        `child ${pid} is gone after the owner was finalized`);

    // Nothing is emitted, however long the main loop runs.
    await delay(500);
    assertEqual(outcomes.summary(), '', 'signals after the owner went');
    assertEqual(queued.dup_subprocess(), null, 'the queued task never spawned');
    assert(queued.get_state() !== GtaskSup.TaskState.SUCCEEDED,
        'the queued task never ran');

    assertThrows(() => sup.start(GtaskSup.Task.new_subprocess(['true'],
        Gio.SubprocessFlags.NONE)), GtaskSup.Error, GtaskSup.Error.CLOSED,
    'start() after the owner went');
}

// The async operation waits for a connection that never comes: only its
// cancellable can end it, from GIO's C code. A JS handler connected to the
// cancellable would not do: the owner is finalized inside the garbage
// collection, the cancellable is cancelled there (at once, DESIGN §4 rule
// 3), and GJS refuses to run JS callbacks during a collection (it logs a
// critical instead).
async function testOwnerDroppedWithAsyncTask() {
    const holder = {owner: new GObject.Object()};
    const sup = GtaskSup.Supervisor.new(holder.owner);
    const outcomes = new Outcomes(sup);
    const listener = new Gio.SocketListener();
    listener.add_any_inet_port(null);
    let ran = false;
    let lateError = null;

    const task = GtaskSup.Task.new_async((t, cancellable) => {
        ran = true;
        listener.accept_async(cancellable, (l, result) => {
            try {
                l.accept_finish(result);
                t.return_value('connected');
            } catch (error) {
                lateError = error;
                // Too late: dropped silently, never reported.
                t.return_error(error);
            }
        });
    });
    task.set_name('accept');

    sup.start(task);
    await pollUntil(() => ran, 'the async function runs');
    await delay(100);
    assertEqual(outcomes.summary(), '',
        'outcomes while the owner lives');

    await dropOwner(holder, sup);
    assert(task.get_cancellable().is_cancelled(), 'the task was cancelled');
    await pollUntil(() => lateError !== null,
        'the operation\'s callback comes, from the main loop');
    assertError(lateError, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'error of the cancelled operation');
    await delay(300);
    assertEqual(outcomes.summary(), '', 'signals after the owner went');
    listener.close();
}

async function testOwnerNotKeptAlive() {
    const holder = {owner: new GObject.Object()};
    const sup = GtaskSup.Supervisor.new(holder.owner);
    assert(sup.dup_owner() !== null, 'dup_owner() while the owner lives');
    await dropOwner(holder, sup);
}

// GIO's async contract: the callback of a pending join_async() comes, with
// G_IO_ERROR_CANCELLED, from a later iteration of the context, never from
// inside the call that ended the wait (here, the owner's finalization,
// which in GJS runs inside the garbage collector).
async function testOwnerDroppedPendingJoin() {
    const holder = {owner: new GObject.Object()};
    const sup = GtaskSup.Supervisor.new(holder.owner);
    const outcomes = new Outcomes(sup);
    const task = GtaskSup.Task.new_subprocess(['sleep', '30'],
        Gio.SubprocessFlags.NONE);
    task.set_name('joined');

    sup.start(task);
    const pid = await spawnedPid(task);
    const join = task.join_async(null);
    await delay(50);

    await dropOwner(holder, sup);
    await assertRejects(withTimeout(join, WAIT_MS, 'join_async callback'),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'pending join');
    await pollUntil(() => !processExists(pid), `child ${pid} is gone`);
    assertEqual(outcomes.summary(), '', 'signals after the owner went');
}

// Same for a pending shutdown_async(): it completes (TRUE) and `stopped` is
// never emitted. The child ignores SIGTERM, so the shutdown is still
// waiting for its grace period when the owner goes; it is SIGKILLed after
// its own shutdown-timeout.
async function testOwnerDroppedPendingShutdown() {
    const holder = {owner: new GObject.Object()};
    const sup = GtaskSup.Supervisor.new(holder.owner);
    const outcomes = new Outcomes(sup);
    const task = GtaskSup.Task.new_subprocess(
        ['sh', '-c', 'trap "" TERM; sleep 30'], Gio.SubprocessFlags.NONE);
    task.set_name('stubborn');
    task.set_shutdown_timeout(1000);

    sup.start(task);
    const pid = await spawnedPid(task);
    // Let sh set its trap before it gets SIGTERM.
    await delay(200);
    const shutdown = sup.shutdown_async(null);
    await delay(100);
    assert(processExists(pid), 'the child survives SIGTERM');

    await dropOwner(holder, sup);
    assertEqual(await withTimeout(shutdown, WAIT_MS, 'shutdown_async callback'),
        true, 'pending shutdown');
    await pollUntil(() => !processExists(pid), `child ${pid} is SIGKILLed`);
    await delay(200);
    assertEqual(outcomes.summary(), '', 'signals after the owner went');
}

// A stand-in for Gtk.Window: its close-request returns a boolean.
const Window = GObject.registerClass({
    Signals: {'close-request': {return_type: GObject.TYPE_BOOLEAN}},
}, class Window extends GObject.Object {});

async function testCloseRequestEndsWork() {
    // The window stays referenced from JS: only close-request ends the work.
    const window = new Window();
    const sup = GtaskSup.Supervisor.new(window);
    sup.bind_lifetime(window, 'close-request');
    const outcomes = new Outcomes(sup);
    const sleeper = GtaskSup.Task.new_subprocess(['sleep', '30'],
        Gio.SubprocessFlags.NONE);
    sleeper.set_shutdown_timeout(500);
    sup.start(sleeper);
    const pid = await spawnedPid(sleeper);

    assertEqual(window.emit('close-request'), false,
        'close-request is left unhandled');
    await pollUntil(() => !processExists(pid), 'the command is killed');
    assert(sup.get_closed(), 'the supervisor is closed');
    await delay(50);
    assertEqual(outcomes.events.length, 0, 'nothing is emitted');
    assertThrows(() => sup.start(GtaskSup.Task.new_completed(null)),
        GtaskSup.Error, GtaskSup.Error.CLOSED, 'start() after close-request');
}

run([
    ['close-request: the work of a window kept alive by JS ends',
        testCloseRequestEndsWork],
    ['owner dropped: subprocess killed, queued task never runs, no signal',
        testOwnerDroppedKillsSubprocess],
    ['owner dropped: async task cancelled, late result dropped, no signal',
        testOwnerDroppedWithAsyncTask],
    ['owner dropped: the supervisor does not keep it alive',
        testOwnerNotKeptAlive],
    // Last: with fatal criticals, a callback run inside the garbage
    // collection aborts the process.
    ['owner dropped: pending join_async rejects with CANCELLED, later',
        testOwnerDroppedPendingJoin],
    ['owner dropped: pending shutdown_async completes, no stopped',
        testOwnerDroppedPendingShutdown],
]);
