"""What the gateway makes of an upstream's raw answer: a chunked body is
passed on whole without its trailers, interim 1xx answers are skipped, a
body framed by the close arrives whole, and an answer that cannot be framed
without guessing (both framings, two lengths, a header line split by a bare
LF) is a 502: never passed on, nothing of it reaches the client. So is an
answer cut short by a reset, at once."""
import http.client
import socket
import struct
import unittest

from junction_e2e import JunctionTest, RawServer, http_request

ANSWERS = {
    "/chunked": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Up: 1\r\n"
                 b"Connection: close\r\n\r\n"
                 b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"),
    "/interim": (b"HTTP/1.1 100 Continue\r\n\r\n"
                 b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                 b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
    "/until-close": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nread to the end",
    "/both-framings": (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n"
                       b"Connection: close\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
    "/two-lengths": (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n"
                     b"Connection: close\r\n\r\nabc"),
    "/injected": (b"HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: stolen=1\r\nContent-Length: 2\r\n"
                  b"Connection: close\r\n\r\nok"),
    "/own-fields": (b"HTTP/1.1 200 OK\r\nServer: secret-backend/1.0\r\nX-Request-Id: upstream-id\r\n"
                    b"Set-Cookie: a=1\r\nX-Hop: dropped\r\nset-cookie: b=2\r\n"
                    b"Connection: close, X-Hop\r\nContent-Length: 2\r\n\r\nok"),
    "/plain": (b"HTTP/1.1 200 OK\r\nServer: secret-backend/1.0\r\nX-Request-Id: upstream-id\r\n"
               b"Set-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Type:  text/plain \r\n"
               b"Connection: close\r\nContent-Length: 2\r\n\r\nok"),
}

# Answers sent, then reset (an RST, not a FIN), so that the data and the
# reset reach the gateway together.
RESET_AFTER = {
    "/reset-mid-body": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
    "/reset-after-body-to-close": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ncut short",
}


class RawUpstream(RawServer):
    """Answers each connection's first request with the canned bytes for its
    path, then closes."""

    def answer(self, conn):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode()
            if path in RESET_AFTER:
                conn.sendall(RESET_AFTER[path])
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            conn.sendall(ANSWERS.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))


class UpstreamAnswersTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.up = RawUpstream()
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              routes:
                - path: /*
                  to: {{ upstream: raw }}
            upstreams:
              raw:
                targets: ["http://127.0.0.1:{self.up.port}"]
                retries: {{ attempts: 1 }}
            """)
        self.proc = self.start_junction("run", "junction.yaml")
        self.port = self.gateway_port(self.proc)

    def tearDown(self):
        if self.proc.poll() is None:
            self.assertEqual(self.stop(self.proc), 0, self.log())
        self.up.close()
        super().tearDown()

    def test_a_chunked_body_is_passed_on_whole_without_its_trailers(self):
        status, headers, body = http_request(self.port, "GET", "/chunked")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"hello world")
        self.assertEqual(headers["X-Up"], "1")
        self.assertEqual(headers["Content-Length"], "11")
        self.assertNotIn("X-Trailer", headers)
        self.assertNotIn("Transfer-Encoding", headers)

    def test_interim_answers_are_skipped(self):
        status, headers, body = http_request(self.port, "GET", "/interim")
        self.assertEqual(status, 201)
        self.assertEqual(body, b"ok")
        self.assertNotIn("Link", headers)

    def test_a_body_framed_by_the_close_arrives_whole(self):
        status, _, body = http_request(self.port, "GET", "/until-close")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"read to the end")

    def test_the_gateway_answers_as_itself_and_keeps_the_rest(self):
        for path in ["/plain", "/own-fields"]:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request("GET", path, headers={"X-Request-Id": "client-id"})
            res = conn.getresponse()
            fields = [(k.lower(), v) for k, v in res.getheaders()]
            self.assertEqual(res.read(), b"ok")
            conn.close()
            self.assertEqual([v for k, v in fields if k == "server"], ["junction"], path)
            self.assertEqual([v for k, v in fields if k == "x-request-id"], ["client-id"], path)
            self.assertEqual([v for k, v in fields if k == "set-cookie"], ["a=1", "b=2"], path)
            self.assertEqual([v for k, v in fields if k == "content-length"], ["2"], path)
            self.assertNotIn("x-hop", dict(fields), path)  # named by Connection
        self.assertEqual(dict(fields).get("content-type"), None)
        status, headers, _ = http_request(self.port, "GET", "/plain")
        self.assertEqual(headers["Content-Type"], "text/plain")

    def test_an_answer_that_cannot_be_framed_is_a_502(self):
        for path in ["/both-framings", "/two-lengths", "/injected"]:
            status, headers, body = http_request(self.port, "GET", path)
            self.assertEqual(status, 502, f"{path}: {body!r}")
            self.assertNotIn("Set-Cookie", headers)
            self.assertEqual(headers["Content-Type"], "application/problem+json")
        self.assertIsNone(self.proc.poll(), self.log())

    def test_an_answer_cut_short_by_a_reset_is_a_502_at_once(self):
        # Not a 504 after the upstream timeout: the reset arrives with the
        # data, in the same wake-up, and must end the read that follows.
        for path in RESET_AFTER:
            status, headers, body = http_request(self.port, "GET", path)
            self.assertEqual(status, 502, f"{path}: {body!r}")
            self.assertEqual(headers["Content-Type"], "application/problem+json")
        self.assertIsNone(self.proc.poll(), self.log())


if __name__ == "__main__":
    unittest.main()
