"""Gateway authentication beyond static keys: a JWKS fetched from an identity
provider (a small http.server started here) and rotated mid-test, attribute
rules (`allow_if`) that compare token claims with the path, and client
certificates (made with openssl here) as the consumer identity."""
import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import time
import unittest

from junction_e2e import JunctionTest, RecordingServer, http_request, json_body, wait_until


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def secret_of(kid):
    return f"secret-of-{kid}-at-least-32-bytes-long".encode()


def jwks(*kids):
    return {"keys": [{"kty": "oct", "kid": kid, "alg": "HS256", "k": b64url(secret_of(kid))}
                     for kid in kids]}


def make_jwt(kid, signed_with=None, **claims):
    now = int(time.time())
    payload = {"iss": "idp", "sub": "ann", "exp": now + 300, "iat": now}
    payload.update(claims)
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64url(json.dumps(payload).encode())
    signing_input = f"{header}.{body}".encode()
    sig = hmac.new(secret_of(signed_with or kid), signing_input, hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(sig)}"


class IdentityProvider:
    """Serves /jwks.json from `self.document` (None: 503) and counts fetches."""

    def __init__(self):
        self.document = None
        self.server = RecordingServer(self.answer, protocol="HTTP/1.0")
        self.port = self.server.port

    def answer(self, request):
        doc = self.document
        if doc is None:
            return 503, b"down", {"Content-Type": "application/json"}
        return 200, doc

    def serve(self, document):
        self.document = document

    def fetch_count(self):
        return len(self.server.requests)

    def close(self):
        self.server.close()


class GatewayJwksAndPolicyTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.idp = IdentityProvider()
        # The cooldown is far longer than the test: after the one re-fetch
        # for an unknown kid, no other can happen, whatever the timing.
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            observability: {{ listen: 127.0.0.1:0 }}
            gateway:
              listen: 127.0.0.1:0
              auth:
                jwt:
                  jwks_url: "http://127.0.0.1:{self.idp.port}/jwks.json"
                  jwks_refresh: 1h
                  jwks_cooldown: 1h
                  issuer: idp
                  algorithms: [HS256]
              routes:
                - path: /tenants/{{tenant}}/orders
                  require:
                    auth: jwt
                    allow_if: "claims.tenant == path.tenant && request.method != 'DELETE'"
                  to: {{ static: {{ body: tenant-orders }} }}
                - path: /admin
                  require: {{ auth: jwt, allow_if: "'admin' in claims.roles || query.debug == 'yes'" }}
                  to: {{ static: {{ body: admin }} }}
            """)

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                self.assertEqual(self.stop(p), 0, self.log())
        self.idp.close()
        super().tearDown()

    def start(self):
        proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(proc)
        self.obs = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", proc).group(1))
        return proc

    def call(self, method, path, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return http_request(self.port, method, path, headers=headers)

    def ready(self):
        status, _, body = http_request(self.obs, "GET", "/health/ready")
        return status, json_body(body)

    def test_starts_without_keys_then_rotates_by_refetch(self):
        self.start()
        # The IdP is down: the gateway serves, JWT routes answer 503, and the
        # process is not ready because of the key set alone.
        status, report = self.ready()
        self.assertEqual(status, 503)
        self.assertFalse(report["components"]["jwks"]["ready"])
        status, headers, raw = self.call("GET", "/tenants/acme/orders", make_jwt("k1", tenant="acme"))
        self.assertEqual(status, 503, raw)
        self.assertEqual(headers.get("Content-Type"), "application/problem+json")
        self.assertEqual(headers.get("Retry-After"), "5")

        self.idp.serve(jwks("k1"))
        wait_until(lambda: self.ready()[0] == 200, what="readiness once the keys arrive")
        status, _, raw = self.call("GET", "/tenants/acme/orders", make_jwt("k1", tenant="acme"))
        self.assertEqual((status, raw), (200, b"tenant-orders"))

        # The IdP rotates to k2. The first token naming it is refused but
        # makes the gateway fetch again; a retry is then accepted.
        self.idp.serve(jwks("k1", "k2"))
        before = self.idp.fetch_count()
        new_token = make_jwt("k2", tenant="acme")
        wait_until(lambda: self.call("GET", "/tenants/acme/orders", new_token)[0] == 200,
                   what="the token of the rotated key")
        self.assertEqual(self.idp.fetch_count(), before + 1)

        # Made-up kids within the cooldown never reach the IdP.
        for i in range(30):
            status, _, _ = self.call("GET", "/tenants/acme/orders", make_jwt(f"bogus-{i}", "k2"))
            self.assertEqual(status, 401)
        self.assertEqual(self.idp.fetch_count(), before + 1)

        _, _, metrics = http_request(self.obs, "GET", "/metrics")
        self.assertIn(b'junction_gateway_jwks_refetches_total 1', metrics)
        self.assertNotIn(secret_of("k2").decode(), self.log())
        self.assertNotIn(new_token, self.log())

    def test_a_reload_keeps_the_fetched_keys_when_the_jwks_url_is_unchanged(self):
        self.idp.serve(jwks("k1"))
        proc = self.start()
        wait_until(lambda: self.ready()[0] == 200, what="readiness once the keys arrive")
        token = make_jwt("k1", tenant="acme")
        self.assertEqual(self.call("GET", "/tenants/acme/orders", token)[0], 200)
        fetches = self.idp.fetch_count()

        # Same auth section, one more route: the reload applies and the key
        # set carries over, so the very next JWT request is served.
        spec = self.read("junction.yaml")
        self.write("junction.yaml", spec + "    - path: /extra\n"
                                           "      to: { static: { body: extra } }\n")
        proc.send_signal(signal.SIGHUP)
        self.wait_for_log(r"gateway reloaded: 3 routes", proc)
        self.assertEqual(self.call("GET", "/extra")[:3:2], (200, b"extra"))
        status, _, raw = self.call("GET", "/tenants/acme/orders", token)
        self.assertEqual((status, raw), (200, b"tenant-orders"))
        self.assertEqual(self.ready()[0], 200)
        self.assertEqual(self.idp.fetch_count(), fetches)

    def test_allow_if_compares_claims_with_the_path(self):
        self.idp.serve(jwks("k1"))
        self.start()
        wait_until(lambda: self.ready()[0] == 200, what="the first key set")
        acme = make_jwt("k1", tenant="acme")
        self.assertEqual(self.call("GET", "/tenants/acme/orders", acme)[0], 200)
        for method, path, token in [("GET", "/tenants/globex/orders", acme),
                                    ("DELETE", "/tenants/acme/orders", acme),
                                    ("GET", "/tenants/acme/orders", make_jwt("k1")),
                                    ("GET", "/tenants/acme/orders", make_jwt("k1", tenant=7))]:
            status, headers, raw = self.call(method, path, token)
            self.assertEqual(status, 403, (method, path, raw))
            problem = json_body(raw)
            self.assertEqual(problem["detail"], "the request is not allowed by the route's policy")
            self.assertNotIn("claims", raw.decode())

        # Authentication comes first: no token is 401, not 403.
        self.assertEqual(self.call("GET", "/tenants/acme/orders")[0], 401)

        self.assertEqual(self.call("GET", "/admin", make_jwt("k1", roles=["admin"]))[0], 200)
        self.assertEqual(self.call("GET", "/admin", make_jwt("k1", roles=["viewer"]))[0], 403)
        self.assertEqual(self.call("GET", "/admin?debug=yes", make_jwt("k1"))[0], 200)
        self.assertEqual(self.call("GET", "/admin?debug=%79es", make_jwt("k1"))[0], 200)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class GatewayClientCertificateTest(JunctionTest):
    def setUp(self):
        super().setUp()
        d = self.dir
        ext = self.write("san.ext", "subjectAltName=IP:127.0.0.1\n")
        for ca in ("ca", "other-ca"):
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={ca}", "-keyout", f"{ca}.key", "-out", f"{ca}.pem", cwd=d)
        for name, ca, subject in [("server", "ca", "/CN=127.0.0.1"),
                                  ("billing", "ca", "/O=Acme/CN=billing"),
                                  ("intruder", "ca", "/O=Acme/CN=intruder"),
                                  ("forged", "other-ca", "/O=Acme/CN=billing")]:
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
                    "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
            extra = ["-extfile", ext] if name == "server" else []
            openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                    "-CAcreateserial", "-days", "1", "-out", f"{name}.pem", *extra, cwd=d)
        self.write("junction.yaml", """\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              tls: { cert: server.pem, key: server.key, client_ca: ca.pem, client_cert: optional }
              routes:
                - path: /internal
                  require: { auth: mtls, subjects: ["CN=billing,O=Acme"] }
                  to: { static: { body: internal } }
                - path: /any-client
                  require: { auth: mtls, allow_if: "identity.consumer != 'CN=intruder,O=Acme' || request.method == 'GET'" }
                  to: { static: { body: any-client } }
                - path: /open
                  to: { static: { body: open } }
                - path: /either
                  require: { auth: any, subjects: ["CN=billing,O=Acme"] }
                  to: { static: { body: either } }
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)

    def tearDown(self):
        if self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        super().tearDown()

    def curl(self, path, cert=None, method="GET"):
        """(curl exit code, HTTP status, body)."""
        args = ["curl", "-s", "-X", method, "--cacert", self.path("ca.pem"), "-o", "-",
                "-w", "\n%{http_code}", f"https://127.0.0.1:{self.port}{path}"]
        if cert:
            args += ["--cert", self.path(f"{cert}.pem"), "--key", self.path(f"{cert}.key")]
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        body, _, code = done.stdout.rpartition("\n")
        return done.returncode, int(code or 0), body

    def test_client_certificate_subject_is_the_consumer(self):
        self.assertEqual(self.curl("/internal", "billing"), (0, 200, "internal"))
        self.wait_for_log(r'"path":"/internal".*"identity":"CN=billing,O=Acme"')

        rc, status, body = self.curl("/internal")
        self.assertEqual((rc, status), (0, 401), body)
        self.assertEqual(json_body(body.encode())["detail"], "a client certificate is required")

        rc, status, body = self.curl("/internal", "intruder")
        self.assertEqual((rc, status), (0, 403), body)
        self.assertNotIn("billing", body)

        # Same subject, wrong CA: the handshake itself fails.
        rc, _, _ = self.curl("/internal", "forged")
        self.assertNotEqual(rc, 0)

        # Optional client certificates: routes without mtls serve anyone.
        self.assertEqual(self.curl("/open"), (0, 200, "open"))
        # Any certificate of the CA, narrowed by a policy on the identity.
        self.assertEqual(self.curl("/any-client", "intruder")[:2], (0, 200))
        self.assertEqual(self.curl("/any-client", "intruder", "POST")[:2], (0, 403))
        self.assertEqual(self.curl("/any-client", "billing", "POST")[:2], (0, 200))
        # `any` takes the certificate when no header credential is sent.
        self.assertEqual(self.curl("/either", "billing"), (0, 200, "either"))
        self.assertEqual(self.curl("/either", "intruder")[:2], (0, 403))
        rc, status, body = self.curl("/either")
        self.assertEqual((rc, status), (0, 401), body)


if __name__ == "__main__":
    unittest.main()
