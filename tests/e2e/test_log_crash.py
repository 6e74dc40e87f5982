"""The embedded log under SIGKILL: a producer appends with fsync: always and
prints each acknowledged record; it is killed at random moments, many times,
and recovers each time. Afterwards every acknowledged record is in the log,
intact and in order, and no corrupt record is ever returned."""
import json
import os
import random
import re
import signal
import subprocess
import time
import unittest

from junction_e2e import BIN, JunctionTest

PRODUCER = os.environ.get("JUNCTION_CRASH_PRODUCER",
                          os.path.join(os.path.dirname(__file__), "../../build/junction_log_crash_producer"))
KILLS = int(os.environ.get("JUNCTION_CRASH_KILLS", "200"))
VALUE = re.compile(r"^r(\d+):t(\d):(\d+):(x*)$")


class LogCrashTest(JunctionTest):
    def test_every_acknowledged_append_survives_sigkill(self):
        rng = random.Random(int(os.environ.get("JUNCTION_CRASH_SEED", "20261126")))
        store = self.path("store")
        acked = set()
        for run in range(KILLS):
            out = open(self.path(f"acks-{run}.txt"), "w+")
            p = subprocess.Popen([PRODUCER, store, str(run)], stdout=out, stderr=subprocess.PIPE)
            # Sometimes during recovery, sometimes mid-stream.
            time.sleep(rng.uniform(0.0, 0.25))
            p.send_signal(signal.SIGKILL)
            _, err = p.communicate()
            self.assertIn(p.returncode, (-signal.SIGKILL,), f"run {run}: {err.decode()}")
            out.seek(0)
            for line in out:
                # The last line may be cut by the kill; only whole lines are acks.
                if line.endswith("\n") and line.startswith("ack "):
                    acked.add(line[4:-1])
            out.close()
        self.assertGreater(len(acked), KILLS, "the producer hardly acknowledged anything")

        r = subprocess.run([BIN, "topic", "consume", "crash", "--dir", store], capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        stored = []
        for line in r.stdout.splitlines():
            rec = json.loads(line)
            m = VALUE.match(rec["value"])
            self.assertIsNotNone(m, f"corrupt record {rec}")
            run, thread, seq, pad = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
            self.assertEqual(len(pad), seq % 300, f"corrupt padding in {rec['value'][:40]}")
            self.assertEqual(rec["key"], f"t{thread}")
            stored.append((rec["partition"], rec["offset"], run, thread, seq, rec["value"]))

        values = {s[5] for s in stored}
        lost = [v for v in acked if v not in values]
        self.assertEqual(lost, [], f"{len(lost)} acknowledged records lost, e.g. {lost[:3]}")

        # Per partition, offsets increase, runs never go back, and each
        # producer thread's sequence increases within a run.
        by_partition = {}
        for s in stored:
            by_partition.setdefault(s[0], []).append(s)
        for part, recs in by_partition.items():
            last = {}
            last_run = -1
            prev_offset = -1
            for _, offset, run, thread, seq, _v in recs:
                self.assertGreater(offset, prev_offset)
                prev_offset = offset
                self.assertGreaterEqual(run, last_run, f"partition {part}: run {run} after {last_run}")
                last_run = run
                key = (run, thread)
                if key in last:
                    self.assertGreater(seq, last[key], f"partition {part}: out of order")
                last[key] = seq


if __name__ == "__main__":
    unittest.main()
