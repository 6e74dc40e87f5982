#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "log/segment.h"
#include "log/topic_config.h"

namespace junction::log {

struct RetentionResult {
  size_t segments_removed = 0;
  uint64_t bytes_removed = 0;
};

// One partition: an ordered list of segments, the last one active.
//
// Threads: the journal thread is the only writer (write, sync, roll).
// Readers on any thread call read / offset_for_time / offsets; they see only
// offsets below the high watermark, which publish() advances once an append
// is durable by the topic's fsync policy: on the journal thread, or under
// `fsync: always` on the journal's sync thread (one thread per partition
// either way). The segment list is guarded
// by a shared mutex: readers share it, roll and retention take it alone.
class Partition {
 public:
  static Result<std::unique_ptr<Partition>> open(const std::filesystem::path& dir,
                                                 std::string topic, int32_t id,
                                                 const TopicConfig& config, bool repair);
  ~Partition();

  const std::string& topic() const { return topic_; }
  int32_t id() const { return id_; }
  const std::filesystem::path& dir() const { return dir_; }
  const TopicConfig& config() const { return config_; }

  // The first offset still stored (retention moves it forward).
  int64_t start_offset() const;
  // Offsets below this are readable, and durable under `fsync: always`.
  int64_t high_watermark() const { return high_watermark_.load(std::memory_order_acquire); }
  uint64_t size_bytes() const;
  size_t segment_count() const;

  // Whole batches from the one holding `offset`, about `max_bytes` (at least
  // one batch when any is readable). Empty at the high watermark. An offset
  // below start_offset() is `invalid` ("out of range"), so a consumer can
  // reset to the start.
  Result<std::string> read(int64_t offset, size_t max_bytes) const;
  // Decodes every readable batch from `from` on, in order (replays, compaction).
  Status scan(int64_t from,
              const std::function<void(const BatchHeader&, std::vector<Record>&&)>& fn) const;
  // The first offset whose record timestamp is >= `ts`; the high watermark if none.
  Result<int64_t> offset_for_time(int64_t ts) const;

  // Runs `fn` once, on the thread that publishes, as soon as the high watermark is
  // above `offset` (at once, on this thread, if it already is). `fn` must be
  // quick: it is meant to post to the waiter's executor.
  void notify_when_above(int64_t offset, std::function<void()> fn);

  // --- Journal thread only ---
  // Appends an encoded batch, setting its base offset; rolls the segment first when due.
  Result<int64_t> write(std::string& batch, const BatchHeader& header);
  // Appends several encoded batches, in order, with as few writes as the
  // segment rolls allow (one pwritev when they fit). Sets each batch's base
  // offset. Returns how many were written before the first failure, if any.
  struct WriteMany {
    size_t written = 0;
    std::optional<Error> error;
  };
  WriteMany write_many(std::span<std::string*> batches, std::span<BatchHeader> headers);
  // The offset the next append gets.
  int64_t next_offset() const;
  // The segment appends go to now.
  std::shared_ptr<Segment> active_segment() const { return active(); }
  Status sync();

  // --- The thread that publishes (see above) ---
  // Makes offsets below `end` readable and wakes waiters.
  void publish(int64_t end);

  // --- Any thread ---
  // After a failed fsync the page cache may have dropped the data, so the
  // kernel's view of the file can no longer be trusted ("fsyncgate"): the
  // partition refuses further appends until a restart recovers it from disk.
  // The first error is kept.
  void fail(const Error& error);
  std::optional<Error> failure() const;

  // Any thread; runs alongside appends and reads.
  Result<RetentionResult> apply_retention(int64_t now_ms);

  // For compaction (one compactor at a time): every segment but the active one,
  // and swapping one of them for its rewritten self.
  std::vector<std::shared_ptr<Segment>> sealed_segments() const;
  Status replace_segment(int64_t base_offset, std::shared_ptr<Segment> rewritten);
  const SegmentOptions& segment_options() const { return segment_options_; }

 private:
  // At most this much disk is reserved past the active segment's end (fallocate),
  // so that ext4 does not allocate blocks a write at a time.
  static constexpr uint64_t kReserveBytes = 8u << 20;

  Partition(std::filesystem::path dir, std::string topic, int32_t id, TopicConfig config)
      : dir_(std::move(dir)), topic_(std::move(topic)), id_(id), config_(std::move(config)) {
    segment_options_.reserve_bytes = std::min(config_.segment_bytes, kReserveBytes);
  }

  Status recover(bool repair);
  Status roll();
  std::shared_ptr<Segment> segment_for(int64_t offset) const;
  std::shared_ptr<Segment> active() const;

  std::filesystem::path dir_;
  std::string topic_;
  int32_t id_;
  TopicConfig config_;
  SegmentOptions segment_options_;

  mutable std::shared_mutex segments_mu_;
  std::vector<std::shared_ptr<Segment>> segments_;  // by base offset; never empty

  std::atomic<int64_t> high_watermark_{0};
  mutable std::mutex failed_mu_;
  std::optional<Error> failed_;
  std::mutex waiters_mu_;
  std::vector<std::pair<int64_t, std::function<void()>>> waiters_;
};

}  // namespace junction::log
