"""Shared fixtures for the end-to-end tests: run the real binary on real specs."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import unittest

BIN = os.environ.get("JUNCTION_BIN", os.path.join(os.path.dirname(__file__), "../../build/junction"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class JunctionTest(unittest.TestCase):
    """A temporary directory per test and helpers to run junction in it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="junction-e2e-")
        self.procs = []
        self.logs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for f in self.logs:
            f.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(textwrap.dedent(text))
        return p

    def read(self, name):
        with open(self.path(name)) as f:
            return f.read()

    def run_junction(self, *args, timeout=120, input=None):
        return subprocess.run([BIN, *args], cwd=self.dir, capture_output=True, text=True,
                              timeout=timeout, input=input)

    def start_junction(self, *args, stdout=subprocess.DEVNULL):
        log = open(self.path("junction.log"), "ab")
        self.logs.append(log)
        p = subprocess.Popen([BIN, *args], cwd=self.dir, stdout=stdout, stderr=log)
        self.procs.append(p)
        return p

    def stop(self, proc, sig=signal.SIGTERM, timeout=60):
        proc.send_signal(sig)
        return proc.wait(timeout=timeout)

    def wait_for_log(self, pattern, proc=None, timeout=60.0):
        """Waits for a line matching `pattern` in the junction log; returns the match.

        Listeners bind port 0 and the test reads the bound port from the log,
        so parallel tests never race for a port."""
        import re
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log())
            if m:
                return m
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"junction exited with {proc.returncode}:\n{self.log()}")
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for /{pattern}/ in the log:\n{self.log()}")

    def log(self):
        try:
            return self.read("junction.log")
        except FileNotFoundError:
            return ""


def http_request(port, method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection; returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        return res.status, dict(res.getheaders()), res.read()
    finally:
        conn.close()


def json_body(raw):
    return json.loads(raw.decode())
