"""The nats input and output against a real nats-server with JetStream.

Every check reads NATS through junction_nats_tool (tests/tools/nats), an
independent libnats client, and the flows' files."""
import json
import os
import unittest

from junction_e2e import JunctionTest, http_request, wait_until
from server_nats import NatsServer


def lines(text):
    whole = text[: text.rfind("\n") + 1]
    return [json.loads(l) for l in whole.splitlines() if l.strip()]


def zigzag_varint(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(data, pos):
    shift = result = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos


# Avro binary of the record {id: string, n: long}, by the spec, by hand.
def avro_encode(order):
    raw = order["id"].encode()
    return zigzag_varint(len(raw)) + raw + zigzag_varint(order["n"])


def avro_decode(data):
    size, pos = read_varint(data, 0)
    order_id = data[pos:pos + size].decode()
    n, pos = read_varint(data, pos + size)
    assert pos == len(data), "trailing bytes"
    return {"id": order_id, "n": n}


AVRO_SCHEMA = """{"type": "record", "name": "Order",
 "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "long"}]}"""


# Builds the Avro codec, opening no socket (junction validate).
AVRO_PROBE = """\
apiVersion: junction/v1
flows:
  probe:
    input: { nats: { url: NATS_URL, stream: IN, subject: in.>, format: avro, schema: order.avsc } }
    output: { drop: {} }
"""


class NatsTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.nats = NatsServer().start()

    def tearDown(self):
        super().tearDown()
        self.nats.close()

    def start(self, spec):
        self.write("junction.yaml", spec.replace("NATS_URL", self.nats.url))
        p = self.start_junction("run", "junction.yaml")
        self.wait_for_log(r"flow \w+: running", proc=p)
        return p

    def out(self, name="out.jsonl"):
        if not os.path.exists(self.path(name)):
            return []
        return lines(self.read(name))

    def ready_status(self, port):
        try:
            return http_request(port, "GET", "/health/ready", timeout=5)[0]
        except OSError:
            return None

    def test_input_delivers_with_headers_and_acks_after_the_flow(self):
        self.nats.create_stream("IN", "in.>")
        self.nats.publish("in.orders", [json.dumps({"id": f"o-{i}"}) for i in range(20)],
                          "--id-prefix", "pub-", "--header", "trace:abc")
        p = self.start("""\
            apiVersion: junction/v1
            flows:
              intake:
                input: { nats: { url: NATS_URL, stream: IN, subject: in.>, durable: intake, batch: 8 } }
                output: { file: { path: out.jsonl, format: json_envelope } }
            """)
        wait_until(lambda: len(self.out()) >= 20, what="20 messages in the file")
        self.assertEqual(self.stop(p), 0, self.log())
        out = self.out()
        self.assertEqual([m["payload"]["id"] for m in out], [f"o-{i}" for i in range(20)])
        for i, m in enumerate(out):
            self.assertEqual(m["id"], f"pub-{i}")  # Nats-Msg-Id is the message id
            self.assertEqual(m["headers"]["trace"], "abc")
            self.assertEqual(m["headers"]["x-junction-nats-subject"], "in.orders")
        # Every message acked, once the flow had written it.
        c = self.nats.consumer("IN", "intake")
        self.assertEqual(c["num_ack_pending"], 0, c)
        self.assertEqual(c["ack_floor_stream_seq"], 20, c)
        self.assertEqual(c["num_redelivered"], 0, c)

    def test_output_publishes_and_waits_for_jetstream(self):
        with open(self.path("in.jsonl"), "w") as f:
            for i in range(30):
                f.write(json.dumps({"id": f"o-{i}", "n": i}) + "\n")
        p = self.start("""\
            apiVersion: junction/v1
            flows:
              publish:
                input: { file: in.jsonl, watch: true }
                pipeline:
                  - map: |
                      out = msg
                      meta.region = "eu"
                output:
                  nats: { url: NATS_URL, subject: out.orders, create_stream: true, stream: OUT }
            """)
        wait_until(lambda: len(self.nats.messages("OUT")) >= 30, what="30 messages in OUT")
        self.assertEqual(self.stop(p), 0, self.log())
        stored = self.nats.messages("OUT")
        self.assertEqual([json.loads(m["data"])["id"] for m in stored],
                         [f"o-{i}" for i in range(30)])
        ids = [m["headers"]["Nats-Msg-Id"] for m in stored]
        self.assertEqual(len(set(ids)), 30)
        for m in stored:
            self.assertEqual(m["subject"], "out.orders")
            self.assertEqual(m["headers"]["region"], "eu")

    def test_output_subject_per_message_and_invalid_ones_dead_lettered(self):
        # The subject comes from each order; the ones that make no valid
        # subject (empty, a space, a wildcard) are dead-lettered with the
        # reason, and the orders after them in the batch are still published.
        orders = [("o-0", "orders.eu"), ("o-1", "orders.us"), ("o-2", ""),
                  ("o-3", "orders.eu west"), ("o-4", "orders.*"), ("o-5", "orders.>"),
                  ("o-6", "orders.us"), ("o-7", "orders.apac")]
        with open(self.path("in.jsonl"), "w") as f:
            for order_id, to in orders:
                f.write(json.dumps({"id": order_id, "to": to}) + "\n")
        p = self.start("""\
            apiVersion: junction/v1
            flows:
              route:
                input: { file: in.jsonl, watch: true }
                output:
                  nats:
                    url: NATS_URL
                    subject_expression: msg.to
                    create_stream: true
                    stream: ORDERS
                    stream_subjects: [orders.>]
                on_error:
                  retry: { attempts: 2, base: 10ms, max: 50ms }
                  dead_letter: { file: { path: dead.jsonl, format: json_envelope } }
            """)
        wait_until(lambda: len(self.nats.messages("ORDERS")) >= 4
                   and len(self.out("dead.jsonl")) >= 4,
                   what="4 orders in ORDERS and 4 dead letters")
        self.assertEqual(self.stop(p), 0, self.log())
        stored = {json.loads(m["data"])["id"]: m["subject"] for m in self.nats.messages("ORDERS")}
        self.assertEqual(stored, {"o-0": "orders.eu", "o-1": "orders.us", "o-6": "orders.us",
                                  "o-7": "orders.apac"})
        dead = {d["payload"]["id"]: d["headers"] for d in self.out("dead.jsonl")}
        self.assertEqual(sorted(dead), ["o-2", "o-3", "o-4", "o-5"])
        for order_id, headers in dead.items():
            self.assertEqual(headers["x-junction-error-class"], "invalid", order_id)
        self.assertIn("subject must not be empty", dead["o-2"]["x-junction-error"])
        for order_id, to in [("o-3", "orders.eu west"), ("o-4", "orders.*"), ("o-5", "orders.>")]:
            self.assertIn(f"'{to}' is not a valid NATS subject", dead[order_id]["x-junction-error"])

    def test_failures_are_redelivered_then_dead_lettered(self):
        self.nats.create_stream("IN", "in.>")
        self.nats.create_stream("DLQ", "dlq.>")
        orders = [{"id": f"o-{i}"} for i in range(6)]
        orders[2]["kind"] = "poison"  # permanent: dead-lettered at once
        orders[4]["kind"] = "flaky"   # transient every time: naked until max_deliver
        self.nats.publish("in.orders", [json.dumps(o) for o in orders])
        p = self.start("""\
            apiVersion: junction/v1
            flows:
              intake:
                input:
                  nats:
                    url: NATS_URL
                    stream: IN
                    subject: in.>
                    durable: intake
                    max_deliver: 3
                    nak_delay: 50ms
                    dead_letter: dlq.intake
                pipeline:
                  - map: |
                      if msg.kind == "poison" then error("cannot take " .. msg.id) end
                      if msg.kind == "flaky" then
                        error({class = "transient", message = "later " .. msg.id})
                      end
                      out = msg
                output: { file: out.jsonl }
                on_error: { retry: { attempts: 1 } }
            """)
        wait_until(lambda: len(self.nats.messages("DLQ")) >= 2, what="two dead letters")
        wait_until(lambda: self.nats.consumer("IN", "intake")["num_ack_pending"] == 0,
                   what="every message settled")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(sorted(m["id"] for m in self.out()), ["o-0", "o-1", "o-3", "o-5"])
        dead = {json.loads(m["data"])["id"]: m for m in self.nats.messages("DLQ")}
        self.assertEqual(sorted(dead), ["o-2", "o-4"])
        poison = dead["o-2"]["headers"]
        self.assertIn("cannot take o-2", poison["x-junction-error"])
        self.assertEqual(poison["x-junction-attempts"], "1")
        self.assertEqual(poison["x-junction-nats-subject"], "in.orders")
        self.assertEqual(poison["x-junction-source"], "IN/3")
        flaky = dead["o-4"]["headers"]
        self.assertEqual(flaky["x-junction-error-class"], "transient")
        self.assertEqual(flaky["x-junction-attempts"], "3")  # naked twice, then terminated
        c = self.nats.consumer("IN", "intake")
        self.assertEqual(c["ack_floor_stream_seq"], 6, c)

    def test_server_restart_mid_flow_loses_nothing(self):
        count = 3000
        self.nats.create_stream("IN", "in.>")
        self.nats.create_stream("OUT", "out.>")
        self.nats.publish("in.orders", [json.dumps({"id": f"o-{i}"}) for i in range(count)])
        p = self.start("""\
            apiVersion: junction/v1
            observability: { listen: 127.0.0.1:0 }
            flows:
              bridge:
                input:
                  nats: { url: NATS_URL, stream: IN, subject: in.>, durable: bridge, batch: 20,
                          max_in_flight: 20, ack_wait: 2s, max_deliver: -1,
                          reconnect_wait: 100ms, fetch_wait: 200ms }
                output:
                  nats: { url: NATS_URL, subject: out.orders, reconnect_wait: 100ms,
                          publish_timeout: 1s }
                on_error: { retry: { attempts: 3, base: 50ms, max: 500ms } }
            """)
        port = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", proc=p).group(1))
        wait_until(lambda: self.ready_status(port) == 200, what="ready")
        wait_until(lambda: self.nats.consumer("IN", "bridge")["ack_floor_stream_seq"] >= 100,
                   what="the bridge under way")
        at_stop = self.nats.consumer("IN", "bridge")
        self.nats.stop()
        self.assertLess(at_stop["ack_floor_stream_seq"], count, "stopped too late: not mid-flow")
        wait_until(lambda: self.ready_status(port) == 503, what="not ready while NATS is down")
        self.nats.start()
        wait_until(lambda: self.ready_status(port) == 200, what="ready again")
        try:
            wait_until(lambda: self.nats.consumer("IN", "bridge")["ack_floor_stream_seq"] >= count,
                       timeout=60, what="every message bridged")
        except AssertionError as e:
            raise AssertionError(f"{e}: {self.nats.consumer('IN', 'bridge')}\n"
                                 f"{self.log()[-5000:]}") from None
        self.assertEqual(self.stop(p), 0, self.log())
        ids = {json.loads(m["data"])["id"] for m in self.nats.messages("OUT")}
        self.assertEqual(ids, {f"o-{i}" for i in range(count)})
        self.assertRegex(self.log(), r"nats \S+: disconnected")

    def test_avro_round_trip(self):
        self.write("order.avsc", AVRO_SCHEMA)
        self.nats.create_stream("IN", "in.>")
        self.nats.create_stream("OUT", "out.>")
        orders = [{"id": f"o-{i}", "n": i * 1000 - 3} for i in range(10)]
        self.write("probe.yaml", AVRO_PROBE.replace("NATS_URL", self.nats.url))
        r = self.run_junction("validate", "probe.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.nats.publish("in.orders", [avro_encode(o).hex() for o in orders], "--hex")
        p = self.start("""\
            apiVersion: junction/v1
            flows:
              avro:
                input: { nats: { url: NATS_URL, stream: IN, subject: in.>, format: avro,
                                 schema: order.avsc } }
                pipeline:
                  - map: |
                      out = msg
                      out.n = msg.n + 1
                outputs:
                  seen: { file: out.jsonl }
                  back: { nats: { url: NATS_URL, subject: out.orders, format: avro,
                                  schema: order.avsc } }
            """)
        wait_until(lambda: len(self.nats.messages("OUT")) >= 10, what="10 Avro messages in OUT")
        self.assertEqual(self.stop(p), 0, self.log())
        # Inside the flow the records are JSON...
        self.assertEqual(self.out(), [{"id": o["id"], "n": o["n"] + 1} for o in orders])
        # ...and on the wire Avro binary again.
        back = [avro_decode(m["data"].encode("latin-1")) for m in self.nats.messages("OUT")]
        self.assertEqual(back, [{"id": o["id"], "n": o["n"] + 1} for o in orders])


if __name__ == "__main__":
    unittest.main()
