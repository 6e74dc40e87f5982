#include <gtest/gtest.h>

#include "unit/spec/spec_fixture.h"

namespace junction::spec {
namespace {

class GatewaySpecTest : public testing::SpecTest {
 protected:
  void SetUp() override { ::setenv("JUNCTION_TEST_JWT", "s3cret-s3cret-s3cret-s3cret-s3cret", 1); }
  void TearDown() override { ::unsetenv("JUNCTION_TEST_JWT"); }
};

TEST_F(GatewaySpecTest, FullGatewayAndUpstreams) {
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  tls: { cert: certs/server.pem, key: certs/server.key }
  limits: { max_body: 64KiB, max_headers: 50 }
  auth:
    jwt: { issuer: https://auth.example.com, audience: orders, secret: "${JUNCTION_TEST_JWT}", algorithms: [HS256] }
    api_keys: { header: X-Key, keys: "ops:k1" }
  routes:
    - path: /v1/orders/{id}
      methods: [get, POST]
      host: api.example.com
      headers: { X-Tenant: acme, X-Trace: }
      version: { value: v2, header: Accept-Version }
      require: { scopes: [orders:read] }
      rate_limit: { key: consumer, limit: [10/s, 1000/min] }
      to: { upstream: orders, strip_prefix: /v1 }
    - path: /health
      version: v1
      require: { auth: api_key }
      to: { static: { status: 204, headers: { X-A: b } } }
upstreams:
  orders:
    targets: ["http://127.0.0.1:8081", "http://127.0.0.1:8082/base"]
    balance: least_request
    timeout: 2s
    retries: { attempts: 3, backoff: 20ms, methods: [GET, POST] }
    circuit_breaker: { failure_rate: 25%, window: 10, minimum_calls: 5, wait_in_open: 5s }
    max_concurrent: 7
    idle_connections: 0
)",
                    "/etc/j/spec.yaml");
  ASSERT_TRUE(spec) << diags_.format();
  ASSERT_TRUE(spec->gateway);
  const auto& g = *spec->gateway;
  EXPECT_EQ(g.host, "127.0.0.1");
  EXPECT_EQ(g.port, 0);
  ASSERT_TRUE(g.tls);
  EXPECT_EQ(g.tls->cert_file, "/etc/j/certs/server.pem");
  EXPECT_EQ(g.limits.max_body, 64u * 1024);
  EXPECT_EQ(g.limits.max_headers, 50u);
  ASSERT_TRUE(g.jwt);
  EXPECT_EQ(g.jwt->secret, "s3cret-s3cret-s3cret-s3cret-s3cret");
  EXPECT_EQ(g.jwt->audiences, std::vector<std::string>{"orders"});
  ASSERT_TRUE(g.api_keys);
  EXPECT_EQ(g.api_keys->header, "X-Key");
  ASSERT_EQ(g.routes.size(), 2u);
  const auto& r = g.routes[0];
  EXPECT_EQ(r.methods, (std::vector<std::string>{"GET", "POST"}));
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].equals, "acme");
  EXPECT_FALSE(r.headers[1].equals);
  ASSERT_TRUE(r.version);
  EXPECT_EQ(r.version->header, "Accept-Version");
  EXPECT_EQ(r.require.auth, AuthMode::kJwt);  // implied by scopes
  ASSERT_TRUE(r.rate_limit);
  EXPECT_EQ(r.rate_limit->key, "consumer");
  EXPECT_EQ(r.rate_limit->limits.size(), 2u);
  EXPECT_EQ(r.to.upstream, "orders");
  EXPECT_EQ(r.to.strip_prefix, "/v1");
  const auto& h = g.routes[1];
  EXPECT_EQ(h.require.auth, AuthMode::kApiKey);
  ASSERT_TRUE(h.to.static_response);
  EXPECT_EQ(h.to.static_response->status, 204);
  EXPECT_EQ(h.version->value, "v1");
  ASSERT_EQ(spec->upstreams.size(), 1u);
  const auto& u = spec->upstreams[0];
  EXPECT_EQ(u.targets.size(), 2u);
  EXPECT_EQ(u.balance, Balance::kLeastRequest);
  EXPECT_EQ(u.timeout, std::chrono::seconds(2));
  EXPECT_EQ(u.attempts, 3);
  EXPECT_EQ(u.backoff, std::chrono::milliseconds(20));
  EXPECT_EQ(u.retry_methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(u.failure_rate, 25);
  EXPECT_EQ(u.window, 10u);
  EXPECT_EQ(u.minimum_calls, 5u);
  EXPECT_EQ(u.max_concurrent, 7u);
  EXPECT_EQ(u.idle_connections, 0u);  // 0: every connection closed after its call
}

TEST_F(GatewaySpecTest, DefaultsApply) {
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: :8080
  routes: [{ path: /, to: { static: { body: ok } } }]
)");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_EQ(spec->gateway->host, "0.0.0.0");
  EXPECT_EQ(spec->gateway->port, 8080);
  EXPECT_EQ(spec->gateway->limits.max_body, 1024u * 1024);
  EXPECT_EQ(spec->gateway->routes[0].require.auth, AuthMode::kNone);
  EXPECT_EQ(spec->gateway->routes[0].to.static_response->status, 200);
}

TEST_F(GatewaySpecTest, UnknownUpstreamIsReportedAtTheTarget) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: 0.0.0.0:8080
  routes:
    - path: /a
      to: { upstream: ordrs }
upstreams:
  orders: { targets: ["http://127.0.0.1:1"] }
)"),
            "spec.yaml:6:11: error: route /a: unknown upstream 'ordrs'; did you mean 'orders'?\n");
}

TEST_F(GatewaySpecTest, GatewayMistakesPointAtTheirPlace) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: nowhere
  limits: { max_header_bytes: 10, max_headers: 0 }
  auth:
    jwt: { algorithms: [HS256, RS256, none], secret: x, jwks: k.json }
  routes:
    - path: v1/a
      methds: [GET]
      to: { upstream: a, static: { status: 700 }, flow: t }
    - path: /b
      require: { auth: jwt, scopes: [x] }
      rate_limit: { key: ipp, limit: [0/s, 10/lightyear] }
      to: { upstream: a }
    - path: /c
      require: { auth: api_key }
      version: { value: a/b }
      to: { static: {}, strip_prefix: x }
)"),
            "spec.yaml:3:11: error: invalid listen address 'nowhere'; expected host:port like "
            "0.0.0.0:8080\n"
            "spec.yaml:4:31: error: max_header_bytes must be between 1KiB and 1MiB\n"
            "spec.yaml:4:48: error: max_headers must be between 1 and 10000\n"
            "spec.yaml:6:10: error: jwt needs exactly one of 'jwks', 'jwks_url' and 'secret'; "
            "jwks or jwks_url for RS256/ES256 keys, secret for HS256/384/512\n"
            "spec.yaml:6:24: error: algorithm 'RS256' needs a jwks, not a secret\n"
            "spec.yaml:6:24: error: unsupported JWT algorithm 'none'; expected one of: HS256, "
            "HS384, HS512, RS256, ES256\n"
            "spec.yaml:9:7: error: unknown field 'methds'; did you mean 'methods'?\n"
            "spec.yaml:8:13: error: a route path must start with '/'\n"
            "spec.yaml:10:44: error: a static status must be between 200 and 599\n"
            "spec.yaml:10:11: error: a route target needs exactly one of 'upstream', 'static', "
            "'topic' and 'flow'\n"
            "spec.yaml:13:26: error: invalid rate limit key 'ipp'; expected ip, consumer, route "
            "or header:<name>\n"
            "spec.yaml:13:39: error: invalid rate limit '0/s'; expected <count>/<unit> (s, m or "
            "min, h, d) with a count of 1 or more per period, optionally 'burst <count>': "
            "'1000/min', '50/s burst 100'\n"
            "spec.yaml:13:44: error: invalid rate limit '10/lightyear'; expected <count>/<unit> "
            "(s, m or min, h, d) with a count of 1 or more per period, optionally 'burst "
            "<count>': '1000/min', '50/s burst 100'\n"
            "spec.yaml:17:16: error: a version must be one path segment like 'v1'\n"
            "spec.yaml:16:24: error: this route requires an API key but gateway.auth.api_keys is "
            "not set\n"
            "spec.yaml:18:39: error: strip_prefix must start with '/'\n"
            "spec.yaml:10:11: error: route v1/a: unknown upstream 'a'; declare it under "
            "`upstreams:`\n"
            "spec.yaml:14:11: error: route /b: unknown upstream 'a'; declare it under "
            "`upstreams:`\n"
            "spec.yaml:10:57: error: route v1/a: unknown flow 't'; declare it under `flows:`\n");
}

TEST_F(GatewaySpecTest, RequiredFieldsAndShapes) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  routes: {}
upstreams: []
)"),
            "spec.yaml:3:11: error: expected a sequence for field 'routes', got a mapping\n"
            "spec.yaml:3:3: error: missing required field 'listen'\n"
            "spec.yaml:4:12: error: expected a mapping of upstream names to settings, got a "
            "sequence; write e.g. `upstreams: { orders: { targets: [\"http://10.0.0.5:8080\"] } "
            "}`\n");
}

TEST_F(GatewaySpecTest, ScopesNeedJwt) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: 0.0.0.0:1
  auth: { api_keys: { keys: "a:b" } }
  routes:
    - path: /a
      require: { auth: api_key, roles: [admin] }
      to: { static: { body: x } }
    - path: /b
      require: { scopes: [x] }
      to: { static: { body: x } }
    - path: /c
      to: { static: { status: 204, body: x } }
)"),
            "spec.yaml:7:24: error: scopes and roles come from a JWT: use auth jwt or any\n"
            "spec.yaml:10:16: error: this route requires a JWT but gateway.auth.jwt is not set\n"
            "spec.yaml:13:42: error: a 204 response has no body\n");
}

TEST_F(GatewaySpecTest, MoreShapeMistakes) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: 0.0.0.0:70000
  tls: { cert: a.pem }
  routes:
    - path: /a
      headers: [X-A]
      version: [v1]
      require: { auth: any }
      rate_limit: { limit: [] }
      to: { static: { headers: { X-A: [1] } } }
    - path: /b
      rate_limit: { limit: [{ n: 1 }] }
      to: { upstream: u }
upstreams:
  u: { targets: ["http://h:1"] }
)"),
            "spec.yaml:3:11: error: invalid listen address '0.0.0.0:70000'; expected host:port "
            "like 0.0.0.0:8080\n"
            "spec.yaml:4:8: error: missing required field 'key'\n"
            "spec.yaml:7:16: error: expected a mapping for field 'headers', got a sequence\n"
            "spec.yaml:8:16: error: expected a version like v1 or {value: v1, header: ...}, got a "
            "sequence\n"
            "spec.yaml:9:24: error: this route requires credentials but gateway.auth sets neither "
            "jwt nor api_keys, and gateway.tls has no client_ca for certificates\n"
            "spec.yaml:10:28: error: rate limit needs at least one limit\n"
            "spec.yaml:11:34: error: expected a header name and a text value\n"
            "spec.yaml:13:29: error: expected a rate like 1000/min, got a mapping\n");
  EXPECT_EQ(errors("apiVersion: junction/v1\ngateway: { listen: ':1', routes: [] }\n"),
            "spec.yaml:2:34: error: the gateway needs at least one route\n");
}

TEST_F(GatewaySpecTest, AnOldVersionCarriesItsDeprecationSunsetAndLink) {
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  routes:
    - path: /orders
      version: { value: v1, deprecated: 2026-06-30, sunset: "2027-01-31T12:00:00Z",
                 link: "https://developer.example.com/v2" }
      to: { static: { body: old } }
    - path: /orders
      version: v2
      to: { static: { body: new } }
)");
  ASSERT_TRUE(spec) << diags_.format();
  const auto& old = *spec->gateway->routes[0].version;
  EXPECT_EQ(old.deprecation, "@1782777600");  // 2026-06-30T00:00:00Z
  EXPECT_EQ(old.sunset, "Sun, 31 Jan 2027 12:00:00 GMT");
  EXPECT_EQ(old.deprecation_link, "<https://developer.example.com/v2>; rel=\"deprecation\"");
  const auto& current = *spec->gateway->routes[1].version;
  EXPECT_TRUE(current.deprecation.empty());
  EXPECT_TRUE(current.sunset.empty());
}

TEST_F(GatewaySpecTest, VersionNoticeMistakesPointAtTheirPlace) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  routes:
    - path: /a
      version: { value: v1, deprecated: 2027-02-30, sunset: soon }
      to: { static: { body: a } }
    - path: /b
      version: { value: v1, deprecated: 2027-03-01, sunset: 2027-01-01 }
      to: { static: { body: b } }
    - path: /c
      version: { value: v1, link: "https://x.example/" }
      to: { static: { body: c } }
    - path: /d
      version: { value: v1, deprecated: 2027-03-01, link: "<bad>" }
      to: { static: { body: d } }
)"),
            "spec.yaml:6:41: error: invalid deprecated '2027-02-30'; expected a UTC date like "
            "2027-01-31 or 2027-01-31T12:00:00Z\n"
            "spec.yaml:6:61: error: invalid sunset 'soon'; expected a UTC date like 2027-01-31 "
            "or 2027-01-31T12:00:00Z\n"
            "spec.yaml:9:61: error: sunset is before the version was deprecated\n"
            "spec.yaml:12:35: error: link applies to a deprecated version; set deprecated: to the "
            "date the version was deprecated\n"
            "spec.yaml:15:59: error: invalid link '<bad>'; expected a URL like "
            "https://developer.example.com/deprecation\n");
}

TEST_F(GatewaySpecTest, JwksUrlMtlsAndPolicies) {
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  tls: { cert: s.pem, key: s.key, client_ca: ca.pem, client_cert: optional }
  auth:
    jwt: { jwks_url: "https://idp.example.com/.well-known/jwks.json", jwks_refresh: 2m, jwks_cooldown: 5s, jwks_ca: idp-ca.pem, algorithms: [RS256] }
  routes:
    - path: /t/{tenant}
      require: { auth: jwt, allow_if: "claims.tenant == path.tenant && request.method != 'DELETE'" }
      to: { static: { body: x } }
    - path: /internal
      require: { auth: mtls, subjects: ["CN=billing,O=Acme"] }
      to: { static: { body: x } }
    - path: /open
      to: { static: { body: x } }
)",
                    "/etc/j/spec.yaml");
  ASSERT_TRUE(spec) << diags_.format();
  const auto& g = *spec->gateway;
  EXPECT_FALSE(g.tls->client_cert_required);
  ASSERT_TRUE(g.jwt);
  EXPECT_EQ(g.jwt->jwks_url, "https://idp.example.com/.well-known/jwks.json");
  EXPECT_EQ(g.jwt->jwks_refresh, std::chrono::minutes(2));
  EXPECT_EQ(g.jwt->jwks_cooldown, std::chrono::seconds(5));
  EXPECT_EQ(g.jwt->jwks_ca, "/etc/j/idp-ca.pem");
  EXPECT_TRUE(g.jwt->jwks.empty());
  ASSERT_TRUE(g.routes[0].require.allow_if);
  EXPECT_EQ(g.routes[0].require.allow_if->text(),
            "claims.tenant == path.tenant && request.method != 'DELETE'");
  EXPECT_EQ(g.routes[1].require.auth, AuthMode::kMtls);
  EXPECT_EQ(g.routes[1].require.subjects, std::vector<std::string>{"CN=billing,O=Acme"});
  EXPECT_FALSE(g.routes[2].require.allow_if);
}

TEST_F(GatewaySpecTest, JwksUrlDefaultsAndClientCertRequiredByDefault) {
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  tls: { cert: s.pem, key: s.key, client_ca: ca.pem }
  auth: { jwt: { jwks_url: "http://idp:8080/jwks", algorithms: [RS256] } }
  routes: [{ path: /a, to: { static: { body: x } } }]
)");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_TRUE(spec->gateway->tls->client_cert_required);
  EXPECT_EQ(spec->gateway->jwt->jwks_refresh, std::chrono::minutes(10));
  EXPECT_EQ(spec->gateway->jwt->jwks_cooldown, std::chrono::seconds(30));
}

TEST_F(GatewaySpecTest, AuthMistakesPointAtTheirPlace) {
  EXPECT_EQ(errors(R"y(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  tls: { cert: s.pem, key: s.key, client_cert: optional }
  auth:
    jwt: { jwks_url: "ftp://idp/jwks", jwks_refresh: 10ms, jwks_cooldown: -1s, algorithms: [RS256] }
    api_keys: { keys: "a:b", header: X-K }
  routes:
    - path: /a
      require: { auth: mtls, allow_if: "claims.tenant == path.tenant &&" }
      to: { static: { body: x } }
    - path: /b
      require: { auth: api_key, subjects: [CN=x], allow_if: "secrets.x == 1" }
      to: { static: { body: x } }
    - path: /c
      require: { auth: mtls, roles: [admin], allow_if: "((((((((((((((((((((((((((((((((((true))))))))))))))))))))))))))))))))))" }
      to: { static: { body: x } }
)y"),
            "spec.yaml:4:48: error: client_cert needs client_ca\n"
            "spec.yaml:6:75: error: invalid duration '-1s' for field 'jwks_cooldown': expected a "
            "number with a unit: ns, us, ms, s, m, h, d like 250ms or 5m\n"
            "spec.yaml:6:22: error: invalid jwks_url 'ftp://idp/jwks'; expected an http:// or "
            "https:// URL like https://idp/.well-known/jwks.json\n"
            "spec.yaml:6:54: error: jwks_refresh must be at least 1s\n"
            "spec.yaml:10:24: error: auth mtls needs gateway.tls.client_ca to verify client "
            "certificates\n"
            "spec.yaml:10:40: error: invalid allow_if expression: column 32: expected a value, "
            "got the end of the expression\n"
            "spec.yaml:13:43: error: subjects apply to auth mtls or any only\n"
            "spec.yaml:13:61: error: invalid allow_if expression: column 1: unknown name "
            "'secrets'; expected claims, path, header, headers, query, request, identity, true "
            "or false\n"
            "spec.yaml:16:24: error: scopes and roles come from a JWT: use auth jwt or any\n"
            "spec.yaml:16:24: error: auth mtls needs gateway.tls.client_ca to verify client "
            "certificates\n"
            "spec.yaml:16:56: error: invalid allow_if expression: column 34: the expression is "
            "nested too deeply\n");
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  auth: { jwt: { secret: "${JUNCTION_TEST_JWT}", jwks_refresh: 1m, algorithms: [HS256] } }
  routes: [{ path: /a, to: { static: { body: x } } }]
)"),
            "spec.yaml:4:64: error: jwks_refresh applies to jwks_url only\n");
}

TEST_F(GatewaySpecTest, UpstreamMistakesPointAtTheirPlace) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
upstreams:
  a:
    targets: ["ftp://x", "http://"]
    balance: random
    timeout: 0s
    retries: { attempts: 0, bakoff: 1s }
    circuit_breaker: { failure_rate: 150%, window: 0 }
    max_concurrent: 0
    idle_connections: -1
  b: { targets: [] }
)"),
            "spec.yaml:5:14: error: invalid value 'random' for field 'balance'; expected one of: "
            "round_robin, least_request, hash\n"
            "spec.yaml:4:14: error: invalid target 'ftp://x'; expected an http:// or https:// "
            "URL with a host, like http://10.0.0.5:8080\n"
            "spec.yaml:4:14: error: invalid target 'http://'; expected an http:// or https:// URL "
            "with a host, like http://10.0.0.5:8080\n"
            "spec.yaml:6:14: error: timeout must be positive\n"
            "spec.yaml:7:29: error: unknown field 'bakoff'; did you mean 'backoff'?\n"
            "spec.yaml:7:26: error: attempts must be between 1 and 10\n"
            "spec.yaml:8:38: error: invalid failure_rate '150%'; expected a percentage above 0 "
            "and at most 100, like 50%\n"
            "spec.yaml:8:52: error: window must be between 1 and 100000\n"
            "spec.yaml:9:21: error: max_concurrent must be between 1 and 1000000\n"
            "spec.yaml:10:23: error: idle_connections must be between 0 and 100000\n"
            "spec.yaml:11:17: error: an upstream needs at least one target\n");
}

TEST_F(GatewaySpecTest, StreamingRouteAndItsLimits) {
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  limits: { stream_threshold: 1MiB, max_streamed_body: 10GiB }
  routes:
    - path: /files/*
      to: { upstream: files, stream: true }
    - path: /other
      to: { upstream: files }
upstreams:
  files: { targets: ["http://127.0.0.1:1"] }
)");
  ASSERT_TRUE(spec) << diags_.format();
  const auto& g = *spec->gateway;
  EXPECT_EQ(g.limits.stream_threshold, 1024u * 1024);
  EXPECT_EQ(g.limits.max_streamed_body, 10ull << 30);
  EXPECT_TRUE(g.routes[0].to.stream);
  EXPECT_FALSE(g.routes[1].to.stream);
}

TEST_F(GatewaySpecTest, StreamingDefaults) {
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  routes:
    - path: /a
      to: { upstream: a }
upstreams:
  a: { targets: ["http://127.0.0.1:1"] }
)");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_EQ(spec->gateway->limits.stream_threshold, 64u * 1024);
  EXPECT_EQ(spec->gateway->limits.max_streamed_body, 1ull << 30);
}

TEST_F(GatewaySpecTest, IdentityHeaderAndCredentials) {
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  routes:
    - path: /a
      to: { upstream: a, identity_header: X-Consumer, forward_credentials: false }
    - path: /b
      to: { upstream: a }
upstreams:
  a: { targets: ["http://127.0.0.1:1"] }
)");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_EQ(spec->gateway->routes[0].to.identity_header, "X-Consumer");
  EXPECT_FALSE(spec->gateway->routes[0].to.forward_credentials);
  EXPECT_EQ(spec->gateway->routes[1].to.identity_header, "");
  EXPECT_TRUE(spec->gateway->routes[1].to.forward_credentials);

  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  routes:
    - path: /a
      to: { static: { status: 200 }, identity_header: X-Consumer, forward_credentials: false }
    - path: /b
      to: { upstream: a, identity_header: "X Consumer" }
    - path: /c
      to: { upstream: a, identity_header: x-forwarded-for }
    - path: /d
      to: { upstream: a, identity_header: Authorization }
upstreams:
  a: { targets: ["http://127.0.0.1:1"] }
)"),
            "spec.yaml:6:55: error: 'identity_header' applies to an upstream target only\n"
            "spec.yaml:6:88: error: 'forward_credentials' applies to an upstream target only\n"
            "spec.yaml:8:43: error: identity_header must be a header name, e.g. X-Consumer\n"
            "spec.yaml:10:43: error: identity_header cannot be x-forwarded-for: the gateway sets "
            "or drops it itself\n"
            "spec.yaml:12:43: error: identity_header cannot be Authorization: the gateway sets or "
            "drops it itself\n");
}

TEST_F(GatewaySpecTest, StreamingMistakesPointAtTheirPlace) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  limits: { stream_threshold: 2MiB, max_streamed_body: 1MiB }
  routes:
    - path: /a
      to: { static: { status: 200 }, stream: true }
)"),
            "spec.yaml:4:31: error: stream_threshold must not exceed max_streamed_body\n"
            "spec.yaml:7:46: error: 'stream' applies to an upstream target only\n");
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  limits: { stream_threshold: 0, max_streamed_body: 0 }
  routes:
    - path: /a
      to: { static: { status: 200 } }
)"),
            "spec.yaml:4:53: error: max_streamed_body must be positive\n");
}

TEST_F(GatewaySpecTest, UpstreamHealthOutlierHashAndBudget) {
  auto spec = parse(R"(apiVersion: junction/v1
upstreams:
  users:
    targets: ["http://127.0.0.1:8081", "http://127.0.0.1:8082"]
    balance: hash
    hash_on: header:X-User-Id
    retries: { attempts: 3, budget: 25%, min_per_second: 0 }
    health_check: { path: /healthz, interval: 200ms, timeout: 100ms, healthy_threshold: 1,
                    unhealthy_threshold: 4, expect_status: 204 }
    outlier: { consecutive_failures: 2, base_ejection: 1s, max_ejection: 10s,
               max_ejection_percent: 34% }
  plain:
    targets: ["http://127.0.0.1:8083"]
    balance: hash
    hash_on: ip
    health_check: { path: /up }
    outlier: {}
)");
  ASSERT_TRUE(spec) << diags_.format();
  ASSERT_EQ(spec->upstreams.size(), 2u);
  const auto& u = spec->upstreams[0];
  EXPECT_EQ(u.balance, Balance::kHash);
  EXPECT_EQ(u.hash_header, "X-User-Id");
  EXPECT_EQ(u.attempts, 3);
  EXPECT_EQ(u.retry_budget, 25);
  EXPECT_EQ(u.retry_min_per_second, 0u);
  ASSERT_TRUE(u.health_check);
  EXPECT_EQ(u.health_check->path, "/healthz");
  EXPECT_EQ(u.health_check->interval, std::chrono::milliseconds(200));
  EXPECT_EQ(u.health_check->timeout, std::chrono::milliseconds(100));
  EXPECT_EQ(u.health_check->healthy_threshold, 1u);
  EXPECT_EQ(u.health_check->unhealthy_threshold, 4u);
  EXPECT_EQ(u.health_check->expect_min, 204u);
  EXPECT_EQ(u.health_check->expect_max, 204u);
  ASSERT_TRUE(u.outlier);
  EXPECT_EQ(u.outlier->consecutive_failures, 2u);
  EXPECT_EQ(u.outlier->base_ejection, std::chrono::seconds(1));
  EXPECT_EQ(u.outlier->max_ejection, std::chrono::seconds(10));
  EXPECT_EQ(u.outlier->max_ejection_percent, 34);
  const auto& p = spec->upstreams[1];
  EXPECT_EQ(p.balance, Balance::kHash);
  EXPECT_EQ(p.hash_header, "");  // ip
  EXPECT_EQ(p.retry_budget, 20);
  EXPECT_EQ(p.retry_min_per_second, 3u);
  ASSERT_TRUE(p.health_check);
  EXPECT_EQ(p.health_check->interval, std::chrono::seconds(5));
  EXPECT_EQ(p.health_check->timeout, std::chrono::seconds(1));
  EXPECT_EQ(p.health_check->healthy_threshold, 2u);
  EXPECT_EQ(p.health_check->unhealthy_threshold, 3u);
  EXPECT_EQ(p.health_check->expect_min, 200u);
  EXPECT_EQ(p.health_check->expect_max, 399u);
  ASSERT_TRUE(p.outlier);
  EXPECT_EQ(p.outlier->consecutive_failures, 5u);
  EXPECT_EQ(p.outlier->base_ejection, std::chrono::seconds(30));
  EXPECT_EQ(p.outlier->max_ejection, std::chrono::minutes(5));
  EXPECT_EQ(p.outlier->max_ejection_percent, 50);
}

TEST_F(GatewaySpecTest, WithoutHealthCheckOrOutlierNeitherIsOn) {
  auto spec = parse(R"(apiVersion: junction/v1
upstreams:
  a: { targets: ["http://127.0.0.1:8081"], retries: { budget: 0% } }
)");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_FALSE(spec->upstreams[0].health_check);
  EXPECT_FALSE(spec->upstreams[0].outlier);
  EXPECT_EQ(spec->upstreams[0].balance, Balance::kRoundRobin);
  EXPECT_EQ(spec->upstreams[0].retry_budget, 0);
  EXPECT_EQ(spec->upstreams[0].idle_connections, 128u);
  EXPECT_FALSE(spec->upstreams[0].retry_methods);  // the idempotent ones
}

TEST_F(GatewaySpecTest, RetryMethodsAreMethodNames) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
upstreams:
  a: { targets: ["http://127.0.0.1:8081"], retries: { methods: [POST, get] } }
)"),
            "spec.yaml:3:64: error: invalid method 'get' in retries.methods; expected upper-case "
            "method names like [GET, PUT, POST]\n");
  auto none = parse(R"(apiVersion: junction/v1
upstreams:
  a: { targets: ["http://127.0.0.1:8081"], retries: { methods: [] } }
)");
  ASSERT_TRUE(none) << diags_.format();
  ASSERT_TRUE(none->upstreams[0].retry_methods);
  EXPECT_TRUE(none->upstreams[0].retry_methods->empty());  // no method is retried
}

TEST_F(GatewaySpecTest, HealthOutlierHashAndBudgetMistakesPointAtTheirPlace) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
upstreams:
  a:
    targets: ["http://h:1"]
    balance: hash
    retries: { budget: 150%, min_per_second: -1 }
  b:
    targets: ["http://h:1"]
    hash_on: ip
  c:
    targets: ["http://h:1"]
    balance: hash
    hash_on: cookie
  d:
    targets: ["http://h:1"]
    health_check: { interval: 0s, timeout: 0s, healthy_threshold: 0, expect_status: 300-200 }
  e:
    targets: ["http://h:1"]
    health_check: { path: healthz, unhealthy_threshold: 1001, expect_status: 99 }
  f:
    targets: ["http://h:1"]
    outlier: { consecutive_failures: 0, base_ejection: 0s, max_ejection_percent: 0% }
  g:
    targets: ["http://h:1"]
    outlier: { base_ejection: 1m, max_ejection: 30s, max_ejection_percent: 101% }
)"),
            "spec.yaml:5:14: error: balance hash needs hash_on; hash_on: ip, or hash_on: "
            "header:<name> like header:X-User-Id\n"
            "spec.yaml:6:24: error: invalid retry budget '150%'; expected a percentage from 0 to "
            "100, like 20%\n"
            "spec.yaml:6:46: error: min_per_second must be between 0 and 100000\n"
            "spec.yaml:9:14: error: hash_on applies to balance: hash only\n"
            "spec.yaml:13:14: error: invalid hash_on 'cookie'; expected ip or header:<name>\n"
            "spec.yaml:16:19: error: missing required field 'path'\n"
            "spec.yaml:16:31: error: interval must be positive\n"
            "spec.yaml:16:44: error: timeout must be positive\n"
            "spec.yaml:16:67: error: healthy_threshold must be between 1 and 1000\n"
            "spec.yaml:16:85: error: invalid expect_status '300-200'; expected a status like 200 "
            "or a range like 200-399, within 100-599\n"
            "spec.yaml:19:27: error: a health check path must start with '/'\n"
            "spec.yaml:19:57: error: unhealthy_threshold must be between 1 and 1000\n"
            "spec.yaml:19:78: error: invalid expect_status '99'; expected a status like 200 or a "
            "range like 200-399, within 100-599\n"
            "spec.yaml:22:38: error: consecutive_failures must be between 1 and 1000\n"
            "spec.yaml:22:56: error: base_ejection must be positive\n"
            "spec.yaml:22:82: error: invalid max_ejection_percent '0%'; expected a percentage "
            "above 0 and at most 100, like 50%\n"
            "spec.yaml:25:49: error: max_ejection must be at least base_ejection\n"
            "spec.yaml:25:76: error: invalid max_ejection_percent '101%'; expected a percentage "
            "above 0 and at most 100, like 50%\n");
}

// The test catalog and the `gateway` input, as the real registry has it.
class GatewayInputCatalog : public testing::TestCatalog {
 public:
  const Schema* schema(ComponentKind kind, const std::string& name) const override {
    static const Schema gateway{{{"max_in_flight", FieldType::kInt, "1024", "requests at once"}}};
    if (kind == ComponentKind::kInput && name == "gateway") return &gateway;
    return TestCatalog::schema(kind, name);
  }
  std::vector<std::string> names(ComponentKind kind) const override {
    auto out = TestCatalog::names(kind);
    if (kind == ComponentKind::kInput) out.push_back("gateway");
    return out;
  }
};

class FlowTargetSpecTest : public GatewaySpecTest {
 protected:
  std::optional<Spec> parse_flows(const std::string& text) {
    diags_ = Diagnostics();
    auto spec = parse_spec(text, "spec.yaml", catalog_with_gateway_, diags_);
    EXPECT_EQ(spec.has_value(), diags_.ok());
    return spec;
  }
  GatewayInputCatalog catalog_with_gateway_;
};

TEST_F(FlowTargetSpecTest, FlowTargets) {
  auto spec = parse_flows(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  routes:
    - path: /quotes/{id}
      to: { flow: quote, timeout: 5s }
    - path: /quotes
      to: { flow: quote }
flows:
  quote:
    input: { gateway: {} }
    output: { stdout: {} }
)");
  ASSERT_TRUE(spec) << diags_.format();
  const auto& routes = spec->gateway->routes;
  ASSERT_TRUE(routes[0].to.flow);
  EXPECT_EQ(routes[0].to.flow->flow, "quote");
  EXPECT_EQ(routes[0].to.flow->timeout, std::chrono::seconds(5));
  EXPECT_EQ(routes[0].to.flow->where.line, 6);
  EXPECT_EQ(routes[0].to.flow->where.column, 19);
  ASSERT_TRUE(routes[1].to.flow);
  EXPECT_EQ(routes[1].to.flow->timeout, std::chrono::seconds(30));
  EXPECT_TRUE(routes[1].to.upstream.empty());
}

TEST_F(FlowTargetSpecTest, FlowTargetMistakesPointAtTheRoutesFlowField) {
  EXPECT_FALSE(parse_flows(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  routes:
    - path: /a
      to: { flow: quotes }
    - path: /b
      to: { flow: filer }
    - path: /c
      to: { flow: quote, timeout: 0s }
    - path: /d
      to: { static: {}, timeout: 5s }
flows:
  quote:
    input: { gateway: {} }
    output: { stdout: {} }
  filer:
    input: { file: in.txt }
    output: { stdout: {} }
)"));
  EXPECT_EQ(diags_.format(),
            "spec.yaml:10:35: error: timeout must be positive\n"
            "spec.yaml:12:34: error: 'timeout' applies to a flow target only; an upstream's is "
            "under `upstreams:`\n"
            "spec.yaml:6:19: error: route /a: unknown flow 'quotes'; did you mean 'quote'?\n"
            "spec.yaml:8:19: error: route /b: flow 'filer' does not take requests from the "
            "gateway (its input is 'file'); give it `input: { gateway: {} }`\n");
}

TEST_F(FlowTargetSpecTest, AGatewayInputNeedsAGateway) {
  EXPECT_FALSE(parse_flows(R"(apiVersion: junction/v1
flows:
  quote:
    input: { gateway: {} }
    output: { stdout: {} }
)"));
  EXPECT_EQ(diags_.format(),
            "spec.yaml:4:14: error: flow 'quote' takes requests from the gateway, but there is "
            "none; add a `gateway:` section with a route `to: { flow: quote }`\n");
}

}  // namespace
}  // namespace junction::spec

namespace junction::spec {
namespace {

class AnyAuthSpecTest : public testing::SpecTest {};

TEST_F(AnyAuthSpecTest, AnyNeedsSomeCredentialAClientCaCounts) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  routes:
    - path: /a
      require: { auth: any }
      to: { static: { body: x } }
)"),
            "spec.yaml:6:24: error: this route requires credentials but gateway.auth sets neither "
            "jwt nor api_keys, and gateway.tls has no client_ca for certificates\n");
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  tls: { cert: server.pem, key: server.key, client_ca: ca.pem, client_cert: optional }
  routes:
    - path: /a
      require: { auth: any, subjects: ["CN=billing,O=Acme"] }
      to: { static: { body: x } }
)");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_EQ(spec->gateway->routes[0].require.subjects,
            std::vector<std::string>{"CN=billing,O=Acme"});
}

}  // namespace
}  // namespace junction::spec
