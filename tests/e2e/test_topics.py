"""Flows through topics of the embedded log, and `junction topic`."""
import json
import os
import time
import signal
import unittest

import threading

from junction_e2e import JunctionTest, http_request, json_body, json_lines, wait_until

SPEC = """\
apiVersion: junction/v1
storage: { dir: data }
topics:
  orders: { partitions: 3, key: id, max_deliveries: 2 }
flows:
  intake:
    input: { file: in.jsonl, watch: true }
    output: { topic: orders }
  fulfil:
    input: { topic: orders, group: fulfil, ack_timeout: 5s }
    pipeline:
      - map: |
          if msg.poison then error("cannot fulfil " .. msg.id) end
          out = msg
          out.fulfilled = true
    output: { file: out.jsonl }
"""


class TopicsTest(JunctionTest):
    def start(self):
        # The log file collects every run: wait for this run's line.
        before = self.log().count("flow fulfil: running")
        p = self.start_junction("run", "junction.yaml")
        wait_until(lambda: self.log().count("flow fulfil: running") > before or p.poll() is not None,
                   what="the flows to start")
        self.assertIsNone(p.poll(), self.log())
        return p

    def append_orders(self, start, count, poison=()):
        with open(self.path("in.jsonl"), "a") as f:
            for i in range(start, start + count):
                order = {"id": f"o-{i}", "total": i}
                if i in poison:
                    order["poison"] = True
                f.write(json.dumps(order) + "\n")

    def out_ids(self):
        if not os.path.exists(self.path("out.jsonl")):
            return []
        return [o["id"] for o in json_lines(self.read("out.jsonl"))]

    def test_records_flow_through_a_topic_and_survive_restarts(self):
        self.write("junction.yaml", SPEC)
        self.append_orders(0, 100)
        p = self.start()
        wait_until(lambda: len(self.out_ids()) >= 100, what="first 100 orders")
        self.assertEqual(self.stop(p), 0, self.log())

        # After a clean stop, the group's offsets are committed: a restart
        # fulfils only what is new.
        self.append_orders(100, 50)
        p = self.start()
        wait_until(lambda: len(self.out_ids()) >= 150, what="next 50 orders")
        self.assertEqual(self.stop(p), 0, self.log())
        ids = self.out_ids()
        self.assertEqual(sorted(set(ids)), sorted(f"o-{i}" for i in range(150)))
        self.assertEqual(len(ids), 150, "a clean restart must not redeliver")

        # Records with the same key share a partition, in order.
        r = self.run_junction("topic", "consume", "orders", "--dir", "data")
        self.assertEqual(r.returncode, 0, r.stderr)
        records = json_lines(r.stdout)
        self.assertEqual(len(records), 150)
        for rec in records:
            self.assertEqual(rec["key"], json.loads(rec["value"])["id"])
            self.assertIn("x-junction-id", rec["headers"])

        r = self.run_junction("topic", "describe", "orders", "--dir", "data")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("group fulfil: lag 0", r.stdout)

    def test_kill_nine_redelivers_what_was_in_flight(self):
        self.write("junction.yaml", SPEC)
        self.append_orders(0, 3000)
        p = self.start()
        wait_until(lambda: len(self.out_ids()) >= 500, what="progress")
        p.send_signal(signal.SIGKILL)
        p.wait()
        p = self.start()
        wait_until(lambda: len(set(self.out_ids())) >= 3000, timeout=120, what="all orders")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(set(self.out_ids()), {f"o-{i}" for i in range(3000)})

    def test_a_failing_record_is_redelivered_then_dead_lettered(self):
        self.write("junction.yaml", SPEC)
        self.append_orders(0, 10, poison={4})
        p = self.start()
        wait_until(lambda: len(self.out_ids()) >= 9, what="the good orders")
        self.wait_for_log(r"dead-lettered to orders\.dlq after 2 deliveries", proc=p)
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertNotIn("o-4", self.out_ids())
        r = self.run_junction("topic", "consume", "orders.dlq", "--dir", "data")
        self.assertEqual(r.returncode, 0, r.stderr)
        dead = json_lines(r.stdout)
        self.assertEqual(len(dead), 1)
        self.assertEqual(json.loads(dead[0]["value"])["id"], "o-4")
        h = dead[0]["headers"]
        self.assertIn("cannot fulfil o-4", h["x-junction-error"])
        self.assertEqual(h["x-junction-attempts"], "2")
        self.assertEqual(h["x-junction-group"], "fulfil")
        self.assertRegex(h["x-junction-source"], r"^orders/\d/\d+$")
        # The group moved past it: nothing is stuck.
        r = self.run_junction("topic", "describe", "orders", "--dir", "data")
        self.assertIn("group fulfil: lag 0", r.stdout)

    def test_cli_produce_consume_replay_and_the_dir_lock(self):
        r = self.run_junction("topic", "create", "events", "--partitions", "2", "--dir", "data")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_junction("topic", "produce", "events", "--key", "k", "--header", "src=test",
                              "--dir", "data", input="one\ntwo\nthree\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_junction("topic", "consume", "events", "--group", "g", "--count", "2",
                              "--dir", "data")
        self.assertEqual([x["value"] for x in json_lines(r.stdout)], ["one", "two"])
        self.assertEqual(json_lines(r.stdout)[0]["headers"]["src"], "test")
        # The group goes on where it stopped...
        r = self.run_junction("topic", "consume", "events", "--group", "g", "--dir", "data")
        self.assertEqual([x["value"] for x in json_lines(r.stdout)], ["three"])
        # ...until replayed.
        r = self.run_junction("topic", "replay", "events", "--group", "g", "--to", "earliest",
                              "--dir", "data")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_junction("topic", "consume", "events", "--group", "g", "--dir", "data")
        self.assertEqual([x["value"] for x in json_lines(r.stdout)], ["one", "two", "three"])
        r = self.run_junction("topic", "consume", "events", "--from", "offset:1", "--dir", "data")
        self.assertEqual([x["value"] for x in json_lines(r.stdout)], ["two", "three"])

        # A running instance holds the dir; the CLI says so instead of writing beside it.
        self.write("junction.yaml", SPEC)
        self.append_orders(0, 1)
        p = self.start()
        r = self.run_junction("topic", "list", "--dir", "data")
        self.assertEqual(r.returncode, 1)
        self.assertIn("in use by another process", r.stderr)
        self.assertEqual(self.stop(p), 0, self.log())

        r = self.run_junction("topic", "list", "--dir", "data")
        self.assertIn("events", r.stdout)
        self.assertIn("orders", r.stdout)
        r = self.run_junction("topic", "delete", "events", "--dir", "data")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_junction("topic", "consume", "events", "--dir", "data")
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not exist", r.stderr)
        r = self.run_junction("topic", "consume", "nope", "--from", "sometime", "--dir", "data")
        self.assertEqual(r.returncode, 1)


    def test_http_api_produces_and_long_polls(self):
        self.write("junction.yaml", """\
            apiVersion: junction/v1
            storage: { dir: data }
            observability: { listen: 127.0.0.1:0 }
            topics:
              events: { partitions: 2 }
            flows:
              sink:
                input: { topic: events, group: sink }
                output: { drop: {} }
            """)
        p = self.start_junction("run", "junction.yaml")
        port = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", proc=p).group(1))

        status, _, body = http_request(port, "GET", "/topics")
        self.assertEqual(status, 200)
        self.assertEqual(json_body(body)["topics"][0]["name"], "events")

        # A long poll that the next POST answers.
        polled = {}

        def poll():
            polled["result"] = http_request(port, "GET", "/topics/events/records?partition=1&wait=10s")

        t = threading.Thread(target=poll)
        t.start()
        time.sleep(0.3)
        status, _, body = http_request(port, "POST", "/topics/events/records", body=json.dumps(
            [{"value": {"id": 1}, "partition": 1, "headers": {"src": "api"}},
             {"value": "plain", "key": "k"}]))
        self.assertEqual(status, 200, body)
        offsets = json_body(body)["offsets"]
        self.assertEqual(offsets[0], {"partition": 1, "offset": 0})
        t.join(15)
        status, _, body = polled["result"]
        self.assertEqual(status, 200)
        records = json_body(body)["records"]
        self.assertEqual(json.loads(records[0]["value"]), {"id": 1})
        self.assertEqual(records[0]["headers"]["src"], "api")

        # A group reads from its committed offsets and commits explicitly.
        status, _, body = http_request(port, "GET", "/topics/events/records?group=g")
        got = json_body(body)
        self.assertEqual(len(got["records"]), 2)
        commits = [{"partition": int(p_), "offset": o} for p_, o in got["next"].items()]
        status, _, _ = http_request(port, "POST", "/topics/events/groups/g/offsets", body=json.dumps(commits))
        self.assertEqual(status, 200)
        status, _, body = http_request(port, "GET", "/topics/events/records?group=g")
        self.assertEqual(json_body(body)["records"], [])

        status, _, body = http_request(port, "GET", "/metrics")
        metrics = body.decode()
        self.assertIn('junction_log_partition_end_offset{partition="1",topic="events"} 1', metrics)
        self.assertRegex(metrics, r"junction_log_fsyncs_total [1-9]")

        # The CLI talks to the running instance with --server.
        server = f"http://127.0.0.1:{port}"
        r = self.run_junction("topic", "produce", "events", "--server", server, "--key", "cli",
                              input="c1\nc2\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_junction("topic", "consume", "events", "--server", server, "--group", "cli-g")
        self.assertEqual(r.returncode, 0, r.stderr)
        values = sorted(x["value"] for x in json_lines(r.stdout))
        self.assertEqual(values, sorted(['{"id":1}', "plain", "c1", "c2"]))
        r = self.run_junction("topic", "consume", "events", "--server", server, "--group", "cli-g")
        self.assertEqual(json_lines(r.stdout), [], "the group committed what it printed")
        r = self.run_junction("topic", "consume", "events", "--server", server, "--count", "3")
        self.assertEqual(len(json_lines(r.stdout)), 3)
        r = self.run_junction("topic", "describe", "events", "--server", server)
        self.assertIn("partition 1: start 0", r.stdout)
        r = self.run_junction("topic", "delete", "events", "--server", server)
        self.assertEqual(r.returncode, 1)
        self.assertIn("storage dir only", r.stderr)

        # Errors are problem+json.
        status, headers, body = http_request(port, "POST", "/topics/nope/records", body="{}")
        self.assertEqual(status, 404)
        self.assertEqual(headers["Content-Type"], "application/problem+json")
        status, _, body = http_request(port, "POST", "/topics/events/records", body="{not json")
        self.assertEqual(status, 400)
        status, _, body = http_request(port, "POST", "/topics/events/records", body='{"valeu": 1}')
        self.assertEqual(status, 400)
        self.assertIn("unknown record field 'valeu'", json_body(body)["detail"])
        self.assertEqual(self.stop(p), 0, self.log())


if __name__ == "__main__":
    unittest.main()
