"""The gateway's pool of kept-alive connections to an upstream: every
connection that comes back to the pool is kept up to `idle_connections`
per target and thread, so a second wave of the same number of concurrent
calls opens no new connection; with a smaller pool, what did not fit was
closed and is opened again. Each upstream counts the connections it
accepted and holds every request until the whole wave has arrived, so that
the wave really has that many calls in flight at once."""
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

from junction_e2e import JunctionTest, RawServer, http_request

WAVE = 6


class WaveUpstream(RawServer):
    """Keep-alive HTTP/1.1 server: answers the requests of a wave together,
    once WAVE of them are waiting."""

    def __init__(self):
        self.barrier = threading.Barrier(WAVE, timeout=20)
        super().__init__()

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


class UpstreamPoolTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.kept = WaveUpstream()
        self.addCleanup(self.kept.close)
        self.few = WaveUpstream()
        self.addCleanup(self.few.close)
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
        self.port = self.start_gateway("run", "--threads", "1", "junction.yaml")

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
