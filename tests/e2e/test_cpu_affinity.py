"""Pinning I/O threads to CPUs (`--cpu-affinity`). With it on, each I/O
thread runs on a CPU of its own and no other thread is confined: not the
main thread, not the blocking pool, and not the threads a connector starts
from an I/O thread (the nats output's publisher and libnats's reader,
flusher and timers under it). Read from /proc, as an operator would."""
import json
import os
import unittest

from junction_e2e import JunctionTest, http_request, wait_until
from server_nats import NatsServer

USABLE = sorted(os.sched_getaffinity(0))


def cpu_list(text):
    cpus = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def allowed_cpus_by_thread(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("Cpus_allowed_list:"):
                        out[int(tid)] = cpu_list(line.split(":", 1)[1].strip())
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return out


@unittest.skipIf(len(USABLE) < 2, "needs two usable CPUs")
class CpuAffinityTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.nats = NatsServer().start()
        self.addCleanup(self.nats.close)
        with open(self.path("in.jsonl"), "w") as f:
            for i in range(5):
                f.write(json.dumps({"id": f"o-{i}"}) + "\n")
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              routes:
                - path: /ping
                  to: {{ static: {{ status: 200, body: pong }} }}
            flows:
              publish:
                input: {{ file: in.jsonl, watch: true }}
                output:
                  nats: {{ url: {self.nats.url}, subject: out.orders, create_stream: true,
                          stream: OUT }}
            """)

    def start(self, *options):
        port = self.start_gateway("run", *options, "junction.yaml")
        # Published means connected: libnats's threads are running.
        wait_until(lambda: len(self.nats.messages("OUT")) >= 5, what="5 messages in OUT")
        self.assertEqual(http_request(port, "GET", "/ping")[0], 200)
        return allowed_cpus_by_thread(self.proc.pid)

    def test_on_gives_each_io_thread_a_cpu_and_confines_nothing_else(self):
        threads = self.start("--threads", "2", "--cpu-affinity", "on")
        self.assertIn(f"2 I/O threads pinned to CPUs {USABLE[0]},{USABLE[1]}", self.log())
        pinned = sorted(next(iter(cpus)) for cpus in threads.values() if len(cpus) == 1)
        self.assertEqual(pinned, USABLE[:2], threads)
        free = [tid for tid, cpus in threads.items() if cpus == set(USABLE)]
        # main, the blocking pool, the publisher and libnats's threads
        self.assertEqual(len(free), len(threads) - 2, threads)
        self.assertGreater(len(free), 6, threads)
        self.assertEqual(threads[self.proc.pid], set(USABLE))

    def test_off_confines_no_thread(self):
        threads = self.start("--threads", str(len(USABLE)), "--cpu-affinity", "off")
        self.assertNotIn("pinned", self.log())
        for tid, cpus in threads.items():
            self.assertEqual(cpus, set(USABLE), f"thread {tid}")

    def test_auto_leaves_fewer_threads_than_cpus_unpinned(self):
        threads = self.start("--threads", str(len(USABLE) - 1))
        self.assertNotIn("pinned", self.log())
        self.assertTrue(all(cpus == set(USABLE) for cpus in threads.values()), threads)

    def test_by_default_each_cpu_has_its_io_thread(self):
        threads = self.start()
        self.assertIn(f"{len(USABLE)} I/O threads pinned", self.log())
        pinned = sorted(next(iter(c)) for c in threads.values() if len(c) == 1)
        self.assertEqual(pinned, USABLE)

if __name__ == "__main__":
    unittest.main()
