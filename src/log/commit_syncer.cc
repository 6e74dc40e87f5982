#include "log/commit_syncer.h"

#include <chrono>
#include <unordered_map>
#include <utility>

#include "fmt/format.h"

namespace junction::log {

CommitSyncer::CommitSyncer(uint64_t max_unsynced_bytes, SyncFn sync, const JournalMetrics* metrics,
                           std::function<void()> on_idle)
    : max_unsynced_bytes_(max_unsynced_bytes),
      sync_(std::move(sync)),
      metrics_(metrics),
      on_idle_(std::move(on_idle)),
      thread_([this] { run(); }) {}

CommitSyncer::~CommitSyncer() {
  stop();
}

void CommitSyncer::enqueue(std::vector<PendingSync> work) {
  if (work.empty()) return;
  uint64_t bytes = 0;
  for (const auto& w : work) bytes += w.bytes;
  std::unique_lock lock(mu_);
  // Always let one group in, however big, or an oversized group would wait forever.
  done_cv_.wait(
      lock, [&] { return unsynced_bytes_ == 0 || unsynced_bytes_ + bytes <= max_unsynced_bytes_; });
  unsynced_bytes_ += bytes;
  idle_.store(false, std::memory_order_release);
  for (auto& w : work) queue_.push_back(std::move(w));
  work_cv_.notify_one();
}

void CommitSyncer::drain() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void CommitSyncer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CommitSyncer::run() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing is left to sync
    std::vector<PendingSync> work;
    work.swap(queue_);
    busy_ = true;
    lock.unlock();
    uint64_t bytes = 0;
    for (const auto& w : work) bytes += w.bytes;
    sync_and_complete(work);
    lock.lock();
    busy_ = false;
    unsynced_bytes_ -= bytes;
    done_cv_.notify_all();
    if (queue_.empty()) {
      idle_.store(true, std::memory_order_release);
      lock.unlock();
      on_idle_();
      lock.lock();
    }
  }
}

void CommitSyncer::sync_and_complete(std::vector<PendingSync>& work) {
  // Every file once, however many groups wrote to it since the last pass:
  // each of those writes finished before this sync started.
  std::unordered_map<Segment*, Status> synced;
  for (const auto& w : work) {
    if (!synced.contains(w.segment.get())) synced.emplace(w.segment.get(), timed_sync(*w.segment));
  }
  for (auto& w : work) {
    const Status& st = synced.at(w.segment.get());
    if (!st) w.partition->fail(st.error());
    std::optional<Error> failure;
    if (!st) {
      failure = st.error();
    } else if (auto earlier = w.partition->failure()) {
      // Written after a failed sync (or roll): the kernel may have dropped
      // the earlier pages, so a later sync that succeeds proves nothing.
      failure = Error::transient(fmt::format("partition failed earlier: {}", earlier->message()));
    } else {
      w.partition->publish(w.end_offset);
    }
    for (auto& c : w.completions) {
      if (failure && c.result) c.result = *failure;
      complete(c, *metrics_);
    }
  }
}

Status CommitSyncer::timed_sync(Segment& segment) {
  const auto started = std::chrono::steady_clock::now();
  auto st = sync_(segment);
  if (metrics_->fsyncs) metrics_->fsyncs->inc();
  if (metrics_->fsync_seconds) {
    metrics_->fsync_seconds->observe(std::chrono::steady_clock::now() - started);
  }
  return st;
}

}  // namespace junction::log
