#include "http/server_request_parser.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "unit/http/feed_in_steps.h"

namespace junction::http {
namespace {

namespace bhttp = boost::beast::http;

// As read_parsed feeds it: the unconsumed bytes so far, `step` more at a
// time; with `whole` false it stops at the end of the head.
struct Fed {
  boost::system::error_code ec;
  bool header_done = false;
  bool done = false;
  bool hands_over = false;
  bool keep_alive = false;
  std::string raw_head;
  Request req;
  size_t left = 0;  // bytes not consumed
};

Fed feed(std::string_view raw, size_t step, bool whole = true,
         const std::function<void(ServerRequestParser&)>& setup = nullptr) {
  ServerRequestParser parser;
  parser.eager(whole);
  if (setup) setup(parser);
  Fed out;
  const auto steps = testing::feed_in_steps(
      parser, raw, step, [&] { return whole ? parser.is_done() : parser.is_header_done(); });
  out.ec = steps.ec;
  out.left = steps.left;
  out.header_done = parser.is_header_done();
  out.done = parser.is_done();
  out.hands_over = parser.hands_over();
  out.keep_alive = parser.keep_alive();
  out.raw_head = std::string(parser.raw_head());
  out.req = std::move(parser.get());
  return out;
}

constexpr std::string_view kPost =
    "POST /v1/orders?x=1 HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 13\r\n"
    "\r\n"
    "{\"id\":\"a-1\"}\n";

TEST(ServerRequestParserTest, AnyWayTheBytesArriveGivesTheSameRequest) {
  for (size_t step = 1; step <= kPost.size(); ++step) {
    const Fed fed = feed(kPost, step);
    ASSERT_FALSE(fed.ec) << "steps of " << step << ": " << fed.ec.message();
    ASSERT_TRUE(fed.done) << "steps of " << step;
    EXPECT_EQ(fed.req.method(), bhttp::verb::post);
    EXPECT_EQ(fed.req.target(), "/v1/orders?x=1");
    EXPECT_EQ(fed.req.version(), 11u);
    EXPECT_EQ(fed.req[bhttp::field::host], "example.com");
    EXPECT_EQ(fed.req[bhttp::field::content_type], "application/json");
    EXPECT_EQ(fed.req.body(), "{\"id\":\"a-1\"}\n");
    EXPECT_EQ(std::distance(fed.req.begin(), fed.req.end()), 4);
    EXPECT_TRUE(fed.keep_alive);
    EXPECT_EQ(fed.left, 0u);
  }
}

TEST(ServerRequestParserTest, NotEagerItStopsAtTheHeadAndLeavesTheBody) {
  const Fed fed = feed(kPost, kPost.size(), false);
  ASSERT_FALSE(fed.ec) << fed.ec.message();
  EXPECT_TRUE(fed.header_done);
  EXPECT_FALSE(fed.done);
  EXPECT_EQ(fed.left, 13u);
  EXPECT_TRUE(fed.req.body().empty());
  EXPECT_TRUE(fed.raw_head.empty());  // nobody asked for it
}

TEST(ServerRequestParserTest, ARequestWithoutABodyIsDoneAtItsHead) {
  const Fed fed = feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET", 100);
  ASSERT_TRUE(fed.done);
  EXPECT_EQ(fed.req.version(), 10u);
  EXPECT_TRUE(fed.keep_alive);
  EXPECT_EQ(fed.req[bhttp::field::connection], "keep-alive");  // every field is kept
  EXPECT_EQ(fed.left, 3u);
  EXPECT_FALSE(feed("GET / HTTP/1.0\r\n\r\n", 100).keep_alive);
  EXPECT_FALSE(feed("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 100).keep_alive);
}

TEST(ServerRequestParserTest, AnUnknownMethodIsKeptByName) {
  const Fed fed = feed("BREW /pot HTTP/1.1\r\n\r\n", 100);
  ASSERT_TRUE(fed.done);
  EXPECT_EQ(fed.req.method(), bhttp::verb::unknown);
  EXPECT_EQ(fed.req.method_string(), "BREW");
}

TEST(ServerRequestParserTest, TransferEncodingIsHandedOverWithTheHeadBytes) {
  constexpr std::string_view kHead =
      "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string raw = std::string(kHead) + "5\r\nhello\r\n0\r\n\r\n";
  for (const bool whole : {false, true}) {
    const Fed fed = feed(raw, 7, whole);
    ASSERT_FALSE(fed.ec) << fed.ec.message();
    EXPECT_TRUE(fed.header_done);
    EXPECT_TRUE(fed.hands_over);
    EXPECT_FALSE(fed.done);
    EXPECT_EQ(fed.raw_head, kHead);
  }
  // Even with a Content-Length: the connection refuses the pair.
  EXPECT_TRUE(
      feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 100, false)
          .hands_over);
}

TEST(ServerRequestParserTest, TheHeadIsKeptWhenAskedFor) {
  const Fed fed = feed(kPost, 5, false, [](ServerRequestParser& p) { p.keep_raw_head(true); });
  EXPECT_EQ(fed.raw_head, kPost.substr(0, kPost.find("\r\n\r\n") + 4));
}

TEST(ServerRequestParserTest, MalformedRequestsAreRefused) {
  struct Case {
    std::string_view raw;
    bhttp::error error;
  };
  const Case cases[] = {
      {"GARBAGE\r\n\r\n", bhttp::error::bad_method},
      {"GET\r\n\r\n", bhttp::error::bad_method},
      {" GET / HTTP/1.1\r\n\r\n", bhttp::error::bad_method},
      {"G(T / HTTP/1.1\r\n\r\n", bhttp::error::bad_method},
      {"GET  HTTP/1.1\r\n\r\n", bhttp::error::bad_target},
      {"GET /a b HTTP/1.1\r\n\r\n", bhttp::error::bad_version},
      {"GET /a\x01 HTTP/1.1\r\n\r\n", bhttp::error::bad_target},
      {"GET /a\x7f HTTP/1.1\r\n\r\n", bhttp::error::bad_target},
      {"GET / HTTP/9.9\r\n\r\n", bhttp::error::bad_version},
      {"GET / HTTP/1.2\r\n\r\n", bhttp::error::bad_version},
      {"GET / HTTP/1.1 \r\n\r\n", bhttp::error::bad_version},
      {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", bhttp::error::bad_field},
      {"GET / HTTP/1.1\r\nX: y\nInjected: z\r\n\r\n", bhttp::error::bad_value},
      {"GET / HTTP/1.1\r\nX: 1\r\n folded\r\n\r\n", bhttp::error::bad_field},
      {"POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd",
       bhttp::error::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 4, 4\r\n\r\nabcd", bhttp::error::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", bhttp::error::bad_content_length},
  };
  for (const Case& c : cases) {
    for (const size_t step : {size_t{1}, c.raw.size()}) {
      const Fed fed = feed(c.raw, step);
      EXPECT_EQ(fed.ec, c.error) << c.raw << " in steps of " << step << ": " << fed.ec.message();
      EXPECT_FALSE(fed.header_done) << c.raw;
    }
  }
}

TEST(ServerRequestParserTest, LimitsHold) {
  const auto small = [](ServerRequestParser& p) {
    p.header_limit(64);
    p.body_limit(4);
  };
  const std::string big_head = "GET / HTTP/1.1\r\nX: " + std::string(60, 'a') + "\r\n\r\n";
  for (const size_t step : {size_t{1}, big_head.size()}) {
    EXPECT_EQ(feed(big_head, step, true, small).ec, bhttp::error::header_limit);
  }
  // An announced length over the limit is refused before its body is read.
  EXPECT_EQ(feed("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 100, false, small).ec,
            bhttp::error::body_limit);
  const Fed at = feed("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nfour", 3, true, small);
  ASSERT_TRUE(at.done);
  EXPECT_EQ(at.req.body(), "four");
  // No limit yet (a streaming route may take it): any length passes the
  // head, and nothing is reserved on the client's word.
  const Fed unlimited = feed("POST / HTTP/1.1\r\nContent-Length: 1000000000000\r\n\r\n", 100, false,
                             [](ServerRequestParser& p) { p.body_limit(std::nullopt); });
  ASSERT_FALSE(unlimited.ec) << unlimited.ec.message();
  EXPECT_TRUE(unlimited.header_done);
  EXPECT_LT(unlimited.req.body().capacity(), 1000u);
}

TEST(ServerRequestParserTest, TheCloseInsideARequestIsAPartialMessage) {
  ServerRequestParser parser;
  boost::system::error_code ec;
  const std::string_view raw = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab";
  parser.put(boost::asio::buffer(raw.data(), raw.size()), ec);
  EXPECT_EQ(ec, bhttp::error::need_more);
  parser.put_eof(ec);
  EXPECT_EQ(ec, bhttp::error::partial_message);
}

}  // namespace
}  // namespace junction::http
