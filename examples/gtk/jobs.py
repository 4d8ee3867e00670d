#!/usr/bin/python3
# jobs.py — the GTK 4 window of jobs of jobs.c, in the plain PyGObject style
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   meson devenv -C _build -w . examples/gtk/jobs.py [--self-test]
#
# The rows are bound to the supervisor's children; closing the window ends
# every job. In Python the window outlives its closing (the handlers bound
# to self keep it), so owner finalization alone would not end the jobs:
# bind_lifetime(window, 'close-request') does.

import os
import sys
import time

import gi
gi.require_version('Gtk', '4.0')
gi.require_version('GtaskSup', '1')
from gi.repository import GLib, GObject, Gio, Gtk, GtaskSup  # noqa: E402


def count_to_100(task, cancellable):
    for i in range(1, 101):
        if cancellable.is_cancelled():
            return
        time.sleep(0.04)
        task.set_progress(i / 100)
    task.return_int(100)


def load_file(task, cancellable):
    def loaded(file, result):
        try:
            ok, contents, etag = file.load_contents_finish(result)
            task.return_int(len(contents))
        except GLib.Error as error:
            task.return_error(error)

    Gio.File.new_for_path('/etc/os-release').load_contents_async(
        cancellable, loaded)


class JobsWindow(Gtk.ApplicationWindow):

    def __init__(self, application, self_test):
        super().__init__(application=application, title='Jobs',
                         default_width=560, default_height=320)
        self.n_started = 0
        self.outcomes = []
        self.self_test = self_test
        self.problems = []

        # The window owns the work, and closing it ends the work.
        self.supervisor = GtaskSup.Supervisor.new(self)
        self.supervisor.bind_lifetime(self, 'close-request')
        self.supervisor.connect('succeeded', self.on_succeeded)
        self.supervisor.connect('failed', self.on_failed)
        self.supervisor.connect('timed-out', self.on_timed_out)

        factory = Gtk.SignalListItemFactory()
        factory.connect('setup', self.setup_row)
        factory.connect('bind', self.bind_row)
        factory.connect('unbind', self.unbind_row)
        children = self.supervisor.get_children()
        rows = Gtk.ListView(model=Gtk.NoSelection(model=children),
                            factory=factory, vexpand=True)

        buttons = Gtk.Box(spacing=6)
        for label, handler in (('Count to 100', self.start_count),
                               ('Load a file', self.start_load),
                               ('Run sleep 30', self.start_sleep)):
            button = Gtk.Button(label=label)
            button.connect('clicked', handler)
            buttons.append(button)

        self.status = Gtk.Label(label='Start a job.', xalign=0)
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=6,
                      margin_top=6, margin_bottom=6, margin_start=6,
                      margin_end=6)
        box.append(buttons)
        box.append(Gtk.ScrolledWindow(child=rows))
        box.append(self.status)
        self.set_child(box)

    def start(self, task, kind):
        self.n_started += 1
        task.set_name('%s %d' % (kind, self.n_started))
        task.set_timeout(60000)
        self.supervisor.start(task)
        return task

    def start_count(self, *args):
        return self.start(GtaskSup.Task.new_thread(count_to_100), 'Count')

    def start_load(self, *args):
        return self.start(GtaskSup.Task.new_async(load_file), 'Load')

    def start_sleep(self, *args):
        task = GtaskSup.Task.new_subprocess(['sleep', '30'],
                                            Gio.SubprocessFlags.NONE)
        task.set_shutdown_timeout(500)
        return self.start(task, 'Sleep')

    def on_succeeded(self, sup, task):
        self.outcomes.append(('succeeded', task))
        self.status.set_text('%s succeeded' % task.get_name())

    def on_failed(self, sup, task, error):
        self.outcomes.append(('failed', task))
        self.status.set_text('%s: %s' % (task.get_name(), error.message))

    def on_timed_out(self, sup, task):
        self.outcomes.append(('timed-out', task))
        self.status.set_text('%s timed out' % task.get_name())

    def setup_row(self, factory, item):
        row = Gtk.Box(spacing=12, margin_start=6, margin_end=6)
        row.name = Gtk.Label(width_chars=10, xalign=0)
        row.state = Gtk.Label(width_chars=8)
        row.progress = Gtk.ProgressBar(hexpand=True,
                                       valign=Gtk.Align.CENTER)
        cancel = Gtk.Button(label='Cancel')
        cancel.connect('clicked', lambda button: item.get_item().cancel())
        for widget in (row.name, row.state, row.progress, cancel):
            row.append(widget)
        item.set_child(row)

    def bind_row(self, factory, item):
        row, task = item.get_child(), item.get_item()
        row.name.set_text(task.get_name())
        row.bindings = [
            task.bind_property('state', row.state, 'label',
                               GObject.BindingFlags.SYNC_CREATE,
                               lambda b, state: state.value_nick),
            task.bind_property('progress', row.progress, 'fraction',
                               GObject.BindingFlags.SYNC_CREATE),
        ]

    def unbind_row(self, factory, item):
        for binding in item.get_child().bindings:
            binding.unbind()


def self_test(window, app):
    """Start jobs, let them progress, cancel one, close the window."""
    counts = [window.start_count(), window.start_count()]
    window.start_load()
    sleeper = window.start_sleep()
    context = GLib.MainContext.default()
    deadline = time.monotonic() + 20

    def until(condition):
        # A tick, for conditions no event of the context announces.
        tick = GLib.timeout_add(20, lambda: GLib.SOURCE_CONTINUE)
        while not condition() and time.monotonic() < deadline:
            context.iteration(True)
        GLib.source_remove(tick)
        return condition()

    def check(ok, what):
        if not ok:
            window.problems.append(what)

    check(until(lambda: counts[0].get_progress() >= 0.1
                and sleeper.dup_subprocess() is not None
                and len(window.outcomes) == 1),
          'the jobs progress and the file job ends')
    pid = int(sleeper.dup_subprocess().get_identifier())
    counts[0].cancel()
    check(until(lambda: len(window.outcomes) == 2), 'the cancelled job ends')
    check(window.outcomes[1] == ('failed', counts[0]),
          'the cancelled job failed')

    # Close the window: the jobs end, though Python keeps the window.
    window.close()
    check(until(lambda: counts[1].get_cancellable().is_cancelled()),
          'closing the window cancels the other count')

    def pid_gone():
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True

    check(until(pid_gone), 'closing the window kills the command')
    for i in range(20):
        context.iteration(False)
    check(len(window.outcomes) == 2, 'nothing is reported after closing')
    check(until(lambda: window.supervisor.get_n_running() == 0),
          'no job runs any more')
    print('self-test: %s (%d started, %d outcomes)'
          % ('FAILED: ' + ', '.join(window.problems) if window.problems
             else 'ok', window.n_started, len(window.outcomes)))
    app.quit()
    return 1 if window.problems else 0


def main():
    run_self_test = '--self-test' in sys.argv
    app = Gtk.Application(application_id='org.gtask_sup.JobsPy',
                          flags=Gio.ApplicationFlags.NON_UNIQUE)
    result = [0]

    def activate(app):
        window = JobsWindow(app, run_self_test)
        window.present()
        if run_self_test:
            GLib.idle_add(lambda: result.__setitem__(0, self_test(window, app)))

    app.connect('activate', activate)
    app.run([sys.argv[0]])
    return result[0]


if __name__ == '__main__':
    sys.exit(main())
