"""The gateway's access log as a file of its own: one JSON line per request,
written by a background thread; a SIGHUP reopens the path (log rotation by
renaming); `off` writes none, and the default puts them in the process log."""
import json
import os
import signal
import unittest

from junction_e2e import JunctionTest, http_request, wait_until

SPEC = """\
apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:{listen}
  access_log: {access_log}
  routes:
    - path: /hello
      to: {{ static: {{ status: 200, body: "hi" }} }}
"""


class GatewayAccessLogTest(JunctionTest):
    def start(self, access_log):
        self.write("junction.yaml", SPEC.format(listen=0, access_log=access_log))
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)

    def tearDown(self):
        if getattr(self, "proc", None) is not None and self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        super().tearDown()

    def lines(self, name):
        path = self.path(name)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_lines_go_to_the_file_and_not_to_the_process_log(self):
        os.makedirs(self.path("logs"))
        self.start("{ file: logs/access.log, flush: 100ms }")
        for i in range(5):
            status, _, _ = http_request(self.port, "GET", f"/hello?token=secret{i}")
            self.assertEqual(status, 200)
        status, _, _ = http_request(self.port, "GET", "/nowhere")
        self.assertEqual(status, 404)
        wait_until(lambda: len(self.lines("logs/access.log")) == 6, what="six access lines")
        lines = self.lines("logs/access.log")
        self.assertEqual([l["status"] for l in lines].count(200), 5)
        self.assertEqual([l["status"] for l in lines].count(404), 1)
        hello = next(l for l in lines if l["status"] == 200)
        self.assertEqual((hello["type"], hello["method"], hello["path"], hello["route"]),
                         ("access", "GET", "/hello", "/hello"))
        self.assertNotIn("secret", open(self.path("logs/access.log")).read())
        self.assertNotIn('"type":"access"', self.log())

    def test_sighup_reopens_the_path_after_a_rotation(self):
        self.start("{ file: access.log, flush: 100ms }")
        http_request(self.port, "GET", "/hello")
        wait_until(lambda: len(self.lines("access.log")) == 1, what="the first line")
        os.rename(self.path("access.log"), self.path("access.log.1"))
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for_log(r"gateway reloaded", self.proc)
        http_request(self.port, "GET", "/hello")
        wait_until(lambda: len(self.lines("access.log")) == 1, what="a line in the new file")
        self.assertEqual(len(self.lines("access.log.1")), 1)

    def test_the_last_lines_are_written_at_shutdown(self):
        self.start("{ file: access.log, flush: 1h }")
        for _ in range(3):
            http_request(self.port, "GET", "/hello")
        self.assertEqual(self.stop(self.proc), 0, self.log())
        self.assertEqual(len(self.lines("access.log")), 3)

    def test_off_writes_no_access_line(self):
        self.start("off")
        http_request(self.port, "GET", "/hello")
        self.assertEqual(self.stop(self.proc), 0, self.log())
        self.assertNotIn('"type":"access"', self.log())

    def test_an_unopenable_file_stops_the_start_with_its_name(self):
        self.write("junction.yaml",
                   SPEC.format(listen=0, access_log="{ file: no/such/dir/access.log }"))
        proc = self.start_junction("run", "junction.yaml")
        self.assertNotEqual(proc.wait(60), 0)
        self.assertRegex(self.log(), r"access log .*no/such/dir/access\.log: cannot open")


if __name__ == "__main__":
    unittest.main()
