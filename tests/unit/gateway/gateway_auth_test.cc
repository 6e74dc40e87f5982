// The gateway's request pipeline around authentication: allow_if after
// authentication, client certificates, and a JWKS not fetched yet.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "gateway/gateway.h"
#include "unit/auth/jwt_signer.h"
#include "unit/http/test_support.h"

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;

spec::GatewayRouteSpec static_route(std::string path, spec::AuthMode auth,
                                    std::string allow_if = {}) {
  spec::GatewayRouteSpec r;
  r.path = std::move(path);
  r.require.auth = auth;
  if (!allow_if.empty()) {
    auto policy = auth::PolicyExpression::parse(allow_if);
    EXPECT_TRUE(policy.ok()) << policy.error().message();
    r.require.allow_if = std::make_shared<const auth::PolicyExpression>(std::move(*policy));
  }
  r.to.static_response = spec::StaticResponseSpec{200, "served", {}};
  return r;
}

class GatewayAuthTest : public ::testing::Test {
 protected:
  GatewayAuthTest() {
    spec_.host = "127.0.0.1";
    spec_.jwt.emplace();
    spec_.jwt->secret = auth::testing::kHmacSecret;
    spec_.jwt->algorithms = {"HS256"};
    spec_.routes.push_back(static_route("/tenants/{tenant}/orders", spec::AuthMode::kJwt,
                                        "claims.tenant == path.tenant && "
                                        "request.method != 'DELETE'"));
    spec_.routes.push_back(static_route("/internal", spec::AuthMode::kMtls));
    spec_.routes.back().require.subjects = {"CN=billing,O=Acme"};
    spec_.routes.push_back(static_route("/search", spec::AuthMode::kNone,
                                        "query.q == 'a b' && header.X-Tenant == 'acme'"));
  }

  ~GatewayAuthTest() override { io_.run(destroy()); }

  asio::awaitable<void> destroy() {
    gateway_.reset();
    co_return;
  }

  http::Response call(bhttp::verb method, std::string target, std::string token = {},
                      std::string subject = {},
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!gateway_) {
      auto g = Gateway::create(spec_, {}, io_.ctx.get_executor(), metrics_);
      EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message());
      gateway_ = std::move(*g);
    }
    http::Request req{method, target, 11};
    if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
    for (const auto& [name, value] : headers) req.set(name, value);
    http::RequestInfo info;
    info.remote_address = "10.1.2.3";
    info.request_id = "rid-1";
    info.client_subject = std::move(subject);
    return io_.run(gateway_->handle(req, info));
  }

  static std::string token(boost::json::object claims) {
    claims["exp"] = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count() +
                    60;
    claims["sub"] = "ann";
    return auth::testing::sign("HS256", claims);
  }

  static std::string detail(const http::Response& res) {
    EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
    return std::string(boost::json::parse(res.body()).at("detail").as_string());
  }

  spec::GatewaySpec spec_;
  observe::Registry metrics_;
  http::testing::IoThread io_;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(GatewayAuthTest, AllowIfComparesClaimsWithThePath) {
  std::string acme = token({{"tenant", "acme"}});
  EXPECT_EQ(call(bhttp::verb::get, "/tenants/acme/orders", acme).result_int(), 200);
  auto other = call(bhttp::verb::get, "/tenants/globex/orders", acme);
  EXPECT_EQ(other.result_int(), 403);
  EXPECT_EQ(detail(other), "the request is not allowed by the route's policy");
  EXPECT_EQ(call(bhttp::verb::delete_, "/tenants/acme/orders", acme).result_int(), 403);
  EXPECT_EQ(call(bhttp::verb::get, "/tenants/acme/orders", token({})).result_int(), 403);
  // Authentication comes first: no token is 401, not a policy refusal.
  auto anonymous = call(bhttp::verb::get, "/tenants/acme/orders");
  EXPECT_EQ(anonymous.result_int(), 401);
  EXPECT_EQ(anonymous[bhttp::field::www_authenticate], "Bearer realm=\"junction\"");
}

TEST_F(GatewayAuthTest, AllowIfReadsQueryAndHeaders) {
  std::vector<std::pair<std::string, std::string>> acme = {{"X-Tenant", "acme"}};
  EXPECT_EQ(call(bhttp::verb::get, "/search?x=1&q=a%20b", {}, {}, acme).result_int(), 200);
  EXPECT_EQ(call(bhttp::verb::get, "/search?q=a%20c", {}, {}, acme).result_int(), 403);
  EXPECT_EQ(call(bhttp::verb::get, "/search?q=a%20b").result_int(), 403);
  EXPECT_EQ(call(bhttp::verb::get, "/search", {}, {}, acme).result_int(), 403);
  // The first of repeated parameters counts; names are decoded too.
  EXPECT_EQ(call(bhttp::verb::get, "/search?%71=a%20b&q=x", {}, {}, acme).result_int(), 200);
  EXPECT_EQ(call(bhttp::verb::get, "/search?q=x&q=a%20b", {}, {}, acme).result_int(), 403);
  // A malformed escape is no value at all, and '+' is not a space.
  EXPECT_EQ(call(bhttp::verb::get, "/search?q=a%2", {}, {}, acme).result_int(), 403);
  EXPECT_EQ(call(bhttp::verb::get, "/search?q=a+b", {}, {}, acme).result_int(), 403);
  EXPECT_EQ(call(bhttp::verb::get, "/search?q", {}, {}, acme).result_int(), 403);
}

TEST_F(GatewayAuthTest, ClientCertificates) {
  EXPECT_EQ(call(bhttp::verb::get, "/internal", {}, "CN=billing,O=Acme").result_int(), 200);
  auto missing = call(bhttp::verb::get, "/internal", token({}));
  EXPECT_EQ(missing.result_int(), 401);
  EXPECT_EQ(detail(missing), "a client certificate is required");
  EXPECT_EQ(missing.count(bhttp::field::www_authenticate), 0u);
  auto stranger = call(bhttp::verb::get, "/internal", {}, "CN=intruder,O=Acme");
  EXPECT_EQ(stranger.result_int(), 403);
}

TEST_F(GatewayAuthTest, JwtRoutesAnswer503UntilTheJwksArrives) {
  // Never started, so never fetched: exactly the state before the first
  // successful fetch.
  spec_.jwt->secret.clear();
  spec_.jwt->jwks_url = "http://127.0.0.1:1/jwks.json";
  auto res = call(bhttp::verb::get, "/tenants/acme/orders", token({{"tenant", "acme"}}));
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(res[bhttp::field::retry_after], "5");
  EXPECT_EQ(detail(res), "the token keys are not available yet; try again later");
  // Routes without a JWT are served meanwhile.
  EXPECT_EQ(call(bhttp::verb::get, "/internal", {}, "CN=billing,O=Acme").result_int(), 200);
}

}  // namespace
}  // namespace junction::gateway
