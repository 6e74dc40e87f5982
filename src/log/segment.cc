#include "log/segment.h"

#include <algorithm>
#include <system_error>

#include "core/message.h"
#include "fmt/format.h"
#include "log/byte_io.h"
#include "log/segment_scan.h"

namespace junction::log {
namespace fs = std::filesystem;

namespace {

constexpr size_t kIndexEntrySize = 8;
constexpr size_t kTimeEntrySize = 12;
constexpr uint64_t kMinReserveBytes = 64u << 10;

}  // namespace

std::string segment_file_name(int64_t base_offset, std::string_view extension) {
  return fmt::format("{:020d}{}", base_offset, extension);
}

Status Segment::open_files(const fs::path& dir, bool create_log) {
  auto log = File::open(dir / segment_file_name(base_offset_, ".log"), create_log);
  if (!log) return log.error();
  // Indexes are derived: a missing one is created empty and rebuilt.
  auto index = File::open(dir / segment_file_name(base_offset_, ".index"), true);
  if (!index) return index.error();
  auto time_index = File::open(dir / segment_file_name(base_offset_, ".timeindex"), true);
  if (!time_index) return time_index.error();
  log_ = std::move(*log);
  index_file_ = std::move(*index);
  time_index_file_ = std::move(*time_index);
  return ok_status();
}

Result<std::unique_ptr<Segment>> Segment::create(const fs::path& dir, int64_t base_offset,
                                                 const SegmentOptions& opts) {
  std::unique_ptr<Segment> s(new Segment(base_offset, opts));
  if (auto st = s->open_files(dir, /*create_log=*/true); !st) return st.error();
  // A leftover file of the same name (a crash right after creating it) is emptied.
  if (auto st = s->log_.truncate(0); !st) return st.error();
  if (auto st = s->index_file_.truncate(0); !st) return st.error();
  if (auto st = s->time_index_file_.truncate(0); !st) return st.error();
  if (auto st = sync_directory(dir); !st) return st.error();
  s->next_offset_ = base_offset;
  s->created_ms_ = now_ms();
  return s;
}

Result<std::unique_ptr<Segment>> Segment::open(const fs::path& dir, int64_t base_offset,
                                               const SegmentOptions& opts, bool verify, bool repair,
                                               SegmentRecovery* recovery) {
  std::unique_ptr<Segment> s(new Segment(base_offset, opts));
  if (auto st = s->open_files(dir, /*create_log=*/false); !st) return st.error();
  std::error_code ec;
  const auto mtime = fs::last_write_time(s->log_.path(), ec);
  s->created_ms_ = ec ? now_ms()
                      : std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                            .count();

  SegmentRecovery local;
  if (!recovery) recovery = &local;
  auto log_size = s->log_.size();
  if (!log_size) return log_size.error();
  bool consistent = false;
  if (!verify) {
    if (auto st = s->load_indexes(*log_size, &consistent); !st) return st.error();
  }
  if (verify || !consistent) {
    if (auto st = s->rebuild(repair, recovery); !st) return st.error();
  }
  return s;
}

Status Segment::load_indexes(uint64_t log_size, bool* consistent) {
  *consistent = false;
  auto isize = index_file_.size();
  if (!isize) return isize.error();
  auto tsize = time_index_file_.size();
  if (!tsize) return tsize.error();
  if (log_size == 0 || *isize == 0 || *isize % kIndexEntrySize != 0 ||
      *tsize % kTimeEntrySize != 0) {
    return ok_status();
  }
  auto ibytes = index_file_.read_at(0, *isize);
  if (!ibytes) return ibytes.error();
  auto tbytes = time_index_file_.read_at(0, *tsize);
  if (!tbytes) return tbytes.error();

  std::vector<IndexEntry> index;
  ByteReader ir(*ibytes);
  while (ir.remaining() >= kIndexEntrySize) {
    IndexEntry e{ir.i32(), ir.u32()};
    if (e.relative_offset < 0 || e.position >= log_size) return ok_status();
    if (!index.empty() && (e.relative_offset <= index.back().relative_offset ||
                           e.position <= index.back().position)) {
      return ok_status();
    }
    index.push_back(e);
  }
  std::vector<TimeEntry> times;
  ByteReader tr(*tbytes);
  while (tr.remaining() >= kTimeEntrySize) times.push_back({tr.i64(), tr.i32()});

  // The last indexed batch tells where the log ends only if we walk from it;
  // a segment opened without verification was closed cleanly (rolled), so
  // read the headers from the last entry to the end to learn next_offset.
  uint64_t pos = index.back().position;
  int64_t next = base_offset_;
  int64_t max_ts = times.empty() ? -1 : times.back().timestamp;
  while (pos < log_size) {
    auto header = log_.read_at(pos, kBatchHeaderSize);
    if (!header) return header.error();
    auto h = parse_batch_header(*header);
    if (!h || pos + h->total_size() > log_size) return ok_status();
    next = h->next_offset();
    max_ts = std::max(max_ts, h->max_timestamp);
    pos += h->total_size();
  }
  if (pos != log_size) return ok_status();
  {
    std::lock_guard lock(index_mu_);
    index_ = std::move(index);
    time_index_ = std::move(times);
  }
  next_offset_ = next;
  max_timestamp_ = max_ts;
  size_ = log_size;
  index_file_size_ = *isize;
  time_index_file_size_ = *tsize;
  *consistent = true;
  return ok_status();
}

Status Segment::rebuild(bool repair, SegmentRecovery* recovery) {
  auto log_size = log_.size();
  if (!log_size) return log_size.error();
  auto data = log_.read_at(0, *log_size);
  if (!data) return data.error();
  {
    std::lock_guard lock(index_mu_);
    index_.clear();
    time_index_.clear();
  }
  bytes_since_index_ = 0;
  max_timestamp_ = -1;
  auto outcome = scan_batches(*data, base_offset_, [this](const BatchHeader& h, uint64_t pos) {
    index_batch(h, pos, false);
  });
  if (outcome.state == ScanOutcome::State::kCorrupt && !repair) {
    return Error::permanent(fmt::format(
        "{} is corrupt at byte {} ({}), and valid data follows, so this is not a torn write; "
        "restore it from a replica or backup, or start with --repair to cut it off there "
        "(records from that point on are lost)",
        log_.path().string(), outcome.valid_bytes, outcome.problem));
  }
  if (outcome.valid_bytes < *log_size) {
    if (auto st = log_.truncate(outcome.valid_bytes); !st) return st;
    if (auto st = log_.sync_data(); !st) return st;
    recovery->truncated_bytes = *log_size - outcome.valid_bytes;
  }
  next_offset_ = outcome.next_offset;
  max_timestamp_ = outcome.max_timestamp;
  size_ = outcome.valid_bytes;
  recovery->rebuilt_indexes = true;
  return persist_indexes();
}

void Segment::index_batch(const BatchHeader& h, uint64_t position, bool persist) {
  const bool first = position == 0;
  bytes_since_index_ += h.total_size();
  const bool index_due = first || bytes_since_index_ >= opts_.index_interval;
  const bool newer = h.max_timestamp > max_timestamp_.load(std::memory_order_relaxed);
  if (newer) max_timestamp_.store(h.max_timestamp, std::memory_order_release);
  if (!index_due) return;
  const auto rel = static_cast<int32_t>(h.base_offset - base_offset_);
  IndexEntry e{rel, static_cast<uint32_t>(position)};
  {
    std::lock_guard lock(index_mu_);
    index_.push_back(e);
    if (newer || time_index_.empty()) {
      time_index_.push_back({h.max_timestamp, rel});
      if (persist) {
        ByteWriter tw(pending_time_index_);
        tw.i64(h.max_timestamp);
        tw.i32(rel);
      }
    }
  }
  bytes_since_index_ = 0;
  if (persist) {
    ByteWriter w(pending_index_);
    w.i32(e.relative_offset);
    w.u32(e.position);
  }
}

void Segment::flush_index_writes() {
  // Best effort: a failed index write only costs a rebuild on restart.
  if (!pending_index_.empty()) {
    if (index_file_.write_at(index_file_size_, pending_index_)) {
      index_file_size_ += pending_index_.size();
    }
    pending_index_.clear();
  }
  if (!pending_time_index_.empty()) {
    if (time_index_file_.write_at(time_index_file_size_, pending_time_index_)) {
      time_index_file_size_ += pending_time_index_.size();
    }
    pending_time_index_.clear();
  }
}

Status Segment::persist_indexes() {
  std::string ibytes, tbytes;
  {
    std::lock_guard lock(index_mu_);
    ByteWriter iw(ibytes);
    for (const auto& e : index_) {
      iw.i32(e.relative_offset);
      iw.u32(e.position);
    }
    ByteWriter tw(tbytes);
    for (const auto& e : time_index_) {
      tw.i64(e.timestamp);
      tw.i32(e.relative_offset);
    }
  }
  pending_index_.clear();
  pending_time_index_.clear();
  if (auto st = index_file_.truncate(0); !st) return st;
  if (auto st = index_file_.write_at(0, ibytes); !st) return st;
  index_file_size_ = ibytes.size();
  if (auto st = time_index_file_.truncate(0); !st) return st;
  if (auto st = time_index_file_.write_at(0, tbytes); !st) return st;
  time_index_file_size_ = tbytes.size();
  return ok_status();
}

void Segment::reserve_ahead(uint64_t end) {
  const uint64_t most = opts_.reserve_bytes;
  if (most == 0 || end <= reserved_to_) return;
  // As far ahead as the segment already holds, within [64 KiB, most]: a quiet
  // partition ties up little disk, a busy one reserves a large step at a time.
  const uint64_t ahead = std::clamp(end, std::min(kMinReserveBytes, most), most);
  const uint64_t from = std::max(reserved_to_, size_.load(std::memory_order_relaxed));
  // Best effort: without the reservation (no fallocate here, or a disk too
  // full for the whole step) the write allocates its own blocks as before,
  // and the next try waits until the writes get past this one.
  (void)log_.reserve(from, end + ahead - from);
  reserved_to_ = end + ahead;
}

Status Segment::release_reserve() {
  if (reserved_to_ <= size()) return ok_status();
  reserved_to_ = 0;
  // Truncating to the current size frees every block past it.
  return log_.truncate(size());
}

void Segment::start_writeback(uint64_t bytes) {
  const uint64_t end = size_.load(std::memory_order_relaxed);
  writeback_from_ = std::min(writeback_from_, end);  // the segment was cut back
  if (end < writeback_from_ + bytes) return;
  // Best effort: a failed write shows up in the next sync.
  (void)log_.start_writeback(writeback_from_, end - writeback_from_);
  writeback_from_ = end;
}

Status Segment::append(std::string_view batch, const BatchHeader& header) {
  const uint64_t pos = size_.load(std::memory_order_relaxed);
  if (pos + batch.size() > UINT32_MAX) return Error::invalid("segment would exceed 4 GiB");
  reserve_ahead(pos + batch.size());
  if (auto st = log_.write_at(pos, batch); !st) {
    // A partial write must not stay behind the next append.
    (void)log_.truncate(pos);
    reserved_to_ = 0;
    return st;
  }
  index_batch(header, pos, true);
  flush_index_writes();
  if (pos == 0) created_ms_ = now_ms();
  next_offset_.store(header.next_offset(), std::memory_order_release);
  size_.store(pos + batch.size(), std::memory_order_release);
  return ok_status();
}

Status Segment::append_many(std::span<const std::string_view> batches,
                            std::span<const BatchHeader> headers) {
  const uint64_t pos = size_.load(std::memory_order_relaxed);
  uint64_t total = 0;
  for (auto b : batches) total += b.size();
  if (pos + total > UINT32_MAX) return Error::invalid("segment would exceed 4 GiB");
  reserve_ahead(pos + total);
  if (auto st = log_.write_at(pos, batches); !st) {
    (void)log_.truncate(pos);  // no partial batch stays behind
    reserved_to_ = 0;          // and the truncate freed the reserve
    return st;
  }
  uint64_t at = pos;
  for (size_t i = 0; i < batches.size(); ++i) {
    index_batch(headers[i], at, true);
    at += batches[i].size();
  }
  flush_index_writes();
  if (pos == 0) created_ms_ = now_ms();
  next_offset_.store(headers.back().next_offset(), std::memory_order_release);
  size_.store(pos + total, std::memory_order_release);
  return ok_status();
}

Status Segment::truncate_to(uint64_t position, int64_t next_offset) {
  if (auto st = log_.truncate(position); !st) return st;
  reserved_to_ = 0;
  {
    std::lock_guard lock(index_mu_);
    std::erase_if(index_, [&](const IndexEntry& e) { return e.position >= position; });
    const int64_t rel_end = next_offset - base_offset_;
    std::erase_if(time_index_, [&](const TimeEntry& e) { return e.relative_offset >= rel_end; });
  }
  size_ = position;
  next_offset_ = next_offset;
  return persist_indexes();
}

uint64_t Segment::floor_position(int64_t offset) const {
  const int64_t rel = offset - base_offset_;
  std::lock_guard lock(index_mu_);
  auto it = std::upper_bound(index_.begin(), index_.end(), rel,
                             [](int64_t r, const IndexEntry& e) { return r < e.relative_offset; });
  if (it == index_.begin()) return 0;
  return std::prev(it)->position;
}

Result<std::string> Segment::read(int64_t offset, size_t max_bytes, uint64_t limit) const {
  uint64_t pos = floor_position(offset);
  // One read covers the walk from the index entry and the batches wanted.
  const size_t window =
      static_cast<size_t>(opts_.index_interval) * 2 + max_bytes + kBatchHeaderSize;
  while (pos < limit) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(window, limit - pos));
    auto chunk = log_.read_at(pos, want);
    if (!chunk) return chunk.error();
    std::string_view view = *chunk;
    size_t at = 0;
    // Skip batches that end before `offset`.
    while (at + kBatchHeaderSize <= view.size()) {
      auto h = parse_batch_header(view.substr(at));
      if (!h)
        return Error::permanent(fmt::format("{}: {}", log_.path().string(), h.error().message()));
      if (h->next_offset() > offset) break;
      at += h->total_size();
    }
    if (at + kBatchHeaderSize > view.size()) {
      // Not found in this window: go on from where the walk stopped.
      if (at == 0 && view.size() < kBatchHeaderSize) return std::string();
      pos += at;
      continue;
    }
    // Collect whole batches from `at`, at least one, up to max_bytes.
    size_t end = at;
    while (end + kBatchHeaderSize <= view.size()) {
      auto h = parse_batch_header(view.substr(end));
      if (!h) break;
      if (end + h->total_size() > view.size()) {
        if (end == at) {
          // The first batch is bigger than the window: read exactly it.
          return log_.read_at(pos + at, h->total_size());
        }
        break;
      }
      if (end > at && end - at + h->total_size() > max_bytes) break;
      end += h->total_size();
    }
    return std::string(view.substr(at, end - at));
  }
  return std::string();
}

Result<std::optional<int64_t>> Segment::offset_for_time(int64_t ts, uint64_t limit) const {
  if (max_timestamp() < ts) return std::optional<int64_t>();
  int64_t start = base_offset_;
  {
    // The last time entry below `ts` is a safe place to start scanning.
    std::lock_guard lock(index_mu_);
    for (const auto& e : time_index_) {
      if (e.timestamp >= ts) break;
      start = base_offset_ + e.relative_offset;
    }
  }
  int64_t offset = start;
  while (true) {
    auto bytes = read(offset, 1 << 20, limit);
    if (!bytes) return bytes.error();
    if (bytes->empty()) return std::optional<int64_t>();
    std::string_view view = *bytes;
    while (!view.empty()) {
      auto h = parse_batch_header(view);
      if (!h) return h.error();
      if (h->max_timestamp >= ts) {
        auto records = decode_batch(view.substr(0, h->total_size()));
        if (!records) return records.error();
        for (const auto& r : *records) {
          if (r.timestamp_ms >= ts && r.offset >= offset) return std::optional<int64_t>(r.offset);
        }
      }
      offset = h->next_offset();
      view.remove_prefix(h->total_size());
    }
  }
}

Status Segment::destroy() {
  // Only unlink: a reader holding this segment keeps reading its open file.
  std::error_code ec;
  for (const auto* f : {&log_, &index_file_, &time_index_file_}) {
    fs::remove(f->path(), ec);
    if (ec)
      return Error::transient(
          fmt::format("cannot delete {}: {}", f->path().string(), ec.message()));
  }
  return ok_status();
}

}  // namespace junction::log
