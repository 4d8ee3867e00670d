// test-toolbox.js: await_many, yield_many and completed tasks, from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import {
    GLib, Gio, GtaskSup, Outcomes, assert, assertEqual, assertError,
    assertRejects, newSupervisor, run
} from './harness.js';

function subprocessTask(argv) {
    return GtaskSup.Task.new_subprocess(argv, Gio.SubprocessFlags.NONE);
}

async function testAwaitMany() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const tasks = [GtaskSup.Task.new_completed('cached'),
        subprocessTask(['sleep', '0.1']), GtaskSup.Task.new_completed(7)];
    tasks.forEach(t => sup.start(t));

    // await_many_async() promisified by the harness with Gio._promisify().
    assertEqual(await GtaskSup.await_many_async(tasks, null), true,
        'await_many_async() result');
    assertEqual(outcomes.events.length, 3, `events (${outcomes.summary()})`);
    assertEqual(tasks[0].get_value(), 'cached', 'first value');
    assertEqual(tasks[1].get_name(), 'sleep', 'default name');
    assertEqual(await GtaskSup.await_many_async([], null), true, 'empty set');
}

async function testAwaitManyFailFast() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const slow = subprocessTask(['sleep', '0.3']);
    const failing = subprocessTask(['false']);
    sup.start(slow);
    sup.start(failing);

    await assertRejects(GtaskSup.await_many_async([slow, failing], null),
        GLib.spawn_exit_error_quark(), 1, 'await_many_async() of a failing task');
    assert(slow.get_state() < GtaskSup.TaskState.SUCCEEDED,
        'the slow task still runs');
    const event = await outcomes.outcome(slow);
    assertEqual(event.kind, 'succeeded', 'the slow task ends its own way');
}

async function testYieldMany() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    const quick = GtaskSup.Task.new_completed(1);
    const slow = subprocessTask(['sleep', '30']);
    sup.start(quick);
    sup.start(slow);

    const done = await GtaskSup.yield_many_async([slow, quick], 100, 0,
        GtaskSup.YieldTimeout.SHUTDOWN, null);
    assertEqual(done.length, 1, 'tasks done');
    assertEqual(done[0], quick, 'the quick task');
    // Shut down as asked: it ends as cancelled.
    const event = await outcomes.outcome(slow);
    assertEqual(event.kind, 'failed', 'the slow task was shut down');
    assertError(event.error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
        'its error');
}

async function testNestedShutdown() {
    const parent = newSupervisor();
    const outcomes = new Outcomes(parent);
    const child = parent.new_child();
    const childOutcomes = new Outcomes(child);
    const sleeper = subprocessTask(['sleep', '30']);
    child.start(sleeper);

    // shutdown_async() of the parent reaches the child's subprocess.
    assertEqual(await parent.shutdown_async(null), true, 'shutdown result');
    const event = childOutcomes.forTask(sleeper)[0];
    assertEqual(event?.kind, 'failed', `sleeper (${childOutcomes.summary()})`);
    const kinds = outcomes.events.map(e => e.kind);
    assertEqual(kinds.join(','), 'succeeded,stopped',
        `parent events (${outcomes.summary()})`);
    assertEqual(outcomes.events[0].task.get_child_supervisor(), child,
        'the run of the child');
    assert(child.get_closed(), 'the child is closed');
}

async function testStreamPush() {
    const sup = newSupervisor();
    const stream = sup.map_push();
    stream.set_max_concurrency(1);
    stream.set_read_ahead(0);
    const items = [];
    stream.connect('item', (s, index, task) => items.push(task.get_value()));
    const finished = new Promise(resolve =>
        stream.connect('finished', (s, error) => resolve(error)));
    stream.start();

    // Each push resolves once the stream took the item: back-pressure.
    for (const word of ['a', 'b', 'c'])
        assertEqual(await stream.push_async(GtaskSup.Task.new_completed(word),
            null), true, `push of ${word}`);
    stream.close_input();
    assertEqual(await finished, null, '`finished` error');
    assertEqual(items.join(','), 'a,b,c', 'items');
    await assertRejects(stream.push_async(GtaskSup.Task.new_completed('d'),
        null), Gio.IOErrorEnum, Gio.IOErrorEnum.CLOSED, 'push after the end');
}

run([
    ['stream: pushed items, awaited one by one', testStreamPush],
    ['nested: the parent shutdown reaches the child tasks first',
        testNestedShutdown],
    ['await_many_async: every task succeeds', testAwaitMany],
    ['await_many_async: fails fast, the others go on', testAwaitManyFailFast],
    ['yield_many_async: timeout with SHUTDOWN', testYieldMany],
]);
