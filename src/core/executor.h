#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace junction {

namespace asio = boost::asio;

// One io_context per worker thread. A component lives on one context and is
// single-threaded inside it; work crosses threads by posting, never locking.
class IoThreads {
 public:
  explicit IoThreads(size_t count);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  size_t size() const { return contexts_.size(); }
  asio::io_context& context(size_t i) { return *contexts_[i % contexts_.size()]; }
  // Round-robin placement for new components.
  asio::io_context& next() { return context(next_.fetch_add(1, std::memory_order_relaxed)); }

  // Starts one thread per context. With `cpus`, thread i is pinned to
  // cpus[i] before it runs anything; returns the pinning errors (a thread
  // that could not be pinned runs unpinned).
  std::vector<std::string> start(const std::vector<int>& cpus = {});
  // Lets each context finish its queued work, then returns once every thread exited.
  void stop_and_join();
  // Abandons queued work.
  void abort();

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

// Threads for blocking calls (fsync, file reads, DNS, libraries without an
// async API), so that no I/O thread ever waits on them.
class BlockingPool {
 public:
  explicit BlockingPool(size_t threads) : pool_(threads) {}
  asio::thread_pool& pool() { return pool_; }
  void join() { pool_.join(); }

 private:
  asio::thread_pool pool_;
};

// Runs `fn` on the blocking pool and resumes the calling coroutine on its own
// executor with the result. Pass a named callable, not a lambda temporary
// written inside the co_await: GCC 12 double-destroys such temporaries.
template <class Fn>
asio::awaitable<std::invoke_result_t<Fn&>> run_blocking(BlockingPool& blocking, Fn fn) {
  using R = std::invoke_result_t<Fn&>;
  if constexpr (std::is_void_v<R>) {
    // Named, not a temporary inside co_await: GCC 12 destroys such
    // temporaries twice (double free of the captures).
    auto init = [&blocking, fn = std::move(fn)](auto handler) mutable {
      asio::post(blocking.pool(), [fn = std::move(fn), handler = std::move(handler)]() mutable {
        fn();
        auto ex = asio::get_associated_executor(handler);
        asio::dispatch(ex, std::move(handler));
      });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
        std::move(init), asio::use_awaitable);
  } else {
    auto init = [&blocking, fn = std::move(fn)](auto handler) mutable {
      asio::post(blocking.pool(), [fn = std::move(fn), handler = std::move(handler)]() mutable {
        R result = fn();
        auto ex = asio::get_associated_executor(handler);
        asio::dispatch(ex, [r = std::move(result), h = std::move(handler)]() mutable {
          std::move(h)(std::move(r));
        });
      });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
        std::move(init), asio::use_awaitable);
  }
}

}  // namespace junction
