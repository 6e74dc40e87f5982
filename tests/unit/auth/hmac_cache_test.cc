#include "auth/hmac_cache.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace junction::auth::detail {
namespace {

std::string hex_hmac(std::string_view digest, std::string_view secret, std::string_view input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t n = hmac(digest, secret, input, out);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text += kHex[out[i] >> 4];
    text += kHex[out[i] & 15];
  }
  return text;
}

// RFC 4231, test case 2.
constexpr std::string_view kKey = "Jefe";
constexpr std::string_view kData = "what do ya want for nothing?";
constexpr std::string_view kSha256 =
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
constexpr std::string_view kSha512 =
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6"
    "fdcaeab1a34d4a6b4b636e070a38bce737";

TEST(HmacCache, MatchesRfc4231AndStaysRightWhenReused) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(hex_hmac("SHA256", kKey, kData), kSha256);
    EXPECT_EQ(hex_hmac("SHA512", kKey, kData), kSha512);
  }
}

TEST(HmacCache, ASecretIsKnownByItsBytesNotItsAddress) {
  std::string secret(kKey);
  EXPECT_EQ(hex_hmac("SHA256", secret, kData), kSha256);
  secret[0] = 'X';  // same buffer, another key: must not hit the cached context
  EXPECT_NE(hex_hmac("SHA256", secret, kData), kSha256);
  secret[0] = 'J';
  EXPECT_EQ(hex_hmac("SHA256", secret, kData), kSha256);
}

TEST(HmacCache, MoreSecretsThanSlotsAreStillRight) {
  std::string first;
  for (int round = 0; round < 2; ++round) {
    for (int k = 0; k < 9; ++k) {
      std::string mac = hex_hmac("SHA256", "secret-" + std::to_string(k), kData);
      if (k != 0) continue;
      if (round == 0) {
        first = mac;
      } else {
        EXPECT_EQ(mac, first);
      }
    }
  }
  EXPECT_EQ(hex_hmac("SHA256", kKey, kData), kSha256);
}

TEST(HmacCache, AnUnknownDigestFails) {
  unsigned char out[EVP_MAX_MD_SIZE];
  EXPECT_EQ(hmac("NOT-A-DIGEST", kKey, kData, out), 0u);
}

}  // namespace
}  // namespace junction::auth::detail
