#include "http/server.h"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "http/client.h"
#include "unit/http/test_support.h"

namespace junction::http {
namespace {

using testing::RawClient;
using testing::starts_with;
using testing::TestServer;
using namespace std::chrono_literals;

TEST(ServerTest, GetRoundTrip) {
  TestServer server;
  auto res = server.get("/hello?x=1");
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), "GET /hello?x=1 ");
  EXPECT_EQ((*res)[bhttp::field::server], "junction");
  EXPECT_EQ((*res)["X-Seen-Tls"], "no");
  EXPECT_EQ((*res)["X-Seen-Remote"], "127.0.0.1");
}

TEST(ServerTest, PostRoundTrip) {
  TestServer server;
  Request req{bhttp::verb::post, "/", 11};
  req.set(bhttp::field::content_type, "application/json");
  req.body() = R"({"order":42})";
  auto res = server.send(std::move(req), "/orders");
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), R"(POST /orders {"order":42})");
}

TEST(ServerTest, KeepAliveReusesOneConnection) {
  TestServer server;
  for (int i = 0; i < 5; ++i) {
    auto res = server.get("/n" + std::to_string(i));
    ASSERT_TRUE(res.ok()) << res.error().message();
    EXPECT_EQ(res->body(), "GET /n" + std::to_string(i) + " ");
  }
  EXPECT_EQ(server.server().accepted_connections(), 1u);
  EXPECT_EQ(server.client().idle_connections(), 1u);
}

TEST(ServerTest, PipelinedRequestsAnsweredInOrder) {
  TestServer server;
  RawClient raw(server.port());
  ASSERT_TRUE(
      raw.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
               "POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
               "GET /third HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string first = raw.read_response();
  std::string second = raw.read_response();
  std::string third = raw.read_response();
  EXPECT_TRUE(starts_with(first, "HTTP/1.1 200")) << first;
  EXPECT_NE(first.find("GET /first "), std::string::npos) << first;
  EXPECT_NE(second.find("POST /second abc"), std::string::npos) << second;
  EXPECT_NE(third.find("GET /third "), std::string::npos) << third;
  bool closed = false;
  EXPECT_EQ(raw.read_until_close(&closed), "");
  EXPECT_TRUE(closed);
}

TEST(ServerTest, Http10ClosesByDefault) {
  TestServer server;
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("GET /old HTTP/1.0\r\n\r\n"));
  bool closed = false;
  std::string out = raw.read_until_close(&closed);
  EXPECT_TRUE(starts_with(out, "HTTP/1.0 200")) << out;
  EXPECT_TRUE(closed);
}

TEST(ServerTest, AClientThatHalfClosesAfterItsRequestGetsTheAnswerThenTheClose) {
  // The server must see the end of the stream at once after answering, not
  // hold the connection until its idle timeout (60 s, past the raw
  // client's 10 s wait). The second request and the FIN are sent while the
  // first is being answered, so that both wait in the socket together: a
  // FIN queued behind data brings no event of its own once the data is read.
  TestServer server([](Request& req, const RequestInfo& info) -> asio::awaitable<Response> {
    if (req.target() == "/slow") {
      asio::steady_timer pause(co_await asio::this_coro::executor, 300ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    co_return co_await testing::echo_handler(req, info);
  });
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(100ms);  // the server has read the first request
  ASSERT_TRUE(raw.send("GET /last HTTP/1.1\r\nHost: x\r\n\r\n"));
  raw.finish_sending();
  std::string first = raw.read_response();
  std::string second = raw.read_response();
  EXPECT_NE(first.find("GET /slow "), std::string::npos) << first;
  EXPECT_NE(second.find("GET /last "), std::string::npos) << second;
  bool closed = false;
  EXPECT_EQ(raw.read_until_close(&closed), "");
  EXPECT_TRUE(closed);
}

TEST(ServerTest, HeadHasLengthButNoBody) {
  TestServer server;
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string out = raw.read_until_close();
  EXPECT_TRUE(starts_with(out, "HTTP/1.1 200")) << out;
  EXPECT_NE(out.find("Content-Length: 8\r\n"), std::string::npos) << out;  // "HEAD /h "
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "");
}

TEST(ServerTest, HandlerExceptionIs500AndConnectionSurvives) {
  TestServer server([](Request& req, const RequestInfo& info) -> asio::awaitable<Response> {
    if (req.target() == "/throw") throw std::runtime_error("secret database password");
    co_return co_await testing::echo_handler(req, info);
  });
  auto failed = server.get("/throw");
  ASSERT_TRUE(failed.ok()) << failed.error().message();
  EXPECT_EQ(failed->result_int(), 500);
  EXPECT_EQ((*failed)[bhttp::field::content_type], "application/problem+json");
  EXPECT_EQ(failed->body().find("secret"), std::string::npos);
  auto json = boost::json::parse(failed->body()).as_object();
  EXPECT_EQ(json.at("type").as_string(), "https://junction.dev/problems/internal-error");
  EXPECT_EQ(json.at("request_id").as_string(), (*failed)["X-Request-Id"]);

  auto ok = server.get("/fine");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->result_int(), 200);
  EXPECT_EQ(server.server().accepted_connections(), 1u);
}

TEST(ServerTest, KeepsSaneRequestId) {
  TestServer server;
  Request req{bhttp::verb::get, "/", 11};
  req.set("X-Request-Id", "abc-123.X_y");
  auto res = server.send(std::move(req));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ((*res)["X-Request-Id"], "abc-123.X_y");
  EXPECT_EQ((*res)["X-Seen-Request-Id"], "abc-123.X_y");
}

TEST(ServerTest, ReplacesInsaneRequestId) {
  TestServer server;
  for (std::string bad : {std::string("has spaces"), std::string("semi;colon"),
                          std::string(129, 'a'), std::string()}) {
    Request req{bhttp::verb::get, "/", 11};
    if (!bad.empty()) req.set("X-Request-Id", bad);
    auto res = server.send(std::move(req));
    ASSERT_TRUE(res.ok());
    std::string id((*res)["X-Request-Id"]);
    EXPECT_NE(id, bad);
    EXPECT_EQ(id.size(), 26u) << id;
    EXPECT_EQ((*res)["X-Seen-Request-Id"], id);
  }
}

TEST(ServerTest, ConnectionsBeyondTheLimitWaitForAFreeSlot) {
  ServerLimits limits;
  limits.max_connections = 1;
  TestServer server(testing::echo_handler, limits);
  auto waiting = std::make_unique<RawClient>(server.port());
  ASSERT_TRUE(testing::eventually([&] { return server.server().accepted_connections() == 1; }));
  auto url = server.url("/later");
  auto response = asio::co_spawn(
      server.io.ctx,
      testing::IoThread::as_optional(server.client().send(url, Request{bhttp::verb::get, "/", 11})),
      asio::use_future);
  waiting.reset();  // frees the only slot
  auto res = *response.get();
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->body(), "GET /later ");
  EXPECT_EQ(server.server().accepted_connections(), 2u);
}

TEST(ServerTest, ListenFailsWhenAddressInUse) {
  TestServer first;
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = first.port();
  Server second(first.io.ctx, options, testing::echo_handler);
  auto port = second.listen();
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().message().find("cannot listen"), std::string::npos);
}

TEST(ServerTest, ListenRejectsBadTlsFiles) {
  testing::IoThread io;
  ServerOptions options;
  options.host = "127.0.0.1";
  options.tls = TlsOptions{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  Server server(io.ctx, options, testing::echo_handler);
  auto port = server.listen();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error().cls(), ErrorClass::kInvalid);
}

}  // namespace
}  // namespace junction::http
