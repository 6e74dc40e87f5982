"""The http_client output against a real HTTP server: 5xx retried with the
same Idempotency-Key, 4xx dead-lettered with the reason, secrets from the
environment sent but never logged."""
import json
import os
import socket
import subprocess
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from junction_e2e import BIN, JunctionTest


class Upstream:
    """Answers 503 to the first request, 400 to n == 2, 200 otherwise."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with upstream.lock:
                    first = not upstream.requests
                    upstream.requests.append((json.loads(body), dict(self.headers)))
                n = json.loads(body)["n"]
                status = 503 if first else 400 if n == 2 else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class HttpClientTest(JunctionTest):
    def test_retry_dead_letter_and_secret_header(self):
        upstream = Upstream()
        self.addCleanup(upstream.close)
        self.write("spec.yaml", f"""\
            apiVersion: junction/v1
            storage: {{ dir: state }}
            flows:
              push:
                input: {{ generate: '{{"n": {{{{counter}}}}}}', interval: 0, count: 4 }}
                output:
                  http_client: "http://127.0.0.1:{upstream.port}/in"
                  headers: {{ Authorization: "Bearer ${{UPSTREAM_TOKEN}}" }}
                on_error:
                  retry: {{ attempts: 3, base: 10ms, max: 50ms }}
                  dead_letter: {{ file: dlq.jsonl, format: json_envelope }}
            """)
        env = dict(os.environ, UPSTREAM_TOKEN="s3cret-token-value")
        r = subprocess.run([BIN, "run", "spec.yaml", "--log-level", "debug"], cwd=self.dir,
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("s3cret-token-value", r.stderr + r.stdout)

        bodies = [b["n"] for b, _ in upstream.requests]
        self.assertEqual(bodies[0], 1)
        self.assertEqual(bodies[1], 1)  # the 503 was retried
        self.assertEqual(sorted(set(bodies)), [1, 2, 3, 4])
        first_keys = [h.get("Idempotency-Key") for b, h in upstream.requests if b["n"] == 1]
        self.assertEqual(len(set(first_keys)), 1)  # the retry carries the same key
        self.assertTrue(first_keys[0])
        for _, headers in upstream.requests:
            self.assertEqual(headers.get("Authorization"), "Bearer s3cret-token-value")
        self.assertEqual(bodies.count(2), 1)  # a 400 is not retried

        dead = [json.loads(l) for l in self.read("dlq.jsonl").splitlines()]
        self.assertEqual(len(dead), 1)
        self.assertEqual(dead[0]["payload"], {"n": 2})
        h = dead[0]["headers"]
        self.assertEqual(h["x-junction-error-class"], "invalid")
        self.assertIn("HTTP 400", h["x-junction-error"])
        self.assertEqual(h["x-junction-step"], "http_client")
        self.assertEqual(h["x-junction-attempts"], "1")


    def test_a_stop_that_overruns_its_drain_deadline_says_where_each_flow_hung(self):
        # An upstream that takes the request and never answers.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        self.addCleanup(silent.close)
        self.write("spec.yaml", f"""\
            apiVersion: junction/v1
            flows:
              push:
                input: {{ generate: '{{"n": 1}}', interval: 0, count: 1 }}
                output:
                  http_client: "http://127.0.0.1:{silent.getsockname()[1]}/in"
                  timeout: 60s
            """)
        p = self.start_junction("run", "spec.yaml", "--drain-timeout", "1s")
        silent.settimeout(30)
        conn, _ = silent.accept()
        self.addCleanup(conn.close)
        self.assertIn(b"POST /in", conn.recv(65536))  # the message is in flight
        self.assertEqual(self.stop(p), 2, self.log())
        self.assertIn("drain deadline passed with messages in flight", self.log())
        self.assertIn("flow push: still draining in-flight messages", self.log())

if __name__ == "__main__":
    unittest.main()
