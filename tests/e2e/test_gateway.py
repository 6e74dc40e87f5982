"""The API gateway in front of two small Python upstreams: proxying and round
robin, JWT and API key auth, a rate limit, routing errors, an upstream that is
down and the circuit breaker that opens on it. Every error is problem+json."""
import base64
import hashlib
import hmac
import json
import os
import re
import socket
import time
import unittest

from junction_e2e import (JunctionTest, RecordingServer, free_port, http_request, json_body,
                          names_itself)

SECRET = "e2e-secret-that-is-at-least-32-bytes-long"


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(claims, secret=SECRET):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    sig = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(sig)}"


def claims(**extra):
    now = int(time.time())
    base = {"iss": "test-issuer", "aud": "orders", "sub": "alice", "exp": now + 300, "iat": now}
    base.update(extra)
    return base


class GatewayTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.a = RecordingServer(names_itself("a"))
        self.b = RecordingServer(names_itself("b"))
        # An upstream that sets fields of its own that the gateway replaces
        # or removes: rate-limit fields, and hop-by-hop ones.
        self.c = RecordingServer(lambda request: (200, b"counted", {
            "RateLimit-Limit": "999", "RateLimit-Remaining": "998", "Keep-Alive": "timeout=5",
            "Connection": "X-Hop", "X-Hop": "secret", "X-Kept": "yes",
            "Content-Type": "text/plain"}))
        dead = free_port()  # nothing listens here
        os.environ["GW_E2E_JWT_SECRET"] = SECRET
        self.write("keys.txt", "ops:key-for-ops-0123456789\n")
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              limits: {{ max_body: 1KiB, max_headers: 20 }}
              auth:
                jwt: {{ issuer: test-issuer, audience: orders, secret: "${{GW_E2E_JWT_SECRET}}",
                       algorithms: [HS256] }}
                api_keys: {{ header: X-Api-Key, keys: "${{file:keys.txt}}" }}
              routes:
                - path: /public/*
                  to: {{ upstream: pair, strip_prefix: /public }}
                - path: /orders/{{id}}
                  methods: [GET]
                  require: {{ scopes: [orders:read] }}
                  to: {{ upstream: pair }}
                - path: /admin
                  require: {{ auth: api_key }}
                  to: {{ upstream: pair }}
                - path: /whoami/jwt
                  require: {{ auth: jwt }}
                  to: {{ upstream: pair, identity_header: X-Consumer, forward_credentials: false }}
                - path: /whoami/key
                  require: {{ auth: api_key }}
                  to: {{ upstream: pair, identity_header: X-Consumer, forward_credentials: false,
                         stream: true }}
                - path: /whoami/anyone
                  to: {{ upstream: pair, identity_header: X-Consumer }}
                - path: /limited
                  rate_limit: {{ key: ip, limit: 3/min }}
                  to: {{ static: {{ status: 200, body: "ok", headers: {{ Content-Type: text/plain }} }} }}
                - path: /counted
                  rate_limit: {{ key: ip, limit: 5/min }}
                  to: {{ upstream: counting }}
                - path: /down
                  to: {{ upstream: down }}
                - path: /cors
                  methods: [GET, PUT]
                  require: {{ auth: api_key }}
                  cors: {{ origins: ["https://app.example.com"], headers: [X-Api-Key], expose: [X-Request-Id],
                          max_age: 1h }}
                  to: {{ static: {{ status: 200, body: "cors" }} }}
            upstreams:
              pair:
                targets: ["http://127.0.0.1:{self.a.port}", "http://127.0.0.1:{self.b.port}"]
              counting:
                targets: ["http://127.0.0.1:{self.c.port}"]
              down:
                targets: ["http://127.0.0.1:{dead}"]
                timeout: 2s
                retries: {{ attempts: 1 }}
                circuit_breaker: {{ window: 4, minimum_calls: 4, failure_rate: 50%, wait_in_open: 60s }}
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)

    def tearDown(self):
        if self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        self.a.close()
        self.b.close()
        self.c.close()
        super().tearDown()

    def get(self, path, headers=None, method="GET", body=None):
        return http_request(self.port, method, path, body=body, headers=headers)

    def assert_problem(self, status, got, headers, raw):
        self.assertEqual(got, status, raw)
        self.assertEqual(headers.get("Content-Type"), "application/problem+json")
        problem = json_body(raw)
        self.assertEqual(problem["status"], status)
        self.assertTrue(problem["type"].startswith("https://junction.dev/problems/"))
        self.assertTrue(problem["title"])
        self.assertEqual(problem["request_id"], headers.get("X-Request-Id"))
        return problem

    def test_proxies_round_robin_with_forwarded_headers(self):
        trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        for i in range(4):
            status, headers, raw = self.get(f"/public/item/{i}?q=1",
                                            {"X-Request-Id": f"req-{i}", "traceparent": trace})
            self.assertEqual(status, 200, raw)
            self.assertEqual(json_body(raw)["path"], f"/item/{i}?q=1")
            self.assertEqual(headers.get("X-Request-Id"), f"req-{i}")
        self.assertEqual(len(self.a.requests), 2)
        self.assertEqual(len(self.b.requests), 2)
        seen = self.a.requests[0]["headers"]
        self.assertEqual(seen.get("X-Forwarded-For"), "127.0.0.1")
        self.assertEqual(seen.get("X-Forwarded-Proto"), "http")
        self.assertTrue(seen.get("X-Request-Id", "").startswith("req-"))
        self.assertEqual(seen.get("traceparent"), trace)
        # A request id is made when the client sends none.
        status, headers, _ = self.get("/public/x")
        self.assertEqual(status, 200)
        self.assertTrue(headers.get("X-Request-Id"))
        # An access log line per request, without credentials.
        self.assertRegex(self.log(), r'"type":"access".*"route":"/public/\*".*"status":200')

    def test_http_1_0_keep_alive_and_one_request_id_through_the_proxy(self):
        # Two HTTP/1.0 requests asking to keep the connection go on one
        # socket; each answer carries the request's X-Request-Id once.
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            reader = s.makefile("rb")
            for i in range(2):
                s.sendall(f"GET /public/one/{i} HTTP/1.0\r\nHost: gw\r\n"
                          f"Connection: keep-alive\r\nX-Request-Id: ka-{i}\r\n\r\n".encode())
                status = reader.readline()
                self.assertTrue(status.startswith(b"HTTP/1.0 200"), status)
                fields = []
                while (line := reader.readline()) not in (b"\r\n", b""):
                    fields.append(line.decode().rstrip("\r\n").split(": ", 1))
                names = [name.lower() for name, _ in fields]
                values = dict((name.lower(), value) for name, value in fields)
                self.assertEqual(names.count("x-request-id"), 1, fields)
                self.assertEqual(values["x-request-id"], f"ka-{i}")
                self.assertEqual(values.get("connection", "").lower(), "keep-alive", fields)
                body = reader.read(int(values["content-length"]))
                self.assertEqual(json_body(body)["path"], f"/one/{i}")

    def test_jwt_auth(self):
        status, headers, raw = self.get("/orders/7")
        self.assert_problem(401, status, headers, raw)
        self.assertIn("Bearer", headers.get("WWW-Authenticate", ""))
        bad = make_jwt(claims(scope="orders:read"), secret="another-secret-also-32-bytes-long!!")
        status, headers, raw = self.get("/orders/7", {"Authorization": f"Bearer {bad}"})
        self.assert_problem(401, status, headers, raw)
        token = make_jwt(claims(scope="profile"))
        status, headers, raw = self.get("/orders/7", {"Authorization": f"Bearer {token}"})
        self.assert_problem(403, status, headers, raw)
        token = make_jwt(claims(scope="orders:read profile"))
        status, headers, raw = self.get("/orders/7", {"Authorization": f"Bearer {token}"})
        self.assertEqual(status, 200, raw)
        self.assertNotIn(token, self.log())
        self.assertIn('"identity":"alice"', self.log())

    def test_api_key(self):
        status, headers, raw = self.get("/admin")
        self.assert_problem(401, status, headers, raw)
        status, headers, raw = self.get("/admin", {"X-Api-Key": "wrong"})
        self.assert_problem(401, status, headers, raw)
        status, _, raw = self.get("/admin", {"X-Api-Key": "key-for-ops-0123456789"})
        self.assertEqual(status, 200, raw)
        self.assertNotIn("key-for-ops-0123456789", self.log())

    def upstream_saw(self, path):
        seen = [r for r in self.a.requests + self.b.requests if r["path"] == path]
        self.assertEqual(len(seen), 1, seen)
        return {name.lower(): value for name, value in seen[0]["headers"].items()}

    def test_the_upstream_learns_the_consumer_and_not_the_credentials(self):
        token = make_jwt(claims())
        status, _, raw = self.get("/whoami/jwt", {"Authorization": f"Bearer {token}",
                                                  "X-Consumer": "root"})
        self.assertEqual(status, 200, raw)
        seen = self.upstream_saw("/whoami/jwt")
        self.assertEqual(seen.get("x-consumer"), "alice")  # not the client's "root"
        self.assertNotIn("authorization", seen)
        # The same on a streaming route, with an API key.
        status, _, raw = self.get("/whoami/key", {"X-Api-Key": "key-for-ops-0123456789",
                                                  "X-Consumer": "root"})
        self.assertEqual(status, 200, raw)
        seen = self.upstream_saw("/whoami/key")
        self.assertEqual(seen.get("x-consumer"), "ops")
        self.assertNotIn("x-api-key", seen)
        # Anonymous: no identity, not even a forged one; credentials are
        # forwarded by default.
        status, _, raw = self.get("/whoami/anyone", {"Authorization": "Bearer opaque",
                                                     "X-Consumer": "root"})
        self.assertEqual(status, 200, raw)
        seen = self.upstream_saw("/whoami/anyone")
        self.assertNotIn("x-consumer", seen)
        self.assertEqual(seen.get("authorization"), "Bearer opaque")

    def test_rate_limit(self):
        for left in ("2", "1", "0"):
            status, headers, raw = self.get("/limited")
            self.assertEqual(status, 200, raw)
            self.assertEqual(raw, b"ok")
            self.assertEqual(headers.get("RateLimit-Remaining"), left)
            self.assertEqual(headers.get("RateLimit-Limit"), "3")
            self.assertEqual(headers.get("RateLimit-Policy"), "3;w=60")
        status, headers, raw = self.get("/limited")
        self.assert_problem(429, status, headers, raw)
        self.assertGreaterEqual(int(headers["Retry-After"]), 1)
        self.assertEqual(headers.get("RateLimit-Remaining"), "0")

    def test_rate_limit_fields_replace_the_upstreams(self):
        # Raw, so that a field sent twice shows.
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(b"GET /counted HTTP/1.1\r\nHost: x\r\n\r\n")
            raw = b""
            while b"counted" not in raw:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertEqual(body, b"counted", raw)
        names = [line.split(b":")[0].decode().lower() for line in head.split(b"\r\n")[1:]]
        fields = {line.split(b":")[0].decode().lower(): line.split(b":", 1)[1].strip().decode()
                  for line in head.split(b"\r\n")[1:]}
        self.assertEqual(names.count("ratelimit-limit"), 1, head)
        self.assertEqual(names.count("ratelimit-remaining"), 1, head)
        self.assertEqual(fields["ratelimit-limit"], "5")
        self.assertEqual(fields["ratelimit-remaining"], "4")
        self.assertEqual(fields["x-kept"], "yes")
        for gone in ("keep-alive", "x-hop"):
            self.assertNotIn(gone, names, head)
        self.assertEqual(names.count("x-request-id"), 1, head)

    def test_routing_errors(self):
        status, headers, raw = self.get("/nowhere")
        self.assert_problem(404, status, headers, raw)
        status, headers, raw = self.get("/orders/7", method="POST", body=b"{}")
        self.assert_problem(405, status, headers, raw)
        self.assertEqual(headers.get("Allow"), "GET")
        status, headers, raw = self.get("/a/../b")
        self.assert_problem(400, status, headers, raw)

    def test_limits(self):
        status, _, raw = self.get("/public/x", method="POST", body=b"x" * 1000)
        self.assertEqual(status, 200, raw)
        upstream = self.a if self.a.requests else self.b
        self.assertEqual(upstream.requests[-1]["body"], b"x" * 1000)
        status, headers, raw = self.get("/public/x", method="POST", body=b"x" * 2000)
        self.assert_problem(413, status, headers, raw)
        many = {f"X-H{i}": "v" for i in range(30)}
        status, headers, raw = self.get("/public/x", headers=many)
        self.assertEqual(status, 431, raw)

    def test_cors_preflight_and_marked_responses(self):
        origin = {"Origin": "https://app.example.com"}
        # A preflight is answered before auth: browsers send no credentials on it.
        status, headers, raw = self.get("/cors", method="OPTIONS", headers={
            **origin, "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "X-Api-Key"})
        self.assertEqual(status, 204, raw)
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "https://app.example.com")
        self.assertEqual(headers.get("Access-Control-Allow-Methods"), "GET, PUT")
        self.assertEqual(headers.get("Access-Control-Allow-Headers"), "X-Api-Key")
        self.assertEqual(headers.get("Access-Control-Max-Age"), "3600")
        # Another origin, or a method the route does not take: refused.
        status, headers, raw = self.get("/cors", method="OPTIONS", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        self.assert_problem(403, status, headers, raw)
        self.assertNotIn("Access-Control-Allow-Origin", headers)
        # A method the route does not take matches no route: OPTIONS itself is then not allowed.
        status, headers, _ = self.get("/cors", method="OPTIONS", headers={
            **origin, "Access-Control-Request-Method": "DELETE"})
        self.assertEqual(status, 405)
        self.assertNotIn("Access-Control-Allow-Origin", headers)
        # The actual request: errors are marked too, so the browser can read the problem.
        status, headers, raw = self.get("/cors", headers=origin)
        self.assert_problem(401, status, headers, raw)
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "https://app.example.com")
        status, headers, raw = self.get("/cors", headers={**origin, "X-Api-Key": "key-for-ops-0123456789"})
        self.assertEqual(status, 200, raw)
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "https://app.example.com")
        self.assertEqual(headers.get("Access-Control-Expose-Headers"), "X-Request-Id")
        self.assertEqual(headers.get("Vary"), "Origin")
        status, headers, _ = self.get("/cors", headers={"Origin": "https://evil.example",
                                                        "X-Api-Key": "key-for-ops-0123456789"})
        self.assertEqual(status, 200)
        self.assertNotIn("Access-Control-Allow-Origin", headers)
        # A route without a policy treats OPTIONS as any other method.
        status, _, _ = self.get("/orders/1", method="OPTIONS", headers={
            **origin, "Access-Control-Request-Method": "GET"})
        self.assertEqual(status, 405)

    def test_upstream_down_then_circuit_opens(self):
        statuses = []
        for _ in range(6):
            status, headers, raw = self.get("/down")
            problem = self.assert_problem(status, status, headers, raw)
            self.assertNotIn("127.0.0.1", raw.decode())
            statuses.append(problem["status"])
        self.assertEqual(statuses[:4], [502] * 4)
        self.assertEqual(statuses[4:], [503, 503])
        self.assertIn("circuit closed -> open", self.log())


if __name__ == "__main__":
    unittest.main()
