#include "gateway/remote_jwks.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <mutex>
#include <thread>

#include "auth/base64url.h"
#include "gateway/authenticator.h"
#include "unit/auth/jwt_signer.h"
#include "unit/http/test_support.h"

namespace junction::gateway {
namespace {

using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;

// An identity provider's JWKS endpoint whose answer the test changes.
struct FakeIdp {
  std::mutex mu;
  unsigned status = 200;
  std::string body;
  int hits = 0;

  void serve(unsigned s, std::string b) {
    std::lock_guard lock(mu);
    status = s;
    body = std::move(b);
  }
  int hit_count() {
    std::lock_guard lock(mu);
    return hits;
  }
};

std::string secret_for(std::string_view kid) {
  return "secret-of-" + std::string(kid) + "-padded-to-32-bytes-or-more";
}

std::string jwks_doc(std::initializer_list<std::string_view> kids) {
  boost::json::array keys;
  for (std::string_view kid : kids) {
    keys.push_back({{"kty", "oct"},
                    {"kid", kid},
                    {"alg", "HS256"},
                    {"k", auth::base64url_encode(secret_for(kid))}});
  }
  return boost::json::serialize(boost::json::object{{"keys", keys}});
}

bool eventually(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

std::string kids_of(const std::shared_ptr<const auth::JwkSet>& set) {
  std::string out;
  if (!set) return "(none)";
  for (const auto& key : set->keys) out += key.kid() + ";";
  return out;
}

class RemoteJwksTest : public ::testing::Test {
 protected:
  RemoteJwksTest()
      : server_([idp = &idp_](http::Request& req, const http::RequestInfo&) {
          return answer(req, idp);
        }) {
    idp_.serve(200, jwks_doc({"k1"}));
    options_.url = "http://127.0.0.1:" + std::to_string(server_.port()) + "/jwks.json?tenant=t";
    options_.refresh = 1h;
    options_.cooldown = 1h;
    options_.first_retry = 5ms;
  }

  ~RemoteJwksTest() override {
    if (!jwks_) return;
    std::weak_ptr<RemoteJwks> weak = jwks_;
    jwks_->stop();
    jwks_.reset();
    // The loop held the last reference: gone means the task ended.
    EXPECT_TRUE(eventually([&] { return weak.expired(); }));
  }

  static asio::awaitable<http::Response> answer(http::Request& req, FakeIdp* idp) {
    std::lock_guard lock(idp->mu);
    ++idp->hits;
    http::Response res{static_cast<bhttp::status>(idp->status), req.version()};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = idp->body;
    res.prepare_payload();
    co_return res;
  }

  RemoteJwks& start() {
    auto created = RemoteJwks::create(options_, server_.io.ctx.get_executor(), metrics_);
    EXPECT_TRUE(created.ok());
    jwks_ = std::move(*created);
    jwks_->start(&health_);
    return *jwks_;
  }

  uint64_t fetches(const char* result) {
    return metrics_.counter("junction_gateway_jwks_fetches_total", "", {{"result", result}})
        .value();
  }

  FakeIdp idp_;
  http::testing::TestServer server_;
  observe::Registry metrics_;
  observe::Health health_;
  RemoteJwks::Options options_;
  std::shared_ptr<RemoteJwks> jwks_;
};

TEST_F(RemoteJwksTest, FetchesAtStartAndBecomesReady) {
  RemoteJwks& jwks = start();
  ASSERT_TRUE(eventually([&] { return jwks.keys() != nullptr; }));
  EXPECT_EQ(kids_of(jwks.keys()), "k1;");
  EXPECT_TRUE(eventually([&] { return health_.ready(); }));
  EXPECT_EQ(fetches("ok"), 1u);
  EXPECT_EQ(metrics_.gauge("junction_gateway_jwks_keys", "").value(), 1.0);
}

TEST_F(RemoteJwksTest, UnknownKidRefetchesOnceWithinTheCooldown) {
  RemoteJwks& jwks = start();
  ASSERT_TRUE(eventually([&] { return jwks.keys() != nullptr; }));
  idp_.serve(200, jwks_doc({"k1", "k2"}));
  EXPECT_TRUE(jwks.request_refetch());
  EXPECT_FALSE(jwks.request_refetch());  // within the cooldown
  ASSERT_TRUE(eventually([&] { return kids_of(jwks.keys()) == "k1;k2;"; }));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(jwks.request_refetch());
  EXPECT_EQ(idp_.hit_count(), 2);
  EXPECT_EQ(metrics_.counter("junction_gateway_jwks_refetches_total", "").value(), 1u);
}

TEST_F(RemoteJwksTest, WithoutCooldownEveryUnknownKidMayRefetch) {
  options_.cooldown = 0s;
  RemoteJwks& jwks = start();
  ASSERT_TRUE(eventually([&] { return jwks.keys() != nullptr; }));
  EXPECT_TRUE(jwks.request_refetch());
  ASSERT_TRUE(eventually([&] { return fetches("ok") == 2; }));
  EXPECT_TRUE(jwks.request_refetch());
  ASSERT_TRUE(eventually([&] { return fetches("ok") == 3; }));
}

TEST_F(RemoteJwksTest, FailedRefreshesKeepTheLastGoodKeys) {
  options_.refresh = 1s;
  options_.first_retry = 1ms;
  RemoteJwks& jwks = start();
  ASSERT_TRUE(eventually([&] { return jwks.keys() != nullptr; }));
  auto good = jwks.keys();
  // Each failure is retried after a short delay, so each kind gets its turn.
  idp_.serve(500, "oops");
  ASSERT_TRUE(eventually([&] { return fetches("error") >= 1; }));
  idp_.serve(200, "not json");
  uint64_t before = fetches("error");
  ASSERT_TRUE(eventually([&] { return fetches("error") > before; }));
  idp_.serve(200, R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"AA"}]})");
  before = fetches("error");
  ASSERT_TRUE(eventually([&] { return fetches("error") > before; }));
  EXPECT_EQ(jwks.keys(), good);  // the very same set
  EXPECT_TRUE(health_.ready());
  EXPECT_EQ(fetches("ok"), 1u);
}

TEST_F(RemoteJwksTest, NotReadyUntilTheFirstFetchSucceeds) {
  idp_.serve(503, "");
  RemoteJwks& jwks = start();
  EXPECT_FALSE(health_.ready());
  ASSERT_TRUE(eventually([&] { return fetches("error") >= 2; }));  // retried
  EXPECT_EQ(jwks.keys(), nullptr);
  EXPECT_FALSE(health_.ready());
  EXPECT_NE(health_.ready_report_json().find("\"jwks\""), std::string::npos);
  idp_.serve(200, jwks_doc({"k1"}));
  ASSERT_TRUE(eventually([&] { return jwks.keys() != nullptr; }));
  EXPECT_TRUE(eventually([&] { return health_.ready(); }));
}

TEST_F(RemoteJwksTest, StopEndsTheLoopAndRefusesRefetches) {
  RemoteJwks& jwks = start();
  ASSERT_TRUE(eventually([&] { return jwks.keys() != nullptr; }));
  jwks.stop();
  EXPECT_FALSE(jwks.request_refetch());
  EXPECT_EQ(health_.ready_report_json().find("\"jwks\""), std::string::npos);
  // The destructor checks that the loop let go of the object.
}

TEST(RemoteJwksCreate, RefusesUrlsThatAreNotHttp) {
  boost::asio::io_context ctx;
  observe::Registry metrics;
  RemoteJwks::Options options;
  options.url = "file:///etc/jwks.json";
  EXPECT_FALSE(RemoteJwks::create(options, ctx.get_executor(), metrics).ok());
}

// The Authenticator in front of a RemoteJwks: 503 before keys, rotation by
// re-fetch, and no re-fetch for a kid the set already has.
class RemoteJwksAuthenticatorTest : public RemoteJwksTest {
 protected:
  Authenticator authenticator() {
    spec_.jwt.emplace();
    spec_.jwt->jwks_url = options_.url;
    spec_.jwt->algorithms = {"HS256"};
    auto a = Authenticator::create(spec_, jwks_);
    EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message());
    return std::move(*a);
  }

  static Headers bearer(std::string_view kid, std::string_view signed_with) {
    int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count() +
                  60;
    Headers h;
    h.add("Authorization", "Bearer " + auth::testing::sign("HS256", {{"sub", "ann"}, {"exp", exp}},
                                                           kid, secret_for(signed_with)));
    return h;
  }

  spec::GatewaySpec spec_;
  spec::RouteRequireSpec jwt_route_{spec::AuthMode::kJwt, {}, {}};
};

TEST_F(RemoteJwksAuthenticatorTest, RotatedKeysAreFoundByTheRefetch) {
  idp_.serve(503, "");
  options_.first_retry = 1h;  // one failed fetch, then no more on its own
  start();
  Authenticator a = authenticator();
  ASSERT_TRUE(eventually([&] { return fetches("error") == 1; }));
  auto early = a.authenticate(bearer("k1", "k1"), jwt_route_);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().cls(), ErrorClass::kTransient);

  idp_.serve(200, jwks_doc({"k1"}));
  ASSERT_TRUE(jwks_->request_refetch());
  ASSERT_TRUE(eventually([&] { return jwks_->keys() != nullptr; }));
  auto id = a.authenticate(bearer("k1", "k1"), jwt_route_);
  ASSERT_TRUE(id.ok()) << id.error().message();
  EXPECT_EQ(id->consumer, "ann");
  ASSERT_TRUE(id->claims);
  EXPECT_EQ(id->claims->payload().at("sub"), "ann");

  // A known kid with a bad signature is no reason to fetch.
  int hits = idp_.hit_count();
  EXPECT_FALSE(a.authenticate(bearer("k1", "k2"), jwt_route_).ok());
  EXPECT_EQ(metrics_.counter("junction_gateway_jwks_refetches_total", "").value(), 1u);

  // The cooldown is 1h and one re-fetch happened: a new kid now waits for
  // the next refresh instead of reaching the IdP.
  EXPECT_EQ(a.authenticate(bearer("k2", "k2"), jwt_route_).error().cls(),
            ErrorClass::kUnauthorized);
  EXPECT_EQ(idp_.hit_count(), hits);
}

TEST_F(RemoteJwksAuthenticatorTest, UnknownKidTriggersTheRefetch) {
  start();
  Authenticator a = authenticator();
  ASSERT_TRUE(eventually([&] { return jwks_->keys() != nullptr; }));
  idp_.serve(200, jwks_doc({"k2"}));
  auto refused = a.authenticate(bearer("k2", "k2"), jwt_route_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().cls(), ErrorClass::kUnauthorized);
  ASSERT_TRUE(eventually([&] { return kids_of(jwks_->keys()) == "k2;"; }));
  auto id = a.authenticate(bearer("k2", "k2"), jwt_route_);
  EXPECT_TRUE(id.ok()) << id.error().message();
  // Bogus kids within the cooldown do not reach the IdP.
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(a.authenticate(bearer("bogus-" + std::to_string(i), "k2"), jwt_route_).ok());
  }
  EXPECT_EQ(idp_.hit_count(), 2);
}

TEST(RemoteJwksAuthenticator, JwksUrlWithoutAFetcherIsRefused) {
  spec::GatewaySpec spec;
  spec.jwt.emplace();
  spec.jwt->jwks_url = "http://127.0.0.1:1/jwks";
  spec.jwt->algorithms = {"HS256"};
  EXPECT_FALSE(Authenticator::create(spec).ok());
}

}  // namespace
}  // namespace junction::gateway

namespace junction::gateway {
namespace {

// A remembered token answers like a fresh verification: a key withdrawn
// from the published set stops it at the next fetch.
TEST_F(RemoteJwksAuthenticatorTest, ATokenWhoseKeyIsWithdrawnIsRefusedThoughRemembered) {
  idp_.serve(200, jwks_doc({"k1", "k2"}));
  start();
  Authenticator a = authenticator();
  ASSERT_TRUE(eventually([&] { return jwks_->keys() != nullptr; }));
  Headers token = bearer("k2", "k2");
  ASSERT_TRUE(a.authenticate(token, jwt_route_).ok());
  ASSERT_TRUE(a.authenticate(token, jwt_route_).ok());  // now remembered

  auto before = jwks_->keys();
  idp_.serve(200, jwks_doc({"k1"}));
  ASSERT_TRUE(jwks_->request_refetch());
  ASSERT_TRUE(eventually([&] { return jwks_->keys() != before; }));
  auto refused = a.authenticate(token, jwt_route_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().cls(), ErrorClass::kUnauthorized);
}

}  // namespace
}  // namespace junction::gateway
