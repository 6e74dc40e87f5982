#include "gateway/access_log.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace junction::gateway {
namespace {

TEST(AccessLog, IsOneJsonObjectWithEveryField) {
  AccessEntry e;
  e.request_id = "req-1";
  e.method = "GET";
  e.target = "/v1/orders/7?token=secret";
  e.route = "/v1/orders/{id}";
  e.status = 200;
  e.upstream = "orders";
  e.attempts = 2;
  e.bytes_in = 10;
  e.bytes_out = 2048;
  e.client = "127.0.0.1";
  e.identity = "alice";
  e.latency_ms = 0.0371;
  std::string line = format_access_line(e);
  auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("type").as_string(), "access");
  EXPECT_EQ(v.at("request_id").as_string(), "req-1");
  EXPECT_EQ(v.at("path").as_string(), "/v1/orders/7");  // the query is never logged
  EXPECT_EQ(v.at("route").as_string(), "/v1/orders/{id}");
  EXPECT_EQ(v.at("status").as_int64(), 200);
  EXPECT_EQ(v.at("upstream").as_string(), "orders");
  EXPECT_EQ(v.at("attempts").as_int64(), 2);
  EXPECT_EQ(v.at("bytes_in").as_int64(), 10);
  EXPECT_EQ(v.at("bytes_out").as_int64(), 2048);
  EXPECT_EQ(v.at("client").as_string(), "127.0.0.1");
  EXPECT_EQ(v.at("identity").as_string(), "alice");
  EXPECT_NE(line.find("\"latency_ms\":0.037}"), std::string::npos) << line;
  EXPECT_EQ(line.find("secret"), std::string::npos);
}

TEST(AccessLog, HostileValuesStayValidJson) {
  AccessEntry e;
  e.method = "GET";
  e.target = std::string_view("/a\x01\"b\xff\n/c", 9);
  e.identity = "evil\",\"status\":999,\"x\":\"\\";
  std::string line = format_access_line(e);
  auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("path").as_string(),
            "/a?\"b?"
            "?/c");
  EXPECT_EQ(v.at("identity").as_string(), "evil\",\"status\":999,\"x\":\"\\");
  EXPECT_EQ(v.at("status").as_int64(), 0);
}

TEST(AccessLog, ACharacterToEscapeIsFoundAnywhereInAValue) {
  // Values of every length across the 16-byte blocks and the tail, with the
  // character at every position.
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (const std::string_view special : {"\"", "\\", "\n", "\x1f", "\xc3\xa9"}) {
        std::string identity(length, 'a');
        identity.replace(at, 1, special);
        AccessEntry e;
        e.identity = identity;
        const std::string line = format_access_line(e);
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        ASSERT_FALSE(ec) << line;
        EXPECT_EQ(v.as_object().at("identity").as_string(), identity) << line;
      }
    }
  }
}

TEST(AccessLog, LongPathsAreCut) {
  std::string path = "/" + std::string(2000, 'a');
  AccessEntry e;
  e.target = path;
  auto v = boost::json::parse(format_access_line(e)).as_object();
  EXPECT_EQ(v.at("path").as_string().size(), 512u);
}

}  // namespace
}  // namespace junction::gateway
