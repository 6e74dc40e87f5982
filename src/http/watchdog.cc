#include "http/watchdog.h"

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <stdexcept>

#include "core/coarse_clock.h"

namespace junction::http::detail {

namespace asio = boost::asio;

namespace {

constexpr auto kSweepPeriod = std::chrono::milliseconds(100);
// The coarse clock lags the monotonic clock by up to a kernel tick (4 ms at
// HZ=250); a limit set from it gets this much on top so it is never early.
constexpr auto kCoarseLag = std::chrono::milliseconds(10);

}  // namespace

// The watches of one io_context and the sweep that enforces them. The sweep
// runs only while some watch has a time limit, so that an io_context whose
// only sockets are idle pooled ones still runs out of work and returns from
// run().
class WatchdogService : public asio::execution_context::service {
 public:
  using key_type = WatchdogService;
  static asio::execution_context::id id;

  // The timer is made here, not on first use: a service registered while
  // this one is constructed goes before it in the registry, so it is
  // destroyed after it, and the timer never outlives its own service.
  explicit WatchdogService(asio::io_context& ctx) : service(ctx), timer_(ctx.get_executor()) {}

  void add(Watch& w) {
    w.next_ = head_;
    if (head_ != nullptr) head_->prev_ = &w;
    head_ = &w;
  }

  // A watch got a time limit.
  void wake() {
    if (!sweeping_) schedule();
  }

  void remove(Watch& w) {
    if (w.prev_ != nullptr) w.prev_->next_ = w.next_;
    if (w.next_ != nullptr) w.next_->prev_ = w.prev_;
    if (head_ == &w) head_ = w.next_;
    w.prev_ = w.next_ = nullptr;
  }

 private:
  void shutdown() override { head_ = nullptr; }

  void schedule() {
    sweeping_ = true;
    timer_.expires_after(kSweepPeriod);
    timer_.async_wait([this](boost::system::error_code ec) {
      sweeping_ = false;
      if (!ec) sweep();
    });
  }

  void sweep() {
    const auto now = coarse_steady_now();
    // Closing only queues the failed operations' handlers, so no watch is
    // removed while the list is walked.
    bool limited = false;
    for (Watch* w = head_; w != nullptr; w = w->next_) {
      if (w->deadline_ == Watch::Clock::time_point::max()) continue;
      if (w->deadline_ > now) {
        limited = true;
        continue;
      }
      w->deadline_ = Watch::Clock::time_point::max();
      w->fired_ = true;
      boost::system::error_code ignored;
      w->socket_.close(ignored);
    }
    if (limited) schedule();
  }

  Watch* head_ = nullptr;
  asio::steady_timer timer_;
  bool sweeping_ = false;
};

asio::execution_context::id WatchdogService::id;

namespace {

asio::io_context& io_context_of(asio::ip::tcp::socket& socket) {
  auto executor = socket.get_executor();
  const auto* io = executor.target<asio::io_context::executor_type>();
  if (io == nullptr) throw std::logic_error("a watched socket must run on an io_context");
  return io->context();
}

}  // namespace

Watch::Watch(asio::ip::tcp::socket& socket)
    : service_(asio::use_service<WatchdogService>(io_context_of(socket))), socket_(socket) {
  service_.add(*this);
}

Watch::~Watch() {
  service_.remove(*this);
}

void Watch::expires_after(Clock::duration limit) {
  deadline_ = coarse_steady_now() + kCoarseLag + limit;
  service_.wake();
}

void Watch::expires_at(Clock::time_point deadline) {
  deadline_ = deadline;
  if (deadline != Clock::time_point::max()) service_.wake();
}

boost::system::error_code Watch::cause(boost::system::error_code ec) const {
  if (ec && fired_) return boost::beast::error::timeout;
  return ec;
}

}  // namespace junction::http::detail
