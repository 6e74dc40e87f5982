// The server's defences, driven with raw bytes so that the client library
// cannot tidy the requests up.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "http/server.h"
#include "unit/http/test_support.h"

namespace junction::http {
namespace {

using testing::RawClient;
using testing::starts_with;
using testing::TestServer;

std::string body_of(const std::string& response) {
  auto pos = response.find("\r\n\r\n");
  return pos == std::string::npos ? "" : response.substr(pos + 4);
}

void expect_problem(const std::string& response, int status) {
  EXPECT_TRUE(starts_with(response, "HTTP/1.1 " + std::to_string(status))) << response;
  EXPECT_NE(response.find("Content-Type: application/problem+json"), std::string::npos);
  auto json = boost::json::parse(body_of(response)).as_object();
  EXPECT_EQ(json.at("status").as_int64(), status);
  EXPECT_FALSE(json.at("request_id").as_string().empty());
}

ServerLimits small_limits() {
  ServerLimits limits;
  limits.max_body_bytes = 1024;
  limits.max_header_bytes = 2048;
  limits.max_header_count = 20;
  return limits;
}

TEST(ServerLimitsTest, AnnouncedBodyOverLimitIs413BeforeReading) {
  TestServer server(testing::echo_handler, small_limits());
  RawClient raw(server.port());
  // The body is never sent: the answer must come from the header alone.
  ASSERT_TRUE(raw.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"));
  bool closed = false;
  std::string out = raw.read_until_close(&closed);
  expect_problem(out, 413);
  EXPECT_NE(out.find("payload-too-large"), std::string::npos);
  EXPECT_TRUE(closed);
}

TEST(ServerLimitsTest, ChunkedBodyOverLimitIs413) {
  TestServer server(testing::echo_handler, small_limits());
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                       std::string("400\r\n") + std::string(1024, 'a') + "\r\n" +
                       std::string("400\r\n") + std::string(1024, 'b') + "\r\n0\r\n\r\n"));
  expect_problem(raw.read_until_close(), 413);
}

TEST(ServerLimitsTest, ChunkedBodyWithinLimitIsServed) {
  TestServer server(testing::echo_handler, small_limits());
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send(
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  std::string out = raw.read_until_close();
  EXPECT_TRUE(starts_with(out, "HTTP/1.1 200")) << out;
  EXPECT_EQ(body_of(out), "POST /c abcde");
}

TEST(ServerLimitsTest, ClientGets413ForOversizedBody) {
  TestServer server(testing::echo_handler, small_limits());
  Request req{bhttp::verb::post, "/", 11};
  req.body() = std::string(64 * 1024, 'x');
  auto res = server.send(std::move(req));
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->result_int(), 413);
}

TEST(ServerLimitsTest, TooManyHeadersIs431) {
  TestServer server(testing::echo_handler, small_limits());
  RawClient raw(server.port());
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 25; ++i) req += "X-H" + std::to_string(i) + ": v\r\n";
  ASSERT_TRUE(raw.send(req + "\r\n"));
  std::string out = raw.read_until_close();
  expect_problem(out, 431);
  EXPECT_NE(out.find("header-fields-too-large"), std::string::npos);
}

TEST(ServerLimitsTest, OversizedHeaderIs431) {
  TestServer server(testing::echo_handler, small_limits());
  RawClient raw(server.port());
  ASSERT_TRUE(
      raw.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n"));
  expect_problem(raw.read_until_close(), 431);
}

TEST(ServerLimitsTest, ContentLengthWithTransferEncodingIs400AndCloses) {
  for (std::string headers : {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                              "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"}) {
    TestServer server;
    RawClient raw(server.port());
    // A smuggled second request hides in the body; it must never be served.
    ASSERT_TRUE(raw.send("POST / HTTP/1.1\r\nHost: x\r\n" + headers +
                         "\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"));
    bool closed = false;
    std::string out = raw.read_until_close(&closed);
    expect_problem(out, 400);
    EXPECT_EQ(out.find("smuggled"), std::string::npos) << out;
    EXPECT_TRUE(closed);
  }
}

TEST(ServerLimitsTest, NonChunkedTransferEncodingIs400) {
  TestServer server;
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc"));
  expect_problem(raw.read_until_close(), 400);
}

TEST(ServerLimitsTest, MalformedRequestLineIs400) {
  for (std::string line : {"NOT A REQUEST\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/9\r\n\r\n",
                           "G\x01T / HTTP/1.1\r\n\r\n"}) {
    TestServer server;
    RawClient raw(server.port());
    ASSERT_TRUE(raw.send(line));
    bool closed = false;
    std::string out = raw.read_until_close(&closed);
    expect_problem(out, 400);
    EXPECT_TRUE(closed);
  }
}

TEST(ServerLimitsTest, SlowHeaderIsCutOff) {
  ServerLimits limits;
  limits.header_timeout = std::chrono::milliseconds(100);
  TestServer server(testing::echo_handler, limits);
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\n"));  // never finished
  bool closed = false;
  raw.read_until_close(&closed);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(testing::eventually([&] { return server.server().active_connections() == 0; }));
}

TEST(ServerLimitsTest, SilentConnectionIsCutOff) {
  ServerLimits limits;
  limits.header_timeout = std::chrono::milliseconds(100);
  TestServer server(testing::echo_handler, limits);
  RawClient raw(server.port());
  bool closed = false;
  raw.read_until_close(&closed);
  EXPECT_TRUE(closed);
}

TEST(ServerLimitsTest, ExpectContinueGetsInterimResponse) {
  TestServer server;
  RawClient raw(server.port());
  ASSERT_TRUE(
      raw.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  std::string interim = raw.read_response();
  EXPECT_TRUE(starts_with(interim, "HTTP/1.1 100")) << interim;
  ASSERT_TRUE(raw.send("hi"));
  std::string out = raw.read_response();
  EXPECT_TRUE(starts_with(out, "HTTP/1.1 200")) << out;
  EXPECT_EQ(body_of(out), "POST /e hi");
}

}  // namespace
}  // namespace junction::http
