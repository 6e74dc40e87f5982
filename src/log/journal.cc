#include "log/journal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "fmt/format.h"

namespace junction::log {
namespace {

// What the buffer pool keeps: enough for the windows of a few busy producers
// of small batches, while a rare large batch is freed rather than kept.
constexpr size_t kPooledBufferBytes = 8u << 20;
constexpr size_t kLargestPooledBuffer = 64u << 10;
// Requests a recycled queue keeps room for (about 100 bytes each).
constexpr size_t kRetainedQueueCapacity = 16384;
// Under `fsync: interval`, writeback starts every this many bytes written,
// so the periodic fdatasync does not find a whole interval's writes dirty
// and stall the appends behind it.
constexpr uint64_t kWritebackBytes = 4u << 20;

}  // namespace

Journal::Journal(size_t max_pending_bytes, CommitSyncer::SyncFn sync_segment)
    : max_pending_bytes_(max_pending_bytes),
      buffers_(kPooledBufferBytes, kLargestPooledBuffer),
      committer_(
          max_pending_bytes,
          sync_segment ? std::move(sync_segment) : [](Segment& s) { return s.sync(); }, &metrics_,
          [this] {
            // Under mu_, so the wake-up cannot fall between the journal's
            // check of idle() and its wait.
            std::lock_guard lock(mu_);
            cv_.notify_one();
          }),
      thread_([this] { run(); }),
      syncer_([this] { sync_loop(); }) {}

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
      if (partition.config().fsync.mode != FsyncPolicy::Mode::kAlways) urgent_ = true;
      queue_.push_back({&partition, std::move(batch), std::move(callback), {}});
      if (ready_to_write()) cv_.notify_one();
      return;
    }
  }
  // Outside the lock: the callback may submit again.
  callback(std::move(*refused));
}

void Journal::barrier(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  queue_.push_back({nullptr, {}, {}, std::move(fn)});
  urgent_ = true;
  cv_.notify_one();
}

void Journal::forget(Partition* partition) {
  {
    std::lock_guard lock(sync_mu_);
    std::erase_if(dirty_, [&](auto& d) { return d.first == partition; });
  }
  // The syncer takes syncing_mu_ before it lets go of sync_mu_, so this
  // waits out a sync of `partition` that started before the erase.
  std::lock_guard wait(syncing_mu_);
}

void Journal::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  committer_.stop();
  {
    std::lock_guard lock(sync_mu_);
    sync_stopping_ = true;
  }
  sync_cv_.notify_one();
  if (syncer_.joinable()) syncer_.join();
}

bool Journal::ready_to_write() const {
  return !queue_.empty() && (urgent_ || pending_bytes_ >= kWriteAheadBytes || committer_.idle());
}

void Journal::run() {
  std::vector<Request> group;
  while (true) {
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || ready_to_write(); });
      group.swap(queue_);
      pending_bytes_ = 0;
      urgent_ = false;
      stopping = stopping_;
    }
    const bool idle = group.empty();
    if (!idle) commit(group);
    recycle(group);
    if (stopping && idle) return;
  }
}

void Journal::recycle(std::vector<Request>& group) {
  spent_.clear();
  for (auto& r : group) {
    if (r.batch.capacity() > 0) spent_.push_back(std::move(r.batch));
  }
  buffers_.give_back(spent_);
  group.clear();
  if (group.capacity() > kRetainedQueueCapacity) std::vector<Request>().swap(group);
}

void Journal::commit(std::vector<Request>& group) {
  std::vector<Request*> run;
  for (auto& req : group) {
    if (req.partition) {
      run.push_back(&req);
      continue;
    }
    // A barrier: what came before it is completed first.
    commit_run(run);
    run.clear();
    committer_.drain();
    req.on_journal();
  }
  commit_run(run);
}

void Journal::commit_run(const std::vector<Request*>& requests) {
  if (requests.empty()) return;
  // Each partition's requests, in submission order; partitions in first-seen order.
  std::vector<Partition*> order;
  std::unordered_map<Partition*, std::vector<Request*>> by_partition;
  for (Request* r : requests) {
    auto [it, inserted] = by_partition.try_emplace(r->partition);
    if (inserted) order.push_back(r->partition);
    it->second.push_back(r);
  }

  std::vector<Completion> done;  // completed here, once everything is written
  std::vector<Partition*> to_publish;
  std::vector<PendingSync> to_sync;
  std::vector<std::string*> batches;
  std::vector<BatchHeader> headers;
  std::vector<Request*> writable;
  for (Partition* p : order) {
    batches.clear();
    headers.clear();
    writable.clear();
    for (Request* r : by_partition[p]) {
      auto header = parse_batch_header(r->batch);
      if (!header) {
        done.push_back({std::move(r->callback), header.error(), r->batch.size()});
        continue;
      }
      batches.push_back(&r->batch);
      headers.push_back(*header);
      writable.push_back(r);
    }
    if (writable.empty()) continue;
    auto wrote = p->write_many(batches, headers);
    const bool always = p->config().fsync.mode == FsyncPolicy::Mode::kAlways;
    PendingSync pending;
    if (always) pending.completions.reserve(writable.size());
    for (size_t i = 0; i < writable.size(); ++i) {
      Completion c{std::move(writable[i]->callback), AppendResult{}, writable[i]->batch.size()};
      if (i < wrote.written) {
        c.result = AppendResult{headers[i].base_offset, headers[i].last_offset()};
        pending.bytes += c.bytes;
      } else {
        c.result = *wrote.error;
      }
      // Failed writes are told in order with the rest of their partition.
      (always && wrote.written > 0 ? pending.completions : done).push_back(std::move(c));
    }
    if (wrote.written == 0) continue;
    switch (p->config().fsync.mode) {
      case FsyncPolicy::Mode::kAlways:
        pending.partition = p;
        pending.segment = p->active_segment();
        pending.end_offset = p->next_offset();
        to_sync.push_back(std::move(pending));
        break;
      case FsyncPolicy::Mode::kInterval:
        p->active_segment()->start_writeback(kWritebackBytes);
        mark_interval_dirty(p);
        to_publish.push_back(p);
        break;
      case FsyncPolicy::Mode::kNever:
        to_publish.push_back(p);
        break;
    }
  }
  if (metrics_.group_size) metrics_.group_size->observe(static_cast<double>(requests.size()));
  // The sync starts before the callbacks below run, and this thread goes on
  // to the next group while it runs.
  committer_.enqueue(std::move(to_sync));
  for (Partition* p : to_publish) p->publish(p->next_offset());
  for (auto& c : done) complete(c, metrics_);
}

void Journal::mark_interval_dirty(Partition* p) {
  std::lock_guard lock(sync_mu_);
  for (const auto& d : dirty_) {
    if (d.first == p) return;
  }
  dirty_.emplace_back(p, Clock::now() + p->config().fsync.interval);
  sync_cv_.notify_one();
}

void Journal::timed_sync(Partition* p) {
  const auto started = Clock::now();
  auto st = p->sync();
  if (metrics_.fsyncs) metrics_.fsyncs->inc();
  if (metrics_.fsync_seconds) metrics_.fsync_seconds->observe(Clock::now() - started);
  if (!st) {
    spdlog::error("topic {} partition {}: interval fsync failed: {}", p->topic(), p->id(),
                  st.error().message());
  }
}

void Journal::sync_loop() {
  std::unique_lock lock(sync_mu_);
  while (true) {
    if (sync_stopping_) {
      // Last syncs before the process goes: nothing written stays unsynced.
      for (auto& [p, due] : dirty_) {
        std::lock_guard syncing(syncing_mu_);
        timed_sync(p);
      }
      dirty_.clear();
      return;
    }
    auto next = Clock::time_point::max();
    for (const auto& d : dirty_) next = std::min(next, d.second);
    if (next == Clock::time_point::max()) {
      sync_cv_.wait(lock);
      continue;
    }
    if (Clock::now() < next) {
      sync_cv_.wait_until(lock, next);
      continue;
    }
    auto it = std::min_element(dirty_.begin(), dirty_.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
    Partition* p = it->first;
    dirty_.erase(it);
    std::unique_lock syncing(syncing_mu_);  // taken before sync_mu_ is let go: see forget()
    lock.unlock();
    timed_sync(p);
    syncing.unlock();
    lock.lock();
  }
}

}  // namespace junction::log
