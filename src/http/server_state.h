#pragma once

// Internal to the server: shared by the accept loop (server.cc) and the
// connection coroutines (connection.cc). Lives on the server's io_context.

#include <atomic>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>
#include <memory>

#include "http/server.h"

namespace junction::http::detail {

// What the server knows about one connection, so that shutdown can close it.
struct ConnectionSlot {
  // True from a complete request header until its response is written.
  bool busy = false;
  // Closes the socket; set by the connection while its stream exists.
  std::function<void()> close;
  // Cancels whatever the connection awaits, including inside the handler.
  asio::cancellation_signal cancel;
};

using SlotList = std::list<std::shared_ptr<ConnectionSlot>>;

struct ServerState {
  ServerState(asio::io_context& c, ServerOptions o, Handler h)
      : ctx(c),
        options(std::move(o)),
        handler(std::move(h)),
        acceptor(c),
        slot_freed(c, asio::steady_timer::time_point::max()),
        drained(c, asio::steady_timer::time_point::max()) {}

  asio::io_context& ctx;
  ServerOptions options;
  Handler handler;
  SslContextPtr tls;  // set by listen() when options.tls is set
  asio::ip::tcp::acceptor acceptor;
  bool stopping = false;
  std::atomic<bool> started{false};
  SlotList slots;
  std::atomic<size_t> active{0};
  std::atomic<uint64_t> accepted{0};
  // Both used as condition variables: cancelled whenever a connection ends,
  // to wake the accept loop waiting for a free slot, or a draining shutdown.
  asio::steady_timer slot_freed;
  asio::steady_timer drained;

  void connection_ended(const SlotList::iterator& it);
};

// Serves one accepted connection until it closes.
asio::awaitable<void> run_connection(std::shared_ptr<ServerState> state,
                                     std::shared_ptr<ConnectionSlot> slot,
                                     asio::ip::tcp::socket socket);

}  // namespace junction::http::detail
