/* test-vala.vala: the vapi, from Vala: a thread task, a stream and its
 * `finished` signal, an async join, as a Vala program writes them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

int main () {
    var loop = new MainLoop ();
    var owner = new Object ();
    var sup = new GtaskSup.Supervisor (owner);
    int succeeded = 0;

    sup.succeeded.connect ((task) => {
        succeeded++;
    });

    /* A thread task, with a Vala closure. */
    var task = new GtaskSup.Task.thread ((task, cancellable) => {
        task.return_int (42);
    });
    task.set_name ("answer");
    try {
        sup.start (task);
    } catch (Error e) {
        error ("start: %s", e.message);
    }

    /* A stream over three completed items, and its `finished` signal,
     * which the vapi keeps (the property of the same name is skipped). */
    var stream = sup.map ((stream, index) => {
        if (index >= 3)
            return null;
        var value = Value (typeof (int64));
        value.set_int64 ((int64) index * 10);
        return new GtaskSup.Task.completed (value);
    });
    int64 sum = 0;
    bool finished = false;
    stream.item.connect ((index, item) => {
        sum += item.get_value ().get_int64 ();
    });
    stream.finished.connect ((err) => {
        assert (err == null);
        finished = true;
    });
    stream.start ();

    /* join_async() from Vala's async syntax. */
    bool joined = false;
    join.begin (task, (obj, res) => {
        joined = join.end (res);
        loop.quit ();
    });
    loop.run ();

    var context = MainContext.default ();
    while (!finished)
        context.iteration (true);

    assert (joined);
    assert (task.get_value ().get_int64 () == 42);
    assert (sum == 30);
    assert (stream.get_finished ());
    assert (succeeded >= 4);
    print ("vala: ok\n");
    return 0;
}

async bool join (GtaskSup.Task task) {
    try {
        return yield task.join_async (null);
    } catch (Error e) {
        return false;
    }
}
