"""Request body validation: a route validates POST bodies against a JSON
Schema file (with a $ref to a second file) before proxying to an upstream
that records what it receives. Only valid bodies ever reach it; the others
are answered 415, 400 or 422 problem+json, after authentication and rate
limiting. A schema that does not load stops the spec at its field."""
import json
import unittest

from junction_e2e import JunctionTest, RecordingServer, http_request, json_body


ORDER_SCHEMA = """\
    {
      "$schema": "http://json-schema.org/draft-07/schema#",
      "type": "object",
      "required": ["id", "lines"],
      "additionalProperties": false,
      "properties": {
        "id": {"type": "string", "pattern": "^o-[0-9]+$"},
        "placed": {"type": "string", "format": "date-time"},
        "lines": {"type": "array", "minItems": 1, "items": {"$ref": "common.json#/definitions/line"}}
      }
    }
    """

COMMON_SCHEMA = """\
    {
      "definitions": {
        "line": {
          "type": "object",
          "required": ["sku", "qty"],
          "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
        }
      }
    }
    """

JSON = {"Content-Type": "application/json"}
KEY = {"Content-Type": "application/json", "X-Api-Key": "key-for-ops-0123456789"}


class GatewayValidationTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.upstream = RecordingServer(lambda request: (201, {"stored": True}))
        self.write("schemas/order.json", ORDER_SCHEMA)
        self.write("schemas/common.json", COMMON_SCHEMA)
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            observability: {{ listen: 127.0.0.1:0 }}
            gateway:
              listen: 127.0.0.1:0
              auth:
                api_keys: {{ keys: "ops:key-for-ops-0123456789" }}
              routes:
                - path: /orders
                  methods: [POST]
                  validate: {{ schema: schemas/order.json }}
                  to: {{ upstream: store }}
                - path: /secured/orders
                  methods: [POST]
                  require: {{ auth: api_key }}
                  rate_limit: {{ key: consumer, limit: 2/min }}
                  validate: schemas/order.json
                  to: {{ upstream: store }}
            upstreams:
              store:
                targets: ["http://127.0.0.1:{self.upstream.port}"]
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)
        self.obs = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", self.proc).group(1))

    def tearDown(self):
        if self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        self.upstream.close()
        super().tearDown()

    def bodies(self):
        """What reached the upstream."""
        return [request["body"] for request in self.upstream.requests]

    def post(self, body, headers=JSON, path="/orders"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        return http_request(self.port, "POST", path, body=body, headers=headers)

    def assert_problem(self, status, answer):
        got, headers, raw = answer
        self.assertEqual(got, status, raw)
        self.assertEqual(headers.get("Content-Type"), "application/problem+json")
        problem = json_body(raw)
        self.assertEqual(problem["status"], status)
        return problem

    def failures(self, route):
        _, _, raw = http_request(self.obs, "GET", "/metrics")
        for line in raw.decode().splitlines():
            if line.startswith(f'junction_gateway_validation_failures_total{{route="{route}"}}'):
                return int(float(line.split()[-1]))
        return None

    def test_valid_body_is_proxied_unchanged(self):
        body = ('{"id":"o-17","placed":"2026-11-26T10:00:00Z",'
                '"lines":[{"sku":"A-1","qty":2}]}')
        status, _, raw = self.post(body, {"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(status, 201, raw)
        self.assertEqual(self.bodies(), [body.encode()])

    def test_invalid_bodies_never_reach_the_upstream(self):
        p = self.assert_problem(415, self.post({"id": "o-1"}, {"Content-Type": "text/plain"}))
        self.assertEqual(p["type"], "https://junction.dev/problems/unsupported-media-type")
        p = self.assert_problem(400, self.post('{"id": "o-1",'))
        self.assertEqual(p["detail"], "the request body is not valid JSON")

        # A wrong type, a broken pattern, a bad date-time, an unknown
        # property and a line (through the $ref to common.json) without qty.
        p = self.assert_problem(422, self.post({
            "id": "order-1", "placed": "yesterday", "extra": True,
            "lines": [{"sku": "A-1", "qty": 1}, {"sku": 5}]}))
        self.assertEqual(p["type"], "https://junction.dev/problems/unprocessable-content")
        pointers = {e["pointer"] for e in p["errors"]}
        self.assertIn("/id", pointers)
        self.assertIn("/placed", pointers)
        self.assertIn("/lines/1/sku", pointers)
        self.assertIn("/lines/1", pointers)  # the missing "qty"
        self.assertIn("", pointers)          # the unknown "extra", at the root
        for e in p["errors"]:
            self.assertTrue(e["message"])

        # A long list of problems is cut to ten, and a big body is not echoed.
        many = {"id": "o-1", "lines": [{"sku": i, "qty": 0, "pad": "x" * 1000} for i in range(200)]}
        status, _, raw = self.post(many)
        self.assertEqual(status, 422)
        self.assertLessEqual(len(json_body(raw)["errors"]), 10)
        self.assertLess(len(raw), 4096)

        self.assertEqual(self.bodies(), [])
        self.assertEqual(self.failures("/orders"), 4)

    def test_authentication_and_rate_limit_come_first(self):
        # Anonymous junk is refused for its missing key, not parsed.
        p = self.assert_problem(401, self.post("not json", path="/secured/orders"))
        self.assertEqual(p["type"], "https://junction.dev/problems/unauthorized")
        self.assertEqual(self.failures("/secured/orders"), 0)
        self.assert_problem(422, self.post({"id": "o-1", "lines": []}, KEY, "/secured/orders"))
        status, _, raw = self.post({"id": "o-2", "lines": [{"sku": "A", "qty": 1}]}, KEY,
                                   "/secured/orders")
        self.assertEqual(status, 201, raw)
        # The limit of 2 a minute is spent: the third is 429 without a look at its body.
        self.assert_problem(429, self.post("not json", KEY, "/secured/orders"))
        self.assertEqual(self.failures("/secured/orders"), 1)
        self.assertEqual(len(self.bodies()), 1)


class BadSchemaTest(JunctionTest):
    def test_a_schema_that_does_not_load_is_a_spec_error_at_its_field(self):
        self.write("schemas/broken.json", '{"type": "object", "properties": {"id": {"$ref": "gone.json"}}}')
        self.write("junction.yaml", """\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              routes:
                - path: /orders
                  validate: { schema: schemas/broken.json }
                  to: { static: { body: ok } }
            """)
        result = self.run_junction("validate", "junction.yaml")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        output = result.stdout + result.stderr
        self.assertIn("junction.yaml:6:27: error: schema file", output)
        self.assertIn("gone.json", output)
        run = self.run_junction("run", "junction.yaml", timeout=60)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("junction.yaml:6:27", run.stdout + run.stderr)


if __name__ == "__main__":
    unittest.main()
