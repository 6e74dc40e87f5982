"""SIGHUP reloads the gateway's routes and upstreams from the spec file:
requests that arrive afterwards see the new routes, a request in flight
finishes on the old ones, and a spec that does not load changes nothing."""
import signal
import threading
import unittest

from junction_e2e import (Hold, JunctionTest, RecordingServer, free_port, http_request, json_body,
                          names_itself)


SPEC = """\
apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:{listen}
  routes:
    - path: {path}/*
      to: {{ upstream: {upstream} }}
upstreams:
  {upstream}:
    targets: ["http://127.0.0.1:{port}"]
"""


class GatewayReloadTest(JunctionTest):
    def setUp(self):
        super().setUp()
        # Upstream a holds a request for /hold until the test releases it.
        self.hold_a = Hold(names_itself("a"), when=lambda request: request["path"].endswith("/hold"))
        self.a = RecordingServer(self.hold_a)
        self.b = RecordingServer(names_itself("b"))
        self.write("junction.yaml", SPEC.format(listen=0, path="/a", upstream="alpha",
                                                port=self.a.port))
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)

    def tearDown(self):
        self.hold_a.release()
        if self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        self.a.close()
        self.b.close()
        super().tearDown()

    def get(self, path):
        return http_request(self.port, "GET", path)

    def test_new_routes_apply_and_in_flight_requests_finish(self):
        status, _, raw = self.get("/a/x")
        self.assertEqual((status, json_body(raw)["upstream"]), (200, "a"))

        # A request held by upstream a while the routes change under it.
        result = {}

        def held_request():
            result["response"] = self.get("/a/hold")

        t = threading.Thread(target=held_request)
        t.start()
        self.assertTrue(self.hold_a.arrived.wait(10), "the held request never reached upstream a")

        self.write("junction.yaml", SPEC.format(listen=self.port, path="/b", upstream="beta",
                                                port=self.b.port))
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log(r"gateway reloaded: 1 routes, 1 upstreams", self.proc)

        # Every I/O thread takes the new routes: try enough fresh connections
        # to land on each of them.
        for i in range(8):
            status, _, raw = self.get(f"/b/{i}")
            self.assertEqual((status, json_body(raw)["upstream"]), (200, "b"), raw)
            status, _, _ = self.get(f"/a/{i}")
            self.assertEqual(status, 404)

        self.hold_a.release()
        t.join(10)
        status, _, raw = result["response"]
        self.assertEqual((status, json_body(raw)["upstream"]), (200, "a"), raw)

    def test_a_spec_that_does_not_load_changes_nothing(self):
        self.write("junction.yaml", "apiVersion: junction/v1\ngateway:\n  listen: [not, an, address]\n")
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log(r"SIGHUP: the spec does not load; the gateway keeps its routes", self.proc)
        self.assertRegex(self.log(), r"junction\.yaml:3:\d+")  # where the spec is wrong
        status, _, raw = self.get("/a/still")
        self.assertEqual((status, json_body(raw)["upstream"]), (200, "a"))

    def test_listener_changes_wait_for_a_restart(self):
        self.write("junction.yaml", SPEC.format(listen=free_port(), path="/b", upstream="beta",
                                                port=self.b.port))
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log(r"SIGHUP: the gateway's listen changed; it takes effect on restart",
                          self.proc)
        # The routes changed all the same, on the port already bound.
        status, _, raw = self.get("/b/1")
        self.assertEqual((status, json_body(raw)["upstream"]), (200, "b"), raw)


if __name__ == "__main__":
    unittest.main()
