// test-thread-func.js: a JS function given as a thread function (DESIGN §6)
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GJS runs JavaScript on the main thread only: when a worker thread calls
// the JS function, GJS logs a critical ("Attempting to run a JS callback on
// a different thread ... it has been blocked") and returns without running
// it. The task must then fail with GTASK_SUP_ERROR_NO_RESULT: no crash, no
// hang.
//
// That critical is expected, so the tests cannot run with fatal criticals.
// Run as meson does (G_DEBUG=fatal-criticals), this file runs itself again
// in a child process without them, passes its TAP output through, and
// checks that the child logged that critical and no other critical or
// warning.

import {
    GLib, Gio, GtaskSup, Outcomes, System, assert, assertEqual, assertError,
    assertRejects, delay, newSupervisor, run, withTimeout, WAIT_MS
} from './harness.js';

const CHILD_ENV = 'GTASK_SUP_JS_THREAD_FUNC_CHILD';
const EXPECTED = [
    /Attempting to run a JS callback on a different thread/,
    /The offending callback was ThreadFunc\(\)/,
];

Gio._promisify(Gio.Subprocess.prototype, 'communicate_utf8_async',
    'communicate_utf8_finish');

async function runChild() {
    const launcher = new Gio.SubprocessLauncher({
        flags: Gio.SubprocessFlags.STDOUT_PIPE |
            Gio.SubprocessFlags.STDERR_PIPE,
    });
    launcher.setenv(CHILD_ENV, '1', true);
    launcher.setenv('G_DEBUG', 'gc-friendly', true);
    const gjs = GLib.file_read_link('/proc/self/exe');
    const [script] = GLib.filename_from_uri(import.meta.url);
    const child = launcher.spawnv([gjs, '-m', script]);
    let stdout, stderr;
    try {
        [stdout, stderr] = await withTimeout(
            child.communicate_utf8_async(null, null), 3 * WAIT_MS,
            'the child test process');
    } catch (error) {
        child.force_exit();
        throw error;
    }
    print(stdout.trimEnd());

    const logged = stderr.split('\n').filter(l => /-(CRITICAL|WARNING) \*\*/.test(l));
    const unexpected = logged.filter(l => !EXPECTED.some(re => re.test(l)));
    let ok = child.get_if_exited() && child.get_exit_status() === 0;
    if (!ok) {
        print(`# child ${child.get_if_exited() ? `exited with status ${
            child.get_exit_status()}` : `was killed by signal ${
            child.get_term_sig()}`}`);
    }
    if (unexpected.length > 0) {
        ok = false;
        print('Bail out! unexpected criticals or warnings in the child');
    } else if (!logged.some(l => EXPECTED[0].test(l))) {
        ok = false;
        print('Bail out! GJS did not block a JS thread function');
    }
    if (!ok) {
        for (const line of stderr.trimEnd().split('\n'))
            print(`# ${line}`);
    }
    return ok;
}

async function testNewThread() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    let ran = false;
    const task = GtaskSup.Task.new_thread(t => {
        ran = true;
        t.return_int(42);
    });
    task.set_name('js-thread');

    assertEqual(task.get_kind(), GtaskSup.TaskKind.THREAD, 'kind');
    sup.start(task);
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome');
    assertError(event.error, GtaskSup.Error, GtaskSup.Error.NO_RESULT, 'error');
    assertEqual(event.state, GtaskSup.TaskState.FAILED, 'state');
    assert(!ran, 'the JS function ran on a worker thread');
    await delay(100);
    assertEqual(outcomes.forTask(task).length, 1, 'outcomes of the task');
}

async function testRunInThread() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    let ran = false;
    const task = sup.run_in_thread(t => {
        ran = true;
        t.return_boolean(true);
    });

    assert(task instanceof GtaskSup.Task, 'run_in_thread() returns the task');
    await assertRejects(task.join_async(null), GtaskSup.Error,
        GtaskSup.Error.NO_RESULT, 'join');
    const event = await outcomes.outcome(task);
    assertEqual(event.kind, 'failed', 'outcome');
    assert(!ran, 'the JS function ran on a worker thread');
}

// Many at once, queued and not: each ends once, and the closures GJS made
// for them are released on the main thread with their tasks.
async function testMany() {
    const sup = newSupervisor({max_concurrency: 3});
    const outcomes = new Outcomes(sup);
    const tasks = [];
    for (let i = 0; i < 16; i++) {
        const task = GtaskSup.Task.new_thread(t => t.return_int(i));
        task.set_name(`js-thread-${i}`);
        sup.start(task);
        tasks.push(task);
    }
    await outcomes.wait(() => outcomes.events.length >= 16, 'sixteen outcomes');
    for (const task of tasks) {
        const events = outcomes.forTask(task);
        assertEqual(events.length, 1, `outcomes of ${task.get_name()}`);
        assertError(events[0].error, GtaskSup.Error, GtaskSup.Error.NO_RESULT,
            task.get_name());
    }
    tasks.length = 0;
    System.gc();
    await delay(100);
    assertEqual(sup.get_n_running() + sup.get_n_queued(), 0, 'tasks left');
}

// The supervisor still works normally afterwards.
async function testSupervisorStillWorks() {
    const sup = newSupervisor();
    const outcomes = new Outcomes(sup);
    sup.run_in_thread(t => t.return_int(1));
    const sub = GtaskSup.Task.new_subprocess(['true'], 0);
    sup.start(sub);
    await outcomes.wait(() => outcomes.events.length === 2, 'two outcomes');
    assertEqual(outcomes.forTask(sub)[0]?.kind, 'succeeded',
        'the subprocess task');
    assertEqual(await sup.shutdown_async(null), true, 'shutdown');
}

if (GLib.getenv(CHILD_ENV)) {
    run([
        ['thread func in JS: Task.new_thread ends with NO_RESULT',
            testNewThread],
        ['thread func in JS: run_in_thread ends with NO_RESULT',
            testRunInThread],
        ['thread func in JS: sixteen at once, each ends once', testMany],
        ['thread func in JS: the supervisor still works',
            testSupervisorStillWorks],
    ]);
} else {
    const loop = new GLib.MainLoop(null, false);
    let ok = false;
    runChild().then(result => {
        ok = result;
    }).catch(error => {
        print(`Bail out! ${error}`);
    }).finally(() => loop.quit());
    loop.run();
    if (!ok)
        System.exit(1);
}
