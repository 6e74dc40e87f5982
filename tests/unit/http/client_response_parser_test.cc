#include "http/client_response_parser.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <string_view>

#include "unit/http/feed_in_steps.h"

namespace junction::http {
namespace {

namespace bhttp = boost::beast::http;

struct Parsed {
  Response res;
  bool keep_alive = false;
};

// Feeds `raw` to `parser` until it is done, expecting no error.
Parsed parse_with(ClientResponseParser& parser, std::string_view raw) {
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

Parsed parse(std::string_view raw) {
  ClientResponseParser parser;
  return parse_with(parser, raw);
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

// As read_parsed feeds it: the unconsumed bytes so far, `step` more at a
// time, then the close if `close` says so. Returns the error, if any.
struct Fed {
  boost::system::error_code ec;
  Response res;
  bool done = false;
  bool keep_alive = false;
  bool need_eof = false;
  size_t left = 0;  // bytes after the message, unconsumed
};

Fed feed(std::string_view raw, size_t step, bool close = false,
         void (*setup)(ClientResponseParser&) = nullptr) {
  ClientResponseParser parser;
  if (setup) setup(parser);
  Fed out;
  const auto steps = testing::feed_in_steps(parser, raw, step, [&] { return parser.is_done(); });
  out.ec = steps.ec;
  out.left = steps.left;
  if (!out.ec && !parser.is_done() && close) parser.put_eof(out.ec);
  out.done = parser.is_done();
  out.keep_alive = parser.keep_alive();
  out.need_eof = parser.need_eof();
  out.res = parser.release();
  return out;
}

constexpr std::string_view kChunked =
    "HTTP/1.1 200 OK\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "5;name=value\r\nhello\r\n"
    "6\r\n world\r\n"
    "0\r\n"
    "Checksum: abc\r\n"
    "\r\n";

TEST(ClientResponseParserTest, AnyWayTheBytesArriveGivesTheSameMessage) {
  const std::string_view framed[] = {
      kChunked,
      "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nServer: up\r\n\r\nhello world",
      "HTTP/1.1 404 Gone Away\r\nContent-Length: 0\r\n\r\n",
  };
  for (const std::string_view raw : framed) {
    const Fed whole = feed(raw, raw.size());
    ASSERT_FALSE(whole.ec) << raw << ": " << whole.ec.message();
    ASSERT_TRUE(whole.done) << raw;
    for (size_t step = 1; step < raw.size(); ++step) {
      const Fed split = feed(raw, step);
      ASSERT_FALSE(split.ec) << raw << " in steps of " << step << ": " << split.ec.message();
      ASSERT_TRUE(split.done) << raw << " in steps of " << step;
      EXPECT_EQ(split.res.result_int(), whole.res.result_int());
      EXPECT_EQ(split.res.reason(), whole.res.reason());
      EXPECT_EQ(split.res.body(), whole.res.body());
      EXPECT_EQ(field_count(split.res), field_count(whole.res));
      EXPECT_EQ(split.left, 0u);
    }
  }
  const Fed chunked = feed(kChunked, kChunked.size());
  EXPECT_EQ(chunked.res.body(), "hello world");
  EXPECT_EQ(field_count(chunked.res), 1u);  // the trailer is dropped
}

TEST(ClientResponseParserTest, BytesAfterTheMessageAreLeftForTheNextOne) {
  const Fed fed = feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1", 100);
  ASSERT_TRUE(fed.done);
  EXPECT_EQ(fed.res.body(), "ok");
  EXPECT_EQ(fed.left, 8u);
}

TEST(ClientResponseParserTest, ABodyWithoutFramingEndsAtTheClose) {
  const Fed open = feed("HTTP/1.1 200 OK\r\nServer: up\r\n\r\nstill coming", 5);
  EXPECT_FALSE(open.done);
  const Fed closed = feed("HTTP/1.1 200 OK\r\nServer: up\r\n\r\nall of it", 5, true);
  ASSERT_FALSE(closed.ec) << closed.ec.message();
  ASSERT_TRUE(closed.done);
  EXPECT_EQ(closed.res.body(), "all of it");
  EXPECT_TRUE(closed.need_eof);
  EXPECT_FALSE(closed.keep_alive);

  // Another coding than chunked last: the close frames it too.
  const Fed gzip = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", 100, true);
  ASSERT_TRUE(gzip.done);
  EXPECT_EQ(gzip.res.body(), "zz");
  EXPECT_TRUE(gzip.need_eof);
}

TEST(ClientResponseParserTest, AMessageCutShortIsAPartialMessage) {
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 100, true).ec,
            bhttp::error::partial_message);
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Le", 100, true).ec, bhttp::error::partial_message);
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 100, true).ec,
            bhttp::error::partial_message);
}

TEST(ClientResponseParserTest, AnswersWithoutABodyEndAtTheirHead) {
  for (const std::string_view raw : {"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
                                     "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"}) {
    const Fed fed = feed(raw, 100);
    ASSERT_TRUE(fed.done) << raw;
    EXPECT_TRUE(fed.res.body().empty());
    EXPECT_TRUE(fed.keep_alive);
  }
  const Fed head = feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 100, false,
                        [](ClientResponseParser& p) { p.skip(true); });
  ASSERT_TRUE(head.done);
  EXPECT_EQ(head.res[bhttp::field::content_length], "10");
  EXPECT_TRUE(head.res.body().empty());
}

TEST(ClientResponseParserTest, InterimAnswersAreSkipped) {
  const Fed fed = feed(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
      3);
  ASSERT_FALSE(fed.ec) << fed.ec.message();
  ASSERT_TRUE(fed.done);
  EXPECT_EQ(fed.res.result_int(), 201u);
  EXPECT_EQ(fed.res.body(), "ok");
  EXPECT_EQ(fed.res.count("Link"), 0u);
}

TEST(ClientResponseParserTest, AmbiguousFramingIsRefused) {
  // Both framings: which one wins is what smuggling plays on.
  EXPECT_EQ(
      feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 100).ec,
      bhttp::error::bad_transfer_encoding);
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk", 100).ec,
            bhttp::error::bad_content_length);
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", 100).ec,
            bhttp::error::bad_content_length);
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", 100).ec,
            bhttp::error::bad_content_length);
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 100).ec,
            bhttp::error::bad_content_length);
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 100).ec,
            bhttp::error::bad_transfer_encoding);
  EXPECT_EQ(
      feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
           100)
          .ec,
      bhttp::error::bad_transfer_encoding);
  // The same length twice says one thing.
  const Fed same = feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 100);
  ASSERT_TRUE(same.done);
  EXPECT_EQ(same.res.body(), "ok");
}

TEST(ClientResponseParserTest, MalformedHeadsAreRefused) {
  struct Case {
    std::string_view raw;
    bhttp::error error;
  };
  const Case cases[] = {
      {"HTTP/2.0 200 OK\r\n\r\n", bhttp::error::bad_version},
      {"HTTP/1.2 200 OK\r\n\r\n", bhttp::error::bad_version},
      {"HTTX/1.1 200 OK\r\n\r\n", bhttp::error::bad_version},
      {"HTTP/1.1 2x0 OK\r\n\r\n", bhttp::error::bad_status},
      {"HTTP/1.1 099 Low\r\n\r\n", bhttp::error::bad_status},
      {"HTTP/1.1 2000 OK\r\n\r\n", bhttp::error::bad_status},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", bhttp::error::bad_reason},
      {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", bhttp::error::bad_field},
      {"HTTP/1.1 200 OK\r\nName : x\r\n\r\n", bhttp::error::bad_field},
      {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", bhttp::error::bad_field},
      {"HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n", bhttp::error::bad_field},
      {"HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\n\r\n", bhttp::error::bad_value},
      {"HTTP/1.1 200 OK\r\nA: 1\rB: 2\r\n\r\n", bhttp::error::bad_value},
      {"HTTP/1.1 200 OK\r\nA: a\x7f\r\n\r\n", bhttp::error::bad_value},
      // Long values are checked a word at a time: a bad byte anywhere in one.
      {"HTTP/1.1 200 OK\r\nA: abcdefghijklm\x01nopqrstuvwxyz\r\n\r\n", bhttp::error::bad_value},
      {"HTTP/1.1 200 OK\r\nA: abcdefg\x7fhijklmnopqrstuvwxyz\r\n\r\n", bhttp::error::bad_value},
      {"HTTP/1.1 200 OK\r\nA: \xff\xfe\xfd\xfc\xfb\xfa\xf9\x1f\r\n\r\n", bhttp::error::bad_value},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", bhttp::error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n",
       bhttp::error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\n",
       bhttp::error::bad_chunk_extension},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
       bhttp::error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n",
       bhttp::error::bad_field},
  };
  for (const Case& c : cases) {
    for (const size_t step : {size_t{1}, c.raw.size()}) {
      const Fed fed = feed(c.raw, step);
      EXPECT_EQ(fed.ec, c.error) << c.raw << " in steps of " << step << ": " << fed.ec.message();
      EXPECT_FALSE(fed.done) << c.raw;
    }
  }
}

TEST(ClientResponseParserTest, TabsAndObsTextAreValueCharacters) {
  const Fed fed = feed(
      "HTTP/1.1 200 OK\r\nX-Long: tab\there and caf\xc3\xa9 \xff and more words\t\r\n"
      "Content-Length: 0\r\n\r\n",
      100);
  ASSERT_FALSE(fed.ec) << fed.ec.message();
  EXPECT_EQ(fed.res["X-Long"], "tab\there and caf\xc3\xa9 \xff and more words");
}

TEST(ClientResponseParserTest, LimitsHoldWhicheverWayTheBodyIsFramed) {
  const auto small = [](ClientResponseParser& p) {
    p.header_limit(64);
    p.body_limit(4);
  };
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 100, false, small).ec,
            bhttp::error::body_limit);
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n", 1,
                 false, small)
                .ec,
            bhttp::error::body_limit);
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\n\r\nhello", 1, true, small).ec, bhttp::error::body_limit);
  const std::string big_head = "HTTP/1.1 200 OK\r\nX: " + std::string(60, 'a') + "\r\n\r\n";
  for (const size_t step : {size_t{1}, big_head.size()}) {
    EXPECT_EQ(feed(big_head, step, false, small).ec, bhttp::error::header_limit);
  }
  const std::string big_trailer =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + std::string(70, 'a') +
      "\r\n\r\n";
  EXPECT_EQ(feed(big_trailer, 7, false, small).ec, bhttp::error::header_limit);
  // Exactly at the limits is fine.
  const Fed at = feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfour", 3, false, small);
  ASSERT_FALSE(at.ec) << at.ec.message();
  EXPECT_EQ(at.res.body(), "four");
}

// Relayed: the end-to-end fields become lines, in the answer's order, the
// hop-by-hop ones and the proxy's own dropped, Content-Length still stored.
struct Relayed {
  Parsed parsed;
  std::string lines;
};

Relayed relay(std::string_view raw, const FieldNames* dropped = nullptr,
              std::string lines = "Before: kept\r\n", size_t from = 14) {
  ClientResponseParser parser;
  parser.relay_fields({&lines, from, dropped});
  Parsed parsed = parse_with(parser, raw);
  return {std::move(parsed), lines};
}

TEST(ClientResponseParserTest, RelayedFieldsBecomeLinesAndNoneIsStored) {
  FieldNames dropped;
  dropped.add("Server").add_prefix("RateLimit-");
  const Relayed r = relay(
      "HTTP/1.1 200 OK\r\n"
      "server: upstream\r\n"
      "Date: Fri, 27 Nov 2026 09:00:00 GMT\r\n"
      "Keep-Alive: timeout=5\r\n"
      "Content-Type:   text/plain  \r\n"
      "RATELIMIT-Remaining: 3\r\n"
      "Content-Length: 5\r\n"
      "Connection: keep-alive\r\n"
      "Set-Cookie: a=1\r\n"
      "Set-Cookie: b=2\r\n"
      "\r\n"
      "hello",
      &dropped);
  EXPECT_EQ(r.parsed.res.body(), "hello");
  EXPECT_TRUE(r.parsed.keep_alive);
  EXPECT_EQ(r.lines,
            "Before: kept\r\n"
            "Date: Fri, 27 Nov 2026 09:00:00 GMT\r\n"
            "Content-Type: text/plain\r\n"
            "Set-Cookie: a=1\r\n"
            "Set-Cookie: b=2\r\n");
  EXPECT_EQ(field_count(r.parsed.res), 0u);  // the server writes the body's length
}

TEST(ClientResponseParserTest, ARelayedAnswerWithoutItsBodyKeepsItsLength) {
  ClientResponseParser head;
  std::string lines;
  head.skip(true);
  head.relay_fields({&lines, 0, nullptr});
  boost::system::error_code ec;
  const std::string_view raw = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-A: 1\r\n\r\n";
  head.put(boost::asio::buffer(raw.data(), raw.size()), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(head.get()[bhttp::field::content_length], "1234");
  const Relayed not_modified =
      relay("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\nETag: \"x\"\r\n\r\n");
  EXPECT_EQ(not_modified.parsed.res[bhttp::field::content_length], "99");
  EXPECT_EQ(not_modified.lines, "Before: kept\r\nETag: \"x\"\r\n");
}

TEST(ClientResponseParserTest, RelayingCutsTheLinesBackToWhereTheExchangeBegan) {
  // What an earlier attempt left goes; what was there before it stays.
  const Relayed r = relay("HTTP/1.1 204 No Content\r\nX-New: 1\r\n\r\n", nullptr,
                          "Before: kept\r\nX-Old-Attempt: 1\r\n");
  EXPECT_EQ(r.lines, "Before: kept\r\nX-New: 1\r\n");
  // An interim answer's fields are not the final answer's.
  const Relayed interim = relay(
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Final: 1\r\n\r\n");
  EXPECT_EQ(interim.lines, "Before: kept\r\nX-Final: 1\r\n");
}

TEST(ClientResponseParserTest, AConnectionThatNamesFieldsHasThemStoredForTheProxyToRemove) {
  const Relayed r = relay(
      "HTTP/1.1 200 OK\r\n"
      "X-Hop: 1\r\n"
      "Content-Type: text/plain\r\n"
      "Connection: X-Hop\r\n"
      "Content-Length: 0\r\n"
      "\r\n");
  EXPECT_EQ(r.lines, "Before: kept\r\n");
  EXPECT_EQ(r.parsed.res["X-Hop"], "1");
  EXPECT_EQ(r.parsed.res[bhttp::field::content_type], "text/plain");
  EXPECT_EQ(r.parsed.res[bhttp::field::connection], "X-Hop");
  // "close" names no field: the fields stay lines.
  const Relayed closing =
      relay("HTTP/1.1 200 OK\r\nX-Mine: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(closing.lines, "Before: kept\r\nX-Mine: 1\r\n");
  EXPECT_FALSE(closing.parsed.keep_alive);
}

TEST(ClientResponseParserTest, RelayingRefusesWhatStoringRefuses) {
  for (const std::string_view bad : {
           "HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       }) {
    std::string lines;
    ClientResponseParser parser;
    parser.relay_fields({&lines, 0, nullptr});
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(bad.data(), bad.size()), ec);
    EXPECT_TRUE(ec && ec != bhttp::error::need_more) << bad;
  }
}

TEST(FieldNamesTest, WholeNamesAndPrefixesWithoutCase) {
  FieldNames n;
  n.add("Retry-After").add_prefix("RateLimit-");
  const std::pair<std::string_view, bool> cases[] = {
      {"retry-after", true},      {"RateLimit-Limit", true}, {"ratelimit-policy", true},
      {"Retry-After-Not", false}, {"RateLimit", false},      {"X-RateLimit-Limit", false},
  };
  for (const auto& [name, in] : cases) EXPECT_EQ(n.contains(name), in) << name;
}

}  // namespace
}  // namespace junction::http
