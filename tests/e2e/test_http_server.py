"""An http_server flow hit with good requests, malformed JSON, an oversized
body and a schema violation; errors are problem+json."""
import json
import unittest

from junction_e2e import JunctionTest, http_request, json_body

SCHEMA = """\
{
  "type": "object",
  "required": ["order_id", "qty"],
  "properties": {
    "order_id": {"type": "integer"},
    "qty": {"type": "integer", "minimum": 1}
  }
}
"""


class HttpServerTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.write("order.schema.json", SCHEMA)
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            observability: {{ listen: "127.0.0.1:0" }}
            flows:
              orders:
                input:
                  http_server: "127.0.0.1:0"
                  path: /orders
                  max_body: 4KiB
                pipeline:
                  - validate: order.schema.json
                  - map: |
                      out.accepted = true
                output: {{ file: orders.jsonl, fsync: true }}
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = int(self.wait_for_log(r"http_server listening on 127\.0\.0\.1:(\d+)",
                                          self.proc).group(1))
        self.obs_port = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)",
                                              self.proc).group(1))

    def test_good_request_is_written_before_the_202(self):
        status, headers, body = http_request(self.port, "POST", "/orders",
                                             body=json.dumps({"order_id": 7, "qty": 2}),
                                             headers={"Content-Type": "application/json"})
        self.assertEqual(status, 202, body)
        self.assertIn("id", json_body(body))
        # The file holds the order by the time the client has its answer.
        written = [json.loads(l) for l in self.read("orders.jsonl").splitlines()]
        self.assertEqual(written, [{"order_id": 7, "qty": 2, "accepted": True}])

    def test_malformed_json_is_400_problem(self):
        status, headers, body = http_request(self.port, "POST", "/orders", body="{not json")
        self.assertEqual(status, 400)
        self.assertEqual(headers["Content-Type"], "application/problem+json")
        problem = json_body(body)
        self.assertEqual(problem["status"], 400)
        self.assertIn("not JSON", problem["detail"])
        self.assertTrue(problem["type"].startswith("https://"))
        self.assertTrue(problem["request_id"])

    def test_schema_violation_is_400_naming_the_field(self):
        status, _, body = http_request(self.port, "POST", "/orders",
                                       body=json.dumps({"order_id": 1, "qty": 0}))
        self.assertEqual(status, 400)
        self.assertIn("qty", json_body(body)["detail"])

    def test_oversized_body_is_413(self):
        status, headers, body = http_request(self.port, "POST", "/orders", body="x" * 10000)
        self.assertEqual(status, 413)
        self.assertEqual(headers["Content-Type"], "application/problem+json")

    def test_wrong_path_and_method(self):
        self.assertEqual(http_request(self.port, "POST", "/nope", body="{}")[0], 404)
        status, headers, _ = http_request(self.port, "GET", "/orders")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "POST")

    def test_metrics_and_health(self):
        http_request(self.port, "POST", "/orders", body=json.dumps({"order_id": 1, "qty": 1}))
        status, _, body = http_request(self.obs_port, "GET", "/metrics")
        self.assertEqual(status, 200)
        text = body.decode()
        self.assertIn('junction_flow_received_total{flow="orders"}', text)
        self.assertIn('junction_flow_delivered_total{flow="orders",output="file"} 1', text)
        status, _, body = http_request(self.obs_port, "GET", "/health/ready")
        self.assertEqual(status, 200)
        self.assertEqual(json_body(body)["status"], "ready")
        self.assertEqual(http_request(self.obs_port, "GET", "/health/live")[0], 200)

    def test_sigterm_drains_and_exits_zero(self):
        self.assertEqual(self.stop(self.proc), 0, self.log())


if __name__ == "__main__":
    unittest.main()
