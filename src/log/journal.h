#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "log/partition.h"
#include "observe/metrics.h"

namespace junction::log {

struct AppendResult {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
};

// What the journal counts, when metrics are attached (all optional).
struct JournalMetrics {
  observe::Counter* appends = nullptr;
  observe::Counter* append_errors = nullptr;
  observe::Counter* bytes = nullptr;
  observe::Counter* fsyncs = nullptr;
  observe::Histogram* fsync_seconds = nullptr;
  observe::Histogram* group_size = nullptr;  // appends per commit group
};

// The one thread that writes to disk. Producers hand it encoded batches; it
// takes everything queued at once, writes each partition's share with one
// pwritev, fsyncs each partition that needs it once for the whole group
// (group commit: an append that arrives while an fsync runs rides on the
// next one), publishes, and completes the callbacks. Keeping all appends
// here keeps them off the I/O threads and gives every partition a single
// writer. Partitions under `fsync: interval` are synced by a second thread,
// so their periodic fsync never stalls the appends behind it.
//
// The queue is bounded in bytes: past the bound, submit() fails the append
// at once as `overloaded` instead of letting memory grow.
class Journal {
 public:
  using Callback = std::function<void(Result<AppendResult>)>;

  explicit Journal(size_t max_pending_bytes = 64u << 20);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // `batch` is encoded with any base offset; the journal sets the real one.
  // `callback` runs on the journal thread (or at once on overload).
  void submit(Partition& partition, std::string batch, Callback callback);

  // Runs `fn` on the journal thread once everything submitted before it is
  // written and completed. Used to retire partitions safely.
  void barrier(std::function<void()> fn);
  // Journal thread only (inside a barrier): drops any reference to `partition`,
  // waiting for an interval sync of it that is running.
  void forget(Partition* partition);

  // Set before the first submit.
  void set_metrics(JournalMetrics metrics) { metrics_ = metrics; }

  // Completes everything queued, syncs interval partitions, then stops.
  void stop();

 private:
  using Clock = std::chrono::steady_clock;
  struct Request {
    Partition* partition;
    std::string batch;
    Callback callback;
    std::function<void()> on_journal;  // a barrier when partition is null
  };

  void run();
  void commit(std::deque<Request>& group);
  // Writes, syncs, publishes and completes `requests` (no barriers among them).
  void commit_run(const std::vector<Request*>& requests);
  void mark_interval_dirty(Partition* p);
  void sync_loop();
  void timed_sync(Partition* p);

  const size_t max_pending_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  size_t pending_bytes_ = 0;
  bool stopping_ = false;

  // The interval syncer: partitions written and not yet synced, with when
  // their sync is due. `syncing_mu_` is held while one is being synced.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<std::pair<Partition*, Clock::time_point>> dirty_;
  bool sync_stopping_ = false;
  std::mutex syncing_mu_;

  JournalMetrics metrics_;
  std::thread thread_;
  std::thread syncer_;
};

}  // namespace junction::log
