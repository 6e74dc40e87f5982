"""A streaming route (`to.stream: true`) relays bodies instead of buffering
them: 200 MiB up and down go through the gateway intact while its peak memory
grows far less than the body, a chunked upload is relayed chunked, and a body
over limits.max_streamed_body is refused without the upstream seeing the
excess."""
import hashlib
import http.client
import os
import socket
import threading
import unittest

from junction_e2e import JunctionTest, RecordingServer, http_request, json_body, wait_until

MiB = 1024 * 1024
BLOCK = hashlib.sha256(b"junction").digest() * 2048  # 64 KiB of a fixed pattern
# Peak memory growth allowed while a 200 MiB body passes: a buffering gateway
# would need at least the body.
MEMORY_BOUND = 100 * MiB


def blocks(total, block=BLOCK):
    """`total` bytes of the pattern, in pieces of the block's size."""
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        sent += len(piece)
        yield piece


def pattern_sha256(total):
    h = hashlib.sha256()
    for piece in blocks(total):
        h.update(piece)
    return h.hexdigest()


def memory_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def hash_into(h, rfile, left, request):
    """Hashes the next `left` bytes of the body, counting them in
    request["bytes"]; False if the body was cut off first."""
    while left:
        data = rfile.read(min(left, 65536))
        if not data:
            return False
        h.update(data)
        request["bytes"] += len(data)
        left -= len(data)
    return True


def read_body(request, rfile):
    """Reads a request's body (Content-Length or chunked) and hashes it without
    keeping it: request["bytes"] counts what arrived, request["complete"] says
    whether all of it did. Returns the hash."""
    h = hashlib.sha256()
    request["bytes"] = 0
    request["complete"] = False
    headers = {name.lower(): value for name, value in request["headers"].items()}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = rfile.readline()
            if not size_line:
                return h  # cut off mid-body
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while rfile.readline() not in (b"\r\n", b""):
                    pass
                request["complete"] = True
                return h
            if not hash_into(h, rfile, size, request):
                return h
            rfile.readline()
    request["complete"] = hash_into(h, rfile, int(headers.get("content-length") or 0), request)
    return h


def counting_upstream(request, rfile):
    """A RecordingServer's `respond` (read_body=False): answers an upload with
    the size and hash of what it received, 503 under /unavailable, and
    GET /download/<bytes> with that many bytes of the pattern."""
    if request["method"] == "GET":
        total = int(request["path"].rsplit("/", 1)[1])
        return 200, blocks(total), {"Content-Type": "application/octet-stream",
                                    "Content-Length": str(total)}
    h = read_body(request, rfile)
    request["done"] = True
    if not request["complete"]:
        return None
    status = 503 if request["path"].startswith("/unavailable") else 200
    return status, {"bytes": request["bytes"], "sha256": h.hexdigest()}


class GatewayStreamTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.upstream = RecordingServer(counting_upstream, read_body=False)
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        self.upstream.close()
        super().tearDown()

    def start_gateway(self, max_streamed_body="256MiB"):
        options = os.environ.get("ASAN_OPTIONS")
        if options is not None and "quarantine_size_mb" not in options:
            # ASan holds freed memory in a quarantine (256 MiB by default)
            # that a relay's buffers fill; the bound is about live memory.
            os.environ["ASAN_OPTIONS"] = options + ":quarantine_size_mb=16"
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              limits: {{ max_body: 1MiB, max_streamed_body: {max_streamed_body} }}
              routes:
                - path: /files/*
                  to: {{ upstream: files, strip_prefix: /files, stream: true }}
                - path: /buffered/*
                  to: {{ upstream: files, strip_prefix: /buffered }}
            upstreams:
              files:
                targets: ["http://127.0.0.1:{self.upstream.port}"]
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)
        # Warm up (pools, allocator) before the memory baseline is taken.
        status, _, _ = http_request(self.port, "POST", "/files/warm", body=b"x" * 1000)
        self.assertEqual(status, 200)
        self.baseline_kib = memory_kib(self.proc.pid, "VmRSS")

    def assert_memory_bounded(self):
        peak_kib = memory_kib(self.proc.pid, "VmHWM")
        growth = (peak_kib - self.baseline_kib) * 1024
        self.assertLess(growth, MEMORY_BOUND, f"peak RSS grew by {growth / MiB:.1f} MiB")

    def test_200mib_upload_arrives_whole_in_bounded_memory(self):
        self.start_gateway()
        size = 200 * MiB
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("POST", "/files/upload", body=blocks(size),
                     headers={"Content-Length": str(size), "traceparent":
                              "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
        res = conn.getresponse()
        body = res.read()
        conn.close()
        self.assertEqual(res.status, 200, body)
        got = json_body(body)
        self.assertEqual(got["bytes"], size)
        self.assertEqual(got["sha256"], pattern_sha256(size))
        self.assert_memory_bounded()
        seen = self.upstream.requests[-1]["headers"]
        self.assertEqual(seen["Content-Length"], str(size))
        self.assertNotIn("Transfer-Encoding", seen)
        self.assertEqual(seen["traceparent"],
                         "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        self.assertEqual(seen["X-Forwarded-For"], "127.0.0.1")
        self.assertEqual(seen["X-Request-Id"], res.getheader("X-Request-Id"))

    def test_200mib_download_arrives_whole_in_bounded_memory(self):
        self.start_gateway()
        size = 200 * MiB
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", f"/files/download/{size}")
        res = conn.getresponse()
        self.assertEqual(res.status, 200)
        self.assertEqual(res.getheader("Content-Length"), str(size))
        h = hashlib.sha256()
        received = 0
        while True:
            data = res.read(1 << 20)
            if not data:
                break
            h.update(data)
            received += len(data)
        conn.close()
        self.assertEqual(received, size)
        self.assertEqual(h.hexdigest(), pattern_sha256(size))
        self.assert_memory_bounded()

    def test_chunked_upload_is_relayed_and_the_connection_kept(self):
        self.start_gateway()
        # Odd piece sizes, so chunks do not line up with the relay's buffer.
        pieces = [BLOCK[: (i * 7919) % 65536 + 1] for i in range(400)]
        expected = hashlib.sha256(b"".join(pieces)).hexdigest()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("POST", "/files/chunked", body=iter(pieces), encode_chunked=True)
        res = conn.getresponse()
        got = json_body(res.read())
        self.assertEqual(res.status, 200)
        self.assertEqual(got["bytes"], sum(len(p) for p in pieces))
        self.assertEqual(got["sha256"], expected)
        seen = self.upstream.requests[-1]["headers"]
        self.assertEqual(seen["Transfer-Encoding"], "chunked")
        self.assertNotIn("Content-Length", seen)
        # The body was read to its end: the connection serves the next request.
        conn.request("GET", "/files/download/1000")
        res = conn.getresponse()
        self.assertEqual(res.status, 200)
        self.assertEqual(len(res.read()), 1000)
        conn.close()

    def test_announced_length_over_the_limit_is_413_and_never_proxied(self):
        self.start_gateway(max_streamed_body="8MiB")
        calls_before = len(self.upstream.requests)
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            # The body is never sent: the answer comes from the header alone.
            s.sendall(b"POST /files/big HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 8388609\r\n\r\n")
            head = s.recv(65536).decode(errors="replace")
        self.assertTrue(head.startswith("HTTP/1.1 413"), head)
        self.assertIn("application/problem+json", head)
        self.assertEqual(len(self.upstream.requests), calls_before)

    def test_chunked_body_over_the_limit_is_cut_before_the_upstream_sees_the_excess(self):
        limit = 8 * MiB
        self.start_gateway(max_streamed_body="8MiB")
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)

        def send_too_much():
            try:
                s.sendall(b"POST /files/over HTTP/1.1\r\nHost: x\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n")
                for piece in blocks(limit + 4 * MiB):
                    s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                s.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the gateway cut the connection: expected

        sender = threading.Thread(target=send_too_much)
        sender.start()
        try:
            head = s.recv(65536).decode(errors="replace")
        except OSError:
            head = ""  # reset before the answer arrived
        sender.join(timeout=30)
        s.close()
        if head:
            self.assertTrue(head.startswith("HTTP/1.1 413"), head)
        over = [c for c in self.upstream.requests if c["path"] == "/over"]
        self.assertEqual(len(over), 1)
        # The gateway dropped the upstream connection mid-body.
        wait_until(lambda: over[0].get("done"), what="the upstream to see the cut")
        self.assertFalse(over[0]["complete"])
        self.assertLessEqual(over[0]["bytes"], limit)

    def test_a_streamed_body_is_sent_once_a_small_one_is_retried(self):
        self.start_gateway()
        small = b"s" * 1000              # under stream_threshold: read whole, replayable
        large = b"L" * (100 * 1024)      # over it: relayed as it arrives
        for body, calls in ((small, 2), (large, 1)):
            before = len(self.upstream.requests)
            status, _, _ = http_request(self.port, "PUT", "/files/unavailable", body=body)
            self.assertEqual(status, 503)
            made = self.upstream.requests[before:]
            self.assertEqual(len(made), calls, f"{len(body)} bytes")
            self.assertTrue(all(c["bytes"] == len(body) for c in made))

    def test_buffered_route_keeps_its_limit(self):
        self.start_gateway()
        status, headers, _ = http_request(self.port, "POST", "/buffered/x", body=b"x" * (2 * MiB))
        self.assertEqual(status, 413)
        self.assertEqual(headers.get("Content-Type"), "application/problem+json")


if __name__ == "__main__":
    unittest.main()
