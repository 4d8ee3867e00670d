// harness.js: shared set-up of the GJS tests, a tiny TAP runner and asserts
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// meson runs every test file with `gjs -m`, GI_TYPELIB_PATH and
// LD_LIBRARY_PATH pointing at the build tree, and G_DEBUG=fatal-criticals.
// A test file imports what it needs from here and ends with `run([...])`,
// which prints TAP on stdout and exits with status 1 if a test failed. Set
// GTASK_SUP_TEST_ONLY=<part of a test name> to run only some tests.
//
// Everything runs on the global default GMainContext: that is the owner
// context of the supervisors created here (GJS code runs on the main thread)
// and the one GJS dispatches promise jobs from. A GLib.MainLoop runs while
// the tests do, and every wait is bounded by a timeout source: no test
// sleeps to wait for an event, and none can hang.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import GtaskSup from 'gi://GtaskSup?version=1';
import System from 'system';

export {GLib, GObject, Gio, GtaskSup, System};

// The GIO-async pairs of the library, as promises (DESIGN §6).
Gio._promisify(GtaskSup.Task.prototype, 'join_async', 'join_finish');
Gio._promisify(GtaskSup.Supervisor.prototype, 'shutdown_async',
    'shutdown_finish');
Gio._promisify(GtaskSup.Supervisor.prototype, 'drain_async',
    'drain_finish');
Gio._promisify(GtaskSup, 'await_many_async', 'await_many_finish');
Gio._promisify(GtaskSup.Stream.prototype, 'push_async', 'push_finish');
Gio._promisify(GtaskSup, 'yield_many_async', 'yield_many_finish');
Gio._promisify(Gio.File.prototype, 'load_contents_async',
    'load_contents_finish');

// Upper bound for waiting, generous for a loaded 2-core machine; a passing
// test never waits this long.
export const WAIT_MS = 20000;

// Upper bound for one test, all its waits included.
const TEST_TIMEOUT_MS = 60000;

/* Asserts {{{1 */

export class AssertionError extends Error {
    constructor(message) {
        super(message);
        this.name = 'AssertionError';
    }
}

function describe(value) {
    if (value instanceof GLib.Error) {
        return `GLib.Error(${GLib.quark_to_string(value.domain)}, ${
            value.code}, ${JSON.stringify(value.message)})`;
    }
    if (typeof value === 'string')
        return JSON.stringify(value);
    return String(value);
}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual(actual, expected, message = '') {
    if (actual !== expected) {
        throw new AssertionError(`${message ? `${message}: ` : ''}expected ${
            describe(expected)}, got ${describe(actual)}`);
    }
}

export function assertMatch(string, regexp, message = '') {
    if (typeof string !== 'string' || !regexp.test(string)) {
        throw new AssertionError(`${message ? `${message}: ` : ''}${
            describe(string)} does not match ${regexp}`);
    }
}

// @domain is an error domain as GJS takes it: an error enumeration of the
// bindings (Gio.IOErrorEnum, GtaskSup.Error) or a quark
// (GLib.spawn_exit_error_quark()).
function domainName(domain) {
    try {
        return GLib.quark_to_string(new GLib.Error(domain, 0, '').domain);
    } catch (e) {
        return String(domain);
    }
}

export function assertError(error, domain, code, message = '') {
    if (!(error instanceof GLib.Error) || !error.matches(domain, code)) {
        throw new AssertionError(`${message ? `${message}: ` : ''}expected ${
            domainName(domain)} error ${code}, got ${describe(error)}${
            error?.stack ? `\n${error.stack}` : ''}`);
    }
}

export function assertThrows(func, domain, code, message = '') {
    let threw = false;
    try {
        func();
    } catch (error) {
        threw = true;
        assertError(error, domain, code, message);
    }
    assert(threw, `${message ? `${message}: ` : ''}did not throw`);
}

export async function assertRejects(promise, domain, code, message = '') {
    let error = null;
    try {
        const value = await promise;
        throw new AssertionError(`${message ? `${message}: ` : ''
        }resolved with ${describe(value)} instead of rejecting`);
    } catch (e) {
        if (e instanceof AssertionError)
            throw e;
        error = e;
    }
    assertError(error, domain, code, message);
    return error;
}

/* Waiting {{{1 */

// Resolves after @ms milliseconds of main loop iterations.
export function delay(ms) {
    return new Promise(resolve => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            resolve();
            return GLib.SOURCE_REMOVE;
        });
    });
}

// Settles like @promise, or rejects with an AssertionError if it did not
// settle within @ms.
export function withTimeout(promise, ms, what) {
    let id = 0;
    const guard = new Promise((resolve, reject) => {
        id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            id = 0;
            reject(new AssertionError(`timed out after ${ms} ms: ${what}`));
            return GLib.SOURCE_REMOVE;
        });
    });
    return Promise.race([promise, guard]).finally(() => {
        if (id !== 0)
            GLib.source_remove(id);
    });
}

// For conditions no signal tells about (a process that goes away, a
// property without notify): checks @condition every @interval ms while the
// main loop runs, and rejects if it is still false after @ms.
export function pollUntil(condition, what, ms = WAIT_MS, interval = 10) {
    if (condition())
        return Promise.resolve();
    const deadline = GLib.get_monotonic_time() + ms * 1000;
    return new Promise((resolve, reject) => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, interval, () => {
            try {
                if (condition())
                    resolve();
                else if (GLib.get_monotonic_time() >= deadline)
                    reject(new AssertionError(`timed out after ${ms} ms: ${what}`));
                else
                    return GLib.SOURCE_CONTINUE;
            } catch (error) {
                reject(error);
            }
            return GLib.SOURCE_REMOVE;
        });
    });
}

/* Outcomes {{{1 */

// Records the outcome signals and `stopped` of a supervisor, in order.
// Events are {kind, task, error}; `stopped` has task === null and error =
// its reason.
export class Outcomes {
    constructor(sup) {
        this.events = [];
        this._waiters = [];
        this._sup = sup;
        this._ids = [
            sup.connect('succeeded', (s, task) => this._add('succeeded', task,
                null)),
            sup.connect('failed', (s, task, error) => this._add('failed', task,
                error)),
            sup.connect('timed-out', (s, task) => this._add('timed-out', task,
                null)),
            sup.connect('stopped', (s, reason) => this._add('stopped', null,
                reason)),
        ];
    }

    _add(kind, task, error) {
        // The task's state is final when its outcome is emitted.
        const state = task?.get_state() ?? null;
        this.events.push({kind, task, error, state});
        this._waiters = this._waiters.filter(w => !w());
    }

    // Resolves once @predicate() is true, checked now and after each event.
    wait(predicate, what, ms = WAIT_MS) {
        if (predicate())
            return Promise.resolve();
        return withTimeout(new Promise(resolve => {
            this._waiters.push(() => {
                if (!predicate())
                    return false;
                resolve();
                return true;
            });
        }), ms, `${what} (events so far: ${this.summary() || 'none'})`);
    }

    forTask(task) {
        return this.events.filter(e => e.task === task);
    }

    // Resolves with the first outcome event of @task.
    async outcome(task, ms = WAIT_MS) {
        await this.wait(() => this.forTask(task).length > 0,
            `outcome of task ${task.get_name()}`, ms);
        return this.forTask(task)[0];
    }

    kinds() {
        return this.events.map(e => e.kind);
    }

    // "succeeded(name), failed(name: message), ...", for messages.
    summary() {
        return this.events.map(e => `${e.kind}(${e.task?.get_name() ?? ''}${
            e.error ? `: ${e.error.message}` : ''})`).join(', ');
    }

    disconnect() {
        this._ids.forEach(id => this._sup.disconnect(id));
        this._ids = [];
    }
}

/* Fixtures {{{1 */

let currentOwner = null;

// A supervisor owned by an object that lives as long as the current test:
// the runner disposes of the owner after the test, which silences the
// supervisor and stops whatever the test left running (a failed test
// included), so that nothing leaks into the next test.
export function newSupervisor(props = {}) {
    currentOwner ??= new GObject.Object();
    return new GtaskSup.Supervisor({owner: currentOwner, ...props});
}

// Whether process @pid still exists (a zombie counts as gone: it does not
// run any more, and GSubprocess reaps it on GLib's worker thread).
export function processExists(pid) {
    try {
        const [, stat] = GLib.file_get_contents(`/proc/${pid}/stat`);
        const text = new TextDecoder().decode(stat);
        // "pid (comm) S ...": comm may hold spaces and parentheses.
        const state = text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
        return state !== 'Z' && state !== 'X';
    } catch (e) {
        return false;
    }
}

// Waits until the subprocess task @task has spawned its program, and
// returns its pid.
export async function spawnedPid(task, ms = WAIT_MS) {
    let subprocess = null;
    await pollUntil(() => (subprocess = task.dup_subprocess()) !== null,
        `task ${task.get_name()} spawns its program`, ms);
    const pid = subprocess.get_identifier();
    assert(pid !== null, 'the subprocess has no pid');
    return Number(pid);
}

export function bytesToString(bytes) {
    assert(bytes instanceof GLib.Bytes, `expected a GLib.Bytes, got ${bytes}`);
    return new TextDecoder().decode(bytes.toArray());
}

/* Runner {{{1 */

// Runs @tests, an array of [name, async function], in order, printing TAP.
// Exits with status 1 if one failed; otherwise returns, so that the process
// exits normally (with the interpreter's own teardown, which must not crash).
export function run(tests) {
    const loop = new GLib.MainLoop(null, false);
    const only = GLib.getenv('GTASK_SUP_TEST_ONLY');
    let failures = 0;

    print(`1..${tests.length}`);

    const runAll = async () => {
        for (const [index, [name, func]] of tests.entries()) {
            const number = index + 1;
            if (only && !name.includes(only)) {
                print(`ok ${number} ${name} # SKIP not in GTASK_SUP_TEST_ONLY`);
                continue;
            }
            const start = GLib.get_monotonic_time();
            try {
                await withTimeout(func(), TEST_TIMEOUT_MS, name);
                print(`ok ${number} ${name}`);
            } catch (error) {
                failures++;
                print(`not ok ${number} ${name}`);
                const text = error instanceof GLib.Error ? describe(error)
                    : String(error);
                for (const line of `${text}\n${error?.stack ?? ''}`.trim().split('\n'))
                    print(`# ${line}`);
            } finally {
                print(`# ${name}: ${
                    Math.round((GLib.get_monotonic_time() - start) / 1000)} ms`);
                // Stop what the test left running, then let late
                // dispatches run before the next test.
                currentOwner?.run_dispose();
                currentOwner = null;
                System.gc();
                await delay(20);
            }
        }
    };

    runAll().catch(error => {
        failures++;
        print(`Bail out! ${error}`);
    }).finally(() => loop.quit());
    loop.run();

    if (failures > 0)
        System.exit(1);
}
