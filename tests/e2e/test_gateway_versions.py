"""API versions and the notices of an old one: every answer of a deprecated
version's route (served, refused or proxied) carries Deprecation (RFC 9745),
Sunset (RFC 8594) and a Link with rel="deprecation"; the upstream's own
Deprecation and Sunset are replaced and its other Link fields kept; the
current version carries none."""
import http.client
import unittest

from junction_e2e import JunctionTest, RecordingServer, http_request

DEPRECATION = "@1782777600"  # 2026-06-30T00:00:00Z
SUNSET = "Sun, 31 Jan 2027 12:00:00 GMT"
LINK = '<https://developer.example.com/v2>; rel="deprecation"'


class GatewayVersionsTest(JunctionTest):
    def setUp(self):
        super().setUp()
        self.upstream = RecordingServer(lambda request: (200, {"from": "upstream"}, {
            "Deprecation": "@1", "Sunset": "Thu, 01 Jan 1970 00:00:00 GMT",
            "Link": '<https://upstream.example/next>; rel="next"'}))
        self.addCleanup(self.upstream.close)
        self.write("api-keys.txt", "client:k-123\n")
        notices = ('deprecated: 2026-06-30, sunset: "2027-01-31T12:00:00Z", '
                   'link: "https://developer.example.com/v2"')
        self.write("junction.yaml", f"""\
            apiVersion: junction/v1
            gateway:
              listen: 127.0.0.1:0
              auth:
                api_keys: {{ keys: "${{file:api-keys.txt}}" }}
              routes:
                - path: /orders
                  version: {{ value: v1, {notices} }}
                  to: {{ static: {{ body: old }} }}
                - path: /orders
                  version: v2
                  to: {{ static: {{ body: new }} }}
                - path: /private
                  version: {{ value: v1, header: Accept-Version, {notices} }}
                  require: {{ auth: api_key }}
                  to: {{ static: {{ body: secret }} }}
                - path: /proxied
                  version: {{ value: v1, {notices} }}
                  to: {{ upstream: backend }}
            upstreams:
              backend:
                targets: ["{self.upstream.url()}"]
            """)
        self.port = self.start_gateway("run", "junction.yaml")

    def assert_notices(self, headers):
        self.assertEqual(headers.get("Deprecation"), DEPRECATION)
        self.assertEqual(headers.get("Sunset"), SUNSET)
        self.assertIn(LINK, headers.get("Link", ""))

    def test_the_old_version_says_it_is_deprecated_and_the_current_one_does_not(self):
        status, headers, body = http_request(self.port, "GET", "/v1/orders")
        self.assertEqual((status, body), (200, b"old"))
        self.assert_notices(headers)
        status, headers, body = http_request(self.port, "GET", "/v2/orders")
        self.assertEqual((status, body), (200, b"new"))
        for name in ("Deprecation", "Sunset", "Link"):
            self.assertNotIn(name, headers)

    def test_a_refused_request_to_the_old_version_gets_the_notices_too(self):
        status, headers, _ = http_request(self.port, "GET", "/private",
                                          headers={"Accept-Version": "v1"})
        self.assertEqual(status, 401)
        self.assert_notices(headers)
        status, headers, body = http_request(self.port, "GET", "/private",
                                             headers={"Accept-Version": "v1", "X-Api-Key": "k-123"})
        self.assertEqual((status, body), (200, b"secret"))
        self.assert_notices(headers)

    def test_the_upstreams_own_notices_are_replaced_and_its_other_links_kept(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", "/v1/proxied")
            res = conn.getresponse()
            res.read()
            fields = res.getheaders()  # every field, repeated ones apart
        finally:
            conn.close()
        self.assertEqual(res.status, 200, self.log())
        named = lambda name: [v for n, v in fields if n.lower() == name.lower()]
        self.assertEqual(named("Deprecation"), [DEPRECATION])
        self.assertEqual(named("Sunset"), [SUNSET])
        self.assertEqual(sorted(named("Link")),
                         sorted([LINK, '<https://upstream.example/next>; rel="next"']))


if __name__ == "__main__":
    unittest.main()
