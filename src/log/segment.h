#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "log/file.h"
#include "log/record_batch.h"

namespace junction::log {

// The file name of a segment: the base offset as 20 zero-padded digits, as Kafka names them.
std::string segment_file_name(int64_t base_offset, std::string_view extension);

struct SegmentOptions {
  uint64_t index_interval = 4096;  // bytes of log between two index entries
  // At most this many bytes of disk blocks reserved past the log's end (0:
  // none), so that appends do not allocate them a write at a time.
  uint64_t reserve_bytes = 0;
};

// How recovery found a segment.
struct SegmentRecovery {
  uint64_t truncated_bytes = 0;  // a torn tail cut off
  bool rebuilt_indexes = false;
};

// One segment: `<base>.log` holding record batches back to back, a sparse
// offset index `<base>.index` (relative offset i32, position u32: an entry
// every index_interval bytes) and a time index `<base>.timeindex` (max
// timestamp so far i64, relative offset i32). Indexes are derived data: they
// are not fsynced and are rebuilt from the log when missing or inconsistent.
//
// Threads: one writer (the journal) appends; any thread may read, but only
// up to a `limit` position the partition has published, so a reader never
// sees a batch that is half written or not yet durable.
class Segment {
 public:
  static Result<std::unique_ptr<Segment>> create(const std::filesystem::path& dir,
                                                 int64_t base_offset, const SegmentOptions& opts);
  // Opens an existing segment. With `verify`, every batch is read and its CRC
  // checked: a torn tail is cut off; corruption followed by valid batches is
  // an error unless `repair`, which truncates there. Without `verify`, the
  // indexes are trusted when consistent, else rebuilt by a verifying scan.
  static Result<std::unique_ptr<Segment>> open(const std::filesystem::path& dir,
                                               int64_t base_offset, const SegmentOptions& opts,
                                               bool verify, bool repair,
                                               SegmentRecovery* recovery = nullptr);

  int64_t base_offset() const { return base_offset_; }
  // The offset after the last batch (== base_offset when empty).
  int64_t next_offset() const { return next_offset_.load(std::memory_order_acquire); }
  uint64_t size() const { return size_.load(std::memory_order_acquire); }
  int64_t max_timestamp() const { return max_timestamp_.load(std::memory_order_acquire); }
  // When the first batch was appended, for rolling by age (ms since epoch).
  int64_t created_ms() const { return created_ms_; }
  const std::filesystem::path& log_path() const { return log_.path(); }

  // Writer only.
  Status append(std::string_view batch, const BatchHeader& header);
  // Appends batches back to back with one pwritev; `headers` carry their final offsets.
  Status append_many(std::span<const std::string_view> batches,
                     std::span<const BatchHeader> headers);
  Status sync() { return log_.sync_data(); }
  // Gives back the blocks reserved past the end, for a segment that will take
  // no more appends (rolled).
  Status release_reserve();
  // Writer only: starts writing what was appended since the last call to
  // disk once there are `bytes` of it, so that a later sync has little left.
  void start_writeback(uint64_t bytes);
  // Cuts the segment back to `position` (a batch boundary) and drops index entries past it.
  Status truncate_to(uint64_t position, int64_t next_offset);

  // Whole batches starting with the one that holds `offset`, up to about
  // `max_bytes` (at least one batch), never past `limit`.
  Result<std::string> read(int64_t offset, size_t max_bytes, uint64_t limit) const;
  // The offset of the first record with timestamp >= `ts`, if any before `limit`.
  Result<std::optional<int64_t>> offset_for_time(int64_t ts, uint64_t limit) const;

  // Deletes the segment's files; readers that hold the segment keep reading.
  Status destroy();

 private:
  struct IndexEntry {
    int32_t relative_offset;
    uint32_t position;
  };
  struct TimeEntry {
    int64_t timestamp;
    int32_t relative_offset;
  };

  Segment(int64_t base_offset, SegmentOptions opts) : base_offset_(base_offset), opts_(opts) {}

  Status open_files(const std::filesystem::path& dir, bool create_log);
  Status load_indexes(uint64_t log_size, bool* consistent);
  Status rebuild(bool repair, SegmentRecovery* recovery);
  void index_batch(const BatchHeader& h, uint64_t position, bool persist);
  Status persist_indexes();
  // Writes the index entries gathered by index_batch since the last call.
  void flush_index_writes();
  // Makes sure blocks are reserved up to `end` and some way past it.
  void reserve_ahead(uint64_t end);
  uint64_t floor_position(int64_t offset) const;

  int64_t base_offset_;
  SegmentOptions opts_;
  File log_;
  File index_file_;
  File time_index_file_;
  std::atomic<int64_t> next_offset_{0};
  std::atomic<uint64_t> size_{0};
  std::atomic<int64_t> max_timestamp_{-1};
  int64_t created_ms_ = 0;

  mutable std::mutex index_mu_;  // guards the two vectors: writer appends, readers search
  std::vector<IndexEntry> index_;
  std::vector<TimeEntry> time_index_;
  uint64_t bytes_since_index_ = 0;
  // Writer only: index bytes not yet written, and where the files end (kept
  // here so an append costs no lseek).
  std::string pending_index_;
  std::string pending_time_index_;
  uint64_t index_file_size_ = 0;
  uint64_t time_index_file_size_ = 0;
  uint64_t reserved_to_ = 0;
  uint64_t writeback_from_ = 0;  // writer only: appended bytes before this are being written back
                                 // // writer only: blocks are reserved (or were tried) up to here
};

}  // namespace junction::log
