"""A gateway route whose target is a flow: the request becomes a message of
the flow, and the message as the flow's `reply` output gets it is the
response. A filtered message is 204, a failed one a problem by its error
class, a flow slower than the route's timeout 504, and a route naming a flow
without the `gateway` input a spec error."""
import http.server
import json
import threading

from junction_e2e import JunctionTest, http_request, json_body, wait_until


class HeldServer(http.server.ThreadingHTTPServer):
    """Answers 200 to every POST, but only once the test releases it."""

    daemon_threads = True

    def __init__(self):
        self.release = threading.Event()
        self.arrived = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.arrived.set()
                server.release.wait(30)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class GatewayFlowTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.held = HeldServer()
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              routes:
                - path: /quotes/{{sku}}
                  methods: [POST]
                  to: {{ flow: quote }}
                - path: /slow
                  to: {{ flow: slow, timeout: 1s }}
            flows:
              quote:
                input: {{ gateway: {{}} }}
                pipeline:
                  - filter: "msg.qty ~= 0"
                  - map: |
                      if msg.qty < 0 then error("qty must not be negative") end
                      if msg.qty == 999 then while true do end end
                      out = {{ sku = meta["http-param-sku"], qty = msg.qty, total = msg.qty * 2.5,
                              method = meta["http-method"], trace = meta["X-Trace"] }}
                      meta.http_status = 201
                      meta["http_header_Location"] = "/quotes/" .. meta["http-param-sku"]
                output: {{ reply: {{}} }}
                on_error:
                  dead_letter: {{ file: dead.jsonl }}
              slow:
                input: {{ gateway: {{ max_in_flight: 1 }} }}
                outputs:
                  hold: {{ http_client: "http://127.0.0.1:{self.held.server_address[1]}/" }}
                  answer: {{ reply: {{}} }}
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = int(self.wait_for_log(r"gateway listening on 127\.0\.0\.1:(\d+)", self.proc).group(1))
        self.wait_for_log(r"flow quote: running", self.proc)
        self.wait_for_log(r"flow slow: running", self.proc)

    def tearDown(self):
        self.held.release.set()
        if self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        self.held.shutdown()
        self.held.server_close()
        super().tearDown()

    def quote(self, sku, body):
        return http_request(self.port, "POST", f"/quotes/{sku}", body=json.dumps(body),
                            headers={"Content-Type": "application/json", "X-Trace": "t-1",
                                     "X-Request-Id": "req-1"})

    def test_the_flows_reply_is_the_response(self):
        status, headers, raw = self.quote("abc", {"qty": 4})
        self.assertEqual(status, 201, raw)
        self.assertEqual(headers.get("Content-Type"), "application/json")
        self.assertEqual(headers.get("Location"), "/quotes/abc")
        self.assertEqual(headers.get("X-Request-Id"), "req-1")
        self.assertEqual(json_body(raw), {"sku": "abc", "qty": 4, "total": 10.0,
                                          "method": "POST", "trace": "t-1"})

    def test_a_filtered_message_is_204(self):
        status, _, raw = self.quote("abc", {"qty": 0})
        self.assertEqual(status, 204, raw)
        self.assertEqual(raw, b"")

    def test_a_failed_message_is_a_problem_by_its_class(self):
        status, headers, raw = self.quote("abc", {"qty": -1})
        self.assertEqual(status, 422, raw)
        self.assertEqual(headers.get("Content-Type"), "application/problem+json")
        problem = json_body(raw)
        self.assertEqual(problem["status"], 422)
        self.assertNotIn("negative", raw.decode())  # the script's message stays inside
        self.wait_for_log(r"qty must not be negative")  # it is in the flow's log

        status, _, raw = self.quote("abc", {"qty": 999})  # over the instruction limit
        self.assertEqual(status, 500, raw)
        self.assertNotIn("instruction", raw.decode())

        # The flow goes on serving.
        status, _, raw = self.quote("xyz", {"qty": 2})
        self.assertEqual(status, 201, raw)

    def test_a_flow_slower_than_the_route_timeout_is_504(self):
        status, headers, raw = http_request(self.port, "GET", "/slow")
        self.assertEqual(status, 504, raw)
        self.assertTrue(self.held.arrived.wait(30))  # the flow has it, held by its output
        self.assertEqual(headers.get("Content-Type"), "application/problem+json")
        self.held.release.set()

    def test_max_in_flight_bounds_the_flow_even_after_a_timeout(self):
        status, _, raw = http_request(self.port, "GET", "/slow")
        self.assertEqual(status, 504, raw)
        self.assertTrue(self.held.arrived.wait(30))
        # The timed-out request's message is still in the flow, held by its
        # output: the flow's one place is taken.
        status, headers, raw = http_request(self.port, "GET", "/slow")
        self.assertEqual(status, 503, raw)
        self.assertEqual(headers.get("Retry-After"), "1")
        self.assertEqual(headers.get("Content-Type"), "application/problem+json")

        self.held.release.set()  # the flow finishes it; the place is free again
        wait_until(lambda: http_request(self.port, "GET", "/slow")[0] == 200, what="a 200 from /slow")


class GatewayFlowSpecTest(JunctionTest):
    def test_a_route_to_a_flow_without_the_gateway_input_is_a_spec_error(self):
        self.write("bad.yaml", """\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              routes:
                - path: /quotes
                  to: { flow: quote }
            flows:
              quote:
                input: { http_server: { listen: "127.0.0.1:0" } }
                output: { reply: {} }
            """)
        r = self.run_junction("validate", "bad.yaml")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("bad.yaml:6:19:", r.stderr)
        self.assertIn("flow 'quote' does not take requests from the gateway", r.stderr)

    def test_a_route_to_an_unknown_flow_is_a_spec_error(self):
        self.write("bad.yaml", """\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              routes:
                - path: /quotes
                  to: { flow: quotes }
            flows:
              quote:
                input: { gateway: {} }
                output: { reply: {} }
            """)
        r = self.run_junction("validate", "bad.yaml")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("bad.yaml:6:19: error: route /quotes: unknown flow 'quotes'", r.stderr)
        self.assertIn("did you mean 'quote'", r.stderr)
