#include "http/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "unit/http/test_support.h"

namespace junction::http {
namespace {

using testing::IoThread;
using testing::TestServer;

// A socket that listens but never accepts: the kernel completes the TCP
// handshake, so requests are sent and never answered.
class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() { ::close(fd_); }
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  uint16_t port_;
};

// A scripted HTTP/1.1 peer on its own thread: answers the first request on
// its first connection, then closes that connection on the next request
// without answering (as a server whose keep-alive timeout just fired), and
// answers on a second connection.
class ClosingPeer {
 public:
  ClosingPeer() : thread_([this] { serve(); }) {}
  ~ClosingPeer() { thread_.join(); }
  uint16_t port() const { return listener_.port(); }
  int connections() const { return connections_; }

 private:
  static bool read_request(int fd) {
    std::string data;
    char chunk[1024];
    while (data.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) return false;
      data.append(chunk, static_cast<size_t>(n));
    }
    return true;
  }
  static void answer(int fd, std::string_view body) {
    std::string res = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\n\r\n" + std::string(body);
    ::send(fd, res.data(), res.size(), MSG_NOSIGNAL);
  }
  int accept_one() {
    int fd = ::accept(listener_.fd(), nullptr, nullptr);
    if (fd >= 0) ++connections_;
    return fd;
  }
  void serve() {
    int first = accept_one();
    if (read_request(first)) answer(first, "one");
    read_request(first);
    ::close(first);
    int second = accept_one();
    if (read_request(second)) answer(second, "two");
    read_request(second);  // until the client goes away
    ::close(second);
  }

  BlackHole listener_;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

uint16_t unused_port() {
  BlackHole bound;  // bound, then released: nothing listens there afterwards
  return bound.port();
}

Result<Response> send_once(ClientOptions options, const std::string& url) {
  IoThread io;
  return io.run([](asio::any_io_executor ex, ClientOptions opts,
                   std::string text) -> asio::awaitable<Result<Response>> {
    Client client(ex, std::move(opts));
    co_return co_await client.send(parse_url(text).value(), Request{bhttp::verb::get, "/", 11});
  }(io.ctx.get_executor(), std::move(options), url));
}

TEST(ClientTest, UnansweredRequestTimesOutAsTransient) {
  BlackHole server;
  ClientOptions options;
  options.request_timeout = std::chrono::milliseconds(200);
  auto res = send_once(options, "http://127.0.0.1:" + std::to_string(server.port()) + "/");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().cls(), ErrorClass::kTransient);
  EXPECT_NE(res.error().message().find("timed out"), std::string::npos) << res.error().message();
}

TEST(ClientTest, ConnectionRefusedIsTransient) {
  auto res = send_once({}, "http://127.0.0.1:" + std::to_string(unused_port()) + "/");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().cls(), ErrorClass::kTransient);
}

TEST(ClientTest, UnknownHostIsTransient) {
  auto res = send_once({}, "http://no-such-host.invalid/");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().cls(), ErrorClass::kTransient);
}

TEST(ClientTest, ResponseBodyOverLimitIsPermanent) {
  TestServer server([](Request&, const RequestInfo&) -> asio::awaitable<Response> {
    Response res{bhttp::status::ok, 11};
    res.body() = std::string(10000, 'z');
    co_return res;
  });
  ClientOptions options;
  options.max_response_body = 100;
  server.client(options);
  auto res = server.get();
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().cls(), ErrorClass::kPermanent);
}

TEST(ClientTest, StatusCodesAreResponsesNotErrors) {
  TestServer server([](Request&, const RequestInfo&) -> asio::awaitable<Response> {
    co_return Response{bhttp::status::service_unavailable, 11};
  });
  auto res = server.get();
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->result_int(), 503);
}

TEST(ClientTest, SetsHostUserAgentAndContentLength) {
  TestServer server([](Request& req, const RequestInfo&) -> asio::awaitable<Response> {
    Response res{bhttp::status::ok, 11};
    res.body() = std::string(req[bhttp::field::host]) + "|" +
                 std::string(req[bhttp::field::user_agent]) + "|" +
                 std::string(req[bhttp::field::content_length]);
    co_return res;
  });
  Request req{bhttp::verb::put, "/ignored", 11};
  req.body() = "12345";
  auto res = server.send(std::move(req), "/x");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->body(), "127.0.0.1:" + std::to_string(server.port()) + "|junction/0.1|5");
}

TEST(ClientTest, ReconnectsAfterServerClosedIdleConnection) {
  ServerLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(20);
  TestServer server(testing::echo_handler, limits);
  ASSERT_TRUE(server.get("/1").ok());
  // Outlast the server's idle timeout so that the pooled connection is dead.
  ASSERT_TRUE(testing::eventually([&] { return server.server().active_connections() == 0; }));
  auto res = server.get("/2");
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->body(), "GET /2 ");
  EXPECT_EQ(server.server().accepted_connections(), 2u);
}

TEST(ClientTest, RetriesOnceWhenPooledConnectionIsStale) {
  ClosingPeer peer;
  IoThread io;
  auto url = parse_url("http://127.0.0.1:" + std::to_string(peer.port()) + "/").value();
  auto bodies = io.run([](asio::any_io_executor ex, Url u) -> asio::awaitable<std::string> {
    Client client(ex, {});
    std::string out;
    for (int i = 0; i < 2; ++i) {
      auto res = co_await client.send(u, Request{bhttp::verb::get, "/", 11});
      out += res.ok() ? res->body() : "error: " + res.error().message();
      out += ";";
    }
    co_return out;
  }(io.ctx.get_executor(), url));
  EXPECT_EQ(bodies, "one;two;");
  EXPECT_EQ(peer.connections(), 2);
}

TEST(ClientTest, ServerConnectionCloseIsNotPooled) {
  TestServer server([](Request&, const RequestInfo&) -> asio::awaitable<Response> {
    Response res{bhttp::status::ok, 11};
    res.keep_alive(false);
    co_return res;
  });
  ASSERT_TRUE(server.get().ok());
  ASSERT_TRUE(server.get().ok());
  EXPECT_EQ(server.client().idle_connections(), 0u);
  EXPECT_EQ(server.server().accepted_connections(), 2u);
}

}  // namespace
}  // namespace junction::http
