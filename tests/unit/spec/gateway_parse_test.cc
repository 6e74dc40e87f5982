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
    retries: { attempts: 3, backoff: 20ms }
    circuit_breaker: { failure_rate: 25%, window: 10, minimum_calls: 5, wait_in_open: 5s }
    max_concurrent: 7
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
  EXPECT_EQ(u.failure_rate, 25);
  EXPECT_EQ(u.window, 10u);
  EXPECT_EQ(u.minimum_calls, 5u);
  EXPECT_EQ(u.max_concurrent, 7u);
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
            "spec.yaml:6:10: error: jwt needs exactly one of 'jwks' and 'secret'; jwks for "
            "RS256/ES256 keys, secret for HS256/384/512\n"
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
            "jwt nor api_keys\n"
            "spec.yaml:10:28: error: rate limit needs at least one limit\n"
            "spec.yaml:11:34: error: expected a header name and a text value\n"
            "spec.yaml:13:29: error: expected a rate like 1000/min, got a mapping\n");
  EXPECT_EQ(errors("apiVersion: junction/v1\ngateway: { listen: ':1', routes: [] }\n"),
            "spec.yaml:2:34: error: the gateway needs at least one route\n");
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
  b: { targets: [] }
)"),
            "spec.yaml:5:14: error: invalid value 'random' for field 'balance'; expected one of: "
            "round_robin, least_request\n"
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
            "spec.yaml:10:17: error: an upstream needs at least one target\n");
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
