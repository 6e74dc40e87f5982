#include "auth/jwk.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "auth/base64url.h"
#include "jwt_signer.h"

namespace junction::auth {
namespace {

namespace json = boost::json;
using testing::generate_ec;
using testing::generate_rsa;
using testing::public_jwk;
using testing::public_pem;
using testing::test_keys;

std::string jwks(std::initializer_list<json::value> keys) {
  return json::serialize(json::object{{"keys", json::array(keys.begin(), keys.end())}});
}

// RFC 7515 appendix A.2 and A.3 public keys.
constexpr std::string_view kRfcRsaN =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdb"
    "BYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-D"
    "WNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr std::string_view kRfcEcX = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr std::string_view kRfcEcY = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

TEST(JwkTest, ParsesRsaEcAndOctKeysWithTheirLabels) {
  json::object rsa = public_jwk(test_keys().rsa.get(), "rsa-1");
  rsa["alg"] = "RS256";
  rsa["use"] = "sig";
  json::object ec = public_jwk(test_keys().ec.get(), "ec-1");
  json::object oct{
      {"kty", "oct"}, {"kid", "hmac-1"}, {"k", base64url_encode(testing::kHmacSecret)}};

  auto set = parse_jwks(jwks({rsa, ec, oct}));
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_TRUE(set->skipped.empty());
  ASSERT_EQ(set->keys.size(), 3u);

  const Key& rsa_key = set->keys[0];
  EXPECT_EQ(rsa_key.type(), KeyType::kRsa);
  EXPECT_EQ(rsa_key.kid(), "rsa-1");
  EXPECT_EQ(rsa_key.alg(), "RS256");
  EXPECT_EQ(rsa_key.use(), "sig");
  ASSERT_NE(rsa_key.pkey(), nullptr);
  EXPECT_EQ(EVP_PKEY_eq(rsa_key.pkey(), test_keys().rsa.get()), 1);
  EXPECT_TRUE(rsa_key.secret().empty());

  const Key& ec_key = set->keys[1];
  EXPECT_EQ(ec_key.type(), KeyType::kEc);
  EXPECT_EQ(ec_key.kid(), "ec-1");
  EXPECT_TRUE(ec_key.alg().empty());
  EXPECT_EQ(EVP_PKEY_eq(ec_key.pkey(), test_keys().ec.get()), 1);

  const Key& hmac_key = set->keys[2];
  EXPECT_EQ(hmac_key.type(), KeyType::kHmac);
  EXPECT_EQ(hmac_key.kid(), "hmac-1");
  EXPECT_EQ(hmac_key.secret(), testing::kHmacSecret);
  EXPECT_EQ(hmac_key.pkey(), nullptr);
}

TEST(JwkTest, ParsesTheRfc7515ExampleKeys) {
  json::object rsa{{"kty", "RSA"}, {"n", kRfcRsaN}, {"e", "AQAB"}};
  json::object ec{{"kty", "EC"}, {"crv", "P-256"}, {"x", kRfcEcX}, {"y", kRfcEcY}};
  auto set = parse_jwks(jwks({rsa, ec}));
  ASSERT_TRUE(set);
  ASSERT_EQ(set->keys.size(), 2u) << (set->skipped.empty() ? "" : set->skipped[0]);
  EXPECT_EQ(EVP_PKEY_get_bits(set->keys[0].pkey()), 2048);
  EXPECT_EQ(set->keys[1].type(), KeyType::kEc);
}

TEST(JwkTest, SkipsUnsupportedKeysWithAReasonAndKeepsTheRest) {
  json::object okp{{"kty", "OKP"}, {"kid", "ed"}, {"crv", "Ed25519"}, {"x", "AAAA"}};
  json::object p384{{"kty", "EC"}, {"crv", "P-384"}, {"x", "AAAA"}, {"y", "AAAA"}};
  json::object good = public_jwk(test_keys().ec.get(), "ec-1");

  auto set = parse_jwks(jwks({okp, p384, good}));
  ASSERT_TRUE(set);
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0].kid(), "ec-1");
  ASSERT_EQ(set->skipped.size(), 2u);
  EXPECT_EQ(set->skipped[0], "key 0 (kid 'ed'): unsupported kty 'OKP'");
  EXPECT_EQ(set->skipped[1], "key 1: unsupported crv 'P-384'");
}

TEST(JwkTest, SkipsMalformedKeys) {
  json::object no_n{{"kty", "RSA"}, {"e", "AQAB"}};
  json::object bad_x{{"kty", "EC"}, {"crv", "P-256"}, {"x", "not base64!"}, {"y", kRfcEcY}};
  json::object short_x{{"kty", "EC"}, {"crv", "P-256"}, {"x", "AAAA"}, {"y", kRfcEcY}};
  json::object no_kty{{"kid", "x"}};
  json::object number_kid{
      {"kty", "oct"}, {"kid", 7}, {"k", base64url_encode(testing::kHmacSecret)}};
  auto set = parse_jwks(jwks({no_n, bad_x, short_x, no_kty, number_kid, json::value(42)}));
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->keys.empty());
  ASSERT_EQ(set->skipped.size(), 6u);
  EXPECT_EQ(set->skipped[0], "key 0: missing 'n'");
  EXPECT_EQ(set->skipped[1], "key 1: 'x' is not base64url");
  EXPECT_EQ(set->skipped[2], "key 2: P-256 coordinates must be 32 bytes");
  EXPECT_EQ(set->skipped[3], "key 3 (kid 'x'): missing 'kty'");
  EXPECT_EQ(set->skipped[4], "key 4: 'kid' is not a string");
  EXPECT_EQ(set->skipped[5], "key 5: not an object");
}

TEST(JwkTest, RefusesAPointThatIsNotOnTheCurve) {
  std::string y = base64url_decode(kRfcEcY).value();
  y.back() ^= 1;
  json::object off_curve{
      {"kty", "EC"}, {"crv", "P-256"}, {"x", kRfcEcX}, {"y", base64url_encode(y)}};
  auto set = parse_jwks(jwks({off_curve}));
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->keys.empty());
  ASSERT_EQ(set->skipped.size(), 1u);
}

TEST(JwkTest, RefusesShortRsaKeysAndShortSecrets) {
  auto small = generate_rsa(1024);
  json::object rsa = public_jwk(small.get(), "");
  json::object oct{{"kty", "oct"}, {"k", base64url_encode("too short")}};
  auto set = parse_jwks(jwks({rsa, oct}));
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->keys.empty());
  ASSERT_EQ(set->skipped.size(), 2u);
  EXPECT_EQ(set->skipped[0], "key 0: RSA key shorter than 2048 bits");
  EXPECT_EQ(set->skipped[1], "key 1: HMAC secret shorter than 32 bytes");
}

TEST(JwkTest, RefusesDocumentsThatAreNotAKeySet) {
  for (std::string_view text : {"", "not json", "[]", "{}", R"({"keys": {}})"}) {
    auto set = parse_jwks(text);
    ASSERT_FALSE(set) << text;
    EXPECT_EQ(set.error().cls(), ErrorClass::kInvalid);
  }
  auto empty = parse_jwks(R"({"keys": []})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->keys.empty());
}

TEST(JwkTest, LoadsPemPublicKeys) {
  auto rsa = load_pem_public_key(public_pem(test_keys().rsa.get()), {.kid = "pem-rsa"});
  ASSERT_TRUE(rsa) << rsa.error().message();
  EXPECT_EQ(rsa->type(), KeyType::kRsa);
  EXPECT_EQ(rsa->kid(), "pem-rsa");
  EXPECT_EQ(EVP_PKEY_eq(rsa->pkey(), test_keys().rsa.get()), 1);

  auto ec = load_pem_public_key(public_pem(test_keys().ec.get()));
  ASSERT_TRUE(ec) << ec.error().message();
  EXPECT_EQ(ec->type(), KeyType::kEc);
}

TEST(JwkTest, RefusesBadPem) {
  auto garbage =
      load_pem_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().cls(), ErrorClass::kInvalid);
  EXPECT_FALSE(load_pem_public_key(""));

  auto p384 = generate_ec("P-384");
  auto wrong_curve = load_pem_public_key(public_pem(p384.get()));
  ASSERT_FALSE(wrong_curve);
  EXPECT_EQ(wrong_curve.error().message(), "pem: EC key is not on curve P-256");
}

TEST(JwkTest, KeysAreMovable) {
  auto key = load_pem_public_key(public_pem(test_keys().ec.get()));
  ASSERT_TRUE(key);
  EVP_PKEY* raw = key->pkey();
  Key moved = std::move(*key);
  EXPECT_EQ(moved.pkey(), raw);
}

}  // namespace
}  // namespace junction::auth
