"""The kafka input and output against librdkafka's mock cluster, checked with kcat."""
import json
import os
import unittest

from junction_e2e import JunctionTest, http_request, wait_until
from server_kafka import GROUP_OPTIONS, KafkaMock

OPTIONS = "{ " + ", ".join(f'"{k}": "{v}"' for k, v in GROUP_OPTIONS.items()) + " }"

ORDER_SCHEMA = {
    "type": "record", "name": "Order",
    "fields": [{"name": "id", "type": "string"}, {"name": "total", "type": "long"}],
}


def lines(text):
    whole = text[: text.rfind("\n") + 1]
    return [json.loads(l) for l in whole.splitlines() if l.strip()]


def header(envelope, name):
    v = envelope["headers"].get(name)
    return v[0] if isinstance(v, list) else v


class KafkaTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.kafka = KafkaMock()
        self.addCleanup(self.kafka.stop)

    def start(self, spec, *args):
        self.write("junction.yaml", spec)
        before = self.log().count("observability on")
        p = self.start_junction("run", "junction.yaml", *args)
        wait_until(lambda: self.log().count("observability on") > before or p.poll() is not None,
                   what="junction to start")
        self.assertIsNone(p.poll(), self.log())
        m = None
        for m in __import__("re").finditer(r"observability on \S+ \(port (\d+)\)", self.log()):
            pass
        self.obs_port = int(m.group(1))
        return p

    def out(self, name="out.jsonl"):
        if not os.path.exists(self.path(name)):
            return []
        return lines(self.read(name))

    def ready(self, component=None):
        status, _, body = http_request(self.obs_port, "GET", "/health/ready")
        if component is None:
            return status == 200
        return json.loads(body)["components"][component]["ready"]

    def consume_spec(self, pipeline="", **fields):
        extra = "\n                    ".join(f"{k}: {v}" for k, v in fields.items())
        return f"""\
            apiVersion: junction/v1
            observability: {{ listen: 127.0.0.1:0 }}
            flows:
              fulfil:
                input:
                  kafka:
                    brokers: "{self.kafka.bootstrap}"
                    topics: [orders]
                    group: fulfil
                    options: {OPTIONS}
                    {extra}
                {pipeline}
                output: {{ file: out.jsonl, format: json_envelope }}
            """

    def produce_orders(self, start, count, poison=()):
        for i in range(start, start + count):
            order = {"id": f"o-{i}", "total": i}
            if i in poison:
                order["poison"] = True
            self.kafka.produce("orders", [json.dumps(order)], key=f"o-{i}",
                               headers=[("origin", "kcat")])

    def test_consumes_with_key_headers_and_commits_only_what_was_settled(self):
        self.kafka.create_topic("orders", 2)
        self.produce_orders(0, 20)
        # A small window: the consumer thread pauses its partitions while the
        # flow catches up, and resumes right after the last record read.
        small = {"batch_size": 2, "max_in_flight": 4}
        p = self.start(self.consume_spec(**small))
        wait_until(lambda: len(self.out()) >= 20, what="20 records")
        self.assertEqual(self.stop(p), 0, self.log())
        first = self.out()
        for env in first:
            self.assertEqual(env["key"], env["payload"]["id"])
            self.assertEqual(header(env, "origin"), "kcat")
            self.assertEqual(header(env, "x-junction-kafka-topic"), "orders")
            self.assertIn(header(env, "x-junction-kafka-partition"), ("0", "1"))
            self.assertIsNotNone(header(env, "x-junction-kafka-offset"))
            self.assertGreater(env["timestamp_ms"], 0)

        # The group committed what it settled: a restart reads only what is new.
        self.produce_orders(20, 10)
        p = self.start(self.consume_spec(**small))
        wait_until(lambda: len(self.out()) >= 30, what="10 more records")
        self.assertEqual(self.stop(p), 0, self.log())
        ids = [env["payload"]["id"] for env in self.out()]
        self.assertEqual(sorted(ids), sorted(f"o-{i}" for i in range(30)))
        self.assertEqual(len(ids), 30, "a clean restart must not redeliver")
        # kcat, as a member of the same group, finds nothing left to read.
        self.assertEqual(self.kafka.group_consume("orders", "fulfil"), "")

    def test_a_flow_that_stays_behind_pauses_fetching_and_skips_nothing(self):
        self.kafka.create_topic("orders", 1)
        self.produce_orders(0, 16)
        # The batch holds 4 messages (the whole window) for 800ms: the hand-off
        # stays full, so the consumer pauses, then resumes where it stopped.
        pipeline = """pipeline:
                  - batch: { count: 100, period: 800ms }"""
        p = self.start(self.consume_spec(pipeline, batch_size=2, max_in_flight=4),
                       "--log-level", "debug")

        def ids():
            return [o["id"] for e in self.out() for o in e["payload"]]

        wait_until(lambda: len(ids()) >= 16, what="16 records")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertIn("kafka hand-off full: paused", self.log())
        self.assertEqual(sorted(ids()), sorted(f"o-{i}" for i in range(16)))

    def test_rebalance_between_two_members_loses_nothing(self):
        self.kafka.create_topic("orders", 4)
        self.produce_orders(0, 20)

        def member(name):
            spec = self.consume_spec(commit_interval="200ms")
            spec = spec.replace("out.jsonl", f"{name}.jsonl")
            spec = spec.replace("flows:", f"storage: {{ dir: data-{name} }}\n            flows:", 1)
            return self.start(spec)

        def ids():
            return [e["payload"]["id"] for n in ("a", "b") for e in self.out(f"{n}.jsonl")]

        a = member("a")
        wait_until(lambda: len(ids()) >= 20, what="member a to read 20")
        b = member("b")
        # b's join revokes a's partitions and splits them between the two.
        wait_until(lambda: self.log().count("assigned 2 partition(s)") >= 2, timeout=60,
                   what="the group to rebalance over both members")
        self.produce_orders(20, 20)
        wait_until(lambda: len(set(ids())) >= 40, what="40 records over both members")
        self.assertTrue(self.out("b.jsonl"), "member b took partitions")
        # a leaves: b takes every partition from what the group committed.
        self.assertEqual(self.stop(a), 0, self.log())
        wait_until(lambda: self.log().count("assigned 4 partition(s)") >= 2, timeout=60,
                   what="member b to take every partition")
        self.produce_orders(40, 10)
        wait_until(lambda: len(set(ids())) >= 50, what="all 50 records")
        self.assertEqual(self.stop(b), 0, self.log())
        # At least once through both rebalances. Records in flight at a
        # rebalance may come twice: the mock cluster refuses the commit on
        # revoke while the group rebalances (a real broker accepts it).
        self.assertEqual(set(ids()), {f"o-{i}" for i in range(50)})
        # Once the group is stable, each record is delivered once.
        late = [i for i in ids() if int(i[2:]) >= 40]
        self.assertEqual(sorted(late), sorted(f"o-{i}" for i in range(40, 50)))

    def test_failed_record_is_redelivered_then_dead_lettered(self):
        self.kafka.create_topic("orders", 1)
        self.produce_orders(0, 6, poison={2})
        pipeline = """pipeline:
                  - map: |
                      if msg.poison then error("cannot fulfil " .. msg.id) end
                      return msg"""
        p = self.start(self.consume_spec(pipeline, max_deliveries=3))
        wait_until(lambda: len(self.out()) >= 5, what="the 5 good records")
        wait_until(lambda: self.kafka.consume("orders.dlq"), what="the dead letter")
        dlq = self.kafka.consume("orders.dlq", "%k|%h|%s\\n").strip().split("|")
        self.assertEqual(dlq[0], "o-2")
        self.assertEqual(json.loads(dlq[2])["id"], "o-2")
        hdrs = dlq[1]
        self.assertIn("x-junction-attempts=3", hdrs)  # delivered 3 times, then dead-lettered
        self.assertIn("cannot fulfil o-2", hdrs)
        self.assertIn("origin=kcat", hdrs)
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(sorted(e["payload"]["id"] for e in self.out()),
                         [f"o-{i}" for i in (0, 1, 3, 4, 5)])
        # Dead-lettered is settled: the group's offset passed the poison record.
        self.assertEqual(self.kafka.group_consume("orders", "fulfil"), "")

    def test_produces_with_key_and_headers(self):
        with open(self.path("in.jsonl"), "w") as f:
            for i in range(25):
                f.write(json.dumps({"id": f"o-{i}", "total": i}) + "\n")
        p = self.start(f"""\
            apiVersion: junction/v1
            observability: {{ listen: 127.0.0.1:0 }}
            flows:
              publish:
                input: {{ file: in.jsonl }}
                pipeline:
                  - map: |
                      meta["tenant"] = "acme"
                      return msg
                output:
                  kafka: {{ brokers: "{self.kafka.bootstrap}", topic: published, key: msg.id }}
            """)
        wait_until(lambda: len(self.kafka.consume("published").splitlines()) >= 25,
                   what="25 records in Kafka")
        self.assertEqual(self.stop(p), 0, self.log())
        records = self.kafka.consume("published", "%k|%h|%s\\n").splitlines()
        self.assertEqual(len(records), 25, "idempotent: each message once")
        for r in records:
            key, hdrs, value = r.split("|", 2)
            self.assertEqual(key, json.loads(value)["id"])
            self.assertIn("tenant=acme", hdrs)
            self.assertIn("x-junction-id=", hdrs)

    def test_broker_down_and_back(self):
        self.kafka.create_topic("orders", 2)
        self.produce_orders(0, 30)
        with open(self.path("in.jsonl"), "w") as f:
            f.write(json.dumps({"id": "p-0"}) + "\n")
        p = self.start(self.consume_spec().rstrip(" ") + f"""\
              publish:
                input: {{ file: in.jsonl, watch: true }}
                output:
                  kafka: {{ brokers: "{self.kafka.bootstrap}", topic: published, key: msg.id }}
            """)
        wait_until(lambda: len(self.out()) >= 30, what="the first 30 records")
        wait_until(self.ready, what="ready")

        self.kafka.down()
        for component in ("connector fulfil.input.kafka", "connector publish.outputs.kafka"):
            wait_until(lambda: not self.ready(component), what=f"{component} not ready while down")
        self.assertFalse(self.ready())
        # Written while the broker is down: the output holds them until it is back.
        with open(self.path("in.jsonl"), "a") as f:
            for i in range(1, 11):
                f.write(json.dumps({"id": f"p-{i}"}) + "\n")
        self.kafka.up()
        wait_until(self.ready, timeout=60, what="ready again")
        self.produce_orders(30, 10)
        wait_until(lambda: len({e["payload"]["id"] for e in self.out()}) >= 40,
                   timeout=60, what="every record at least once")
        wait_until(lambda: len(set(self.kafka.consume("published").splitlines())) >= 11,
                   timeout=60, what="the 11 produced records")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual({e["payload"]["id"] for e in self.out()},
                         {f"o-{i}" for i in range(40)})
        self.assertEqual({json.loads(v)["id"] for v in self.kafka.consume("published").splitlines()},
                         {f"p-{i}" for i in range(11)})

    def test_avro_round_trip(self):
        self.write("order.avsc", json.dumps(ORDER_SCHEMA))
        orders = [{"id": f"o-{i}", "total": i * 10} for i in range(5)]
        with open(self.path("in.jsonl"), "w") as f:
            for o in orders:
                f.write(json.dumps(o) + "\n")
        p = self.start(f"""\
            apiVersion: junction/v1
            observability: {{ listen: 127.0.0.1:0 }}
            flows:
              encode:
                input: {{ file: in.jsonl }}
                output:
                  kafka: {{ brokers: "{self.kafka.bootstrap}", topic: avro.orders,
                           format: avro, schema: order.avsc }}
              decode:
                input:
                  kafka: {{ brokers: "{self.kafka.bootstrap}", topics: [avro.orders],
                           format: avro, schema: order.avsc, options: {OPTIONS} }}
                output: {{ file: out.jsonl }}
            """)
        wait_until(lambda: len(self.out()) >= 5, what="5 decoded records")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(sorted(self.out(), key=lambda o: o["id"]), orders)
        raw = self.kafka.consume("avro.orders", "%s\\n", binary=True)
        self.assertTrue(raw)
        self.assertNotIn(b'"id"', raw, "Avro on the wire, not JSON")
        self.assertIn(b"o-3", raw)


if __name__ == "__main__":
    unittest.main()
