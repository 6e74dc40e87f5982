"""A gateway route whose target is a topic: the request is answered 202 once
it is durable in the embedded log, a flow consuming the topic gets it, and
the log's limits come back as problem+json."""
import json
import os

from junction_e2e import JunctionTest, http_request, json_body, wait_until


class GatewayTopicTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.write("junction.yaml", """\
            apiVersion: junction/v1
            storage: { dir: data }
            observability: { listen: 127.0.0.1:0 }
            topics:
              orders: { partitions: 3, max_message_size: 512B }
            gateway:
              listen: 127.0.0.1:0
              routes:
                - path: /orders
                  methods: [POST]
                  to: { topic: orders, key: X-Order-Id }
            flows:
              file-orders:
                input: { topic: orders, group: filer }
                output: { file: out/orders.jsonl }
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)
        self.obs = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", self.proc).group(1))

    def tearDown(self):
        if self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        super().tearDown()

    def post(self, body, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return http_request(self.port, "POST", "/orders", body=body, headers=h)

    def test_a_request_becomes_a_durable_record_that_a_flow_consumes(self):
        sent = []
        for i in range(5):
            body = json.dumps({"order": i})
            status, headers, raw = self.post(body, {"X-Order-Id": f"o-{i}", "X-Request-Id": f"req-{i}"})
            self.assertEqual(status, 202, raw)
            self.assertEqual(headers.get("Content-Type"), "application/json")
            answer = json_body(raw)
            self.assertEqual(answer["topic"], "orders")
            sent.append((body, answer))

        # The answer names where the record is: read it back there.
        body, answer = sent[2]
        status, _, raw = http_request(
            self.obs, "GET", f"/topics/orders/records?partition={answer['partition']}&offset={answer['offset']}&max=1")
        self.assertEqual(status, 200, raw)
        record = json_body(raw)["records"][0]
        self.assertEqual(record["key"], "o-2")
        self.assertEqual(json.loads(record["value"]), {"order": 2})
        self.assertEqual(record["headers"]["x-junction-id"], answer["id"])
        self.assertEqual(record["headers"]["x-request-id"], "req-2")
        self.assertEqual(record["headers"]["x-junction-http-method"], "POST")
        self.assertEqual(record["headers"]["content-type"], "application/json")

        # The same key always lands in the same partition.
        status, _, raw = self.post("{}", {"X-Order-Id": "o-2"})
        self.assertEqual(json_body(raw)["partition"], answer["partition"])

        out = self.path("out", "orders.jsonl")
        wait_until(lambda: os.path.exists(out) and len(self.lines(out)) >= 6, what="6 filed orders")
        filed = [json.loads(line) for line in self.lines(out)]
        for body, _ in sent:
            self.assertIn(json.loads(body), filed)

    def test_limits_of_the_log_are_problems(self):
        status, headers, raw = self.post(json.dumps({"pad": "x" * 1000}))
        self.assertEqual(status, 413, raw)
        self.assertEqual(headers.get("Content-Type"), "application/problem+json")
        problem = json_body(raw)
        self.assertNotIn("bytes", problem.get("detail", ""))  # no internal limits leak
        status, _, _ = http_request(self.port, "GET", "/orders")
        self.assertEqual(status, 405)

    def lines(self, path):
        with open(path) as f:
            return [line for line in f.read().split("\n") if line.strip().endswith("}")]


class GatewayTopicSpecTest(JunctionTest):
    def test_an_undeclared_topic_is_a_spec_error(self):
        self.write("bad.yaml", """\
            apiVersion: junction/v1
            topics:
              orders: {}
            gateway:
              listen: 127.0.0.1:0
              routes:
                - path: /orders
                  to: { topic: order }
            """)
        r = self.run_junction("validate", "bad.yaml")
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.yaml:8:20:", r.stderr)
        self.assertIn("unknown topic 'order'", r.stderr)
        self.assertIn("orders", r.stderr)  # the suggestion
