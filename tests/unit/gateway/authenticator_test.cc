#include "gateway/authenticator.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <fstream>
#include <thread>

#include "core/coarse_clock.h"
#include "unit/auth/jwt_signer.h"
#include "unit/common/temp_dir.h"

namespace junction::gateway {
namespace {

using spec::AuthMode;

int64_t in_a_minute() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         60;
}

Headers with(std::string_view name, std::string_view value) {
  Headers h;
  h.add(name, value);
  return h;
}

spec::RouteRequireSpec require(AuthMode mode, std::vector<std::string> scopes = {},
                               std::vector<std::string> roles = {}) {
  return {mode, std::move(scopes), std::move(roles)};
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() {
    boost::json::object jwks{{"keys", boost::json::array{auth::testing::public_jwk(
                                          auth::testing::test_keys().rsa.get(), "k1")}}};
    std::ofstream(dir_ / "jwks.json") << boost::json::serialize(jwks);
    spec_.jwt.emplace();
    spec_.jwt->jwks = dir_ / "jwks.json";
    spec_.jwt->algorithms = {"RS256"};
    spec_.jwt->issuers = {"https://issuer"};
    spec_.api_keys.emplace();
    spec_.api_keys->keys = "ops:key-1\npartner:key-2";
  }

  std::string rs256(boost::json::object extra) {
    boost::json::object payload{{"iss", "https://issuer"}, {"sub", "bob"}, {"exp", in_a_minute()}};
    for (auto& [k, v] : extra) payload[k] = v;
    return "Bearer " +
           auth::testing::sign("RS256", payload, "k1", "", auth::testing::test_keys().rsa.get());
  }

  test::TempDir dir_;
  spec::GatewaySpec spec_;
};

TEST_F(AuthenticatorTest, JwksKeysVerifyTokensAndClaimsAuthorize) {
  auto a = Authenticator::create(spec_);
  ASSERT_TRUE(a.ok()) << a.error().message();
  auto id = a->authenticate(with("Authorization", rs256({{"roles", "admin"}})),
                            require(AuthMode::kJwt, {}, {"auditor", "admin"}));
  ASSERT_TRUE(id.ok()) << id.error().message();
  EXPECT_EQ(id->consumer, "bob");
  EXPECT_EQ(id->kind, Identity::Kind::kJwt);

  auto wrong_role = a->authenticate(with("Authorization", rs256({{"roles", "viewer"}})),
                                    require(AuthMode::kJwt, {}, {"admin"}));
  ASSERT_FALSE(wrong_role.ok());
  EXPECT_EQ(wrong_role.error().cls(), ErrorClass::kForbidden);

  auto wrong_issuer = a->authenticate(with("Authorization", rs256({{"iss", "https://evil"}})),
                                      require(AuthMode::kJwt));
  ASSERT_FALSE(wrong_issuer.ok());
  EXPECT_EQ(wrong_issuer.error().cls(), ErrorClass::kUnauthorized);

  auto not_bearer =
      a->authenticate(with("Authorization", "Basic Ym9iOnB3"), require(AuthMode::kJwt));
  EXPECT_FALSE(not_bearer.ok());
}

TEST_F(AuthenticatorTest, AnyTakesATokenOrAKey) {
  auto a = Authenticator::create(spec_);
  ASSERT_TRUE(a.ok());
  auto by_key = a->authenticate(with("X-Api-Key", "key-2"), require(AuthMode::kAny));
  ASSERT_TRUE(by_key.ok());
  EXPECT_EQ(by_key->consumer, "partner");
  EXPECT_EQ(by_key->kind, Identity::Kind::kApiKey);
  auto by_token = a->authenticate(with("Authorization", rs256({})), require(AuthMode::kAny));
  ASSERT_TRUE(by_token.ok());
  EXPECT_EQ(by_token->consumer, "bob");
  EXPECT_FALSE(a->authenticate(Headers{}, require(AuthMode::kAny)).ok());
  // Without a header credential, a verified client certificate will do...
  auto by_certificate = a->authenticate(Headers{}, require(AuthMode::kAny), "CN=billing,O=Acme");
  ASSERT_TRUE(by_certificate.ok());
  EXPECT_EQ(by_certificate->kind, Identity::Kind::kClientCertificate);
  EXPECT_EQ(by_certificate->consumer, "CN=billing,O=Acme");
  // ...but a header credential, when sent, is what is checked.
  auto bad_key = a->authenticate(with("X-Api-Key", "wrong"), require(AuthMode::kAny), "CN=billing");
  EXPECT_FALSE(bad_key.ok());
  auto key_wins =
      a->authenticate(with("X-Api-Key", "key-2"), require(AuthMode::kAny), "CN=billing");
  ASSERT_TRUE(key_wins.ok());
  EXPECT_EQ(key_wins->kind, Identity::Kind::kApiKey);
  // An API key route ignores a bearer token.
  EXPECT_FALSE(a->authenticate(with("Authorization", rs256({})), require(AuthMode::kApiKey)).ok());
  // No requirement: anonymous.
  auto anonymous = a->authenticate(Headers{}, require(AuthMode::kNone));
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->kind, Identity::Kind::kAnonymous);
}

TEST_F(AuthenticatorTest, ARememberedTokenIsNoGoodToAnotherAuthenticator) {
  auto a = Authenticator::create(spec_);
  ASSERT_TRUE(a.ok());
  auto token = with("Authorization", rs256({}));
  ASSERT_TRUE(a->authenticate(token, require(AuthMode::kJwt)).ok());
  ASSERT_TRUE(a->authenticate(token, require(AuthMode::kJwt)).ok());  // remembered

  // What a reload to another key would build, on the same thread.
  spec::GatewaySpec other;
  other.jwt.emplace();
  other.jwt->secret = "a-secret-for-hs256-that-is-long-enough";
  other.jwt->algorithms = {"HS256"};
  auto b = Authenticator::create(other);
  ASSERT_TRUE(b.ok()) << b.error().message();
  auto refused = b->authenticate(token, require(AuthMode::kJwt));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().cls(), ErrorClass::kUnauthorized);
}

TEST_F(AuthenticatorTest, ARememberedTokenExpiresOnTime) {
  spec_.jwt->leeway = std::chrono::seconds(0);
  auto a = Authenticator::create(spec_);
  ASSERT_TRUE(a.ok());
  // The verifier reads the tick-old clock; waiting on the precise one could
  // wake up to a token the verifier still sees as a tick short of expiry.
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(coarse_system_now().time_since_epoch())
        .count();
  };
  const int64_t exp = now() + 2;
  auto token = with("Authorization", rs256({{"exp", exp}}));
  auto first = a->authenticate(token, require(AuthMode::kJwt));
  ASSERT_TRUE(first.ok()) << first.error().message();
  ASSERT_TRUE(a->authenticate(token, require(AuthMode::kJwt)).ok());  // remembered
  while (now() < exp) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto expired = a->authenticate(token, require(AuthMode::kJwt));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().cls(), ErrorClass::kUnauthorized);
}

TEST_F(AuthenticatorTest, ManyTokensStayBoundedAndRight) {
  auto a = Authenticator::create(spec_);
  ASSERT_TRUE(a.ok());
  for (size_t i = 0; i < 2 * kVerifiedTokensPerThread + 3; ++i) {
    auto id = a->authenticate(with("Authorization", rs256({{"sub", "u" + std::to_string(i)}})),
                              require(AuthMode::kJwt));
    ASSERT_TRUE(id.ok());
    ASSERT_EQ(id->consumer, "u" + std::to_string(i));
  }
  // A forged signature on a remembered subject is still refused.
  std::string good = rs256({{"sub", "u1"}});
  std::string forged = good.substr(0, good.size() - 4) + (good.ends_with("AAAA") ? "BBBB" : "AAAA");
  EXPECT_FALSE(a->authenticate(with("Authorization", forged), require(AuthMode::kJwt)).ok());
}

TEST(AuthenticatorChallenge, AnyWithCertificatesAloneAsksForNoHeader) {
  spec::GatewaySpec bare;
  auto a = Authenticator::create(bare);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->challenge(spec::AuthMode::kAny, false), "");
  auto none = a->authenticate(Headers{}, spec::RouteRequireSpec{spec::AuthMode::kAny});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().cls(), ErrorClass::kUnauthorized);
}

TEST_F(AuthenticatorTest, ClientCertificateSubjectIsTheConsumer) {
  auto a = Authenticator::create(spec_);
  ASSERT_TRUE(a.ok());
  auto route = require(AuthMode::kMtls);
  auto id = a->authenticate(Headers{}, route, "CN=billing,O=Acme");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->kind, Identity::Kind::kClientCertificate);
  EXPECT_EQ(id->consumer, "CN=billing,O=Acme");
  EXPECT_FALSE(id->claims);

  // A bearer token or an API key is no substitute for the certificate.
  auto none = a->authenticate(with("Authorization", rs256({})), route, "");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().cls(), ErrorClass::kUnauthorized);
  EXPECT_EQ(a->challenge(AuthMode::kMtls, false), "");

  route.subjects = {"CN=billing,O=Acme"};
  EXPECT_TRUE(a->authenticate(Headers{}, route, "CN=billing,O=Acme").ok());
  auto other = a->authenticate(Headers{}, route, "CN=billing,O=Acme,C=XX");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().cls(), ErrorClass::kForbidden);
  EXPECT_EQ(other.error().message().find("billing"), std::string::npos);
}

TEST_F(AuthenticatorTest, JwtIdentityCarriesTheClaimsForPolicies) {
  auto a = Authenticator::create(spec_);
  ASSERT_TRUE(a.ok());
  auto id =
      a->authenticate(with("Authorization", rs256({{"tenant", "acme"}})), require(AuthMode::kJwt));
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(id->claims);
  EXPECT_EQ(id->claims->payload().at("tenant"), "acme");
  auto by_key = a->authenticate(with("X-Api-Key", "key-2"), require(AuthMode::kApiKey));
  ASSERT_TRUE(by_key.ok());
  EXPECT_FALSE(by_key->claims);
}

TEST_F(AuthenticatorTest, StartupErrors) {
  spec_.jwt->jwks = dir_ / "missing.json";
  auto missing = Authenticator::create(spec_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("cannot read"), std::string::npos);

  std::ofstream(dir_ / "empty.json") << R"({"keys": [{"kty": "OKP"}]})";
  spec_.jwt->jwks = dir_ / "empty.json";
  auto empty = Authenticator::create(spec_);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("no usable key"), std::string::npos);

  spec_.jwt.reset();
  spec_.api_keys->keys = "a:same\nb:same";
  auto duplicate = Authenticator::create(spec_);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().message().find("same"), std::string::npos);  // no key echoed
}

}  // namespace
}  // namespace junction::gateway
