#!/usr/bin/python3
# test-aggregator.py AGGREGATOR: three HTTP endpoints on 127.0.0.1 (fast,
# failing with 500, too slow), and what the aggregator makes of them.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import http.server
import re
import subprocess
import sys
import threading
import time
import unittest

AGGREGATOR = None
SLOW_S = 10


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == '/fast':
            self.answer(200, b'fast-value')
        elif self.path == '/broken':
            self.answer(500, b'oops')
        elif self.path == '/slow':
            self.server.slow_requests += 1
            # Never in time; the client gives up (and closes) first.
            time.sleep(SLOW_S)
            self.answer(200, b'too-late')
        else:
            self.answer(404, b'')

    def answer(self, status, body):
        try:
            self.send_response(status)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    slow_requests = 0


class AggregatorTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server(('127.0.0.1', 0), Handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        base = 'http://127.0.0.1:%d' % cls.server.server_address[1]
        cls.urls = [base + '/fast', base + '/broken', base + '/slow']

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def run_aggregator(self, *args):
        start = time.monotonic()
        proc = subprocess.run([AGGREGATOR] + list(args) + self.urls,
                              capture_output=True, text=True, timeout=30)
        return proc, time.monotonic() - start

    def test_merged_with_partial_failures(self):
        proc, elapsed = self.run_aggregator('--timeout', '500',
                                            '--fallback', 'cached')
        self.assertEqual(proc.returncode, 0, proc.stderr)
        merged = next(line for line in proc.stdout.splitlines()
                      if line.startswith('merged: '))
        fast, broken, slow = re.findall(r'\{[^{}]*\}', merged)
        # The fast one answered; the failing one is an entry with its
        # error; the slow one timed out and got the fallback value.
        self.assertIn("'status': <'ok'>", fast)
        self.assertIn("'value': <'fast-value'>", fast)
        self.assertIn("'status': <'error'>", broken)
        self.assertIn('HTTP 500', broken)
        self.assertIn("'status': <'timed-out'>", slow)
        self.assertIn("'value': <'cached'>", slow)
        self.assertIn("'fallback': <true>", slow)
        # Concurrently: one timeout, not the slow endpoint's 10 s.
        self.assertGreaterEqual(elapsed, 0.5)
        self.assertLess(elapsed, SLOW_S / 2)
        self.assertIn('tasks left: 0', proc.stdout)

    def test_background_refresh_ends_with_owner(self):
        proc, elapsed = self.run_aggregator('--timeout', '300',
                                            '--refresh', '100',
                                            '--duration', '2500')
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rounds = [line for line in proc.stdout.splitlines()
                  if line.startswith('refresh ')]
        # The PERMANENT refresh ran round after round.
        self.assertGreaterEqual(len(rounds), 2, proc.stdout)
        self.assertIn("'fast-value'", rounds[-1])
        # When the application (the owner) went, the request still
        # waiting for the slow endpoint was cancelled: nothing is left,
        # and the program did not wait for it.
        self.assertIn('tasks left: 0', proc.stdout)
        self.assertLess(elapsed, 2.5 + SLOW_S / 2)


if __name__ == '__main__':
    AGGREGATOR = sys.argv.pop(1)
    unittest.main()
