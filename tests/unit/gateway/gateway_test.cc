#include "gateway/gateway.h"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <thread>

#include "gateway/forward.h"
#include "unit/auth/jwt_signer.h"
#include "unit/http/test_support.h"

namespace junction::gateway {
namespace {

using http::testing::TestServer;
namespace bhttp = boost::beast::http;

spec::GatewayRouteSpec route(std::string path, std::string upstream = "echo") {
  spec::GatewayRouteSpec r;
  r.path = std::move(path);
  r.to.upstream = std::move(upstream);
  return r;
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

asio::awaitable<http::Response> slow_handler(http::Request& req, const http::RequestInfo&) {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(400));
  co_await timer.async_wait(asio::use_awaitable);
  http::Response res{bhttp::status::ok, req.version()};
  res.body() = "slow";
  co_return res;
}

// A gateway on the echo server's io thread, in front of that echo server.
class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_.host = "127.0.0.1";
    spec_.jwt.emplace();
    spec_.jwt->secret = auth::testing::kHmacSecret;
    spec_.jwt->algorithms = {"HS256"};
    spec_.jwt->audiences = {"orders"};
    spec_.api_keys.emplace();
    spec_.api_keys->keys = "ops:ops-key-0123";

    spec_.routes.push_back(route("/v1/*"));
    spec_.routes.back().to.strip_prefix = "/v1";
    auto orders = route("/orders/{id}");
    orders.methods = {"GET"};
    orders.require.auth = spec::AuthMode::kJwt;
    orders.require.scopes = {"orders:read"};
    spec_.routes.push_back(orders);
    auto admin = route("/admin");
    admin.require.auth = spec::AuthMode::kApiKey;
    spec_.routes.push_back(admin);
    auto limited = route("/limited", "");
    limited.to.static_response = spec::StaticResponseSpec{201, "made", {{"X-Static", "yes"}}};
    limited.rate_limit = spec::RouteRateLimitSpec{"ip", {"2/min"}};
    spec_.routes.push_back(limited);
    spec_.routes.push_back(route("/down", "down"));
    spec_.routes.push_back(route("/slow", "slow"));

    spec::UpstreamSpec echo;
    echo.name = "echo";
    echo.targets = {"http://127.0.0.1:" + std::to_string(echo_.port())};
    spec::UpstreamSpec down;
    down.name = "down";
    down.targets = {"http://127.0.0.1:1"};
    down.attempts = 2;
    down.backoff = std::chrono::milliseconds(1);
    down.window = 4;
    down.minimum_calls = 4;
    spec::UpstreamSpec slow;
    slow.name = "slow";
    slow.targets = {"http://127.0.0.1:" + std::to_string(slow_.port())};
    slow.timeout = std::chrono::milliseconds(100);
    slow.attempts = 1;
    slow.max_concurrent = 1;
    upstreams_ = {echo, down, slow};
  }

  void TearDown() override { echo_.io.run(destroy()); }

  Gateway& gateway() {
    if (!gateway_) {
      auto g = Gateway::create(spec_, upstreams_, echo_.io.ctx.get_executor(), metrics_);
      EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message());
      gateway_ = std::move(*g);
    }
    return *gateway_;
  }

  http::Response call(bhttp::verb method, std::string target,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request req{method, target, 11};
    for (const auto& [name, value] : headers) req.set(name, value);
    http::RequestInfo info;
    info.remote_address = "10.1.2.3";
    info.request_id = "rid-1";
    return echo_.io.run(gateway().handle(req, info));
  }
  http::Response get(std::string target,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    return call(bhttp::verb::get, std::move(target), std::move(headers));
  }

  static boost::json::object problem(const http::Response& res) {
    EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
    auto body = boost::json::parse(res.body()).as_object();
    EXPECT_EQ(body["status"].as_int64(), res.result_int());
    EXPECT_EQ(body["request_id"].as_string(), "rid-1");
    return body;
  }

  std::string token(boost::json::object extra) {
    boost::json::object payload{{"sub", "alice"}, {"aud", "orders"}, {"exp", now_seconds() + 60}};
    for (auto& [k, v] : extra) payload[k] = v;
    return "Bearer " + auth::testing::sign("HS256", payload);
  }

  asio::awaitable<void> destroy() {
    gateway_.reset();
    co_return;
  }

  TestServer echo_;
  TestServer slow_{slow_handler};
  observe::Registry metrics_;
  spec::GatewaySpec spec_;
  std::vector<spec::UpstreamSpec> upstreams_;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(GatewayTest, ProxiesWithForwardedHeadersAndStrippedPrefix) {
  auto res = get(
      "/v1/items/7?q=1",
      {{"Connection", "close, X-Secret-Hop"}, {"X-Secret-Hop", "x"}, {"Host", "api.example.com"}});
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(res.body(), "GET /items/7?q=1 ");
  // The echo server saw the gateway's request id (X-Request-Id is forwarded).
  EXPECT_EQ(res["X-Seen-Request-Id"], "rid-1");
  EXPECT_NE(metrics_.prometheus_text().find(
                "junction_gateway_requests_total{class=\"2xx\",route=\"/v1/*\"} 1"),
            std::string::npos)
      << metrics_.prometheus_text();
}

TEST_F(GatewayTest, RoutingErrorsAreProblems) {
  auto bad = get("/a/../b");
  EXPECT_EQ(bad.result_int(), 400);
  problem(bad);
  auto missing = get("/nowhere");
  EXPECT_EQ(missing.result_int(), 404);
  EXPECT_EQ(problem(missing)["type"].as_string(), "https://junction.dev/problems/not-found");
  auto wrong_method = call(bhttp::verb::post, "/orders/1");
  EXPECT_EQ(wrong_method.result_int(), 405);
  EXPECT_EQ(wrong_method[bhttp::field::allow], "GET");
  problem(wrong_method);
}

TEST_F(GatewayTest, JwtRoutes) {
  auto none = get("/orders/1");
  EXPECT_EQ(none.result_int(), 401);
  EXPECT_EQ(none[bhttp::field::www_authenticate], "Bearer realm=\"junction\"");
  problem(none);
  auto garbage = get("/orders/1", {{"Authorization", "Bearer not.a.token"}});
  EXPECT_EQ(garbage.result_int(), 401);
  EXPECT_EQ(garbage[bhttp::field::www_authenticate],
            "Bearer realm=\"junction\", error=\"invalid_token\"");
  auto expired =
      get("/orders/1",
          {{"Authorization", token({{"exp", now_seconds() - 3600}, {"scope", "orders:read"}})}});
  EXPECT_EQ(expired.result_int(), 401);
  auto no_scope = get("/orders/1", {{"Authorization", token({{"scope", "profile"}})}});
  EXPECT_EQ(no_scope.result_int(), 403);
  problem(no_scope);
  auto ok = get("/orders/1", {{"Authorization", token({{"scope", "profile orders:read"}})}});
  EXPECT_EQ(ok.result_int(), 200) << ok.body();
}

TEST_F(GatewayTest, ApiKeyRoutes) {
  auto none = get("/admin");
  EXPECT_EQ(none.result_int(), 401);
  EXPECT_EQ(none[bhttp::field::www_authenticate], "ApiKey header=\"X-Api-Key\"");
  EXPECT_EQ(get("/admin", {{"X-Api-Key", "nope"}}).result_int(), 401);
  EXPECT_EQ(get("/admin", {{"X-Api-Key", "ops-key-0123"}}).result_int(), 200);
}

TEST_F(GatewayTest, RateLimitedStaticRoute) {
  for (int i = 0; i < 2; ++i) {
    auto res = get("/limited");
    EXPECT_EQ(res.result_int(), 201);
    EXPECT_EQ(res.body(), "made");
    EXPECT_EQ(res["X-Static"], "yes");
    EXPECT_EQ(res["RateLimit-Limit"], "2");
  }
  auto refused = get("/limited");
  EXPECT_EQ(refused.result_int(), 429);
  EXPECT_GE(std::stoi(std::string(refused[bhttp::field::retry_after])), 1);
  problem(refused);
  EXPECT_NE(
      metrics_.prometheus_text().find("junction_gateway_rate_limited_total{route=\"/limited\"} 1"),
      std::string::npos);
}

TEST_F(GatewayTest, DownUpstreamIs502ThenTheCircuitOpens) {
  // Two attempts per GET: after two requests the window of 4 is all failures.
  for (int i = 0; i < 2; ++i) {
    auto res = get("/down");
    EXPECT_EQ(res.result_int(), 502);
    EXPECT_EQ(res.body().find("127.0.0.1"), std::string::npos);
    problem(res);
  }
  auto open = get("/down");
  EXPECT_EQ(open.result_int(), 503);
  problem(open);
  std::string text = metrics_.prometheus_text();
  EXPECT_NE(text.find("junction_gateway_upstream_circuit_state{upstream=\"down\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("junction_gateway_upstream_retries_total{upstream=\"down\"} 2"),
            std::string::npos);
}

TEST_F(GatewayTest, SlowUpstreamIs504) {
  auto res = get("/slow");
  EXPECT_EQ(res.result_int(), 504);
  EXPECT_EQ(problem(res)["type"].as_string(), "https://junction.dev/problems/gateway-timeout");
}

TEST_F(GatewayTest, FullBulkheadIs503) {
  upstreams_[2].timeout = std::chrono::seconds(5);
  Gateway& g = gateway();
  http::Request first_req{bhttp::verb::get, "/slow", 11};
  http::RequestInfo info;
  info.request_id = "rid-1";
  // The first request holds the only slot while the upstream sleeps.
  auto first = asio::co_spawn(echo_.io.ctx, g.handle(first_req, info), asio::use_future);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto second = get("/slow");
  EXPECT_EQ(second.result_int(), 503);
  problem(second);
  EXPECT_EQ(first.get().result_int(), 200);
}

TEST_F(GatewayTest, BadRuntimeConfigIsAnError) {
  upstreams_[0].targets = {"http://"};
  auto g = Gateway::create(spec_, upstreams_, echo_.io.ctx.get_executor(), metrics_);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().cls(), ErrorClass::kInvalid);
  upstreams_[0].targets = {"http://127.0.0.1:1"};
  spec_.jwt->secret = "short";
  g = Gateway::create(spec_, upstreams_, echo_.io.ctx.get_executor(), metrics_);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message().find("gateway.auth.jwt.secret"), std::string::npos);
}

TEST(ForwardTest, StripPrefix) {
  EXPECT_EQ(strip_prefix("/api/orders?x=1", "/api"), "/orders?x=1");
  EXPECT_EQ(strip_prefix("/api", "/api/"), "/");
  EXPECT_EQ(strip_prefix("/api?x", "/api"), "/?x");
  EXPECT_EQ(strip_prefix("/apis/x", "/api"), "/apis/x");
  EXPECT_EQ(strip_prefix("/other", "/api"), "/other");
  EXPECT_EQ(strip_prefix("/a/b", ""), "/a/b");
}

TEST(ForwardTest, UpstreamRequestDropsHopByHopAndAddsForwarded) {
  http::Request in{bhttp::verb::post, "/x", 11};
  in.set(bhttp::field::host, "api.example.com");
  in.set(bhttp::field::connection, "keep-alive, X-Private");
  in.set("X-Private", "1");
  in.set("Keep-Alive", "timeout=5");
  in.set(bhttp::field::transfer_encoding, "chunked");
  in.set("Proxy-Authorization", "secret");
  in.set("X-Forwarded-For", "203.0.113.9");
  in.set("traceparent", "00-abc-def-01");
  in.set(bhttp::field::expect, "100-continue");
  in.body() = "{}";
  http::RequestInfo info;
  info.remote_address = "10.0.0.1";
  info.request_id = "r-9";
  info.tls = true;
  http::Request out = upstream_request(in, "/y", info);
  EXPECT_EQ(out.target(), "/y");
  EXPECT_EQ(out.method(), bhttp::verb::post);
  for (const char* gone : {"Connection", "X-Private", "Keep-Alive", "Transfer-Encoding",
                           "Proxy-Authorization", "Host", "Expect"}) {
    EXPECT_EQ(out.find(gone), out.end()) << gone;
  }
  EXPECT_EQ(out["X-Forwarded-For"], "203.0.113.9, 10.0.0.1");
  EXPECT_EQ(out["X-Forwarded-Proto"], "https");
  EXPECT_EQ(out["X-Forwarded-Host"], "api.example.com");
  EXPECT_EQ(out["X-Request-Id"], "r-9");
  EXPECT_EQ(out["traceparent"], "00-abc-def-01");
  EXPECT_EQ(out.body(), "{}");
}

TEST(ForwardTest, PrepareUpstreamRequestWorksInPlaceAndLeavesHostToTheSender) {
  http::Request req{bhttp::verb::post, "/x?q=1", 10};
  req.set(bhttp::field::host, "api.example.com");
  req.insert("X-Forwarded-For", "203.0.113.9");
  req.insert("X-Forwarded-For", "198.51.100.7");
  req.set("X-Forwarded-Host", "spoofed.example");
  req.set("X-Forwarded-Proto", "gopher");
  req.set("X-Request-Id", "client-chosen");
  req.set(bhttp::field::connection, "close, X-Private");
  req.set("X-Private", "1");
  req.set(bhttp::field::content_length, "99");
  req.set("traceparent", "00-abc-def-01");
  req.body() = "{\"a\":1}";
  http::RequestInfo info;
  info.remote_address = "10.0.0.1";
  info.request_id = "r-1";
  std::string forwarding = "left over from the last request";
  prepare_upstream_request(req, info, forwarding);
  EXPECT_EQ(req.target(), "/x?q=1");  // the caller's to keep for the log
  EXPECT_EQ(req.version(), 11u);
  EXPECT_EQ(req.find(bhttp::field::connection), req.end());
  EXPECT_EQ(req.find("X-Private"), req.end());
  EXPECT_EQ(req[bhttp::field::content_length], "7");
  // The client's copies are gone; the proxy's own go out as header lines.
  for (const char* gone :
       {"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id"}) {
    EXPECT_EQ(req.find(gone), req.end()) << gone;
  }
  EXPECT_EQ(forwarding,
            "X-Forwarded-For: 203.0.113.9, 198.51.100.7, 10.0.0.1\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: api.example.com\r\n"
            "X-Request-Id: r-1\r\n");
  EXPECT_EQ(req["traceparent"], "00-abc-def-01");
}

TEST(ForwardTest, TheIdentityHeaderIsTheGatewaysAndCredentialsCanStayBehind) {
  auto request = [] {
    http::Request req{bhttp::verb::get, "/x", 11};
    req.set(bhttp::field::host, "api.example.com");
    req.set(bhttp::field::authorization, "Bearer eyJ.token.sig");
    req.set("X-Api-Key", "k-123");
    req.insert("x-consumer", "admin");  // forged, in any case
    req.insert("X-Consumer", "root");
    return req;
  };
  http::RequestInfo info;
  info.remote_address = "10.0.0.1";
  info.request_id = "r-2";

  UpstreamIdentity who{"X-Consumer", "alice", false, "X-Api-Key"};
  http::Request req = request();
  std::string forwarding;
  prepare_upstream_request(req, info, forwarding, who);
  EXPECT_EQ(req.find("X-Consumer"), req.end());
  EXPECT_EQ(req[bhttp::field::authorization], "Bearer eyJ.token.sig");  // forwarded by default
  EXPECT_EQ(req["X-Api-Key"], "k-123");
  EXPECT_TRUE(forwarding.ends_with("X-Request-Id: r-2\r\nX-Consumer: alice\r\n")) << forwarding;

  who.drop_credentials = true;
  req = request();
  prepare_upstream_request(req, info, forwarding, who);
  EXPECT_EQ(req.find(bhttp::field::authorization), req.end());
  EXPECT_EQ(req.find("X-Api-Key"), req.end());
  EXPECT_EQ(req.find("X-Consumer"), req.end());

  // An anonymous caller gets no identity, and still none the client forged.
  who.consumer = "";
  http::Request out = upstream_request(request(), "/x", info, who);
  EXPECT_EQ(out.find("X-Consumer"), out.end());
  EXPECT_EQ(out.find(bhttp::field::authorization), out.end());
  who.consumer = "CN=billing,O=Acme";
  out = upstream_request(request(), "/x", info, who);
  EXPECT_EQ(out["X-Consumer"], "CN=billing,O=Acme");
  EXPECT_EQ(
      std::distance(out.equal_range("X-Consumer").first, out.equal_range("X-Consumer").second), 1);
}

TEST(ForwardTest, AnIdentityThatCannotBeAFieldValueIsPercentEncoded) {
  EXPECT_EQ(identity_field_value("alice"), "alice");
  EXPECT_EQ(identity_field_value("a\r\nX-Admin: 1"), "a%0D%0AX-Admin: 1");
  EXPECT_EQ(identity_field_value("100%"), "100%25");
  EXPECT_EQ(identity_field_value("J\xc3\xbcrgen"), "J%C3%BCrgen");
  EXPECT_EQ(identity_field_value(std::string_view("a\0b", 3)), "a%00b");
}

TEST(ForwardTest, AnAdoptedAnswerLosesItsHopByHopFieldsAndServer) {
  http::Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::server, "nginx/1.22.1");
  res.set(bhttp::field::connection, "keep-alive, X-Hop");
  res.set("X-Hop", "1");
  res.set(bhttp::field::keep_alive, "timeout=5");
  res.set(bhttp::field::transfer_encoding, "chunked");
  res.set(bhttp::field::upgrade, "h2c");
  res.set(bhttp::field::content_type, "text/plain");
  adopt_upstream_answer(res);
  for (const char* gone :
       {"Connection", "X-Hop", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Server"}) {
    EXPECT_EQ(res.find(gone), res.end()) << gone;
  }
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain");
}

}  // namespace
}  // namespace junction::gateway
