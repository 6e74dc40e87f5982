"""The Redis connector against a real redis-server: the redis_stream input
(XREADGROUP, XACK after the flow settled, redelivery, dead-letter stream,
crash and reconnect) and the redis output (xadd, publish, set, hset, lpush),
each checked with redis-cli."""
import json
import os
import re
import signal
import subprocess
import unittest

from junction_e2e import JunctionTest, http_request, wait_until
from server_redis import RedisServer


def lines(text):
    # A line still being written (no newline yet) is not a record yet.
    whole = text[: text.rfind("\n") + 1]
    return [json.loads(l) for l in whole.splitlines() if l.strip()]


class RedisTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.redis = RedisServer()
        self.addCleanup(self.redis.close)
        self.redis.start()

    # --- helpers -----------------------------------------------------------

    def xadd(self, stream, count, start=0, poison=()):
        """Adds entries {"n": i} in one redis-cli pipe (fast for thousands)."""
        cmds = []
        for i in range(start, start + count):
            body = {"n": i}
            if i in poison:
                body["poison"] = True
            payload = json.dumps(body).replace('"', '\\"')
            cmds.append(f'XADD {stream} * payload "{payload}"')
        r = subprocess.run(["redis-cli", "-p", str(self.redis.port)], input="\n".join(cmds) + "\n",
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)

    def pending(self, stream, group):
        """XPENDING's summary count; None while the group does not exist yet
        (Junction creates it as its input starts), so a wait keeps waiting."""
        reply = self.redis.cli("XPENDING", stream, group)[0]
        return int(reply) if reply.isdigit() else None

    def xlen(self, stream):
        """XLEN: 0 for a stream that does not exist yet."""
        return int(self.redis.cli("XLEN", stream)[0])

    def out(self, name="out.jsonl"):
        if not os.path.exists(self.path(name)):
            return []
        return lines(self.read(name))

    def out_numbers(self):
        return [o["payload"]["n"] for o in self.out()]

    def start(self, spec):
        self.write("junction.yaml", spec)
        before = self.log().count(": running")
        p = self.start_junction("run", "junction.yaml")
        wait_until(lambda: self.log().count(": running") > before or p.poll() is not None,
                   what="the flows to start")
        self.assertIsNone(p.poll(), self.log())
        return p

    def input_spec(self, extra="", pipeline="", observability=""):
        return f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            {observability}
            flows:
              read:
                input:
                  redis_stream: orders
                  url: {self.redis.url}
                  group: billing
                  consumer: c1
                  block: 200ms
                  {extra}
                {pipeline}
                output: {{ file: out.jsonl, format: json_envelope }}
            """

    # --- the input ---------------------------------------------------------

    def test_stream_entries_reach_the_flow_and_are_acked(self):
        self.xadd("orders", 20)
        self.redis.cli("XADD", "orders", "*", "sku", "a-1", "qty", "2")  # no payload field
        p = self.start(self.input_spec())
        wait_until(lambda: len(self.out()) >= 21, what="21 messages")
        wait_until(lambda: self.pending("orders", "billing") == 0, what="every entry XACKed")
        self.assertEqual(self.stop(p), 0, self.log())

        out = self.out()
        self.assertEqual([o["payload"]["n"] for o in out[:20]], list(range(20)))
        self.assertEqual(out[20]["payload"], {"sku": "a-1", "qty": "2"})
        h = out[0]["headers"]
        self.assertRegex(h["x-junction-redis-id"], r"^\d+-\d+$")
        self.assertEqual(h["x-junction-redis-stream"], "orders")
        self.assertEqual(h["x-junction-redis-deliveries"], "1")
        self.assertEqual(out[0]["id"], "orders/" + h["x-junction-redis-id"])
        # A clean restart delivers only what is new.
        self.xadd("orders", 5, start=20)
        p = self.start(self.input_spec())
        wait_until(lambda: len(self.out()) >= 26, what="5 more messages")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(len(self.out()), 26, "a clean restart must not redeliver")

    def test_a_failing_entry_is_redelivered_then_dead_lettered(self):
        self.xadd("orders", 10, poison={4})
        # A payload that is not JSON cannot be decoded: dead-lettered at once.
        self.redis.cli("XADD", "orders", "*", "payload", "not json")
        pipeline = """pipeline:
                  - map: |
                      if msg.poison then error("cannot bill " .. msg.n) end
                      out = msg"""
        p = self.start(self.input_spec(extra="max_deliveries: 3", pipeline=pipeline))
        # Both dead letters, counted exactly: the poison entry's comes only
        # after its third delivery. An empty PEL alone proves nothing: it is
        # empty too between the group's creation and the first read.
        wait_until(lambda: self.xlen("orders.dlq") == 2, timeout=60,
                   what="the garbage and the poison entry dead-lettered")
        wait_until(lambda: len(self.out()) >= 9, what="the good entries")
        wait_until(lambda: self.pending("orders", "billing") == 0, what="nothing pending")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(sorted(self.out_numbers()), [0, 1, 2, 3, 5, 6, 7, 8, 9])

        dead = self.xrange("orders.dlq")
        self.assertEqual(len(dead), 2, dead)
        poison = next(d for d in dead if "poison" in d.get("payload", ""))
        self.assertEqual(json.loads(poison["payload"])["n"], 4)
        self.assertIn("cannot bill 4", poison["reason"])
        self.assertEqual(poison["deliveries"], "3")
        self.assertEqual(poison["source_stream"], "orders")
        garbage = next(d for d in dead if d.get("payload") == "not json")
        self.assertIn("not JSON", garbage["reason"])
        self.assertEqual(garbage["deliveries"], "1")
        self.assertIn("dead-lettered to orders.dlq after 3 deliveries", self.log())

    def xrange(self, stream):
        """XRANGE as a list of {field: value} dicts (redis-cli prints an id
        line, then field and value lines)."""
        raw = self.redis.cli("XRANGE", stream, "-", "+")
        if raw == [""]:  # how redis-cli prints an empty reply
            raw = []
        entries, i = [], 0
        while i < len(raw):
            self.assertRegex(raw[i], r"^\d+-\d+$")
            i += 1
            fields = {}
            while i < len(raw) and not re.match(r"^\d+-\d+$", raw[i]):
                fields[raw[i]] = raw[i + 1]
                i += 2
            entries.append(fields)
        return entries

    def test_entries_a_dead_consumer_left_are_taken_over(self):
        self.redis.cli("XGROUP", "CREATE", "orders", "billing", "0", "MKSTREAM")
        self.xadd("orders", 5)
        # Another consumer reads them and dies without acking.
        self.redis.cli("XREADGROUP", "GROUP", "billing", "gone", "COUNT", "5", "STREAMS", "orders",
                       ">")
        self.assertEqual(self.pending("orders", "billing"), 5)
        p = self.start(self.input_spec(extra="claim_idle: 300ms"))
        wait_until(lambda: len(self.out()) >= 5, what="the abandoned entries")
        wait_until(lambda: self.pending("orders", "billing") == 0, what="every entry XACKed")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(sorted(self.out_numbers()), [0, 1, 2, 3, 4])
        # Taking over (XAUTOCLAIM JUSTID) is no delivery; the claim after it is the second.
        self.assertEqual({o["headers"]["x-junction-redis-deliveries"] for o in self.out()}, {"2"})

    def test_kill_nine_redelivers_what_was_pending(self):
        self.xadd("orders", 3000)
        # The last 100 entries fail (and stay pending) in the first run, so
        # the kill always finds entries in flight, however fast the rest went.
        holding = """pipeline:
                  - map: |
                      if msg.n >= 2900 then error("held back " .. msg.n) end
                      out = msg"""
        p = self.start(self.input_spec(extra="batch: 50\n                  max_deliveries: 1000",
                                       pipeline=holding))
        wait_until(lambda: len(self.out()) >= 2900, what="progress")
        spec = self.input_spec(extra="batch: 50")
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.assertGreater(self.pending("orders", "billing"), 0, "entries in flight at the kill")
        p = self.start(spec)
        wait_until(lambda: len(set(self.out_numbers())) >= 3000, timeout=120, what="all entries")
        wait_until(lambda: self.pending("orders", "billing") == 0, what="every entry XACKed")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(set(self.out_numbers()), set(range(3000)))
        self.assertIn("redelivering", self.log())

    def test_reconnect_after_redis_restarts(self):
        obs = "observability: { listen: 127.0.0.1:0 }"
        self.xadd("orders", 3000)
        p = self.start(self.input_spec(extra="batch: 20", observability=obs))
        port = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", proc=p).group(1))
        wait_until(lambda: len(self.out()) >= 200, what="progress")

        # Mid-flow: entries are being read, processed and acked.
        self.redis.stop()
        wait_until(lambda: http_request(port, "GET", "/health/ready")[0] != 200,
                   what="not ready while redis is down")
        self.redis.start()
        self.xadd("orders", 200, start=3000)
        wait_until(lambda: len(set(self.out_numbers())) >= 3200, timeout=90, what="all 3200")
        wait_until(lambda: http_request(port, "GET", "/health/ready")[0] == 200,
                   what="ready again")
        wait_until(lambda: self.pending("orders", "billing") == 0, what="every entry XACKed")
        _, _, metrics = http_request(port, "GET", "/metrics")
        self.assertRegex(metrics.decode(),
                         r'junction_connector_reconnects_total\{[^}]*connector="redis"[^}]*\} [1-9]')
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(set(self.out_numbers()), set(range(3200)))

    @staticmethod
    def end_subscriber(sub):
        sub.kill()
        sub.wait()
        sub.stdout.close()

    # --- the output --------------------------------------------------------

    def test_output_commands_read_back_with_redis_cli(self):
        sub = subprocess.Popen(["redis-cli", "-p", str(self.redis.port), "SUBSCRIBE", "events"],
                               stdout=subprocess.PIPE, text=True)
        self.addCleanup(self.end_subscriber, sub)
        # The confirmation: "subscribe", the channel, the subscription count.
        self.assertEqual([sub.stdout.readline().strip() for _ in range(3)],
                         ["subscribe", "events", "1"])
        gen = """generate: '{"n": {{counter}}, "id": "o{{counter}}"}', interval: 0, count: 5"""
        url = self.redis.url
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            flows:
              to_stream:
                input: {{ {gen} }}
                output: {{ redis: xadd, url: "{url}", key: audit, maxlen: 1000 }}
              to_channel:
                input: {{ {gen} }}
                output: {{ redis: publish, url: "{url}", key: events }}
              to_keys:
                input: {{ {gen} }}
                output: {{ redis: set, url: "{url}", key_expression: '"order:" .. msg.id', ttl: 1h }}
              to_hashes:
                input: {{ {gen} }}
                output: {{ redis: hset, url: "{url}", key_expression: '"h:" .. msg.id' }}
              to_list:
                input: {{ {gen} }}
                output: {{ redis: lpush, url: "{url}", key: "jobs" }}
            """)
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)

        entries = self.xrange("audit")
        self.assertEqual([json.loads(e["payload"])["n"] for e in entries], [1, 2, 3, 4, 5])
        self.assertEqual(json.loads(self.redis.cli("GET", "order:o3")[0]), {"n": 3, "id": "o3"})
        ttl = int(self.redis.cli("TTL", "order:o3")[0])
        self.assertTrue(0 < ttl <= 3600, ttl)
        self.assertEqual(self.redis.cli("HGET", "h:o2", "n"), ["2"])
        self.assertEqual(self.redis.cli("HGET", "h:o2", "id"), ["o2"])
        self.assertEqual([json.loads(x)["n"] for x in self.redis.cli("LRANGE", "jobs", 0, -1)],
                         [5, 4, 3, 2, 1])
        got = []
        while len(got) < 5:
            kind = sub.stdout.readline().strip()
            channel = sub.stdout.readline().strip()
            body = sub.stdout.readline().strip()
            self.assertEqual((kind, channel), ("message", "events"))
            got.append(json.loads(body)["n"])
        self.assertEqual(got, [1, 2, 3, 4, 5])

    def test_output_rides_out_a_redis_restart(self):
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            observability: {{ listen: 127.0.0.1:0 }}
            flows:
              to_stream:
                input: {{ generate: '{{"n": {{{{counter}}}}}}', interval: 5ms, count: 400 }}
                output: {{ redis: xadd, url: "{self.redis.url}", key: audit }}
                on_error:
                  retry: {{ attempts: 30, base: 50ms, max: 500ms }}
            """)
        p = self.start_junction("run", "junction.yaml")
        port = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", proc=p).group(1))
        wait_until(lambda: int(self.redis.cli("XLEN", "audit")[0]) >= 50, what="some written")
        self.redis.stop()
        wait_until(lambda: http_request(port, "GET", "/health/ready")[0] != 200,
                   what="not ready while redis is down")
        self.redis.start()
        self.assertEqual(p.wait(timeout=120), 0, self.log())
        numbers = {json.loads(e["payload"])["n"] for e in self.xrange("audit")}
        self.assertEqual(numbers, set(range(1, 401)))

    # --- the lookup --------------------------------------------------------

    def test_lookup_enriches_messages(self):
        self.redis.cli("SET", "customer:c1", '{"name": "Ada"}')
        self.redis.cli("HSET", "tier:c1", "level", "gold", "since", "2020")
        self.redis.cli("HSET", "tier:c2", "level", "silver")
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            flows:
              enrich:
                input: {{ generate: '{{"customer": "c{{{{counter}}}}"}}', interval: 0, count: 3 }}
                pipeline:
                  - redis_lookup: {{ url: "{self.redis.url}", into: profile, cache_ttl: 1m,
                                     key_expression: '"customer:" .. msg.customer' }}
                  - redis_lookup: {{ url: "{self.redis.url}", command: hget, field: level,
                                     key_expression: '"tier:" .. msg.customer', into: level }}
                  - redis_lookup: {{ url: "{self.redis.url}", command: hgetall, on_missing: fail,
                                     key_expression: '"tier:" .. msg.customer', into: tier }}
                output: {{ file: out.jsonl }}
                on_error:
                  dead_letter: {{ file: dead.jsonl, format: json_envelope }}
            """)
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.out()
        self.assertEqual(out[0]["profile"], {"name": "Ada"})
        self.assertEqual(out[0]["level"], "gold")
        self.assertEqual(out[0]["tier"], {"level": "gold", "since": "2020"})
        self.assertIsNone(out[1]["profile"])  # no such key: null
        self.assertEqual(out[1]["tier"], {"level": "silver"})
        self.assertEqual(len(out), 2)
        dead = self.out("dead.jsonl")  # c3 has no tier: on_missing: fail
        self.assertEqual(len(dead), 1)
        self.assertIn("no value at key 'tier:c3'", dead[0]["headers"]["x-junction-error"])

    def test_wrong_type_is_dead_lettered_not_retried(self):
        self.redis.cli("SET", "audit", "a string, not a stream")
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: data }}
            flows:
              to_stream:
                input: {{ generate: '{{"n": {{{{counter}}}}}}', interval: 0, count: 2 }}
                output: {{ redis: xadd, url: "{self.redis.url}", key: audit }}
                on_error:
                  retry: {{ attempts: 5, base: 10ms, max: 20ms }}
                  dead_letter: {{ file: dead.jsonl, format: json_envelope }}
            """)
        r = self.run_junction("run", "junction.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        dead = self.out("dead.jsonl")
        self.assertEqual(len(dead), 2)
        self.assertEqual(dead[0]["headers"]["x-junction-error-class"], "invalid")
        self.assertIn("WRONGTYPE", dead[0]["headers"]["x-junction-error"])
        self.assertEqual(dead[0]["headers"]["x-junction-attempts"], "1")


if __name__ == "__main__":
    unittest.main()
