#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "log/completion.h"
#include "log/partition.h"

namespace junction::log {

// One partition's share of a commit group under `fsync: always`: written to
// `segment` up to `end_offset`, and acknowledged only once an fdatasync of
// `segment` that started after the write has returned. (A roll in the middle
// of the group synced the earlier segment itself; see Partition::roll.)
struct PendingSync {
  Partition* partition = nullptr;
  // Shared so that the file stays open while the sync is pending, even if
  // the segment rolls, is retired or is deleted meanwhile.
  std::shared_ptr<Segment> segment;
  int64_t end_offset = 0;
  std::vector<Completion> completions;
  uint64_t bytes = 0;
};

// The second half of group commit for `fsync: always`, on its own thread so
// that the journal writes commit group N+1 while group N's fdatasync runs.
// Each pass takes everything queued, syncs every file in it once (one sync
// covers every write that finished before it started), then publishes and
// completes in queue order. A failed sync fails the appends it covered and
// the partition (see Partition::fail); nothing is acknowledged that a
// successful sync did not cover.
//
// Bounded: enqueue() waits while more than `max_unsynced_bytes` are written
// and not yet synced, so the journal cannot run ahead of the disk; its own
// queue then fills and producers see `overloaded`.
class CommitSyncer {
 public:
  // Syncs one segment's log file: Segment::sync, or a stand-in in tests.
  using SyncFn = std::function<Status(Segment&)>;

  // `on_idle` runs on the sync thread whenever a pass ends with nothing queued.
  CommitSyncer(uint64_t max_unsynced_bytes, SyncFn sync, const JournalMetrics* metrics,
               std::function<void()> on_idle);
  ~CommitSyncer();
  CommitSyncer(const CommitSyncer&) = delete;
  CommitSyncer& operator=(const CommitSyncer&) = delete;

  // Journal thread.
  void enqueue(std::vector<PendingSync> work);
  // Nothing queued and no sync running: what is written next is synced at once.
  bool idle() const { return idle_.load(std::memory_order_acquire); }
  // Returns once everything enqueued before the call is completed.
  void drain();
  // Completes everything queued, then stops the thread.
  void stop();

 private:
  void run();
  void sync_and_complete(std::vector<PendingSync>& work);
  Status timed_sync(Segment& segment);

  const uint64_t max_unsynced_bytes_;
  const SyncFn sync_;
  const JournalMetrics* metrics_;
  const std::function<void()> on_idle_;

  std::mutex mu_;
  std::condition_variable work_cv_;  // the sync thread waits for work
  std::condition_variable done_cv_;  // the journal waits for room or a drain
  std::vector<PendingSync> queue_;
  uint64_t unsynced_bytes_ = 0;  // queued plus being synced
  bool busy_ = false;
  bool stopping_ = false;
  std::atomic<bool> idle_{true};
  std::thread thread_;
};

}  // namespace junction::log
