#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"
#include "log/partition.h"
#include "observe/metrics.h"

namespace junction::log {

struct AppendResult {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
};

// The one thread that writes to disk. Producers hand it encoded batches; it
// takes everything queued at once, writes each batch to its partition, then
// fsyncs each partition that needs it once for the whole group (group
// commit: an append that arrives while an fsync runs rides on the next one),
// publishes, and completes the callbacks. Keeping all disk writes here keeps
// them off the I/O threads and gives every partition a single writer.
//
// The queue is bounded in bytes: past the bound, submit() fails the append
// at once as `overloaded` instead of letting memory grow.
// What the journal counts, when metrics are attached (all optional).
struct JournalMetrics {
  observe::Counter* appends = nullptr;
  observe::Counter* append_errors = nullptr;
  observe::Counter* bytes = nullptr;
  observe::Counter* fsyncs = nullptr;
  observe::Histogram* fsync_seconds = nullptr;
  observe::Histogram* group_size = nullptr;  // appends per commit group
};

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

  // Runs `fn` on the journal thread after everything submitted before it was
  // written (even when stopping). Used to retire partitions safely.
  void barrier(std::function<void()> fn);
  // Journal thread only (inside a barrier): drops any reference to `partition`.
  void forget(Partition* partition);

  // Set before the first submit.
  void set_metrics(JournalMetrics metrics) { metrics_ = metrics; }

  // Completes everything queued, then stops the thread.
  void stop();

 private:
  struct Request {
    Partition* partition;
    std::string batch;
    Callback callback;
    std::function<void()> on_journal;  // a barrier when partition is null
  };

  void run();
  void commit(std::deque<Request>& group);
  // Syncs `fsync: interval` partitions whose interval ran out (all when `force`);
  // returns when the next one is due.
  std::chrono::steady_clock::time_point sync_due_partitions(bool force);

  const size_t max_pending_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  size_t pending_bytes_ = 0;
  bool stopping_ = false;

  // Journal thread only: partitions written under `fsync: interval` and not
  // yet synced, with when their sync is due.
  std::vector<std::pair<Partition*, std::chrono::steady_clock::time_point>> dirty_;

  JournalMetrics metrics_;
  std::thread thread_;
};

}  // namespace junction::log
