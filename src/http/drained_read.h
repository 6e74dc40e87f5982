#pragma once

// async_read_some for a plain TCP socket that remembers when the socket was
// emptied, as nginx does with its ready flag.
//
// Asio tries every read at once and only waits for epoll when the read
// fails with EAGAIN; it skips that try only after a read that returned
// nothing at all (EOF). On a keep-alive connection the read for a client's
// next request, and the one for an upstream's answer just asked for, nearly
// always come before the bytes do, so each costs a failed recvfrom first
// (about 340 ns, 1.8 times per proxied request). A read that has emptied the
// socket tells the reactor so (done_and_exhausted), and the next read waits
// for epoll's next edge for the socket without trying. Any byte arriving
// later brings an edge, because the socket is registered edge-triggered.
//
// "Emptied" must also mean that nothing else is pending which would bring
// no edge of its own: a FIN or an RST that arrived with the data was
// announced by the same edge the read consumed. So a read counts as
// emptying the socket only when all three hold:
//   - it returned less than it had room for;
//   - the kernel reports no byte left and no FIN pending (TCP_INQ: recvmsg
//     hands back how many bytes remain, and 1 once a FIN is queued behind
//     the data; enable_drained_reads() turns it on);
//   - the last events the reactor collected for the socket carry no
//     EPOLLHUP or EPOLLERR (an RST: TCP_INQ does not count it).
// A socket without TCP_INQ gets no count back and is read as Asio would.
// An RST that arrives after the read brings an edge of its own.
//
// It reuses Asio's own reactor through its detail API, which is tied to the
// version: with any Asio but Debian 12's (Boost 1.81) on epoll, or on any
// stream but a plain socket (TLS), it is the stream's own async_read_some.

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/version.hpp>
#include <type_traits>
#include <utility>

#if BOOST_VERSION / 100 == 1081 && defined(BOOST_ASIO_HAS_EPOLL) && \
    !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#define JUNCTION_DRAINED_READ 1
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/memory.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/asio/execution_context.hpp>
#include <cerrno>
#include <cstring>
#else
#define JUNCTION_DRAINED_READ 0
#endif

namespace junction::http {

#if JUNCTION_DRAINED_READ
namespace drained_read_detail {

namespace adetail = boost::asio::detail;
using tcp = boost::asio::ip::tcp;

// The socket's Asio implementation (descriptor, state, reactor data): a
// protected member, reached through a member pointer formed in a subclass.
struct SocketAccess : tcp::socket {
  static auto& io(tcp::socket& s) {
    constexpr auto member = &SocketAccess::impl_;
    return s.*member;
  }
};

// The events the reactor last collected for a socket. They live in the
// descriptor state's scheduler_operation base (task_result_, protected, and
// the base is private). The reactor writes them without the descriptor's
// lock: Junction runs each context on one thread, so they never change
// under a read; with more threads, a read can miss only an RST whose
// perform_io is still to come, and that sets the reactor trying again
// anyway. Once an RST is collected every later collection carries EPOLLHUP
// too, so no later value hides it.
struct OperationAccess : adetail::scheduler_operation {
  static uint32_t last_events(adetail::reactor::per_descriptor_data data) {
    auto* op = (adetail::scheduler_operation*)data;  // C cast: the base is private
    constexpr auto member = &OperationAccess::task_result_;
    return __atomic_load_n(&(op->*member), __ATOMIC_RELAXED);
  }
};

// Reads on this thread that found the socket empty and had to wait: what
// drained reads exist to avoid; counted so tests can see that they do.
inline thread_local uint64_t tries_that_found_nothing = 0;

// Asio's reactive_socket_recv_op for one buffer, except that a read that
// emptied the socket (see the top of the file) tells the reactor so.
template <class Handler, class IoExecutor>
class RecvOp : public adetail::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(RecvOp);

  RecvOp(adetail::socket_type socket, adetail::reactor::per_descriptor_data data,
         boost::asio::mutable_buffer buffer, Handler& handler, const IoExecutor& io_ex)
      : reactor_op(boost::system::error_code(), &RecvOp::do_perform, &RecvOp::do_complete),
        socket_(socket),
        data_(data),
        buffer_(buffer),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<RecvOp*>(base);
    if (o->buffer_.size() == 0) return done;  // as Asio: nothing asked, nothing read
    iovec iov{o->buffer_.data(), o->buffer_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    ssize_t n;
    do {
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      n = ::recvmsg(o->socket_, &msg, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ++tries_that_found_nothing;
        return not_done;  // wait for the next edge
      }
      o->ec_ = boost::system::error_code(errno, boost::asio::error::get_system_category());
      o->bytes_transferred_ = 0;
      return done;
    }
    if (n == 0) {
      o->ec_ = boost::asio::error::eof;
      o->bytes_transferred_ = 0;
      return done;
    }
    o->ec_ = {};
    o->bytes_transferred_ = static_cast<size_t>(n);
    if (static_cast<size_t>(n) == o->buffer_.size() || bytes_left(msg) != 0 ||
        (OperationAccess::last_events(o->data_) & (EPOLLHUP | EPOLLERR)) != 0) {
      return done;
    }
    return done_and_exhausted;
  }

  // What TCP_INQ reported after the read: the bytes still queued, 1 if only
  // a FIN is; -1 when the socket does not report it.
  static int bytes_left(const msghdr& msg) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
      if (c->cmsg_level == SOL_TCP && c->cmsg_type == TCP_CM_INQ) {
        int left;
        std::memcpy(&left, CMSG_DATA(c), sizeof left);
        return left;
      }
    }
    return -1;
  }

  static void do_complete(void* owner, adetail::operation* base,
                          const boost::system::error_code& /*ec*/, std::size_t /*bytes*/) {
    auto* o = static_cast<RecvOp*>(base);
    ptr p = {adetail::addressof(o->handler_), o, o};
    adetail::handler_work<Handler, IoExecutor> w(std::move(o->work_));
    // The memory is freed before the upcall; the handler moves out first.
    adetail::binder2<Handler, boost::system::error_code, std::size_t> handler(
        o->handler_, o->ec_, o->bytes_transferred_);
    p.h = adetail::addressof(handler.handler_);
    p.reset();
    if (owner) {
      adetail::fenced_block b(adetail::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  adetail::socket_type socket_;
  adetail::reactor::per_descriptor_data data_;
  boost::asio::mutable_buffer buffer_;
  Handler handler_;
  adetail::handler_work<Handler, IoExecutor> work_;
};

// What per-operation cancellation calls: as Asio's reactor_op_cancellation.
class Cancellation {
 public:
  Cancellation(adetail::reactor* reactor, adetail::reactor::per_descriptor_data* data,
               adetail::socket_type socket)
      : reactor_(reactor), data_(data), socket_(socket) {}

  void operator()(boost::asio::cancellation_type_t type) {
    using boost::asio::cancellation_type;
    if (!!(type &
           (cancellation_type::terminal | cancellation_type::partial | cancellation_type::total))) {
      reactor_->cancel_ops_by_key(socket_, *data_, adetail::reactor::read_op, this);
    }
  }

 private:
  adetail::reactor* reactor_;
  adetail::reactor::per_descriptor_data* data_;
  adetail::socket_type socket_;
};

// Bumped whenever a context that reactor_of() answered for goes away, so
// that a cached answer is never used for another context at the same address.
inline std::atomic<uint64_t> contexts_gone{0};

class ContextGuard : public boost::asio::execution_context::service {
 public:
  using key_type = ContextGuard;
  static inline boost::asio::execution_context::id id;
  explicit ContextGuard(boost::asio::execution_context& context) : service(context) {}
  ~ContextGuard() override { contexts_gone.fetch_add(1, std::memory_order_release); }

 private:
  void shutdown() override {}
};

// The context's reactor. use_service looks it up under the registry's
// mutex, comparing type names (about 500 instructions); an I/O thread runs
// one context, so the last answer is nearly always the one wanted.
template <class Executor>
adetail::reactor& reactor_of(const Executor& executor) {
  auto& context = boost::asio::query(executor, boost::asio::execution::context);
  thread_local boost::asio::execution_context* last_context = nullptr;
  thread_local adetail::reactor* last_reactor = nullptr;
  thread_local uint64_t last_gone = 0;
  const uint64_t gone = contexts_gone.load(std::memory_order_acquire);
  if (last_context != &context || last_gone != gone) {
    boost::asio::use_service<ContextGuard>(context);
    last_reactor = &boost::asio::use_service<adetail::reactor>(context);
    last_context = &context;
    last_gone = gone;
  }
  return *last_reactor;
}

struct Initiate {
  template <class Handler>
  void operator()(Handler&& handler, tcp::socket* socket,
                  boost::asio::mutable_buffer buffer) const {
    using H = std::decay_t<Handler>;
    using IoExecutor = tcp::socket::executor_type;
    using Op = RecvOp<H, IoExecutor>;
    auto& io = SocketAccess::io(*socket);
    auto& impl = io.get_implementation();
    auto& reactor = reactor_of(io.get_executor());
    H& h = handler;
    const bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(h);
    auto slot = boost::asio::get_associated_cancellation_slot(h);
    typename Op::ptr p = {adetail::addressof(h), Op::ptr::allocate(h), nullptr};
    p.p = new (p.v) Op(impl.socket_, impl.reactor_data_, buffer, h, io.get_executor());
    if (slot.is_connected()) {
      p.p->cancellation_key_ =
          &slot.template emplace<Cancellation>(&reactor, &impl.reactor_data_, impl.socket_);
    }
    // As reactive_socket_service_base::start_op.
    if ((impl.state_ & adetail::socket_ops::non_blocking) ||
        adetail::socket_ops::set_internal_non_blocking(impl.socket_, impl.state_, true, p.p->ec_)) {
      reactor.start_op(adetail::reactor::read_op, impl.socket_, impl.reactor_data_, p.p,
                       is_continuation, /*allow_speculative=*/true);
    } else {
      reactor.post_immediate_completion(p.p, is_continuation);
    }
    p.v = p.p = nullptr;
  }
};

}  // namespace drained_read_detail
#endif

// Turns on what a drained read needs to know a socket is empty (TCP_INQ),
// on a connected socket or on a listener, whose accepted sockets inherit it.
// A socket without it is read as Asio would, so a failure is only slower.
template <class Socket>
void enable_drained_reads(Socket& socket) {
#if JUNCTION_DRAINED_READ
  const int on = 1;
  ::setsockopt(socket.native_handle(), SOL_TCP, TCP_INQ, &on, sizeof on);
#else
  (void)socket;
#endif
}

// Reads some bytes into `buffer`, completing with (error_code, size_t) as
// async_read_some does.
template <class Stream, class Token>
auto async_read_some_drained(Stream& stream, boost::asio::mutable_buffer buffer, Token&& token) {
  return stream.async_read_some(buffer, std::forward<Token>(token));
}
template <class Token>
auto async_read_some_drained(boost::asio::ip::tcp::socket& socket,
                             boost::asio::mutable_buffer buffer, Token&& token) {
#if JUNCTION_DRAINED_READ
  return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      drained_read_detail::Initiate{}, token, &socket, buffer);
#else
  return socket.async_read_some(buffer, std::forward<Token>(token));
#endif
}

}  // namespace junction::http
