"""The mqtt input and output against a real mosquitto broker, checked with an
independent libmosquitto client (tests/tools/mqtt)."""
import json
import os
import shutil
import signal
import unittest

from junction_e2e import JunctionTest, http_request, wait_until
from server_mqtt import MosquittoServer


def lines(text):
    whole = text[: text.rfind("\n") + 1]
    return [json.loads(l) for l in whole.splitlines() if l.strip()]


class MqttTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.broker = MosquittoServer().start()
        self.addCleanup(self.broker.close)

    def out(self, name="out.jsonl"):
        if not os.path.exists(self.path(name)):
            return []
        return lines(self.read(name))

    def start(self, spec, runs=1):
        """Runs junction on `spec`; returns once its `runs`-th subscription is up."""
        self.write("junction.yaml", spec)
        p = self.start_junction("run", "junction.yaml")
        wait_until(lambda: self.log().count("subscribed (session") >= runs or p.poll() is not None,
                   what="the mqtt input to subscribe")
        self.assertIsNone(p.poll(), self.log())
        return p

    def test_input_delivers_to_a_file_with_the_topic(self):
        spec = f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            flows:
              sensors:
                input: {{ mqtt: "sensors/#", port: {self.broker.port}, client_id: sensors }}
                output: {{ file: out.jsonl, format: json_envelope }}
            """
        p = self.start(spec)
        self.broker.publish("sensors/kitchen/t", [json.dumps({"n": i}) for i in range(50)])
        wait_until(lambda: len(self.out()) >= 50, what="50 messages in the file")
        self.assertEqual(self.stop(p), 0, self.log())
        got = self.out()
        self.assertEqual(sorted(m["payload"]["n"] for m in got), list(range(50)))
        self.assertEqual({m["headers"]["x-junction-mqtt-topic"] for m in got},
                         {"sensors/kitchen/t"})

        # Everything that settled was acknowledged: the resumed session brings
        # only what is new (the broker would send the unacknowledged first).
        p = self.start(spec, runs=2)
        self.assertIn("subscribed (session resumed)", self.log())
        self.broker.publish("sensors/hall/t", [json.dumps({"n": 50})])
        wait_until(lambda: len(self.out()) >= 51, what="the 51st message")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(len(self.out()), 51)

    def test_output_publishes_and_counts_on_puback(self):
        self.check_output(qos=1)

    def test_output_at_qos0_counts_the_socket_write(self):
        self.check_output(qos=0)

    def check_output(self, qos):
        sub = self.broker.subscribe("commands/#", 20, qos=qos)
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            flows:
              push:
                input: {{ generate: '{{"n": {{{{counter}}}}}}', interval: 0, count: 20 }}
                output: {{ mqtt: "commands/{{{{id}}}}", port: {self.broker.port}, qos: {qos} }}
            """)
        p = self.start_junction("run", "junction.yaml")
        got = sub.result()
        self.assertEqual(sorted(json.loads(m["payload"])["n"] for m in got), list(range(1, 21)))
        self.assertTrue(all(m["topic"].startswith("commands/") and m["qos"] == qos for m in got))
        # The generator ends after 20: junction exits on its own once they are written.
        self.assertEqual(p.wait(timeout=60), 0, self.log())

    def test_qos1_unsettled_messages_are_not_acknowledged(self):
        # The flow cannot deliver (nothing listens on the HTTP port), so no
        # message settles; a kill -9 then must leave them all at the broker.
        dead_port = self.broker.port  # speaks MQTT, not HTTP: every request fails
        common = f'input: {{ mqtt: "jobs/#", port: {self.broker.port}, client_id: worker }}'
        p = self.start(f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            flows:
              jobs:
                {common}
                output: {{ http_client: "http://127.0.0.1:{dead_port}/", timeout: 1s }}
                on_error: {{ retry: {{ attempts: 1000, base: 1s, max: 1s }} }}
            """)
        self.broker.publish("jobs/a", [json.dumps({"n": i}) for i in range(10)])
        wait_until(lambda: self.broker.server_log().count("Sending PUBLISH to worker") >= 10,
                   what="the broker to deliver the jobs")
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.assertNotIn("Received PUBACK from worker", self.broker.server_log())

        p = self.start(f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            flows:
              jobs:
                {common}
                output: {{ file: out.jsonl }}
            """, runs=2)
        wait_until(lambda: len(self.out()) >= 10, what="the redelivered jobs")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(sorted(m["n"] for m in self.out()), list(range(10)))
        self.assertIn("Received PUBACK from worker", self.broker.server_log())

    def test_a_failed_message_is_redelivered_then_settles(self):
        # Lua globals live as long as the flow: the poison message fails twice.
        p = self.start(f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            flows:
              orders:
                input: {{ mqtt: orders, port: {self.broker.port}, client_id: orders }}
                pipeline:
                  - map: |
                      if msg.poison then
                        tries = (tries or 0) + 1
                        if tries < 3 then error("not yet " .. tries) end
                      end
                      out = msg
                output: {{ file: out.jsonl }}
            """)
        orders = [{"n": i} for i in range(10)]
        orders[4]["poison"] = True
        self.broker.publish("orders", [json.dumps(o) for o in orders])
        wait_until(lambda: {m["n"] for m in self.out()} == set(range(10)),
                   what="every order, the poison one after two failures")
        self.assertEqual(self.log().count("reconnecting without acknowledging"), 2, self.log())
        self.assertEqual(self.stop(p), 0, self.log())

    def test_a_failed_message_goes_to_the_dead_letter_topic(self):
        dead = self.broker.subscribe("dead/letters", 1)
        p = self.start(f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            flows:
              orders:
                input:
                  mqtt: orders
                  port: {self.broker.port}
                  dead_letter: dead/letters
                pipeline:
                  - map: |
                      if msg.poison then error("cannot take order " .. msg.n) end
                      out = msg
                output: {{ file: out.jsonl }}
            """)
        orders = [{"n": i} for i in range(10)]
        orders[7]["poison"] = True
        self.broker.publish("orders", [json.dumps(o) for o in orders])
        got = dead.result()
        self.assertEqual(json.loads(got[0]["payload"]), orders[7])
        props = got[0]["properties"]
        self.assertIn("cannot take order 7", props["x-junction-error"])
        self.assertEqual(props["x-junction-mqtt-topic"], "orders")
        wait_until(lambda: len(self.out()) >= 9, what="the good orders")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(sorted(m["n"] for m in self.out()), [i for i in range(10) if i != 7])
        # Acknowledged after the dead letter: a new subscriber session of the
        # same client would not see it again (the broker log has the PUBACK).
        self.assertNotIn("reconnecting without acknowledging", self.log())

    def test_broker_restart_mid_flow_loses_nothing(self):
        # Both directions through one broker: generate -> mqtt output ->
        # broker -> mqtt input -> file. The broker stops in the middle. The
        # consumer's session exists first, so it misses nothing published
        # before its first connect.
        self.broker.create_session("loop-consumer", "loop/#")
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            observability: {{ listen: 127.0.0.1:0 }}
            flows:
              produce:
                input: {{ generate: '{{"n": {{{{counter}}}}}}', interval: 20ms, count: 200 }}
                output:
                  mqtt: loop/numbers
                  port: {self.broker.port}
                  timeout: 1s
                  reconnect_max: 300ms
                on_error: {{ retry: {{ attempts: 1000, base: 50ms, max: 300ms }} }}
              consume:
                input:
                  mqtt: "loop/#"
                  port: {self.broker.port}
                  client_id: loop-consumer
                  reconnect_max: 300ms
                output: {{ file: out.jsonl }}
            """)
        p = self.start_junction("run", "junction.yaml")
        port = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", proc=p).group(1))

        def ready():
            """The connectors' readiness, from /health/ready (the produce flow
            itself turns not ready once its generator ends)."""
            try:
                status, _, body = http_request(port, "GET", "/health/ready", timeout=5)
            except OSError:
                return None
            components = json.loads(body)["components"]
            return [next((v["ready"] for k, v in components.items()
                          if k.startswith(f"connector {flow}.")), None)
                    for flow in ("consume", "produce")]

        wait_until(lambda: ready() == [True, True], what="readiness")
        wait_until(lambda: len(self.out()) >= 40, what="the first messages")
        self.broker.stop()
        wait_until(lambda: ready() == [False, False],
                   what="readiness to drop while the broker is down")
        self.assertEqual(http_request(port, "GET", "/health/ready")[0], 503)
        self.assertLess(len({m["n"] for m in self.out()}), 200)
        self.broker.start()
        try:
            wait_until(lambda: {m["n"] for m in self.out()} == set(range(1, 201)), timeout=60,
                       what="every message at least once")
        except AssertionError:
            missing = sorted(set(range(1, 201)) - {m["n"] for m in self.out()})
            raise AssertionError(f"missing {missing}\n{self.log()}\n{self.broker.server_log()}")
        wait_until(lambda: ready()[0] is True, what="readiness after the restart")
        self.assertEqual(self.stop(p), 0, self.log())

    @unittest.skipUnless(shutil.which("openssl"), "needs the openssl CLI to make certificates")
    def test_tls_both_ways(self):
        # A second broker that speaks only TLS, with a CA of our own.
        tls = MosquittoServer(tls=True).start()
        self.addCleanup(tls.close)
        conn = f"port: {tls.port}, cafile: {tls.cafile}"
        p = self.start(f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            flows:
              consume:
                input: {{ mqtt: "secure/#", {conn}, client_id: tls-consumer }}
                output: {{ file: out.jsonl }}
            """)
        self.write("produce.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: state2 }}
            flows:
              produce:
                input: {{ generate: '{{"n": {{{{counter}}}}}}', interval: 0, count: 30 }}
                output: {{ mqtt: secure/numbers, {conn} }}
            """)
        producer = self.start_junction("run", "produce.yaml")
        self.assertEqual(producer.wait(timeout=60), 0, self.log())
        wait_until(lambda: len(self.out()) >= 30, what="30 messages over TLS")
        self.assertEqual(self.stop(p), 0, self.log())
        self.assertEqual(sorted(m["n"] for m in self.out()), list(range(1, 31)))


if __name__ == "__main__":
    unittest.main()
