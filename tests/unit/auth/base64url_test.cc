#include "auth/base64url.h"

#include <gtest/gtest.h>

#include <string>

namespace junction::auth {
namespace {

TEST(Base64UrlTest, EncodesRfc4648Vectors) {
  // RFC 4648 section 10, with padding dropped.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
  auto decoded = base64url_decode("-_-_");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, "\xfb\xff\xbf");
}

TEST(Base64UrlTest, RoundTripsEveryByteAndLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (size_t length = 0; length <= bytes.size(); ++length) {
    std::string input = bytes.substr(bytes.size() - length);
    auto decoded = base64url_decode(base64url_encode(input));
    ASSERT_TRUE(decoded) << "length " << length;
    EXPECT_EQ(*decoded, input) << "length " << length;
  }
}

TEST(Base64UrlTest, RejectsPadding) {
  auto decoded = base64url_decode("Zg==");
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().cls(), ErrorClass::kInvalid);
}

TEST(Base64UrlTest, RejectsCharactersOfStandardBase64AndOthers) {
  for (const char* text : {"ab+c", "ab/c", "ab c", "ab.c", "ab\nc", "Zm9v\x80"}) {
    auto decoded = base64url_decode(text);
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error().cls(), ErrorClass::kInvalid);
  }
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)));
}

TEST(Base64UrlTest, RejectsImpossibleLengths) {
  EXPECT_FALSE(base64url_decode("Z"));
  EXPECT_FALSE(base64url_decode("Zm9vY"));
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBits) {
  // "Zg" is "f"; "Zh" carries the same byte plus a set unused bit.
  EXPECT_TRUE(base64url_decode("Zg"));
  EXPECT_FALSE(base64url_decode("Zh"));
  EXPECT_TRUE(base64url_decode("Zm8"));
  EXPECT_FALSE(base64url_decode("Zm9"));
}

}  // namespace
}  // namespace junction::auth
