"""A hostile client against the running gateway: malformed HTTP, request
smuggling, oversized and too many headers, path traversal, header
injection, slow clients holding connections, and a flood of oversized
bodies. Each gets the right status (or a closed connection), the upstream
never sees a smuggled or traversing request, the process stays up and its
memory stays bounded."""
import socket
import time
import unittest

from junction_e2e import JunctionTest, RecordingServer, http_request, names_itself


def raw(port, data, timeout=10):
    """Sends raw bytes; returns what came back until the server closed or went quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and b"Content-Length: 0" not in chunks[0]:
                    # Enough to read the status; the server may keep the connection.
                    s.settimeout(0.5)
        except (socket.timeout, ConnectionResetError):
            pass
        return b"".join(chunks)


def status_of(response):
    if not response.startswith(b"HTTP/1.1 "):
        return None
    return int(response[9:12])


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class HostileClientTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.up = RecordingServer(names_itself("only"))
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              limits: {{ max_body: 64KiB, max_header_bytes: 8KiB, max_headers: 30 }}
              routes:
                - path: /public/*
                  to: {{ upstream: one, strip_prefix: /public }}
                - path: /echo
                  methods: [POST]
                  to: {{ upstream: one }}
            upstreams:
              one:
                targets: ["http://127.0.0.1:{self.up.port}"]
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)

    def tearDown(self):
        if self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        self.up.close()
        super().tearDown()

    def assert_alive(self):
        self.assertIsNone(self.proc.poll(), self.log())
        status, _, _ = http_request(self.port, "GET", "/public/ok")
        self.assertEqual(status, 200)

    def test_malformed_requests_are_refused(self):
        for junk in [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                     b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
                     b"GET /public/x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n",
                     b"GET /public/x HTTP/1.1\r\nHost: a\r\nX: y\nInjected: z\r\n\r\n"]:
            got = raw(self.port, junk)
            self.assertIn(status_of(got), (400, None), f"{junk!r} -> {got[:80]!r}")
        self.assertEqual(self.up.requests, [])
        self.assert_alive()

    def test_request_smuggling_is_refused(self):
        smuggle = (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /public/smuggled HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual(status_of(raw(self.port, smuggle)), 400)
        double_length = (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                         b"Content-Length: 40\r\n\r\nabcd")
        self.assertEqual(status_of(raw(self.port, double_length)), 400)
        self.assertFalse(any("smuggled" in s["path"] for s in self.up.requests), self.up.requests)
        self.assertEqual([s for s in self.up.requests if s["method"] == "POST"], [])
        self.assert_alive()

    def test_oversized_and_too_many_headers(self):
        big = b"GET /public/x HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
        self.assertEqual(status_of(raw(self.port, big)), 431)
        many = b"GET /public/x HTTP/1.1\r\nHost: a\r\n" + b"".join(
            b"X-H%d: v\r\n" % i for i in range(60)) + b"\r\n"
        self.assertEqual(status_of(raw(self.port, many)), 431)
        self.assertEqual(self.up.requests, [])
        self.assert_alive()

    def test_path_traversal_never_reaches_the_upstream(self):
        for path in [b"/public/../admin", b"/public/%2e%2e/admin", b"/public/a%2Fb",
                     b"/public/%00", b"/public//etc/passwd", b"/public/a\\..\\b"]:
            got = raw(self.port, b"GET " + path + b" HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(status_of(got), 400, f"{path!r} -> {got[:80]!r}")
        self.assertEqual(self.up.requests, [])
        self.assert_alive()

    def test_a_hostile_request_id_is_not_echoed(self):
        status, headers, _ = http_request(self.port, "GET", "/public/x",
                                          headers={"X-Request-Id": "a" * 500})
        self.assertEqual(status, 200)
        self.assertLess(len(headers["X-Request-Id"]), 200)
        self.assertNotEqual(headers["X-Request-Id"], "a" * 500)

    def test_slow_clients_do_not_starve_others(self):
        # Thirty connections that send half a header and stall.
        slow = []
        for _ in range(30):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(b"GET /public/slow HTTP/1.1\r\nHost: a\r\nX-Slow: ")
            slow.append(s)
        try:
            # Everyone else is still served while they hang.
            for _ in range(20):
                status, _, _ = http_request(self.port, "GET", "/public/fast", timeout=5)
                self.assertEqual(status, 200)
        finally:
            for s in slow:
                s.close()
        self.assertFalse(any(s["path"] == "/slow" for s in self.up.requests))
        self.assert_alive()

    def test_a_flood_of_oversized_bodies_keeps_memory_bounded(self):
        before = rss_kib(self.proc.pid)
        header = (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10485760\r\n"
                  b"Content-Type: application/json\r\n\r\n")
        for _ in range(100):
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
                s.sendall(header)
                try:
                    for _ in range(4):
                        s.sendall(b"x" * 65536)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                s.settimeout(5)
                try:
                    got = s.recv(4096)
                except (socket.timeout, ConnectionResetError):
                    got = b""
                self.assertIn(status_of(got), (413, None))
        after = rss_kib(self.proc.pid)
        # 100 bodies of 10 MiB were offered; a few MiB of growth is allocator noise.
        self.assertLess(after - before, 64 * 1024, f"RSS grew from {before} to {after} KiB")
        self.assertEqual([s for s in self.up.requests if s["method"] == "POST"], [])
        self.assert_alive()


if __name__ == "__main__":
    unittest.main()
