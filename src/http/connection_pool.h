#pragma once

// Internal to the client: open connections and the idle pool.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/units.h"

namespace junction::http::detail {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Exactly one of plain / secure is set.
struct ClientConnection {
  std::unique_ptr<boost::beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> secure;
  boost::beast::flat_buffer buffer;  // bytes read past the last response
  std::chrono::steady_clock::time_point idle_since;

  boost::beast::tcp_stream& tcp() {
    return plain ? *plain : boost::beast::get_lowest_layer(*secure);
  }
};

class ConnectionPool {
 public:
  ConnectionPool(size_t max_idle_per_host, Duration max_idle_time)
      : max_idle_per_host_(max_idle_per_host), max_idle_time_(max_idle_time) {}

  // The most recently used live connection to `origin`, or null.
  std::unique_ptr<ClientConnection> take(const std::string& origin);
  void put(const std::string& origin, std::unique_ptr<ClientConnection> conn);
  size_t idle() const;

 private:
  size_t max_idle_per_host_;
  Duration max_idle_time_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<ClientConnection>>> idle_;
};

}  // namespace junction::http::detail
