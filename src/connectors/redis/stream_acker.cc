#include "connectors/redis/stream_acker.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "resilience/backoff.h"

namespace junction::connectors::redis {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxAckBatch = 1000;  // ids per XACK

}  // namespace

StreamAcker::StreamAcker(const Endpoint& endpoint, std::string stream, std::string group,
                         LinkStatus& status)
    : endpoint_(endpoint), stream_(std::move(stream)), group_(std::move(group)), status_(status) {}

void StreamAcker::start(const boost::asio::any_io_executor& ex) {
  link_ = std::make_unique<Link>(endpoint_);
  waker_.emplace(ex);
  running_.emplace(ex);
  running_->add();
  boost::asio::co_spawn(ex, loop(), boost::asio::detached);
}

void StreamAcker::ack(std::string id) {
  unsent_.insert(id);
  queue_.push_back(std::move(id));
  if (waker_) waker_->wake();
}

boost::asio::awaitable<void> StreamAcker::close() {
  closing_ = true;
  if (!running_) co_return;
  waker_->wake();
  co_await running_->wait();
  link_.reset();  // joins its thread
}

boost::asio::awaitable<void> StreamAcker::loop() {
  resilience::Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(5));
  int failures = 0;
  std::vector<Command> cmds(1);
  for (;;) {
    if (queue_.empty()) {
      if (closing_) break;
      co_await waker_->sleep_until(Clock::now() + std::chrono::seconds(1));
      continue;
    }
    const size_t n = std::min(queue_.size(), kMaxAckBatch);
    cmds[0] = {"XACK", stream_, group_};
    cmds[0].insert(cmds[0].end(), queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    const auto start = Clock::now();
    PipelineResult r = co_await link_->run(&cmds);
    if (!r.transport.ok()) {
      if (closing_) break;
      status_.down("XACK: " + r.transport.error().message());
      co_await waker_->sleep_until(Clock::now() + backoff.delay(++failures));
      continue;
    }
    failures = 0;
    status_.up();
    status_.metrics().latency(Clock::now() - start);
    if (r.replies[0].is_error()) {
      // NOGROUP and the like: those entries are not pending any more.
      spdlog::warn("XACK on {}: {}", stream_, r.replies[0].str);
    }
    for (size_t i = 0; i < n; ++i) unsent_.erase(queue_[i]);
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
  }
  running_->done();
}

}  // namespace junction::connectors::redis
