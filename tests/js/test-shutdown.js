// test-shutdown.js: Supervisor.shutdown_async() and `stopped`, from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import {
    Gio, GtaskSup, Outcomes, assert, assertEqual, assertError, assertThrows,
    delay, newSupervisor, pollUntil, processExists, run, spawnedPid
} from './harness.js';

function subprocessTask(name, argv) {
    const task = GtaskSup.Task.new_subprocess(argv, Gio.SubprocessFlags.NONE);
    task.set_name(name);
    return task;
}

function stoppedEvents(outcomes) {
    return outcomes.events.filter(e => e.kind === 'stopped');
}

async function testShutdownRunningAndQueued() {
    const sup = newSupervisor({max_concurrency: 1});
    const outcomes = new Outcomes(sup);
    const sleeper = subprocessTask('sleeper', ['sleep', '30']);
    sleeper.set_shutdown_timeout(5000);
    const queued = subprocessTask('queued', ['true']);

    sup.start(sleeper);
    sup.start(queued);
    const pid = await spawnedPid(sleeper);

    // shutdown_async() promisified by the harness with Gio._promisify().
    const shutdown = sup.shutdown_async(null);
    assert(sup.get_closed(), 'closed right after shutdown_async()');
    assertEqual(outcomes.events.length, 0, 'events inside shutdown_async()');
    assertThrows(() => sup.start(subprocessTask('late', ['true'])),
        GtaskSup.Error, GtaskSup.Error.CLOSED, 'start() while stopping');

    assertEqual(await shutdown, true, 'shutdown_async() result');
    assert(!processExists(pid), `child ${pid} still runs after the shutdown`);

    // Every child had its outcome, then `stopped` came once, NULL reason.
    const sleeperEvent = outcomes.forTask(sleeper)[0];
    assertEqual(sleeperEvent?.kind, 'failed', `sleeper (${outcomes.summary()})`);
    // It died of the SIGTERM of the shutdown: a cancellation.
    assertError(sleeperEvent.error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'sleeper error');
    const queuedEvent = outcomes.forTask(queued)[0];
    assertEqual(queuedEvent?.kind, 'failed', 'queued task outcome');
    assertEqual(queued.dup_subprocess(), null, 'the queued task never spawned');
    const stopped = stoppedEvents(outcomes);
    assertEqual(stopped.length, 1, '`stopped` emissions');
    assertEqual(stopped[0].error, null, 'stopped reason');
    assertEqual(outcomes.events[outcomes.events.length - 1].kind, 'stopped',
        '`stopped` is the last event');

    // A second call is harmless and completes too.
    assertEqual(await sup.shutdown_async(null), true, 'second shutdown_async()');
    await delay(100);
    assertEqual(stoppedEvents(outcomes).length, 1, '`stopped` emissions');
}

async function testShutdownNoChildren() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    let completed = false;

    const shutdown = sup.shutdown_async(null).then(result => {
        completed = true;
        return result;
    });
    // Completes, and emits, from a later iteration.
    assertEqual(outcomes.events.length, 0, 'events inside shutdown_async()');
    assert(!completed, 'completed inside shutdown_async()');
    assertEqual(await shutdown, true, 'result');
    await outcomes.wait(() => stoppedEvents(outcomes).length > 0, '`stopped`');
    // Two calls at once complete both, `stopped` once.
    const sup2 = newSupervisor();
    const outcomes2 = new Outcomes(sup2);
    const results = await Promise.all([sup2.shutdown_async(null),
        sup2.shutdown_async(null)]);
    assertEqual(results.join(','), 'true,true', 'both calls');
    await delay(100);
    assertEqual(outcomes2.summary(), 'stopped()', 'events of the second');
}

// A child that ignores SIGTERM is SIGKILLed after its own shutdown-timeout
// and fails with KILLED.
async function testShutdownKillsStubbornChild() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('stubborn',
        ['sh', '-c', 'trap "" TERM; sleep 30']);
    task.set_shutdown_timeout(300);

    sup.start(task);
    const pid = await spawnedPid(task);
    // Let sh set its trap before it gets SIGTERM.
    await delay(200);
    const start = Date.now();
    assertEqual(await sup.shutdown_async(null), true, 'result');
    const elapsed = Date.now() - start;
    const event = outcomes.forTask(task)[0];
    assertEqual(event?.kind, 'failed', `outcome (${outcomes.summary()})`);
    assertError(event.error, GtaskSup.Error, GtaskSup.Error.KILLED, 'error');
    assert(elapsed >= 290, `killed after ${elapsed} ms, not 300`);
    await pollUntil(() => !processExists(pid), `child ${pid} is gone`);
    assertEqual(stoppedEvents(outcomes).length, 1, '`stopped` emissions');
}

// Too many restarts: the supervisor gives up, shuts down and emits
// `stopped` with GTASK_SUP_ERROR_RESTART_INTENSITY.
async function testRestartIntensity() {
    const sup = newSupervisor({max_restarts: 2, max_seconds: 30});
    const outcomes = new Outcomes(sup);
    const task = subprocessTask('crasher', ['false']);
    task.set_restart(GtaskSup.Restart.PERMANENT);

    sup.start(task);
    await outcomes.wait(() => stoppedEvents(outcomes).length > 0, '`stopped`');
    const stopped = stoppedEvents(outcomes);
    assertError(stopped[0].error, GtaskSup.Error,
        GtaskSup.Error.RESTART_INTENSITY, 'stopped reason');
    // The first run and two restarts failed; the third restart was refused.
    const failed = outcomes.events.filter(e => e.kind === 'failed');
    assertEqual(failed.length, 3, `failed runs (${outcomes.summary()})`);
    assert(failed.every(e => e.task.get_name() === 'crasher'), 'run names');
    assertEqual(new Set(failed.map(e => e.task)).size, 3,
        'each run is a new task object');
    assert(sup.get_closed(), 'closed');
    // shutdown_async() of a stopped supervisor completes at once.
    assertEqual(await sup.shutdown_async(null), true, 'late shutdown_async()');
    await delay(100);
    assertEqual(stoppedEvents(outcomes).length, 1, '`stopped` emissions');
}

async function testDrain() {
    const sup = newSupervisor({max_concurrency: 1});
    const outcomes = new Outcomes(sup);
    const first = subprocessTask('first', ['sleep', '0.2']);
    const queued = subprocessTask('queued', ['true']);
    let drained = false;

    sup.start(first);
    sup.start(queued);
    const drain = sup.drain_async(null).then(result => {
        drained = true;
        return result;
    });
    assert(sup.get_closed(), 'closed right after drain_async()');
    assertThrows(() => sup.start(subprocessTask('late', ['true'])),
        GtaskSup.Error, GtaskSup.Error.CLOSED, 'start() while draining');
    assert(!drained, 'completed inside drain_async()');

    assertEqual(await drain, true, 'drain_async() result');
    // Both ran to their own end, nothing was cancelled, no `stopped`.
    assertEqual(outcomes.forTask(first)[0]?.kind, 'succeeded',
        `first (${outcomes.summary()})`);
    assertEqual(outcomes.forTask(queued)[0]?.kind, 'succeeded', 'queued');
    assertEqual(stoppedEvents(outcomes).length, 0, '`stopped` emissions');
    // Draining an empty supervisor completes too.
    assertEqual(await sup.drain_async(null), true, 'second drain_async()');
}

run([
    ['drain_async: closes, lets every task end, completes after the last',
        testDrain],
    ['shutdown_async: running and queued children, then stopped',
        testShutdownRunningAndQueued],
    ['shutdown_async: no children', testShutdownNoChildren],
    ['shutdown_async: stubborn child is KILLED after its grace',
        testShutdownKillsStubbornChild],
    ['stopped: restart intensity', testRestartIntensity],
]);
