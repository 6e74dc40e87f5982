#include "auth/jwt.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "auth/base64url.h"
#include "jwt_signer.h"

namespace junction::auth {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::kHmacSecret;
using testing::public_pem;
using testing::sign;
using testing::sign_raw;
using testing::test_keys;

constexpr int64_t kNow = 1'700'000'000;
constexpr const char* kIssuer = "https://issuer.test";
constexpr const char* kAudience = "junction";

Key hmac_key(std::string kid = {}, std::string secret = kHmacSecret) {
  return Key::hmac(std::move(secret), {.kid = std::move(kid)}).value();
}

Key public_key(EVP_PKEY* key, std::string kid = {}) {
  return load_pem_public_key(public_pem(key), {.kid = std::move(kid)}).value();
}

// Claims a well-behaved issuer would send: valid for five more minutes.
json::object good_claims() {
  return {{"iss", kIssuer},   {"aud", kAudience}, {"sub", "alice"},
          {"iat", kNow - 10}, {"nbf", kNow - 10}, {"exp", kNow + 300}};
}

JwtVerifierOptions options_with(std::vector<Key> keys) {
  JwtVerifierOptions options;
  options.algorithms = {JwsAlgorithm::kHs256, JwsAlgorithm::kHs384, JwsAlgorithm::kHs512,
                        JwsAlgorithm::kRs256, JwsAlgorithm::kEs256};
  options.keys = std::move(keys);
  options.issuers = {kIssuer};
  options.audiences = {kAudience};
  options.clock = [] { return kNow; };
  return options;
}

JwtVerifier verifier_with(std::vector<Key> keys) {
  return JwtVerifier::create(options_with(std::move(keys))).value();
}

std::vector<Key> keys_of(Key a) {
  std::vector<Key> keys;
  keys.push_back(std::move(a));
  return keys;
}

// Every key type at once, each with a kid.
JwtVerifier full_verifier() {
  std::vector<Key> keys;
  keys.push_back(hmac_key("hmac"));
  keys.push_back(public_key(test_keys().rsa.get(), "rsa"));
  keys.push_back(public_key(test_keys().ec.get(), "ec"));
  return verifier_with(std::move(keys));
}

// Asserts `token` is refused as unauthorized with exactly `reason`, and that
// the reason does not quote the token.
void expect_refused(const JwtVerifier& verifier, const std::string& token,
                    std::string_view reason) {
  auto claims = verifier.verify(token);
  ASSERT_FALSE(claims) << "accepted; expected: " << reason;
  EXPECT_EQ(claims.error().cls(), ErrorClass::kUnauthorized);
  EXPECT_EQ(claims.error().message(), reason);
  if (!token.empty()) {
    EXPECT_EQ(claims.error().message().find(token), std::string::npos);
  }
}

std::string with_claim(std::string_view alg, std::string_view name, json::value value) {
  json::object claims = good_claims();
  claims[name] = std::move(value);
  return sign(alg, claims, "hmac");
}

// --- accepted tokens -------------------------------------------------------

TEST(JwtTest, AcceptsEveryHmacAlgorithm) {
  JwtVerifier verifier = full_verifier();
  for (std::string_view alg : {"HS256", "HS384", "HS512"}) {
    auto claims = verifier.verify(sign(alg, good_claims(), "hmac"));
    ASSERT_TRUE(claims) << alg << ": " << claims.error().message();
    EXPECT_EQ(claims->subject(), "alice");
  }
}

TEST(JwtTest, AcceptsRs256) {
  auto claims =
      full_verifier().verify(sign("RS256", good_claims(), "rsa", {}, test_keys().rsa.get()));
  ASSERT_TRUE(claims) << claims.error().message();
  EXPECT_EQ(claims->subject(), "alice");
}

TEST(JwtTest, AcceptsEs256) {
  auto claims =
      full_verifier().verify(sign("ES256", good_claims(), "ec", {}, test_keys().ec.get()));
  ASSERT_TRUE(claims) << claims.error().message();
  EXPECT_EQ(claims->subject(), "alice");
}

TEST(JwtTest, AcceptsKeysFromAJwks) {
  json::object rsa = testing::public_jwk(test_keys().rsa.get(), "r1");
  json::object ec = testing::public_jwk(test_keys().ec.get(), "e1");
  auto set = parse_jwks(json::serialize(json::object{{"keys", json::array{rsa, ec}}}));
  ASSERT_TRUE(set);
  JwtVerifier verifier = verifier_with(std::move(set->keys));
  EXPECT_TRUE(verifier.verify(sign("RS256", good_claims(), "r1", {}, test_keys().rsa.get())));
  EXPECT_TRUE(verifier.verify(sign("ES256", good_claims(), "e1", {}, test_keys().ec.get())));
}

TEST(JwtTest, UsesTheOnlyFittingKeyWhenTheTokenHasNoKid) {
  JwtVerifier verifier = full_verifier();
  EXPECT_TRUE(verifier.verify(sign("HS256", good_claims())));
  EXPECT_TRUE(verifier.verify(sign("RS256", good_claims(), {}, {}, test_keys().rsa.get())));
  EXPECT_TRUE(verifier.verify(sign("ES256", good_claims(), {}, {}, test_keys().ec.get())));
}

TEST(JwtTest, PicksTheKeyNamedByKid) {
  std::vector<Key> keys;
  keys.push_back(public_key(test_keys().other_rsa.get(), "old"));
  keys.push_back(public_key(test_keys().rsa.get(), "new"));
  JwtVerifier verifier = verifier_with(std::move(keys));
  EXPECT_TRUE(verifier.verify(sign("RS256", good_claims(), "new", {}, test_keys().rsa.get())));
  expect_refused(verifier, sign("RS256", good_claims(), "old", {}, test_keys().rsa.get()),
                 "signature invalid");
}

// RFC 7515 appendix A.1-A.3: tokens made by someone else's implementation.
constexpr std::string_view kRfcPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";

JwtVerifierOptions rfc_options(std::vector<Key> keys) {
  JwtVerifierOptions options = options_with(std::move(keys));
  options.issuers = {"joe"};
  options.audiences = {};
  options.clock = [] { return int64_t{1300819300}; };
  return options;
}

TEST(JwtTest, VerifiesTheRfc7515Hs256Example) {
  auto set = parse_jwks(
      R"({"keys":[{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]})");
  ASSERT_TRUE(set);
  auto verifier = JwtVerifier::create(rfc_options(std::move(set->keys))).value();
  auto claims =
      verifier.verify("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + std::string(kRfcPayload) +
                      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  ASSERT_TRUE(claims) << claims.error().message();
  const json::value* is_root = claims->find("http://example.com/is_root");
  ASSERT_NE(is_root, nullptr);
  EXPECT_EQ(*is_root, json::value(true));
}

TEST(JwtTest, VerifiesTheRfc7515Rs256Example) {
  auto set = parse_jwks(
      R"({"keys":[{"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}]})");
  ASSERT_TRUE(set);
  auto verifier = JwtVerifier::create(rfc_options(std::move(set->keys))).value();
  auto claims = verifier.verify(
      "eyJhbGciOiJSUzI1NiJ9." + std::string(kRfcPayload) +
      ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"
      "O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
      "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjt"
      "QBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
      "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2"
      "w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw");
  ASSERT_TRUE(claims) << claims.error().message();
}

TEST(JwtTest, VerifiesTheRfc7515Es256Example) {
  auto set = parse_jwks(
      R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})");
  ASSERT_TRUE(set);
  auto verifier = JwtVerifier::create(rfc_options(std::move(set->keys))).value();
  auto claims = verifier.verify(
      "eyJhbGciOiJFUzI1NiJ9." + std::string(kRfcPayload) +
      ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
  ASSERT_TRUE(claims) << claims.error().message();
}

// --- time --------------------------------------------------------------------

TEST(JwtTest, RefusesAnExpiredToken) {
  expect_refused(full_verifier(), with_claim("HS256", "exp", kNow - 3600), "token expired");
}

TEST(JwtTest, RefusesATokenNotYetValid) {
  expect_refused(full_verifier(), with_claim("HS256", "nbf", kNow + 3600), "token not yet valid");
}

TEST(JwtTest, HonoursLeewayOnExpiryUpToTheBoundary) {
  JwtVerifier verifier = full_verifier();  // leeway 60s
  EXPECT_TRUE(verifier.verify(with_claim("HS256", "exp", kNow - 59)));
  expect_refused(verifier, with_claim("HS256", "exp", kNow - 60), "token expired");
}

TEST(JwtTest, HonoursLeewayOnNotBeforeUpToTheBoundary) {
  JwtVerifier verifier = full_verifier();
  EXPECT_TRUE(verifier.verify(with_claim("HS256", "nbf", kNow + 60)));
  expect_refused(verifier, with_claim("HS256", "nbf", kNow + 61), "token not yet valid");
}

TEST(JwtTest, ALifetimeReadOnceAgreesWithCheckLifetimeAroundEveryBoundary) {
  JwtVerifier verifier = full_verifier();  // leeway 60s, its clock at kNow
  for (int64_t d = -62; d <= 62; ++d) {
    const json::object expiring{{"exp", kNow + d}};
    EXPECT_EQ(verifier.within(verifier.lifetime(expiring)),
              static_cast<bool>(verifier.check_lifetime(expiring)))
        << "exp now" << d;
    const json::object starting{{"exp", kNow + 3600}, {"nbf", kNow + d}};
    EXPECT_EQ(verifier.within(verifier.lifetime(starting)),
              static_cast<bool>(verifier.check_lifetime(starting)))
        << "nbf now" << d;
  }
  EXPECT_TRUE(verifier.within(verifier.lifetime(json::object{{"exp", kNow - 59.5}})));
  EXPECT_FALSE(verifier.within(verifier.lifetime(json::object{{"exp", kNow - 60.5}})));
}

TEST(JwtTest, LeewayIsConfigurable) {
  JwtVerifierOptions options = options_with(keys_of(hmac_key("hmac")));
  options.leeway = 0s;
  auto verifier = JwtVerifier::create(std::move(options)).value();
  EXPECT_TRUE(verifier.verify(with_claim("HS256", "exp", kNow + 1)));
  expect_refused(verifier, with_claim("HS256", "exp", kNow), "token expired");
}

TEST(JwtTest, AcceptsFractionalNumericDates) {
  EXPECT_TRUE(full_verifier().verify(with_claim("HS256", "exp", kNow + 0.5)));
}

TEST(JwtTest, RefusesMalformedTimeClaims) {
  JwtVerifier verifier = full_verifier();
  expect_refused(verifier, with_claim("HS256", "exp", "tomorrow"), "malformed exp claim");
  expect_refused(verifier, with_claim("HS256", "nbf", json::array{1}), "malformed nbf claim");
}

TEST(JwtTest, RequiresAnExpiryUnlessToldOtherwise) {
  json::object claims = good_claims();
  claims.erase("exp");
  std::string token = sign("HS256", claims, "hmac");
  expect_refused(full_verifier(), token, "token has no expiry");

  JwtVerifierOptions options = options_with(keys_of(hmac_key("hmac")));
  options.require_expiry = false;
  EXPECT_TRUE(JwtVerifier::create(std::move(options)).value().verify(token));
}

// --- issuer and audience -------------------------------------------------------

TEST(JwtTest, RefusesAWrongIssuer) {
  JwtVerifier verifier = full_verifier();
  expect_refused(verifier, with_claim("HS256", "iss", "https://evil.test"), "issuer mismatch");
  expect_refused(verifier, with_claim("HS256", "iss", 42), "issuer mismatch");
  json::object claims = good_claims();
  claims.erase("iss");
  expect_refused(verifier, sign("HS256", claims, "hmac"), "issuer mismatch");
}

TEST(JwtTest, AcceptsAnyOfSeveralIssuers) {
  JwtVerifierOptions options = options_with(keys_of(hmac_key("hmac")));
  options.issuers = {"https://a.test", kIssuer};
  EXPECT_TRUE(JwtVerifier::create(std::move(options)).value().verify(sign("HS256", good_claims())));
}

TEST(JwtTest, RefusesAWrongAudienceString) {
  expect_refused(full_verifier(), with_claim("HS256", "aud", "billing"), "audience mismatch");
}

TEST(JwtTest, RefusesAWrongAudienceArray) {
  JwtVerifier verifier = full_verifier();
  expect_refused(verifier, with_claim("HS256", "aud", json::array{"billing", "shipping"}),
                 "audience mismatch");
  expect_refused(verifier, with_claim("HS256", "aud", json::array{}), "audience mismatch");
  expect_refused(verifier, with_claim("HS256", "aud", 7), "audience mismatch");
}

TEST(JwtTest, AcceptsAnAudienceArrayNamingUs) {
  EXPECT_TRUE(
      full_verifier().verify(with_claim("HS256", "aud", json::array{"billing", kAudience})));
}

TEST(JwtTest, RefusesAMissingAudienceWhenOneIsExpected) {
  json::object claims = good_claims();
  claims.erase("aud");
  expect_refused(full_verifier(), sign("HS256", claims, "hmac"), "audience mismatch");
}

TEST(JwtTest, RefusesATokenForAnAudienceWhenNoneIsConfigured) {
  JwtVerifierOptions options = options_with(keys_of(hmac_key("hmac")));
  options.audiences = {};
  auto verifier = JwtVerifier::create(std::move(options)).value();
  expect_refused(verifier, sign("HS256", good_claims()), "audience mismatch");
  json::object claims = good_claims();
  claims.erase("aud");
  EXPECT_TRUE(verifier.verify(sign("HS256", claims)));
}

// --- signatures and algorithms -------------------------------------------------

// Replaces one character in the middle of segment `index` (0, 1 or 2).
std::string flip_char_in_segment(std::string token, int index) {
  size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  size_t end = token.find('.', start);
  if (end == std::string::npos) end = token.size();
  size_t at = start + (end - start) / 2;
  token[at] = token[at] == 'A' ? 'B' : 'A';
  return token;
}

TEST(JwtTest, RefusesABadSignatureForEveryAlgorithm) {
  JwtVerifier verifier = full_verifier();
  for (const std::string& token :
       {sign("HS256", good_claims(), "hmac"), sign("HS512", good_claims(), "hmac"),
        sign("RS256", good_claims(), "rsa", {}, test_keys().rsa.get()),
        sign("ES256", good_claims(), "ec", {}, test_keys().ec.get())}) {
    ASSERT_TRUE(verifier.verify(token));
    expect_refused(verifier, flip_char_in_segment(token, 2), "signature invalid");
    expect_refused(verifier, flip_char_in_segment(token, 1), "signature invalid");
  }
}

TEST(JwtTest, RefusesATokenSignedWithAnotherKey) {
  JwtVerifier verifier = full_verifier();
  expect_refused(verifier, sign("HS256", good_claims(), "hmac", std::string(64, 'x')),
                 "signature invalid");
  expect_refused(verifier, sign("RS256", good_claims(), "rsa", {}, test_keys().other_rsa.get()),
                 "signature invalid");
  expect_refused(verifier, sign("ES256", good_claims(), "ec", {}, test_keys().other_ec.get()),
                 "signature invalid");
}

TEST(JwtTest, RefusesADerEncodedEs256Signature) {
  // What a signer that forgot the r||s conversion would send.
  std::string input = base64url_encode(R"({"alg":"ES256","kid":"ec"})") + "." +
                      base64url_encode(json::serialize(good_claims()));
  EVP_PKEY* key = test_keys().ec.get();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key, nullptr), 1);
  unsigned char der[128];
  size_t length = sizeof der;
  ASSERT_EQ(EVP_DigestSign(ctx, der, &length, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  std::string token =
      input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(der), length));
  expect_refused(full_verifier(), token, "signature invalid");
}

TEST(JwtTest, RefusesAlgNone) {
  JwtVerifier verifier = full_verifier();
  for (std::string_view alg : {"none", "NONE", "None", "nOnE"}) {
    std::string header = R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})";
    std::string payload = json::serialize(good_claims());
    std::string unsigned_token = base64url_encode(header) + "." + base64url_encode(payload) + ".";
    expect_refused(verifier, unsigned_token, "algorithm not allowed");
    // Some attacks add a signature anyway, made with a key we do hold.
    expect_refused(verifier, sign_raw(header, payload, "HS256", kHmacSecret, nullptr),
                   "algorithm not allowed");
  }
}

TEST(JwtTest, RefusesAnAlgorithmNotInTheAllowedList) {
  JwtVerifierOptions options = options_with(keys_of(hmac_key("hmac")));
  options.algorithms = {JwsAlgorithm::kHs256};
  auto verifier = JwtVerifier::create(std::move(options)).value();
  EXPECT_TRUE(verifier.verify(sign("HS256", good_claims())));
  expect_refused(verifier, sign("HS512", good_claims()), "algorithm not allowed");
}

TEST(JwtTest, RefusesUnknownAndMiscasedAlgorithms) {
  JwtVerifier verifier = full_verifier();
  for (std::string_view alg : {"HS257", "hs256", "RS512", "PS256", "ES384", "EdDSA", ""}) {
    std::string header = R"({"alg":")" + std::string(alg) + R"("})";
    expect_refused(verifier,
                   sign_raw(header, json::serialize(good_claims()), "HS256", kHmacSecret, nullptr),
                   "algorithm not allowed");
  }
}

TEST(JwtTest, RefusesAlgorithmConfusionWithAnRsaPublicKey) {
  // The classic attack: sign HS256 with the server's RSA public key (which is
  // public) as the HMAC secret, hoping the verifier feeds the key's bytes to
  // HMAC.
  std::string pem = public_pem(test_keys().rsa.get());
  std::vector<Key> keys;
  keys.push_back(public_key(test_keys().rsa.get(), "rsa"));
  JwtVerifier verifier = verifier_with(std::move(keys));
  expect_refused(verifier, sign("HS256", good_claims(), {}, pem), "no key for algorithm");
  expect_refused(verifier, sign("HS256", good_claims(), "rsa", pem), "key does not fit algorithm");
}

TEST(JwtTest, RefusesAlgorithmConfusionWithAnEcPublicKey) {
  std::string pem = public_pem(test_keys().ec.get());
  JwtVerifier verifier = verifier_with(keys_of(public_key(test_keys().ec.get(), "ec")));
  expect_refused(verifier, sign("HS256", good_claims(), "ec", pem), "key does not fit algorithm");
  // Nor may an RS256 token use an EC key, or ES256 an RSA key.
  expect_refused(verifier, sign("RS256", good_claims(), "ec", {}, test_keys().rsa.get()),
                 "key does not fit algorithm");
}

TEST(JwtTest, HonoursTheAlgAndUseLabelsOfAKey) {
  std::vector<Key> keys;
  keys.push_back(Key::hmac(kHmacSecret, {.kid = "only-hs512", .alg = "HS512"}).value());
  keys.push_back(Key::hmac(kHmacSecret, {.kid = "enc", .use = "enc"}).value());
  JwtVerifier verifier = verifier_with(std::move(keys));
  EXPECT_TRUE(verifier.verify(sign("HS512", good_claims(), "only-hs512")));
  expect_refused(verifier, sign("HS256", good_claims(), "only-hs512"),
                 "key does not fit algorithm");
  expect_refused(verifier, sign("HS256", good_claims(), "enc"), "key does not fit algorithm");
}

TEST(JwtTest, RefusesHmacSecretsShorterThanTheHash) {
  // 32 bytes is enough for HS256 but RFC 7518 wants 64 for HS512.
  JwtVerifier verifier = verifier_with(keys_of(hmac_key("short", std::string(32, 's'))));
  EXPECT_TRUE(verifier.verify(sign("HS256", good_claims(), "short", std::string(32, 's'))));
  expect_refused(verifier, sign("HS512", good_claims(), "short", std::string(32, 's')),
                 "key does not fit algorithm");
}

TEST(JwtTest, RefusesAnUnknownKeyId) {
  expect_refused(full_verifier(), sign("HS256", good_claims(), "who"), "unknown key id");
}

TEST(JwtTest, RefusesATokenWithoutKidWhenSeveralKeysFit) {
  std::vector<Key> keys;
  keys.push_back(hmac_key("a"));
  keys.push_back(hmac_key("b"));
  expect_refused(verifier_with(std::move(keys)), sign("HS256", good_claims()),
                 "token has no key id");
}

TEST(JwtTest, RefusesCriticalHeaderExtensions) {
  std::string header = R"({"alg":"HS256","kid":"hmac","crit":["exp"],"exp":1})";
  expect_refused(full_verifier(),
                 sign_raw(header, json::serialize(good_claims()), "HS256", kHmacSecret, nullptr),
                 "unsupported critical header");
}

TEST(JwtTest, IgnoresKeysEmbeddedInTheHeader) {
  // A token carrying its own key ("jwk") must still verify against ours only.
  json::object attacker_jwk = testing::public_jwk(test_keys().other_rsa.get(), "");
  json::object header{{"alg", "RS256"}, {"jwk", attacker_jwk}};
  std::string token = sign_raw(json::serialize(header), json::serialize(good_claims()), "RS256", {},
                               test_keys().other_rsa.get());
  std::vector<Key> keys;
  keys.push_back(public_key(test_keys().rsa.get()));
  expect_refused(verifier_with(std::move(keys)), token, "signature invalid");
}

// --- structure -------------------------------------------------------------------

TEST(JwtTest, RefusesTheWrongNumberOfSegments) {
  JwtVerifier verifier = full_verifier();
  std::string token = sign("HS256", good_claims(), "hmac");
  std::string two_parts = token.substr(0, token.rfind('.'));
  expect_refused(verifier, two_parts, "malformed token");
  expect_refused(verifier, token + ".extra", "malformed token");
  expect_refused(verifier, "", "malformed token");
  expect_refused(verifier, "no-dots-at-all", "malformed token");
}

TEST(JwtTest, RefusesBadBase64) {
  JwtVerifier verifier = full_verifier();
  std::string token = sign("HS256", good_claims(), "hmac");
  size_t first = token.find('.');
  size_t second = token.find('.', first + 1);

  std::string bad_header = token;
  bad_header[1] = '+';
  expect_refused(verifier, bad_header, "malformed token header");

  std::string bad_signature = token;
  bad_signature[second + 2] = '/';
  expect_refused(verifier, bad_signature, "malformed token signature");

  // A payload whose bad base64 is covered by a valid signature.
  std::string input = token.substr(0, first) + ".e30*";
  std::string signed_bad_payload =
      input + "." + base64url_encode(testing::signature_for("HS256", input, kHmacSecret, nullptr));
  expect_refused(verifier, signed_bad_payload, "malformed token payload");
}

TEST(JwtTest, RefusesAHeaderOrPayloadThatIsNotAnObject) {
  JwtVerifier verifier = full_verifier();
  expect_refused(verifier, sign_raw(R"(["HS256"])", "{}", "HS256", kHmacSecret, nullptr),
                 "malformed token header");
  expect_refused(verifier, sign_raw("not json", "{}", "HS256", kHmacSecret, nullptr),
                 "malformed token header");
  expect_refused(verifier, sign_raw(R"({"alg":256})", "{}", "HS256", kHmacSecret, nullptr),
                 "malformed token header");
  expect_refused(verifier,
                 sign_raw(R"({"alg":"HS256","kid":5})", "{}", "HS256", kHmacSecret, nullptr),
                 "malformed token header");
  std::string header = R"({"alg":"HS256","kid":"hmac"})";
  expect_refused(verifier, sign_raw(header, R"(["admin"])", "HS256", kHmacSecret, nullptr),
                 "malformed token payload");
  expect_refused(verifier, sign_raw(header, "\"alice\"", "HS256", kHmacSecret, nullptr),
                 "malformed token payload");
  expect_refused(verifier, sign_raw(header, "{\"sub\":\"\xff\"}", "HS256", kHmacSecret, nullptr),
                 "malformed token payload");
}

TEST(JwtTest, RefusesAnOversizedToken) {
  JwtVerifier verifier = full_verifier();
  json::object claims = good_claims();
  claims["padding"] = std::string(8 * 1024, 'p');
  expect_refused(verifier, sign("HS256", claims, "hmac"), "token too large");
  expect_refused(verifier, std::string(8 * 1024 + 1, 'a'), "token too large");

  JwtVerifierOptions options = options_with(keys_of(hmac_key("hmac")));
  options.max_token_bytes = 64 * 1024;
  EXPECT_TRUE(JwtVerifier::create(std::move(options)).value().verify(sign("HS256", claims)));
}

TEST(JwtTest, CreateRefusesOptionsThatCanNeverVerify) {
  JwtVerifierOptions no_algorithms = options_with(keys_of(hmac_key()));
  no_algorithms.algorithms.clear();
  JwtVerifierOptions negative_leeway = options_with(keys_of(hmac_key()));
  negative_leeway.leeway = -1s;
  JwtVerifierOptions no_size = options_with(keys_of(hmac_key()));
  no_size.max_token_bytes = 0;

  for (auto* options : {&no_algorithms, &negative_leeway, &no_size}) {
    auto verifier = JwtVerifier::create(std::move(*options));
    ASSERT_FALSE(verifier);
    EXPECT_EQ(verifier.error().cls(), ErrorClass::kInvalid);
  }
  auto no_keys = JwtVerifier::create(options_with({}));
  ASSERT_FALSE(no_keys);
  EXPECT_EQ(no_keys.error().message(), "jwt: no verification key");
}

TEST(JwtTest, AlgorithmNamesRoundTrip) {
  for (JwsAlgorithm alg : {JwsAlgorithm::kHs256, JwsAlgorithm::kHs384, JwsAlgorithm::kHs512,
                           JwsAlgorithm::kRs256, JwsAlgorithm::kEs256}) {
    EXPECT_EQ(jws_algorithm_from_name(to_string(alg)), alg);
  }
  EXPECT_FALSE(jws_algorithm_from_name("none"));
  EXPECT_FALSE(jws_algorithm_from_name("hs256"));
}

}  // namespace
}  // namespace junction::auth

namespace junction::auth {
namespace {

TEST(JwtKeysPerCallTest, VerifiesWithTheKeySetOfTheCall) {
  JwtVerifierOptions options = options_with({});
  options.keys_per_call = true;
  auto verifier = JwtVerifier::create(std::move(options));
  ASSERT_TRUE(verifier) << verifier.error().message();
  std::string token = sign("HS256", good_claims(), "new");
  // Before rotation the verifier knows only "old"; after it, "new".
  auto before = verifier->verify(token, keys_of(hmac_key("old")));
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().message(), "unknown key id");
  auto after = verifier->verify(token, keys_of(hmac_key("new")));
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->subject(), "alice");
  // Without keys of its own, the one-argument form refuses everything.
  EXPECT_FALSE(verifier->verify(token));
}

TEST(JwtKeysPerCallTest, TokenKeyIdReadsOnlyTheHeader) {
  EXPECT_EQ(token_key_id(sign("HS256", good_claims(), "k-7")), "k-7");
  EXPECT_EQ(token_key_id(sign("HS256", good_claims())), std::nullopt);
  EXPECT_EQ(token_key_id("not a token"), std::nullopt);
  EXPECT_EQ(
      token_key_id(sign_raw(R"({"alg":"HS256","kid":7})", "{}", "HS256", kHmacSecret, nullptr)),
      std::nullopt);
  std::string big = sign("HS256", good_claims(), "k-7");
  EXPECT_EQ(token_key_id(big, big.size() - 1), std::nullopt);
}

}  // namespace
}  // namespace junction::auth
