#include "log/journal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "fmt/format.h"

namespace junction::log {

using Clock = std::chrono::steady_clock;

Journal::Journal(size_t max_pending_bytes)
    : max_pending_bytes_(max_pending_bytes), thread_([this] { run(); }) {}

Journal::~Journal() {
  stop();
}

void Journal::submit(Partition& partition, std::string batch, Callback callback) {
  std::optional<Error> refused;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      refused = Error::transient("the log is shutting down");
    } else if (pending_bytes_ + batch.size() > max_pending_bytes_ && !queue_.empty()) {
      refused = Error::overloaded(fmt::format(
          "the log's write queue is full ({} bytes pending); retry later", max_pending_bytes_));
    } else {
      pending_bytes_ += batch.size();
      queue_.push_back({&partition, std::move(batch), std::move(callback), {}});
      cv_.notify_one();
      return;
    }
  }
  // Outside the lock: the callback may submit again.
  callback(std::move(*refused));
}

void Journal::barrier(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  queue_.push_back({nullptr, {}, {}, std::move(fn)});
  cv_.notify_one();
}

void Journal::forget(Partition* partition) {
  std::erase_if(dirty_, [&](auto& d) { return d.first == partition; });
}

void Journal::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Journal::run() {
  auto next_due = Clock::time_point::max();
  while (true) {
    std::deque<Request> group;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      if (next_due == Clock::time_point::max()) {
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      } else {
        cv_.wait_until(lock, next_due, [this] { return stopping_ || !queue_.empty(); });
      }
      group.swap(queue_);
      pending_bytes_ = 0;
      stopping = stopping_;
    }
    if (!group.empty()) commit(group);
    next_due = sync_due_partitions(stopping && group.empty());
    if (stopping && group.empty()) return;
  }
}

void Journal::commit(std::deque<Request>& group) {
  struct Pending {
    Request* request;
    Result<AppendResult> result;
  };
  std::vector<Pending> done;
  done.reserve(group.size());
  std::vector<Partition*> to_sync;
  std::vector<Partition*> to_publish;
  for (auto& req : group) {
    if (!req.partition) {
      // A barrier: everything before it in the group is written.
      req.on_journal();
      continue;
    }
    Partition& p = *req.partition;
    auto header = parse_batch_header(req.batch);
    if (!header) {
      done.push_back({&req, header.error()});
      continue;
    }
    auto base = p.write(req.batch, *header);
    if (!base) {
      done.push_back({&req, base.error()});
      continue;
    }
    done.push_back({&req, AppendResult{*base, *base + header->last_offset_delta}});
    auto& list = p.config().fsync.mode == FsyncPolicy::Mode::kAlways ? to_sync : to_publish;
    if (std::find(list.begin(), list.end(), &p) == list.end()) list.push_back(&p);
    if (p.config().fsync.mode == FsyncPolicy::Mode::kInterval) {
      auto it = std::find_if(dirty_.begin(), dirty_.end(), [&](auto& d) { return d.first == &p; });
      if (it == dirty_.end()) dirty_.emplace_back(&p, Clock::now() + p.config().fsync.interval);
    }
  }
  // One fsync per partition for the whole group.
  std::unordered_map<Partition*, Error> sync_failures;
  for (Partition* p : to_sync) {
    const auto started = Clock::now();
    auto st = p->sync();
    if (metrics_.fsyncs) metrics_.fsyncs->inc();
    if (metrics_.fsync_seconds) metrics_.fsync_seconds->observe(Clock::now() - started);
    if (!st) {
      p->fail(st.error());
      sync_failures.emplace(p, st.error());
    } else {
      to_publish.push_back(p);
    }
  }
  for (Partition* p : to_publish) p->publish();
  if (metrics_.group_size) metrics_.group_size->observe(static_cast<double>(done.size()));
  for (auto& d : done) {
    if (d.result) {
      auto it = sync_failures.find(d.request->partition);
      if (it != sync_failures.end()) d.result = it->second;
    }
    if (d.result) {
      if (metrics_.appends) metrics_.appends->inc();
      if (metrics_.bytes) metrics_.bytes->inc(d.request->batch.size());
    } else if (metrics_.append_errors) {
      metrics_.append_errors->inc();
    }
    d.request->callback(std::move(d.result));
  }
}

Clock::time_point Journal::sync_due_partitions(bool force) {
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  std::erase_if(dirty_, [&](auto& d) {
    if (!force && d.second > now) {
      next = std::min(next, d.second);
      return false;
    }
    if (auto st = d.first->sync(); !st) {
      spdlog::error("topic {} partition {}: interval fsync failed: {}", d.first->topic(),
                    d.first->id(), st.error().message());
    }
    return true;
  });
  return next;
}

}  // namespace junction::log
