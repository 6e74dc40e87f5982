#include "http/connection_pool.h"

#include <sys/socket.h>

#include <cerrno>

#include "core/coarse_clock.h"

namespace junction::http::detail {

namespace {

// A connection idle for less than this is taken without the peek: a server
// rarely closes one that soon, and a request that meets a closed one fails
// before any response byte and is sent again on a new connection. The peek
// is a system call, about 5% of a proxied GET's CPU (bench/gateway).
constexpr auto kTrustedIdle = std::chrono::seconds(1);

// An idle connection must have nothing to read: EOF means the server closed
// it, and unsolicited bytes mean the stream is out of step. Either way it is
// cheaper to drop it now than to fail a request on it.
bool looks_reusable(ClientConnection& conn, bool peek) {
  if (conn.buffer.size() != 0) return false;
  auto& socket = conn.socket();
  if (!socket.is_open()) return false;
  if (!peek) return true;
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::unique_ptr<ClientConnection> ConnectionPool::take(std::string_view origin, bool verify) {
  auto it = idle_.find(origin);
  if (it == idle_.end()) return nullptr;
  auto& conns = it->second;
  const auto now = coarse_steady_now();  // idle times are seconds
  std::unique_ptr<ClientConnection> found;
  while (!conns.empty() && !found) {
    auto conn = std::move(conns.back());
    conns.pop_back();
    const auto idle = now - conn->idle_since;
    if (idle < max_idle_time_ && looks_reusable(*conn, verify || idle >= kTrustedIdle)) {
      found = std::move(conn);
    }
  }
  if (conns.empty()) idle_.erase(it);
  return found;
}

void ConnectionPool::put(std::string_view origin, std::unique_ptr<ClientConnection> conn) {
  if (max_idle_per_host_ == 0) return;  // closes it
  auto it = idle_.find(origin);
  if (it == idle_.end()) it = idle_.try_emplace(std::string(origin)).first;
  auto& conns = it->second;
  if (conns.size() >= max_idle_per_host_) return;
  conn->idle_since = coarse_steady_now();
  conns.push_back(std::move(conn));
}

size_t ConnectionPool::idle() const {
  size_t n = 0;
  for (const auto& [origin, conns] : idle_) n += conns.size();
  return n;
}

}  // namespace junction::http::detail
