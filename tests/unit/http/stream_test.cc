// The header-first path of the server (StreamingHooks, RequestStream) and the
// client's streamed exchange (Client::open): bodies relayed piece by piece.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "http/client.h"
#include "http/request_stream.h"
#include "http/server.h"
#include "unit/http/test_support.h"

namespace junction::http {
namespace {

using testing::RawClient;
using testing::starts_with;
using testing::TestServer;

// `total` bytes of a fixed pattern, handed out in pieces of at most `piece`.
class PatternBody : public BodySource {
 public:
  explicit PatternBody(size_t total, size_t piece = 1000, bool fail_midway = false)
      : total_(total), piece_(piece), fail_midway_(fail_midway) {}

  asio::awaitable<Result<size_t>> read_some(std::span<char> into) override {
    if (fail_midway_ && given_ >= total_ / 2) co_return Error::transient("source broke");
    size_t n = std::min({into.size(), piece_, total_ - given_});
    for (size_t i = 0; i < n; ++i) into[i] = byte(given_ + i);
    given_ += n;
    co_return n;
  }

  static char byte(size_t at) { return static_cast<char>('a' + at % 26); }
  static std::string expected(size_t total) {
    std::string out(total, '\0');
    for (size_t i = 0; i < total; ++i) out[i] = byte(i);
    return out;
  }

 private:
  size_t total_;
  size_t piece_;
  bool fail_midway_;
  size_t given_ = 0;
};

asio::awaitable<Response> never_called(Request&, const RequestInfo&) {
  ADD_FAILURE() << "the buffered handler must not run";
  co_return Response{bhttp::status::ok, 11};
}

// Streams requests to /stream/*, with `limit`; reads the body through a
// small buffer and answers with the piece count and the body.
StreamingHooks reading_hooks(uint64_t limit, std::atomic<int>* calls = nullptr) {
  StreamingHooks hooks;
  hooks.select = [limit](const RequestHeader& h) -> std::optional<uint64_t> {
    if (std::string_view(h.target()).starts_with("/stream")) return limit;
    return std::nullopt;
  };
  hooks.handler = [calls](RequestStream& s, const RequestInfo& info) -> asio::awaitable<void> {
    if (calls) ++*calls;
    std::string body;
    char buf[100];
    int pieces = 0;
    for (;;) {
      auto n = co_await s.read_some(buf);
      if (!n) {
        int status = s.body_failure() == RequestStream::BodyFailure::kTooLarge ? 413 : 400;
        co_await s.respond(Response{static_cast<bhttp::status>(status), 11});
        co_return;
      }
      if (*n == 0) break;
      body.append(buf, *n);
      ++pieces;
    }
    Response res{bhttp::status::ok, 11};
    res.set("X-Pieces", std::to_string(pieces));
    res.set("X-Read", std::to_string(s.body_read()));
    res.set("X-Id", info.request_id);
    res.body() = body;
    co_await s.respond(std::move(res));
  };
  return hooks;
}

TEST(StreamTest, SelectedRequestBodyIsReadInPieces) {
  TestServer server(never_called, {}, std::nullopt, reading_hooks(1 << 20));
  Request req{bhttp::verb::post, "/", 11};
  req.body() = PatternBody::expected(1000);
  auto res = server.send(std::move(req), "/stream/a");
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), PatternBody::expected(1000));
  EXPECT_GE(std::stoi(std::string((*res)["X-Pieces"])), 10);
  EXPECT_EQ((*res)["X-Read"], "1000");
  EXPECT_FALSE((*res)["X-Request-Id"].empty());
}

TEST(StreamTest, UnselectedRequestTakesTheBufferedPath) {
  std::atomic<int> calls{0};
  TestServer server(testing::echo_handler, {}, std::nullopt, reading_hooks(1 << 20, &calls));
  Request req{bhttp::verb::post, "/", 11};
  req.body() = "hello";
  auto res = server.send(std::move(req), "/plain");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->body(), "POST /plain hello");
  EXPECT_EQ(calls.load(), 0);
}

TEST(StreamTest, BufferedLimitStillAppliesBesideStreaming) {
  ServerLimits limits;
  limits.max_body_bytes = 100;
  TestServer server(testing::echo_handler, limits, std::nullopt, reading_hooks(1 << 20));
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("POST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n"));
  std::string out = raw.read_until_close();
  EXPECT_TRUE(starts_with(out, "HTTP/1.1 413")) << out;
  // The streaming limit is larger: the same length is streamed there.
  Request req{bhttp::verb::post, "/", 11};
  req.body() = std::string(101, 'x');
  auto res = server.send(std::move(req), "/stream");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->result_int(), 200);
}

TEST(StreamTest, AnnouncedLengthOverStreamLimitIs413WithoutTheHandler) {
  std::atomic<int> calls{0};
  TestServer server(never_called, {}, std::nullopt, reading_hooks(500, &calls));
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 501\r\n\r\n"));
  bool closed = false;
  std::string out = raw.read_until_close(&closed);
  EXPECT_TRUE(starts_with(out, "HTTP/1.1 413")) << out;
  EXPECT_NE(out.find("application/problem+json"), std::string::npos);
  EXPECT_TRUE(closed);
  EXPECT_EQ(calls.load(), 0);
}

TEST(StreamTest, ChunkedBodyOverStreamLimitFailsTheReadAsTooLarge) {
  TestServer server(never_called, {}, std::nullopt, reading_hooks(500));
  RawClient raw(server.port());
  ASSERT_TRUE(
      raw.send("POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "190\r\n" +
               std::string(400, 'a') + "\r\n190\r\n" + std::string(400, 'b') + "\r\n0\r\n\r\n"));
  bool closed = false;
  std::string out = raw.read_until_close(&closed);
  EXPECT_TRUE(starts_with(out, "HTTP/1.1 413")) << out;
  // The body was not read to its end: the connection cannot be reused.
  EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
  EXPECT_TRUE(closed);
}

TEST(StreamTest, ChunkedBodyWithinLimitKeepsTheConnection) {
  TestServer server(never_called, {}, std::nullopt, reading_hooks(1000));
  RawClient raw(server.port());
  std::string req =
      "POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  ASSERT_TRUE(raw.send(req + req));
  std::string first = raw.read_response();
  std::string second = raw.read_response();
  EXPECT_TRUE(first.ends_with("\r\n\r\nabcde")) << first;
  EXPECT_TRUE(second.ends_with("\r\n\r\nabcde")) << second;
}

TEST(StreamTest, ExpectContinueIsAnsweredOnTheFirstRead) {
  TestServer server(never_called, {}, std::nullopt, reading_hooks(1000));
  RawClient raw(server.port());
  ASSERT_TRUE(
      raw.send("POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
               "Expect: 100-continue\r\n\r\n"));
  std::string interim = raw.read_response();
  EXPECT_TRUE(starts_with(interim, "HTTP/1.1 100")) << interim;
  ASSERT_TRUE(raw.send("xyz"));
  std::string out = raw.read_response();
  EXPECT_TRUE(starts_with(out, "HTTP/1.1 200")) << out;
  EXPECT_TRUE(out.ends_with("xyz")) << out;
}

// Relays `total` bytes of the pattern as the response, with or without a
// Content-Length.
StreamingHooks relaying_hooks(size_t total, bool with_length, bool fail_midway = false) {
  StreamingHooks hooks;
  hooks.select = [](const RequestHeader&) -> std::optional<uint64_t> { return 1 << 20; };
  hooks.handler = [=](RequestStream& s, const RequestInfo&) -> asio::awaitable<void> {
    Response head{bhttp::status::ok, 11};
    if (with_length) head.content_length(total);
    PatternBody body(total, 1000, fail_midway);
    co_await s.relay(std::move(head), body);
  };
  return hooks;
}

TEST(StreamTest, RelayWithoutLengthIsChunked) {
  TestServer server(never_called, {}, std::nullopt, relaying_hooks(200000, false));
  auto res = server.get("/x");
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->body(), PatternBody::expected(200000));
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string out = raw.read_until_close();
  EXPECT_NE(out.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_TRUE(out.ends_with("0\r\n\r\n"));
}

TEST(StreamTest, RelayWithLengthIsSentAsIsAndHeadHasNoBody) {
  TestServer server(never_called, {}, std::nullopt, relaying_hooks(5000, true));
  auto res = server.get("/x");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->body(), PatternBody::expected(5000));
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string out = raw.read_until_close();
  EXPECT_NE(out.find("Content-Length: 5000"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("\r\n\r\n")) << out;
}

TEST(StreamTest, HttpTenClientGetsABodyDelimitedByClose) {
  TestServer server(never_called, {}, std::nullopt, relaying_hooks(3000, false));
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.0\r\nHost: x\r\n\r\n"));
  bool closed = false;
  std::string out = raw.read_until_close(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(out.find("chunked"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("\r\n\r\n" + PatternBody::expected(3000)));
}

TEST(StreamTest, RelayBrokenMidwayClosesTheConnection) {
  TestServer server(never_called, {}, std::nullopt, relaying_hooks(10000, true, true));
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  bool closed = false;
  std::string out = raw.read_until_close(&closed);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(starts_with(out, "HTTP/1.1 200")) << out;
  EXPECT_LT(out.size() - out.find("\r\n\r\n") - 4, 10000u);
}

TEST(StreamTest, HandlerThatDoesNotAnswerGets500) {
  StreamingHooks hooks;
  hooks.select = [](const RequestHeader&) -> std::optional<uint64_t> { return 100; };
  hooks.handler = [](RequestStream&, const RequestInfo&) -> asio::awaitable<void> {
    throw std::runtime_error("boom");
    co_return;
  };
  TestServer server(never_called, {}, std::nullopt, hooks);
  auto res = server.get("/");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->result_int(), 500);
  EXPECT_EQ(res->body().find("boom"), std::string::npos);
}

asio::awaitable<Result<std::string>> read_all(BodySource& body) {
  std::string out;
  char buf[777];
  for (;;) {
    auto n = co_await body.read_some(buf);
    if (!n) co_return n.error();
    if (*n == 0) co_return out;
    out.append(buf, *n);
  }
}

TEST(ClientStreamTest, StreamsTheRequestBodyChunkedAndReadsTheResponseInPieces) {
  TestServer server([](Request& req, const RequestInfo&) -> asio::awaitable<Response> {
    Response res{bhttp::status::ok, 11};
    res.set("X-Chunked", req.chunked() ? "yes" : "no");
    res.body() = req.body();
    co_return res;
  });
  auto url = server.url("/echo");
  auto& client = server.client();
  auto got = server.io.run([](Client& c, Url u) -> asio::awaitable<Result<std::string>> {
    PatternBody source(300000, 4096);
    auto opened = co_await c.open(u, Request{bhttp::verb::post, "/", 11}, &source);
    if (!opened) co_return opened.error();
    if (opened->head["X-Chunked"] != "yes") co_return Error::invalid("not chunked");
    co_return co_await read_all(*opened->body);
  }(client, url));
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(*got, PatternBody::expected(300000));
  // Read to its end, the response gave its connection back to the pool.
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(ClientStreamTest, KnownLengthIsSentWithoutChunking) {
  TestServer server([](Request& req, const RequestInfo&) -> asio::awaitable<Response> {
    Response res{bhttp::status::ok, 11};
    res.body() =
        std::string(req.chunked() ? "chunked " : "length ") + std::to_string(req.body().size());
    co_return res;
  });
  auto url = server.url();
  auto got = server.io.run([](Client& c, Url u) -> asio::awaitable<Result<std::string>> {
    PatternBody source(5000);
    Request req{bhttp::verb::put, "/", 11};
    req.content_length(5000);
    auto opened = co_await c.open(u, std::move(req), &source);
    if (!opened) co_return opened.error();
    co_return co_await read_all(*opened->body);
  }(server.client(), url));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "length 5000");
}

TEST(ClientStreamTest, FailingSourceIsReturnedAndTheConnectionDropped) {
  std::atomic<int> served{0};
  TestServer server([&](Request&, const RequestInfo&) -> asio::awaitable<Response> {
    ++served;
    co_return Response{bhttp::status::ok, 11};
  });
  auto url = server.url();
  auto& client = server.client();
  auto got = server.io.run([](Client& c, Url u) -> asio::awaitable<Result<StreamedResponse>> {
    PatternBody source(100000, 1000, true);
    co_return co_await c.open(u, Request{bhttp::verb::post, "/", 11}, &source);
  }(client, url));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message(), "source broke");
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_EQ(served.load(), 0);
}

}  // namespace
}  // namespace junction::http
