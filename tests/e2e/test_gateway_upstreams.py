"""Production upstreams behind the gateway, against real servers started here
(small Python ones and nginx from Debian): active health checks follow a
target that goes down and comes back, a target answering bursts of 5xx is
ejected and returns after its ejection time, hash balancing on a header
keeps a key on one target, and the retry budget stops retries. Conditions
are polled from /metrics and the targets' own hit counts, never slept for."""
import json
import os
import re
import shutil
import socket
import subprocess
import unittest

from junction_e2e import JunctionTest, RecordingServer, free_port, http_request, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class Backend:
    """A loopback server that names itself in its answers. `status` answers
    proxied requests and `health` the /healthz checks; both can be changed
    while it runs. stop() closes the listener and every kept-alive
    connection, so the target is really down."""

    def __init__(self, name):
        self.name = name
        self.status = 200
        self.health = 200
        self.server = RecordingServer(self.answer)

    def answer(self, request):
        status = self.health if request["path"] == "/healthz" else self.status
        return status, {"upstream": self.name}

    def stop(self):
        self.server.close()

    def url(self):
        return self.server.url()

    def counts(self):
        """(proxied requests, health checks) so far."""
        requests = list(self.server.requests)
        checks = sum(1 for r in requests if r["path"] == "/healthz")
        return len(requests) - checks, checks


class Nginx:
    """nginx from Debian on a free loopback port, its files in `root`."""

    def __init__(self, root):
        self.root = root
        self.port = free_port()
        self.proc = None
        os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
        with open(os.path.join(root, "nginx.conf"), "w") as f:
            f.write(f"""\
worker_processes 1;
error_log {root}/error.log;
pid {root}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {root}/tmp/body;
  proxy_temp_path {root}/tmp/proxy;
  fastcgi_temp_path {root}/tmp/fastcgi;
  uwsgi_temp_path {root}/tmp/uwsgi;
  scgi_temp_path {root}/tmp/scgi;
  server {{
    listen 127.0.0.1:{self.port};
    location = /healthz {{ return 200 "ok\\n"; }}
    location / {{ default_type application/json; return 200 '{{"upstream":"nginx"}}'; }}
  }}
}}
""")

    def start(self):
        self.proc = subprocess.Popen([NGINX, "-p", self.root, "-c", os.path.join(self.root, "nginx.conf"),
                                      "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        wait_until(lambda: self._listening() or self.proc.poll() is not None, 10, "nginx to listen")
        if self.proc.poll() is not None:
            with open(os.path.join(self.root, "error.log")) as f:
                raise AssertionError("nginx did not start:\n" + f.read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # fast shutdown: open connections are closed too
            self.proc.wait(timeout=10)

    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _listening(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False


@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed")
class GatewayUpstreamsTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.a = Backend("a")
        self.b = Backend("b")
        self.c = Backend("c")
        self.d = Backend("d")
        self.nginx = Nginx(self.path("nginx"))
        self.nginx.start()
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            observability: {{ listen: 127.0.0.1:0 }}
            gateway:
              listen: 127.0.0.1:0
              routes:
                - {{ path: /checked/*, to: {{ upstream: checked, strip_prefix: /checked }} }}
                - {{ path: /flaky/*, to: {{ upstream: flaky, strip_prefix: /flaky }} }}
                - {{ path: /users/*, to: {{ upstream: users, strip_prefix: /users }} }}
                - {{ path: /retry/*, to: {{ upstream: retry, strip_prefix: /retry }} }}
                - {{ path: /posts/*, to: {{ upstream: posts, strip_prefix: /posts }} }}
            upstreams:
              checked:
                targets: ["{self.a.url()}", "{self.nginx.url()}"]
                health_check: {{ path: /healthz, interval: 200ms, timeout: 500ms,
                                healthy_threshold: 2, unhealthy_threshold: 2 }}
              flaky:
                targets: ["{self.a.url()}", "{self.b.url()}"]
                retries: {{ attempts: 1 }}
                outlier: {{ consecutive_failures: 3, base_ejection: 3s, max_ejection: 3s,
                           max_ejection_percent: 50% }}
              users:
                targets: ["{self.a.url()}", "{self.b.url()}", "{self.nginx.url()}"]
                balance: hash
                hash_on: header:X-User-Id
              retry:
                targets: ["{self.c.url()}"]
                retries: {{ attempts: 3, backoff: 1ms, budget: 10%, min_per_second: 0 }}
                circuit_breaker: {{ window: 100, minimum_calls: 100 }}  # kept closed here
              posts:
                targets: ["{self.d.url()}"]
                retries: {{ attempts: 2, methods: [POST], backoff: 1ms, budget: 100%,
                           min_per_second: 100 }}
                circuit_breaker: {{ window: 100, minimum_calls: 100 }}
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)
        self.obs = int(self.wait_for_log(r"observability on \S+ \(port (\d+)\)", self.proc).group(1))

    def tearDown(self):
        try:
            if self.proc.poll() is None:
                self.assertEqual(self.stop(self.proc), 0, self.log())
        finally:
            self.nginx.stop()
            for backend in (self.a, self.b, self.c, self.d):
                backend.stop()
            super().tearDown()

    def get(self, path, headers=None):
        status, _, body = http_request(self.port, "GET", path, headers=headers)
        name = json.loads(body).get("upstream") if status < 500 else None
        return status, name

    def metric(self, series):
        """The value of one series at /metrics, None when it is not there."""
        _, _, body = http_request(self.obs, "GET", "/metrics")
        m = re.search("^" + re.escape(series) + r" (\S+)$", body.decode(), re.M)
        return float(m.group(1)) if m else None

    def target_metric(self, name, upstream, target):
        return self.metric(f'{name}{{target="{target}",upstream="{upstream}"}}')

    def test_health_checks_follow_a_target_that_goes_down_and_comes_back(self):
        healthy = lambda: self.target_metric("junction_gateway_upstream_target_healthy", "checked",
                                             self.nginx.url())
        wait_until(lambda: self.nginx_seen("/checked/x"), 10, "traffic to nginx")
        self.assertEqual(healthy(), 1)

        self.nginx.stop()
        wait_until(lambda: healthy() == 0, 20, "nginx marked unhealthy")
        self.assertIn("failed its health check", self.log())
        for _ in range(10):
            self.assertEqual(self.get("/checked/x"), (200, "a"))

        self.nginx.start()
        wait_until(lambda: healthy() == 1, 20, "nginx marked healthy again")
        answered = {self.get("/checked/x")[1] for _ in range(6)}
        self.assertEqual(answered, {"a", "nginx"})

    def nginx_seen(self, path):
        return self.get(path)[1] == "nginx"

    def test_a_target_answering_5xx_is_ejected_and_comes_back(self):
        ejected = lambda: self.target_metric("junction_gateway_upstream_target_ejected", "flaky", self.b.url())
        ejections = lambda: self.target_metric("junction_gateway_upstream_ejections_total", "flaky",
                                               self.b.url())
        self.assertEqual(ejections(), 0)
        self.b.status = 500
        # Round robin: b gets every other request, and its third 500 in a row ejects it.
        answers = [self.get("/flaky/x")[0] for _ in range(6)]
        self.assertEqual(answers.count(500), 3, answers)
        self.assertEqual(ejections(), 1)
        self.assertEqual(ejected(), 1)
        self.assertIn("ejected for 3s after consecutive failures", self.log())
        b_hits = self.b.counts()[0]
        for _ in range(10):
            self.assertEqual(self.get("/flaky/x"), (200, "a"))
        self.assertEqual(self.b.counts()[0], b_hits)

        # The ejection ends by itself; b, healthy by now, gets traffic again.
        self.b.status = 200
        wait_until(lambda: self.get("/flaky/x")[1] == "b", 20, "b back in rotation")
        self.assertEqual(ejected(), 0)
        self.assertEqual(ejections(), 1)

    def test_hash_on_a_header_keeps_each_key_on_one_target(self):
        owners = {}
        for n in range(24):
            key = f"user-{n}"
            answers = {self.get("/users/x", {"X-User-Id": key}) for _ in range(4)}
            self.assertEqual(len(answers), 1, (key, answers))
            status, owner = answers.pop()
            self.assertEqual(status, 200)
            owners[key] = owner
        self.assertGreaterEqual(len(set(owners.values())), 2, owners)
        # Without the header the request is balanced round robin over all three.
        self.assertEqual({self.get("/users/x")[1] for _ in range(3)}, {"a", "b", "nginx"})

    def test_the_retry_budget_stops_retries(self):
        self.c.status = 503
        for _ in range(20):
            self.assertEqual(http_request(self.port, "GET", "/retry/x")[0], 503)
        # 10% of 20 requests allow 2 retries; every request was refused its next one.
        self.assertEqual(self.c.counts()[0], 22)
        self.assertEqual(self.metric('junction_gateway_upstream_retries_total{upstream="retry"}'), 2)
        self.assertEqual(
            self.metric('junction_gateway_upstream_retry_budget_exhausted_total{upstream="retry"}'), 20)

    def test_retries_follow_the_methods_the_upstream_names(self):
        self.d.status = 503
        # POST is named: tried twice. GET is not named here: tried once.
        self.assertEqual(http_request(self.port, "POST", "/posts/x", body=b"{}")[0], 503)
        self.assertEqual(self.d.counts()[0], 2)
        self.assertEqual(http_request(self.port, "GET", "/posts/x")[0], 503)
        self.assertEqual(self.d.counts()[0], 3)
        # By default only idempotent methods are retried: a POST goes once.
        self.c.status = 503
        self.assertEqual(http_request(self.port, "POST", "/retry/x", body=b"{}")[0], 503)
        self.assertEqual(self.c.counts()[0], 1)


if __name__ == "__main__":
    unittest.main()
