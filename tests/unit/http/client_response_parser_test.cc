#include "http/client_response_parser.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <string_view>

namespace junction::http {
namespace {

namespace bhttp = boost::beast::http;

struct Parsed {
  Response res;
  bool keep_alive = false;
};

Parsed parse(std::string_view raw) {
  ClientResponseParser parser;
  parser.eager(true);
  boost::system::error_code ec;
  while (!raw.empty() && !parser.is_done()) {
    const size_t used = parser.put(boost::asio::buffer(raw.data(), raw.size()), ec);
    EXPECT_FALSE(ec) << ec.message();
    if (ec || used == 0) break;
    raw.remove_prefix(used);
  }
  EXPECT_TRUE(parser.is_done());
  const bool keep_alive = parser.keep_alive();
  return {parser.release(), keep_alive};
}

size_t field_count(const Response& res) {
  return static_cast<size_t>(std::distance(res.begin(), res.end()));
}

TEST(ClientResponseParserTest, HopByHopFieldsAreNotStoredAndTheChunkedBodyIsDecoded) {
  const Parsed p = parse(
      "HTTP/1.1 200 OK\r\n"
      "Server: upstream\r\n"
      "Connection: keep-alive\r\n"
      "Keep-Alive: timeout=5\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(p.res.result_int(), 200u);
  EXPECT_EQ(p.res.body(), "hello world");
  EXPECT_TRUE(p.keep_alive);
  EXPECT_EQ(p.res[bhttp::field::server], "upstream");
  EXPECT_EQ(p.res[bhttp::field::content_type], "text/plain");
  EXPECT_EQ(field_count(p.res), 2u);
  EXPECT_FALSE(p.res.chunked());  // the body is whole now
  EXPECT_TRUE(p.res.keep_alive());
}

TEST(ClientResponseParserTest, TheReasonPhraseIsTheAnswersOwn) {
  // Not stored, but reported all the same.
  EXPECT_EQ(parse("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").res.reason(), "Not Found");
  const Parsed own = parse("HTTP/1.1 404 Nothing Here\r\nContent-Length: 2\r\n\r\nno");
  EXPECT_EQ(own.res.reason(), "Nothing Here");
  EXPECT_EQ(own.res.body(), "no");
  EXPECT_EQ(own.res[bhttp::field::content_length], "2");
}

TEST(ClientResponseParserTest, AConnectionFieldThatSaysMoreIsKept) {
  const Parsed closing = parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(closing.keep_alive);
  EXPECT_FALSE(closing.res.keep_alive());
  EXPECT_EQ(closing.res[bhttp::field::connection], "close");

  // A proxy removes the fields it names: it must still see it.
  const Parsed naming = parse(
      "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(naming.res[bhttp::field::connection], "keep-alive, X-Hop");
  EXPECT_EQ(naming.res["X-Hop"], "1");

  // On HTTP/1.0 keep-alive is not the default: the field says something.
  const Parsed old =
      parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(old.keep_alive);
  EXPECT_TRUE(old.res.keep_alive());
}

}  // namespace
}  // namespace junction::http
