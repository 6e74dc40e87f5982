"""Shared fixtures for the end-to-end tests: run the real binary on real specs."""
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import threading
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
        # A cleanup, registered first, so it runs last: after tearDown and
        # after the cleanups a test adds (start_gateway's clean stop).
        self.addCleanup(self._remove_everything)

    def _remove_everything(self):
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

    def start_gateway(self, *args):
        """Starts junction with `args` and returns its gateway's port. When
        the test ends, junction must still be running and stop cleanly on
        SIGTERM (exit 0)."""
        self.proc = self.start_junction(*args)
        self.addCleanup(self._stops_cleanly, self.proc)
        return self.gateway_port(self.proc)

    def _stops_cleanly(self, proc):
        self.assertIsNone(proc.poll(), f"junction exited early:\n{self.log()}")
        self.assertEqual(self.stop(proc), 0, self.log())

    def gateway_port(self, proc):
        """The port the gateway bound (port 0 in the spec), from the log."""
        m = self.wait_for_log(r"gateway listening on 127\.0\.0\.1:(\d+)", proc)
        return int(m.group(1))

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


def json_lines(text):
    """The JSON objects of a JSON-lines text, one a line."""
    # A line still being written (no newline yet) is not a record yet.
    whole = text[: text.rfind("\n") + 1]
    return [json.loads(l) for l in whole.splitlines() if l.strip()]


class RawServer:
    """A TCP server on a loopback port that hands each connection it
    accepts to answer(conn), in a thread of its own: for upstreams that must
    say exactly which bytes they send. Counts the connections it accepted."""

    def __init__(self, backlog=64):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        raise NotImplementedError

    def close(self):
        self.sock.close()


class RecordingServer:
    """An HTTP server on a loopback port, in a thread, standing in for what
    Junction calls: an upstream, an identity provider, an output's target.

    Every request is recorded in `requests`, a dict each: method, path,
    headers and body, appended before it is answered. `respond(request)`
    answers it with (status, body) or (status, body, headers): a dict or list
    body is sent as JSON; bytes as they are; any other iterable of bytes
    piece by piece (give its Content-Length in headers). None closes the
    connection unanswered. `respond` runs on the request's own thread, so it
    may block to hold a request.

    read_body=False leaves the body unread and calls respond(request, rfile),
    which reads it (to stream it) and may note what it read in `request`."""

    def __init__(self, respond, *, port=0, protocol="HTTP/1.1", read_body=True):
        self.respond = respond
        self.protocol = protocol
        self.read_body = read_body
        self.requests = []
        self.port = port
        self._connections = set()
        self._lock = threading.Lock()
        self.start()

    def start(self):
        """Listens: on the same port again after close()."""
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), _RecordingHandler)
        self.server.recording = self
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        """Stops listening and cuts every kept-alive connection: the server is
        really down."""
        self.server.shutdown()
        self.server.server_close()
        with self._lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def names_itself(name):
    """A RecordingServer's `respond` that answers 200 with its name and the
    path it was asked for, as JSON."""
    return lambda request: (200, {"upstream": name, "path": request["path"]})


class Hold:
    """A RecordingServer's `respond` that holds each request `when` selects
    until release() (30 s at most), then answers it with `respond`.
    `arrived` is set once one is held."""

    def __init__(self, respond, when=lambda request: True):
        self.respond = respond
        self.when = when
        self.arrived = threading.Event()
        self.released = threading.Event()

    def __call__(self, request):
        if self.when(request):
            self.arrived.set()
            self.released.wait(30)
        return self.respond(request)

    def release(self):
        self.released.set()


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    def setup(self):
        super().setup()
        self.recording = self.server.recording
        self.protocol_version = self.recording.protocol
        with self.recording._lock:
            self.recording._connections.add(self.connection)

    def finish(self):
        with self.recording._lock:
            self.recording._connections.discard(self.connection)
        super().finish()

    def serve(self):
        request = {"method": self.command, "path": self.path, "headers": dict(self.headers)}
        if self.recording.read_body:
            length = int(self.headers.get("Content-Length") or 0)
            request["body"] = self.rfile.read(length) if length else b""
            self.recording.requests.append(request)
            answer = self.recording.respond(request)
        else:
            self.recording.requests.append(request)
            answer = self.recording.respond(request, self.rfile)
        if answer is None:
            self.close_connection = True
            return
        status, body, *rest = answer
        headers = dict(rest[0]) if rest else {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, bytes):
            headers.setdefault("Content-Length", str(len(body)))
            body = [body]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        for piece in body:
            self.wfile.write(piece)

    do_GET = do_POST = do_PUT = do_DELETE = serve

    def log_message(self, *args):
        pass
