#pragma once

// Internal to the client: open connections and the idle pool.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/units.h"
#include "http/watchdog.h"

namespace junction::http::detail {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Exactly one of plain / secure is set. A plain connection is the bare
// socket: Beast's tcp_stream would arm a timer around every operation, and
// the watch below keeps the time limits instead.
struct ClientConnection {
  std::unique_ptr<boost::asio::ip::tcp::socket> plain;
  std::unique_ptr<TlsStream> secure;  // its tcp_stream's own limit only in the handshake
  boost::beast::flat_buffer buffer;   // bytes read past the last response
  std::string header;                 // the request header being written, kept for reuse
  std::chrono::steady_clock::time_point idle_since;
  // The time limit of every exchange once connected; after plain/secure so
  // that it goes first.
  std::optional<Watch> watch;

  boost::asio::ip::tcp::socket& socket() {
    return plain ? *plain : boost::beast::get_lowest_layer(*secure).socket();
  }
};

class ConnectionPool {
 public:
  ConnectionPool(size_t max_idle_per_host, Duration max_idle_time)
      : max_idle_per_host_(max_idle_per_host), max_idle_time_(max_idle_time) {}

  // The most recently used live connection to `origin`, or null. With
  // `verify` (a request that cannot be sent again), even one idle for a
  // moment is checked for a close by the server.
  std::unique_ptr<ClientConnection> take(std::string_view origin, bool verify = false);
  void put(std::string_view origin, std::unique_ptr<ClientConnection> conn);
  size_t idle() const;

 private:
  size_t max_idle_per_host_;
  Duration max_idle_time_;
  // Looked up by string_view without making a string (C++20 heterogeneous lookup).
  struct OriginHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<std::unique_ptr<ClientConnection>>, OriginHash,
                     std::equal_to<>>
      idle_;
};

}  // namespace junction::http::detail
