#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace junction::components {

// A sleep that other work on the same executor can cut short (an ack
// arriving, stop()). The flag covers a wake() that comes while nobody sleeps:
// the next sleep then returns at once instead of missing it.
class Waker {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Waker(const boost::asio::any_io_executor& ex) : timer_(ex) {}

  void wake() {
    woken_ = true;
    timer_.cancel();
  }

  boost::asio::awaitable<void> sleep_until(Clock::time_point deadline) {
    if (!woken_) {
      timer_.expires_at(deadline);
      boost::system::error_code ec;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    woken_ = false;
  }

 private:
  boost::asio::steady_timer timer_;
  bool woken_ = false;
};

}  // namespace junction::components
