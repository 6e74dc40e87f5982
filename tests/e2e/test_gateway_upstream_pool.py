"""The gateway's pool of kept-alive connections to an upstream: every
connection that comes back to the pool is kept up to `idle_connections`
per target and thread, so a second wave of the same number of concurrent
calls opens no new connection; with a smaller pool, what did not fit was
closed and is opened again. Each upstream counts the connections it
accepted and holds every request until the whole wave has arrived, so that
the wave really has that many calls in flight at once."""
import socket
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

from junction_e2e import JunctionTest, http_request

WAVE = 6


class WaveUpstream:
    """Keep-alive HTTP/1.1 server: answers the requests of a wave together,
    once WAVE of them are waiting."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.barrier = threading.Barrier(WAVE, timeout=20)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        with conn:
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                _, data = data.split(b"\r\n\r\n", 1)  # GETs: no body
                try:
                    self.barrier.wait()
                except threading.BrokenBarrierError:
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def close(self):
        self.sock.close()


class UpstreamPoolTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.kept = WaveUpstream()
        self.few = WaveUpstream()
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              routes:
                - {{ path: /kept/*, to: {{ upstream: kept }} }}
                - {{ path: /few/*, to: {{ upstream: few }} }}
            upstreams:
              kept:
                targets: ["http://127.0.0.1:{self.kept.port}"]
              few:
                targets: ["http://127.0.0.1:{self.few.port}"]
                idle_connections: 2
            """)
        # One I/O thread: one pool per target, whatever the kernel's spread.
        self.proc = self.start_junction("run", "--threads", "1", "junction.yaml")
        self.port = int(self.wait_for_log(r"gateway listening on 127\.0\.0\.1:(\d+)", self.proc).group(1))

    def tearDown(self):
        try:
            if self.proc.poll() is None:
                self.assertEqual(self.stop(self.proc), 0, self.log())
        finally:
            self.kept.close()
            self.few.close()
            super().tearDown()

    def wave(self, path):
        with ThreadPoolExecutor(WAVE) as pool:
            results = list(pool.map(lambda _: http_request(self.port, "GET", path), range(WAVE)))
        self.assertEqual([r[0] for r in results], [200] * WAVE, self.log())
        self.assertEqual({r[2] for r in results}, {b"ok"})

    def test_the_default_pool_keeps_every_connection_of_a_wave(self):
        self.wave("/kept/a")
        self.assertEqual(self.kept.accepted, WAVE)
        self.wave("/kept/b")
        self.assertEqual(self.kept.accepted, WAVE)  # all reused

    def test_a_small_pool_closes_what_does_not_fit(self):
        self.wave("/few/a")
        self.assertEqual(self.few.accepted, WAVE)
        self.wave("/few/b")
        self.assertEqual(self.few.accepted, WAVE + WAVE - 2)  # 2 kept, the rest opened again


if __name__ == "__main__":
    unittest.main()
