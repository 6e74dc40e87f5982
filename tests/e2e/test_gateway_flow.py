"""A gateway route whose target is a flow: the request becomes a message of
the flow, and the message as the flow's `reply` output gets it is the
response. A filtered message is 204, a failed one a problem by its error
class, a flow slower than the route's timeout 504, and a route naming a flow
without the `gateway` input a spec error. A flow that batches requests
answers each with the batch's reply (or problem); after a split, the first
part is the answer."""
import json
import os
import threading

from junction_e2e import Hold, JunctionTest, RecordingServer, http_request, json_body, wait_until


# The flows that batch requests answer each with the whole batch's tally, in
# one line of YAML (a JSON string). A negative quantity fails the batch.
TALLY = json.dumps("""\
local total, skus = 0, {}
for _, item in ipairs(msg) do
  if item.qty < 0 then error("qty must not be negative") end
  total = total + item.qty
  skus[#skus + 1] = item.sku
end
table.sort(skus)
out = { count = #msg, total = total, skus = skus }
meta.http_status = 201
""")


def concurrently(*calls):
    """Runs the calls at once, each in its own thread; their results in order."""
    results = [None] * len(calls)

    def run(i, call):
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


class GatewayFlowTest(JunctionTest):
    def setUp(self):
        super().setUp()
        # The slow flow's output posts here, and is answered 200 once the
        # test releases it.
        self.held = Hold(lambda request: (200, b""))
        self.target = RecordingServer(self.held, protocol="HTTP/1.0")
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
                - path: /tally/{{sku}}
                  methods: [POST]
                  to: {{ flow: tally }}
                - path: /window/{{sku}}
                  methods: [POST]
                  to: {{ flow: window }}
                - path: /late/{{sku}}
                  methods: [POST]
                  to: {{ flow: tally, timeout: 2s }}
                - path: /parts
                  methods: [POST]
                  to: {{ flow: parts }}
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
                  hold: {{ http_client: "http://127.0.0.1:{self.target.port}/" }}
                  answer: {{ reply: {{}} }}
              tally:
                input: {{ gateway: {{}} }}
                pipeline:
                  - map: 'out = {{ sku = meta["http-param-sku"], qty = msg.qty }}'
                  - batch: {{ count: 3, period: 1h }}
                  - map: {TALLY}
                output: {{ reply: {{}} }}
                on_error:
                  dead_letter: {{ file: dead-tallies.jsonl }}
              window:
                input: {{ gateway: {{}} }}
                pipeline:
                  - map: 'out = {{ sku = meta["http-param-sku"], qty = msg.qty }}'
                  - batch: {{ count: 1000, period: 200ms }}
                  - map: {TALLY}
                output: {{ reply: {{}} }}
              parts:
                input: {{ gateway: {{}} }}
                pipeline:
                  - split: {{}}
                output: {{ reply: {{}} }}
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)
        self.wait_for_log(r"flow quote: running", self.proc)
        for flow in ("slow", "tally", "window", "parts"):
            self.wait_for_log(rf"flow {flow}: running", self.proc)

    def tearDown(self):
        self.held.release()
        if self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        self.target.close()
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

    def post(self, path, body):
        return http_request(self.port, "POST", path, body=json.dumps(body),
                            headers={"Content-Type": "application/json"})

    def test_a_batch_of_requests_answers_each_with_the_batchs_reply(self):
        answers = concurrently(lambda: self.post("/tally/a", {"qty": 1}),
                               lambda: self.post("/tally/b", {"qty": 2}),
                               lambda: self.post("/tally/c", {"qty": 4}))
        for status, headers, raw in answers:
            self.assertEqual(status, 201, raw)
            self.assertEqual(headers.get("Content-Type"), "application/json")
            self.assertEqual(json_body(raw), {"count": 3, "total": 7, "skus": ["a", "b", "c"]})

    def test_a_failed_batch_is_a_problem_for_each_of_its_requests(self):
        answers = concurrently(lambda: self.post("/tally/a", {"qty": 1}),
                               lambda: self.post("/tally/b", {"qty": -1}),
                               lambda: self.post("/tally/c", {"qty": 4}))
        for status, headers, raw in answers:
            self.assertEqual(status, 422, raw)
            self.assertEqual(headers.get("Content-Type"), "application/problem+json")
            self.assertNotIn("negative", raw.decode())
        # The batch was dead-lettered once, as one message.
        wait_until(lambda: os.path.exists(self.path("dead-tallies.jsonl")), what="the dead letter")
        with open(self.path("dead-tallies.jsonl")) as f:
            dead = [json.loads(line) for line in f if line.strip()]
        self.assertEqual(len(dead), 1, dead)

        # The flow goes on batching.
        answers = concurrently(*[lambda sku=sku: self.post(f"/tally/{sku}", {"qty": 1})
                                 for sku in ("x", "y", "z")])
        self.assertEqual([a[0] for a in answers], [201, 201, 201], answers)

    def test_a_time_window_answers_each_request_with_the_batch_it_fell_in(self):
        skus = [f"s{i}" for i in range(6)]
        answers = concurrently(*[lambda sku=sku: self.post(f"/window/{sku}", {"qty": 1})
                                 for sku in skus])
        seen = []
        for sku, (status, _, raw) in zip(skus, answers):
            self.assertEqual(status, 201, raw)
            tally = json_body(raw)
            self.assertIn(sku, tally["skus"])  # its own batch, whichever that was
            self.assertEqual(tally["count"], len(tally["skus"]))
            seen.extend(tally["skus"])
        self.assertEqual(sorted(set(seen)), skus)  # and the batches held nothing else

    def test_a_request_that_timed_out_in_a_batch_is_504_and_the_batch_goes_on(self):
        status, _, raw = self.post("/late/early", {"qty": 1})
        self.assertEqual(status, 504, raw)
        # Its message still waits in the batch; two more complete it, and
        # the batch's reply reaches the early request's slot unread.
        answers = concurrently(lambda: self.post("/tally/b", {"qty": 2}),
                               lambda: self.post("/tally/c", {"qty": 4}))
        for status, _, raw in answers:
            self.assertEqual(status, 201, raw)
            self.assertEqual(json_body(raw), {"count": 3, "total": 7,
                                              "skus": ["b", "c", "early"]})

    def test_after_a_split_the_first_part_is_the_answer(self):
        status, _, raw = self.post("/parts", [{"part": 1}, {"part": 2}])
        self.assertEqual(status, 200, raw)
        self.assertEqual(json_body(raw), {"part": 1})

    def test_a_flow_slower_than_the_route_timeout_is_504(self):
        status, headers, raw = http_request(self.port, "GET", "/slow")
        self.assertEqual(status, 504, raw)
        self.assertTrue(self.held.arrived.wait(30))  # the flow has it, held by its output
        self.assertEqual(headers.get("Content-Type"), "application/problem+json")
        self.held.release()

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

        self.held.release()  # the flow finishes it; the place is free again
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
