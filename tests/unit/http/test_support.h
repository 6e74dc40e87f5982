#pragma once

// Shared by the http tests: an io_context on its own thread, a server on an
// ephemeral loopback port, and a raw POSIX client for byte-exact requests.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "http/client.h"
#include "http/server.h"

namespace junction::http {
namespace bhttp = boost::beast::http;
}

namespace junction::http::testing {

class IoThread {
 public:
  IoThread() : thread_([this] { ctx.run(); }) {}
  ~IoThread() {
    guard_.reset();
    ctx.stop();
    thread_.join();
  }

  // Runs the coroutine on the io thread and waits for its result.
  template <class T>
  T run(asio::awaitable<T> aw) {
    if constexpr (std::is_void_v<T>) {
      asio::co_spawn(ctx, std::move(aw), asio::use_future).get();
    } else {
      return *asio::co_spawn(ctx, as_optional(std::move(aw)), asio::use_future).get();
    }
  }

  // co_spawn needs a default-constructible result, which Result is not.
  template <class T>
  static asio::awaitable<std::optional<T>> as_optional(asio::awaitable<T> aw) {
    co_return co_await std::move(aw);
  }

  asio::io_context ctx;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ctx.get_executor()};
  std::thread thread_;
};

inline asio::awaitable<Response> echo_handler(Request& req, const RequestInfo& info) {
  Response res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::content_type, "text/plain");
  res.set("X-Seen-Request-Id", info.request_id);
  res.set("X-Seen-Subject", info.client_subject);
  res.set("X-Seen-Tls", info.tls ? "yes" : "no");
  res.set("X-Seen-Remote", info.remote_address);
  res.body() =
      std::string(req.method_string()) + " " + std::string(req.target()) + " " + req.body();
  co_return res;
}

class TestServer {
 public:
  explicit TestServer(Handler handler = echo_handler, ServerLimits limits = {},
                      std::optional<TlsOptions> tls = std::nullopt, StreamingHooks streaming = {}) {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.limits = limits;
    options.tls = std::move(tls);
    options.streaming = std::move(streaming);
    scheme_ = options.tls ? "https" : "http";
    server_ = std::make_unique<Server>(io.ctx, std::move(options), std::move(handler));
    auto port = server_->listen();
    EXPECT_TRUE(port.ok()) << (port.ok() ? "" : port.error().message());
    if (port.ok()) port_ = *port;
    server_->start();
  }
  ~TestServer() {
    io.run(server_->shutdown(std::chrono::seconds(5)));
    server_.reset();
    io.run(destroy_client());
  }

  uint16_t port() const { return port_; }
  Server& server() { return *server_; }
  Url url(const std::string& target = "/") {
    return parse_url(scheme_ + "://127.0.0.1:" + std::to_string(port_) + target).value();
  }

  // A client on the io thread; destroyed there too.
  Client& client(ClientOptions options = {}) {
    if (!client_) client_ = std::make_unique<Client>(io.ctx.get_executor(), std::move(options));
    return *client_;
  }
  Result<Response> send(Request req, const std::string& target = "/") {
    return io.run(client().send(url(target), std::move(req)));
  }
  Result<Response> get(const std::string& target = "/") {
    return send(Request{bhttp::verb::get, "/", 11}, target);
  }

  IoThread io;

 private:
  asio::awaitable<void> destroy_client() {
    client_.reset();
    co_return;
  }

  std::string scheme_;
  uint16_t port_ = 0;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> client_;
};

// Blocking, with a receive timeout so that a broken server fails the test
// instead of hanging it.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }

  bool connected() const { return connected_; }

  // Shuts down the sending side: the server reads EOF after what was sent.
  void finish_sending() { ::shutdown(fd_, SHUT_WR); }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Everything until the peer closes; `closed` tells EOF from the timeout.
  std::string read_until_close(bool* closed = nullptr) {
    while (fill()) {
    }
    if (closed) *closed = eof_;
    return std::exchange(buffer_, {});
  }

  // One response, using its Content-Length; empty on EOF or timeout.
  std::string read_response() {
    for (;;) {
      auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t total = end + 4 + content_length(buffer_.substr(0, end));
        if (buffer_.size() >= total) {
          std::string out = buffer_.substr(0, total);
          buffer_.erase(0, total);
          return out;
        }
      }
      if (!fill()) return {};
    }
  }

 private:
  bool fill() {
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  static size_t content_length(const std::string& head) {
    std::string lower = head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto pos = lower.find("\r\ncontent-length:");
    if (pos == std::string::npos) return 0;
    return std::stoul(lower.substr(pos + 17));
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

// For state that settles just after the peer saw its effect (a connection's
// bookkeeping ends after its socket closed). Gives up after 10 s.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 1000 && !pred(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

inline bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace junction::http::testing
