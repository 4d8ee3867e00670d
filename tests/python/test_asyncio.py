#!/usr/bin/python3
# test_asyncio.py: awaiting tasks, supervisors and streams from asyncio,
# on gbulb's GLib event loop (Debian: python3-gbulb)
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import unittest

from gtasksuptest import GLib, GObject, Gio, GtaskSup

try:
    import asyncio
    import gbulb
except ImportError:
    gbulb = None


@unittest.skipIf(gbulb is None, 'python3-gbulb is not installed')
class TestAsyncio(unittest.TestCase):

    def setUp(self):
        gbulb.install()
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.owner = GObject.Object()
        # The loop runs the default main context: the owner context.
        self.sup = GtaskSup.Supervisor(owner=self.owner,
                                       main_context=GLib.MainContext.default())

    def tearDown(self):
        self.sup = None
        self.owner = None
        self.loop.close()
        asyncio.set_event_loop(None)

    def run_async(self, coroutine):
        return self.loop.run_until_complete(asyncio.wait_for(coroutine, 20))

    def test_await_task(self):
        async def main():
            task = self.sup.run_in_thread(lambda: 6 * 7)
            return await task

        self.assertEqual(self.run_async(main()), 42)

    def test_await_failed_task(self):
        def boom():
            raise ValueError('no good')

        async def main():
            await self.sup.run_in_thread(boom)

        with self.assertRaises(GLib.Error) as caught:
            self.run_async(main())
        self.assertIn('ValueError: no good', caught.exception.message)

    def test_gather_and_await_many(self):
        async def main():
            tasks = [self.sup.run_in_thread(lambda i=i: i * 10)
                     for i in range(4)]
            values = await asyncio.gather(*tasks)
            more = [GtaskSup.Task.new_completed(i) for i in range(3)]
            for task in more:
                self.sup.start(task)
            ok = await GtaskSup.await_many_future(more)
            done = await GtaskSup.yield_many_future(more, 1000)
            return values, ok, len(done)

        self.assertEqual(self.run_async(main()), ([0, 10, 20, 30], True, 3))

    def test_stream_and_drain(self):
        async def main():
            stream = self.sup.map(
                lambda s, i: GtaskSup.Task.new_completed(i) if i < 5 else None)
            items = []
            stream.connect('item', lambda s, i, t: items.append(t.get_value()))
            await stream.join_future()
            drained = await self.sup.drain_future()
            return items, drained

        self.assertEqual(self.run_async(main()), ([0, 1, 2, 3, 4], True))

    def test_cancel_the_wait_not_the_work(self):
        gate = threading.Event()

        def slow():
            gate.wait(10)
            return 'done'

        async def main():
            task = self.sup.run_in_thread(slow)
            with self.assertRaises(asyncio.TimeoutError):
                await asyncio.wait_for(task.join_future(), 0.05)
            self.assertLess(task.get_state(), GtaskSup.TaskState.SUCCEEDED)
            gate.set()
            return await task

        self.assertEqual(self.run_async(main()), 'done')

    def test_shutdown_future(self):
        async def main():
            self.sup.run_in_thread(lambda: None)
            return await self.sup.shutdown_future()

        self.assertTrue(self.run_async(main()))


if __name__ == '__main__':
    unittest.main()
