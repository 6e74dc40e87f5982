#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "log/buffer_pool.h"
#include "log/commit_syncer.h"
#include "log/completion.h"
#include "log/partition.h"

namespace junction::log {

// The one thread that writes to disk. Producers hand it encoded batches; it
// takes everything queued at once (a commit group) and writes each
// partition's share with one pwritev. Partitions under `fsync: always` then
// go to the CommitSyncer, whose thread fsyncs and acknowledges them while
// this one writes the next group (group commit: every append written while
// an fsync runs rides on the next one). The others are published and
// completed here at once; those under `fsync: interval` are synced by a
// third thread, so their periodic fsync never stalls the appends behind it.
// Keeping all appends here keeps them off the I/O threads and gives every
// partition a single writer.
//
// The queue is bounded in bytes: past the bound, submit() fails the append
// at once as `overloaded` instead of letting memory grow.
class Journal {
 public:
  using Callback = AppendCallback;

  // While a sync runs, the journal writes only once kWriteAheadBytes are
  // queued, or something cannot wait (another fsync policy, a barrier, a
  // stop): those appends could not be acknowledged before the running sync
  // ends anyway, and a write (and a wake-up) per append would cost more CPU
  // than it saves. Once the syncer is idle, everything queued goes at once.
  static constexpr size_t kWriteAheadBytes = 256u << 10;

  // `sync_segment` syncs a segment for `fsync: always` (Segment::sync when
  // empty; tests pass a stand-in to hold or fail syncs). `max_pending_bytes`
  // bounds both the queue and what is written but not yet synced.
  explicit Journal(size_t max_pending_bytes = 64u << 20,
                   CommitSyncer::SyncFn sync_segment = nullptr);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // `batch` is encoded with any base offset; the journal sets the real one.
  // `callback` runs on the journal thread, on its sync thread under
  // `fsync: always`, or at once on overload.
  void submit(Partition& partition, std::string batch, Callback callback);

  // A buffer to encode a batch into before submit(): one the journal has
  // written and handed back when there is one, so appends do not allocate.
  std::string take_buffer() { return buffers_.take(); }

  // Runs `fn` on the journal thread once everything submitted before it is
  // written, synced and completed. Used to retire partitions safely.
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

  bool ready_to_write() const;  // mu_ held
  void run();
  void commit(std::vector<Request>& group);
  // Hands the group's batch buffers back to the pool and empties the group,
  // keeping its capacity for a later queue unless it grew unusually large.
  void recycle(std::vector<Request>& group);
  // Writes `requests` (no barriers among them) and completes them or hands
  // them to the syncer.
  void commit_run(const std::vector<Request*>& requests);
  void mark_interval_dirty(Partition* p);
  void sync_loop();
  void timed_sync(Partition* p);

  const size_t max_pending_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  // A vector, not a deque: the journal swaps in the last group's emptied one,
  // so queueing an append allocates nothing once the capacity is there.
  std::vector<Request> queue_;
  std::vector<std::string> spent_;  // journal thread: buffers on their way back to the pool
  size_t pending_bytes_ = 0;
  bool urgent_ = false;  // queued work that must not wait for the syncer
  bool stopping_ = false;

  // The interval syncer: partitions written and not yet synced, with when
  // their sync is due. `syncing_mu_` is held while one is being synced.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<std::pair<Partition*, Clock::time_point>> dirty_;
  bool sync_stopping_ = false;
  std::mutex syncing_mu_;

  BufferPool buffers_;
  JournalMetrics metrics_;
  CommitSyncer committer_;
  std::thread thread_;
  std::thread syncer_;
};

}  // namespace junction::log
