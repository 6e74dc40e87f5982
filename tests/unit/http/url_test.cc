#include "http/url.h"

#include <gtest/gtest.h>

namespace junction::http {
namespace {

TEST(UrlTest, HttpDefaults) {
  auto url = parse_url("http://example.com");
  ASSERT_TRUE(url.ok()) << url.error().message();
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/");
  EXPECT_FALSE(url->tls());
  EXPECT_EQ(url->host_header(), "example.com");
}

TEST(UrlTest, HttpsWithPortPathAndQuery) {
  auto url = parse_url("https://api.example.com:8443/v1/orders?id=7&x=a%20b#frag");
  ASSERT_TRUE(url.ok()) << url.error().message();
  EXPECT_TRUE(url->tls());
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/v1/orders?id=7&x=a%20b");
  EXPECT_EQ(url->host_header(), "api.example.com:8443");
  EXPECT_EQ(url->origin(), "https://api.example.com:8443");
}

TEST(UrlTest, HttpsDefaultPort) {
  EXPECT_EQ(parse_url("https://h/")->port, 443);
}

TEST(UrlTest, EmptyPortMeansDefault) {
  EXPECT_EQ(parse_url("http://h:/x")->port, 80);
}

TEST(UrlTest, Ipv6Host) {
  auto url = parse_url("http://[::1]:9000/x");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->host_header(), "[::1]:9000");
}

TEST(UrlTest, RejectsMalformedAndUnsupported) {
  for (const char* text : {"", "not a url", "ftp://host/", "http://", "/relative/path",
                           "http://user:pw@host/", "http://host:99999/"}) {
    auto url = parse_url(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_EQ(url.error().cls(), ErrorClass::kInvalid) << text;
  }
}

}  // namespace
}  // namespace junction::http
