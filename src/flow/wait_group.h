#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>

namespace junction::flow {

// Waits for a set of coroutines on one executor to finish, like Go's
// sync.WaitGroup. Single-threaded: add/done/wait run on the same executor.
class WaitGroup {
 public:
  explicit WaitGroup(const boost::asio::any_io_executor& ex)
      : timer_(ex, boost::asio::steady_timer::time_point::max()) {}

  void add(size_t n = 1) { count_ += n; }
  void done() {
    if (count_ > 0 && --count_ == 0) timer_.cancel();
  }
  boost::asio::awaitable<void> wait() {
    while (count_ > 0) {
      boost::system::error_code ec;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
  }

 private:
  size_t count_ = 0;
  boost::asio::steady_timer timer_;
};

}  // namespace junction::flow
