"""The amqp input and output against a real RabbitMQ node.

One node per class (it takes seconds to start); each test uses its own
queues. Results are read back with the amqp-tools CLIs, not with Junction.
"""
import http.server
import json
import os
import threading
import unittest

from junction_e2e import JunctionTest, free_port, http_request, wait_until
import server_amqp


def lines(text):
    whole = text[: text.rfind("\n") + 1]
    return [json.loads(l) for l in whole.splitlines() if l.strip()]


class HttpTarget:
    """An HTTP endpoint for a flow's http_client output that records what it
    gets (the redelivered header, the body) and, while `held` is set, keeps
    requests past the first `answer_first` waiting: messages in flight."""

    def __init__(self, port, answer_first=None):
        self.received = []
        self.released = threading.Event()
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                target.received.append((self.headers.get("x-junction-amqp-redelivered"), body))
                if answer_first is not None and len(target.received) > answer_first:
                    target.released.wait(timeout=120)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self):
        return [json.loads(body) for _, body in self.received]

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


class AmqpTest(JunctionTest):
    @classmethod
    def setUpClass(cls):
        cls.rabbit = None
        why = server_amqp.available()
        if why:
            raise unittest.SkipTest(why)
        cls.rabbit = server_amqp.RabbitServer()
        why = cls.rabbit.start()
        if why:
            cls.rabbit.close()
            print(f"\nskipping the AMQP tests: {why}")
            raise unittest.SkipTest(f"rabbitmq-server did not start: {why.splitlines()[0]}")
        print(f"\nrabbitmq-server ready in {cls.rabbit.start_seconds:.1f}s")

    @classmethod
    def tearDownClass(cls):
        if cls.rabbit:
            cls.rabbit.close()

    def setUp(self):
        super().setUp()
        # Restarted by a test that stopped it and failed before restarting.
        if self.rabbit.proc is None:
            self.start_rabbit()

    def start_rabbit(self):
        why = self.rabbit.start()
        if why:
            print(f"\nrabbitmq-server did not start again: {why}")
            self.skipTest(f"rabbitmq-server did not start: {why.splitlines()[0]}")

    def start(self, spec, ready_pattern):
        self.write("junction.yaml", spec)
        p = self.start_junction("run", "junction.yaml")
        self.wait_for_log(ready_pattern, proc=p)
        return p

    def out(self, name="out.jsonl"):
        if not os.path.exists(self.path(name)):
            return []
        return lines(self.read(name))

    def assert_all_settled(self, proc, queue):
        """Stops junction, then checks the queue is empty. Closing the
        connection requeues every unacked delivery, so an empty queue means
        each one was acked or rejected before junction exited. (Cheaper than
        polling rabbitmqctl, which boots an Erlang VM per call.)"""
        self.assertEqual(self.stop(proc), 0, self.log())
        self.assertIsNone(self.rabbit.get(queue), f"{queue} still holds a message")

    def test_input_acks_each_message_after_the_flow_wrote_it(self):
        self.rabbit.declare_queue("in.basic")
        for i in range(20):
            self.rabbit.publish("in.basic", json.dumps({"n": i}), content_type="application/json",
                                headers={"tenant": "acme"})
        p = self.start(f"""\
            apiVersion: junction/v1
            flows:
              intake:
                input: {{ amqp: {{ url: "{self.rabbit.url}", queue: in.basic, prefetch: 5 }} }}
                output: {{ file: {{ path: out.jsonl, format: json_envelope }} }}
            """, r"amqp consuming queue in.basic")
        wait_until(lambda: len(self.out()) >= 20, what="20 messages in the file")
        self.assert_all_settled(p, "in.basic")

        got = self.out()
        self.assertEqual(sorted(m["payload"]["n"] for m in got), list(range(20)))
        headers = got[0]["headers"]
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers["tenant"], "acme")
        self.assertEqual(headers["x-junction-amqp-routing-key"], "in.basic")

    def test_output_is_written_only_once_confirmed_and_unroutable_is_dead_lettered(self):
        self.rabbit.declare_queue("out.basic")
        with open(self.path("in.jsonl"), "w") as f:
            for i in range(30):
                f.write(json.dumps({"n": i, "dest": "out.basic"}) + "\n")
            f.write(json.dumps({"n": 99, "dest": "no.such.queue"}) + "\n")
        p = self.start(f"""\
            apiVersion: junction/v1
            flows:
              publish:
                input: {{ file: in.jsonl }}
                output:
                  amqp: {{ url: "{self.rabbit.url}", routing_key_expr: msg.dest }}
                on_error:
                  dead_letter: {{ file: {{ path: dead.jsonl, format: json_envelope }} }}
            """, r"amqp publishing to")
        wait_until(lambda: len(self.out("dead.jsonl")) >= 1, what="the unroutable message")
        dead = self.out("dead.jsonl")[0]
        self.assertEqual(dead["payload"]["n"], 99)
        self.assertEqual(dead["headers"]["x-junction-error-class"], "invalid")
        self.assertIn("NO_ROUTE", dead["headers"]["x-junction-error"])
        # Confirmed, then read back by an independent client.
        bodies = []
        wait_until(lambda: bodies.extend(self.rabbit.drain("out.basic")) or len(bodies) >= 30,
                   what="30 messages in out.basic")
        self.assertEqual(sorted(json.loads(b)["n"] for b in bodies), list(range(30)))
        self.assertEqual(self.stop(p), 0, self.log())

    def test_failed_messages_go_to_the_dead_letter_exchange(self):
        self.rabbit.declare_queue("in.failing.dlq")
        p = self.start(f"""\
            apiVersion: junction/v1
            flows:
              intake:
                input:
                  amqp:
                    url: "{self.rabbit.url}"
                    queue: in.failing
                    declare: true
                    dead_letter_exchange: ""
                    dead_letter_routing_key: in.failing.dlq
                pipeline:
                  - map: |
                      if msg.poison then error("cannot take " .. msg.n) end
                output: {{ file: out.jsonl }}
            """, r"amqp consuming queue in.failing")
        for i in range(10):
            body = {"n": i, "poison": True} if i % 5 == 0 else {"n": i}
            self.rabbit.publish("in.failing", json.dumps(body))
        self.rabbit.publish("in.failing", "not json")
        dead = []
        wait_until(lambda: dead.extend(self.rabbit.drain("in.failing.dlq")) or len(dead) >= 3,
                   what="3 messages in the dead-letter queue")
        self.assertEqual(sorted(dead), sorted(['{"n": 0, "poison": true}',
                                               '{"n": 5, "poison": true}', "not json"]))
        wait_until(lambda: len(self.out()) >= 8, what="8 good messages")
        self.assert_all_settled(p, "in.failing")
        self.assertEqual(sorted(m["n"] for m in self.out()), [1, 2, 3, 4, 6, 7, 8, 9])

    def test_transient_failures_are_requeued_until_they_succeed(self):
        # The flow's HTTP target is down at first: each failure is transient,
        # so the delivery is nacked with requeue (not acked, not dead-lettered)
        # and comes back marked redelivered until the target is up.
        self.rabbit.declare_queue("in.retry.dlq")
        target = free_port()
        p = self.start(f"""\
            apiVersion: junction/v1
            flows:
              intake:
                input:
                  amqp:
                    url: "{self.rabbit.url}"
                    queue: in.retry
                    declare: true
                    dead_letter_exchange: ""
                    dead_letter_routing_key: in.retry.dlq
                    requeue_delay: 100ms
                output:
                  http_client:
                    url: http://127.0.0.1:{target}/
                    forward_headers: [x-junction-amqp-redelivered]
                on_error: {{ retry: {{ attempts: 1 }} }}
            """, r"amqp consuming queue in.retry")
        self.rabbit.publish("in.retry", '{"n": 1}')
        wait_until(lambda: self.log().count("failed after 1 attempt") >= 2,
                   what="a failure of the redelivered message")
        self.assertEqual(self.rabbit.drain("in.retry.dlq"), [])

        server = HttpTarget(target)
        try:
            wait_until(lambda: server.received, what="the message at the target")
            self.assert_all_settled(p, "in.retry")
        finally:
            server.close()
        self.assertEqual(server.received[0], ("true", b'{"n": 1}'))
        self.assertEqual(self.rabbit.drain("in.retry.dlq"), [])

    def test_reconnects_after_the_broker_restarts(self):
        # publish/consume: file -> amqp output -> queue -> amqp input -> file;
        # both directions lose their connection mid-flow.
        # held: a message is in flight (its HTTP request held) across the
        # restart. Its ack comes after the reconnect and must be dropped: its
        # tag (11) names nothing on the new channel, and acking it there would
        # make the broker close the channel (406 unknown delivery tag).
        self.rabbit.declare_queue("loop")
        self.rabbit.declare_queue("held")
        held = HttpTarget(free_port(), answer_first=10)
        self.addCleanup(held.close)
        p = self.start(f"""\
            apiVersion: junction/v1
            observability: {{ listen: 127.0.0.1:0 }}
            flows:
              publish:
                input: {{ file: {{ path: in.jsonl, watch: true }} }}
                output: {{ amqp: {{ url: "{self.rabbit.url}", routing_key: loop }} }}
                on_error: {{ retry: {{ attempts: 100, base: 100ms, max: 1s }} }}
              consume:
                input: {{ amqp: {{ url: "{self.rabbit.url}", queue: loop, reconnect_max: 1s }} }}
                output: {{ file: out.jsonl }}
              held:
                input: {{ amqp: {{ url: "{self.rabbit.url}", queue: held, reconnect_max: 1s }} }}
                output:
                  http_client:
                    url: http://127.0.0.1:{held.server.server_port}/
                    timeout: 120s
            """, r"amqp consuming queue loop")
        self.wait_for_log(r"amqp consuming queue held", proc=p)
        port = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", proc=p).group(1))
        ready = lambda: http_request(port, "GET", "/health/ready")[0] == 200
        wait_until(ready, what="ready")
        for i in range(11):
            self.rabbit.publish("held", json.dumps({"n": i}))
        wait_until(lambda: len(held.received) >= 11, what="the 11th held message in flight")

        def append(start, count):
            with open(self.path("in.jsonl"), "a") as f:
                for i in range(start, start + count):
                    f.write(json.dumps({"n": i}) + "\n")

        append(0, 20)
        wait_until(lambda: len(self.out()) >= 5, what="the first messages")
        self.rabbit.stop()
        wait_until(lambda: not ready(), what="readiness false while the broker is down")
        append(20, 20)
        self.start_rabbit()
        wait_until(ready, timeout=60, what="ready again")
        wait_until(lambda: {m["n"] for m in self.out()} >= set(range(40)), timeout=60,
                   what="every message at least once")
        # Once the held flow consumes on a new connection, the old request
        # completes: its ack belongs to the old connection. The broker
        # redelivered the message, which then goes out again.
        wait_until(lambda: self.log().count("amqp consuming queue held") >= 2,
                   what="the held flow reconnected")
        held.released.set()
        wait_until(lambda: len(held.received) >= 12, what="the held message redelivered")
        self.assertEqual(sorted({b["n"] for b in held.bodies()}), list(range(11)))
        # Every component counted the lost connection.
        metrics = http_request(port, "GET", "/metrics")[2].decode()
        reconnects = [l for l in metrics.splitlines()
                      if l.startswith("junction_connector_reconnects_total")
                      and 'connector="amqp"' in l]
        self.assertTrue(all(float(l.split()[-1]) >= 1 for l in reconnects), reconnects)
        self.assert_all_settled(p, "held")
        self.assertNotIn("unknown delivery tag", self.log())
        self.assertEqual(len(reconnects), 3, metrics)


if __name__ == "__main__":
    unittest.main()
