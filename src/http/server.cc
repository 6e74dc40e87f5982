#include "http/server.h"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/drained_read.h"
#include "http/server_state.h"

namespace junction::http {

namespace detail {

namespace {

using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

void close_slot(ConnectionSlot& slot) {
  if (slot.close) slot.close();
}

void force_close(ConnectionSlot& slot) {
  slot.cancel.emit(asio::cancellation_type::terminal);
  close_slot(slot);
}

void stop_accepting(ServerState& st) {
  st.stopping = true;
  boost::system::error_code ignored;
  st.acceptor.close(ignored);
  st.slot_freed.cancel();
}

Result<asio::ip::address> listen_address(const std::string& host) {
  if (host.empty() || host == "*") return asio::ip::address(asio::ip::address_v4::any());
  if (host == "localhost") return asio::ip::address(asio::ip::address_v4::loopback());
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  // Names other than localhost would need a blocking resolve; listen
  // addresses are IPs in practice.
  if (ec) return Error::invalid("listen host '" + host + "' is not an IP address");
  return addr;
}

void spawn_connection(const std::shared_ptr<ServerState>& st, tcp::socket socket) {
  auto slot = std::make_shared<ConnectionSlot>();
  st->slots.push_front(slot);
  auto it = st->slots.begin();
  st->active.fetch_add(1);
  st->accepted.fetch_add(1);
  asio::co_spawn(
      st->ctx, run_connection(st, slot, std::move(socket)),
      asio::bind_cancellation_slot(slot->cancel.slot(),
                                   // Holds the slot: its signal must outlive the coroutine.
                                   [st, slot, it](std::exception_ptr) {
                                     // Errors end the connection only.
                                     st->connection_ended(it);
                                   }));
}

asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> st) {
  while (!st->stopping) {
    if (st->active.load() >= st->options.limits.max_connections) {
      // Backpressure: leave new connections in the kernel backlog until one ends.
      co_await st->slot_freed.async_wait(kNoThrow);
      continue;
    }
    auto [ec, socket] = co_await st->acceptor.async_accept(kNoThrow);
    if (st->stopping) break;
    if (ec) {
      if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
      // Out of descriptors or a connection aborted in the backlog: pause
      // briefly rather than spin, then keep serving.
      asio::steady_timer pause(st->ctx, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    spawn_connection(st, std::move(socket));
  }
}

}  // namespace

void ServerState::connection_ended(const SlotList::iterator& it) {
  (*it)->close = nullptr;
  slots.erase(it);
  active.fetch_sub(1);
  slot_freed.cancel();
  drained.cancel();
}

}  // namespace detail

Server::Server(asio::io_context& ctx, ServerOptions options, Handler handler)
    : state_(std::make_shared<detail::ServerState>(ctx, std::move(options), std::move(handler))) {}

Server::~Server() {
  // The io_context may be running on another thread: close from inside it.
  asio::post(state_->ctx, [st = state_] {
    detail::stop_accepting(*st);
    // Copy: force_close may end a connection and erase it from the list.
    auto slots = st->slots;
    for (auto& slot : slots) detail::force_close(*slot);
  });
}

Result<uint16_t> Server::listen() {
  auto& st = *state_;
  const auto& opts = st.options;
  if (opts.tls) {
    auto ctx = detail::make_server_tls_context(*opts.tls);
    if (!ctx) return ctx.error();
    st.tls = std::move(*ctx);
  }
  auto addr = detail::listen_address(opts.host);
  if (!addr) return addr.error();
  asio::ip::tcp::endpoint endpoint(*addr, opts.port);
  std::string where = opts.host + ":" + std::to_string(opts.port);
  boost::system::error_code ec;
  if (opts.reuse_port && !opts.join_reused_port && opts.port != 0) {
    // A socket without SO_REUSEPORT cannot bind a port that any socket holds,
    // reuse or not: the probe fails exactly when someone else listens there.
    asio::ip::tcp::acceptor probe(st.ctx);
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec) return Error::permanent("cannot listen on " + where + ": " + ec.message());
  }
  st.acceptor.open(endpoint.protocol(), ec);
  if (!ec) st.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && opts.reuse_port) {
    using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
    st.acceptor.set_option(reuse_port(true), ec);
  }
  if (!ec) st.acceptor.bind(endpoint, ec);
  if (!ec) st.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec && !opts.tls) enable_drained_reads(st.acceptor);  // accepted sockets inherit it
  if (ec) {
    boost::system::error_code ignored;
    st.acceptor.close(ignored);
    return Error::permanent("cannot listen on " + where + ": " + ec.message());
  }
  auto local = st.acceptor.local_endpoint(ec);
  if (ec) return Error::permanent("cannot listen on " + where + ": " + ec.message());
  return local.port();
}

void Server::start() {
  if (state_->started.exchange(true)) return;
  asio::co_spawn(state_->ctx, detail::accept_loop(state_), asio::detached);
}

asio::awaitable<void> Server::shutdown(Duration drain) {
  auto st = state_;
  detail::stop_accepting(*st);
  auto idle = st->slots;
  for (auto& slot : idle) {
    if (!slot->busy) detail::close_slot(*slot);
  }
  auto wait_until_empty = [st](asio::steady_timer::time_point deadline) -> asio::awaitable<void> {
    while (!st->slots.empty() && asio::steady_timer::clock_type::now() < deadline) {
      st->drained.expires_at(deadline);
      co_await st->drained.async_wait(detail::kNoThrow);
    }
  };
  co_await wait_until_empty(asio::steady_timer::clock_type::now() + drain);
  auto left = st->slots;
  for (auto& slot : left) detail::force_close(*slot);
  // Cancelled connections unwind at once; the bound only guards against a
  // handler that ignores cancellation.
  co_await wait_until_empty(asio::steady_timer::clock_type::now() + std::chrono::seconds(1));
}

size_t Server::active_connections() const {
  return state_->active.load();
}

uint64_t Server::accepted_connections() const {
  return state_->accepted.load();
}

}  // namespace junction::http
