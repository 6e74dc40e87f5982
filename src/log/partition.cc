#include "log/partition.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "core/message.h"
#include "fmt/format.h"

namespace junction::log {
namespace fs = std::filesystem;

namespace {

// Base offsets of the `.log` files in `dir`, sorted.
Result<std::vector<int64_t>> list_segments(const fs::path& dir) {
  std::vector<int64_t> bases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (!name.ends_with(".log") || name.size() != 24) continue;
    int64_t base = 0;
    auto [p, err] = std::from_chars(name.data(), name.data() + 20, base);
    if (err == std::errc() && p == name.data() + 20) bases.push_back(base);
  }
  if (ec) return Error::transient(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  std::sort(bases.begin(), bases.end());
  return bases;
}

}  // namespace

Result<std::unique_ptr<Partition>> Partition::open(const fs::path& dir, std::string topic,
                                                   int32_t id, const TopicConfig& config,
                                                   bool repair) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::transient(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  std::unique_ptr<Partition> p(new Partition(dir, std::move(topic), id, config));
  if (auto st = p->recover(repair); !st) return st.error();
  return p;
}

Partition::~Partition() = default;

Status Partition::recover(bool repair) {
  // A compaction interrupted before its rename leaves a `.cleaned` file; the
  // original segment is intact, so the leftover just goes.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() == ".cleaned") fs::remove(entry.path(), ec);
  }
  auto bases = list_segments(dir_);
  if (!bases) return bases.error();
  if (bases->empty()) {
    auto seg = Segment::create(dir_, 0, segment_options_);
    if (!seg) return seg.error();
    segments_.push_back(std::move(*seg));
    high_watermark_ = 0;
    return ok_status();
  }
  for (size_t i = 0; i < bases->size(); ++i) {
    const bool tail = i + 1 == bases->size();
    SegmentRecovery rec;
    // Only the tail can hold writes that were in flight at a crash; older
    // segments were synced when they rolled and are trusted unless their
    // indexes are damaged, in which case opening them re-verifies them.
    auto seg = Segment::open(dir_, (*bases)[i], segment_options_, tail, repair, &rec);
    if (!seg) return seg.error();
    if (rec.truncated_bytes > 0) {
      spdlog::warn("topic {} partition {}: cut a torn tail of {} bytes from {}", topic_, id_,
                   rec.truncated_bytes, (*seg)->log_path().string());
    }
    if (!segments_.empty() && (*seg)->base_offset() < segments_.back()->next_offset()) {
      return Error::permanent(
          fmt::format("{} overlaps the segment before it", (*seg)->log_path().string()));
    }
    segments_.push_back(std::move(*seg));
  }
  high_watermark_ = segments_.back()->next_offset();
  return ok_status();
}

int64_t Partition::start_offset() const {
  std::shared_lock lock(segments_mu_);
  return segments_.front()->base_offset();
}

uint64_t Partition::size_bytes() const {
  std::shared_lock lock(segments_mu_);
  uint64_t total = 0;
  for (const auto& s : segments_) total += s->size();
  return total;
}

size_t Partition::segment_count() const {
  std::shared_lock lock(segments_mu_);
  return segments_.size();
}

std::shared_ptr<Segment> Partition::segment_for(int64_t offset) const {
  std::shared_lock lock(segments_mu_);
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), offset,
      [](int64_t o, const std::shared_ptr<Segment>& s) { return o < s->base_offset(); });
  if (it == segments_.begin()) return nullptr;
  return *std::prev(it);
}

std::shared_ptr<Segment> Partition::active() const {
  std::shared_lock lock(segments_mu_);
  return segments_.back();
}

Result<std::string> Partition::read(int64_t offset, size_t max_bytes) const {
  const int64_t hwm = high_watermark();
  if (offset < start_offset()) {
    return Error::invalid(
        fmt::format("offset {} is out of range: topic {} partition {} starts at {}", offset, topic_,
                    id_, start_offset()));
  }
  while (offset < hwm) {
    auto seg = segment_for(offset);
    if (!seg) return std::string();
    auto bytes = seg->read(offset, max_bytes, seg->size());
    if (!bytes) return bytes.error();
    if (bytes->empty()) {
      // Past this segment's end (a gap left by compaction, or a roll): try the next.
      if (seg->next_offset() <= offset) {
        std::shared_lock lock(segments_mu_);
        auto it = std::find(segments_.begin(), segments_.end(), seg);
        if (it == segments_.end() || std::next(it) == segments_.end()) return std::string();
        offset = (*std::next(it))->base_offset();
        continue;
      }
      return std::string();
    }
    // Drop batches at or past the high watermark: written, not yet durable.
    std::string_view view = *bytes;
    size_t keep = 0;
    while (keep < view.size()) {
      auto h = parse_batch_header(view.substr(keep));
      if (!h || h->base_offset >= hwm) break;
      keep += h->total_size();
    }
    bytes->resize(keep);
    return bytes;
  }
  return std::string();
}

Status Partition::scan(
    int64_t from, const std::function<void(const BatchHeader&, std::vector<Record>&&)>& fn) const {
  int64_t offset = std::max(from, start_offset());
  const int64_t end = high_watermark();
  while (offset < end) {
    auto bytes = read(offset, 1 << 20);
    if (!bytes) return bytes.error();
    if (bytes->empty()) break;
    auto st = for_each_batch(*bytes, [&](const BatchHeader& h, std::vector<Record>&& records) {
      offset = h.next_offset();
      fn(h, std::move(records));
    });
    if (!st) return st;
  }
  return ok_status();
}

Result<int64_t> Partition::offset_for_time(int64_t ts) const {
  std::vector<std::shared_ptr<Segment>> segs;
  {
    std::shared_lock lock(segments_mu_);
    segs = segments_;
  }
  for (const auto& seg : segs) {
    auto found = seg->offset_for_time(ts, seg->size());
    if (!found) return found.error();
    if (*found && **found < high_watermark()) return **found;
  }
  return high_watermark();
}

void Partition::notify_when_above(int64_t offset, std::function<void()> fn) {
  {
    std::lock_guard lock(waiters_mu_);
    if (high_watermark() <= offset) {
      waiters_.emplace_back(offset, std::move(fn));
      return;
    }
  }
  fn();
}

Result<int64_t> Partition::write(std::string& batch, const BatchHeader& header) {
  if (auto failed = failure())
    return Error::transient(fmt::format("partition failed earlier: {}", failed->message()));
  auto seg = active();
  const auto age = std::chrono::milliseconds(now_ms() - seg->created_ms());
  if (seg->size() > 0 &&
      (seg->size() + batch.size() > config_.segment_bytes || age >= config_.segment_age)) {
    if (auto st = roll(); !st) return st.error();
    seg = active();
  }
  const int64_t base = seg->next_offset();
  set_base_offset(batch, base);
  BatchHeader h = header;
  h.base_offset = base;
  if (auto st = seg->append(batch, h); !st) return st.error();
  return base;
}

Partition::WriteMany Partition::write_many(std::span<std::string*> batches,
                                           std::span<BatchHeader> headers) {
  WriteMany result;
  if (auto failed = failure()) {
    result.error = Error::transient(fmt::format("partition failed earlier: {}", failed->message()));
    return result;
  }
  std::vector<std::string_view> chunk;
  size_t i = 0;
  while (i < batches.size()) {
    auto seg = active();
    const auto age = std::chrono::milliseconds(now_ms() - seg->created_ms());
    if (seg->size() > 0 &&
        (seg->size() + batches[i]->size() > config_.segment_bytes || age >= config_.segment_age)) {
      if (auto st = roll(); !st) {
        result.error = st.error();
        return result;
      }
      seg = active();
    }
    // As many batches as fit in this segment (at least one) go down in one write.
    chunk.clear();
    const size_t first = i;
    uint64_t size = seg->size();
    int64_t base = seg->next_offset();
    while (i < batches.size() &&
           (chunk.empty() || size + batches[i]->size() <= config_.segment_bytes)) {
      set_base_offset(*batches[i], base);
      headers[i].base_offset = base;
      base = headers[i].next_offset();
      size += batches[i]->size();
      chunk.push_back(*batches[i]);
      ++i;
    }
    if (auto st = seg->append_many(chunk, headers.subspan(first, chunk.size())); !st) {
      result.error = st.error();
      return result;
    }
    result.written = i;
  }
  return result;
}

int64_t Partition::next_offset() const {
  return active()->next_offset();
}

Status Partition::roll() {
  auto old = active();
  // Blocks reserved past its end would stay allocated as long as the segment
  // is kept. Best effort: the space only waits for the segment's deletion.
  if (auto st = old->release_reserve(); !st) {
    spdlog::warn("topic {} partition {}: {}", topic_, id_, st.error().message());
  }
  // The old segment becomes immutable: make it durable whatever the policy,
  // so that recovery only ever has to check the tail. A sync pending on the
  // sync thread for this segment relies on this one for whatever the group
  // wrote here before the roll, so a failure fails the partition.
  if (auto st = old->sync(); !st) {
    fail(st.error());
    return st;
  }
  auto seg = Segment::create(dir_, old->next_offset(), segment_options_);
  if (!seg) return seg.error();
  std::unique_lock lock(segments_mu_);
  segments_.push_back(std::move(*seg));
  return ok_status();
}

Status Partition::sync() {
  return active()->sync();
}

void Partition::fail(const Error& error) {
  std::lock_guard lock(failed_mu_);
  if (failed_) return;
  spdlog::error("topic {} partition {} stops taking appends until a restart: {}", topic_, id_,
                error.message());
  failed_ = error;
}

std::optional<Error> Partition::failure() const {
  std::lock_guard lock(failed_mu_);
  return failed_;
}

void Partition::publish(int64_t end) {
  high_watermark_.store(end, std::memory_order_release);
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(waiters_mu_);
    auto split = std::stable_partition(waiters_.begin(), waiters_.end(),
                                       [end](const auto& w) { return w.first >= end; });
    for (auto it = split; it != waiters_.end(); ++it) ready.push_back(std::move(it->second));
    waiters_.erase(split, waiters_.end());
  }
  for (auto& fn : ready) fn();
}

std::vector<std::shared_ptr<Segment>> Partition::sealed_segments() const {
  std::shared_lock lock(segments_mu_);
  return {segments_.begin(), segments_.end() - 1};
}

Status Partition::replace_segment(int64_t base_offset, std::shared_ptr<Segment> rewritten) {
  std::unique_lock lock(segments_mu_);
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    if (segments_[i]->base_offset() == base_offset) {
      segments_[i] = std::move(rewritten);
      return ok_status();
    }
  }
  return Error::transient(fmt::format("segment {} is gone (retention?)", base_offset));
}

Result<RetentionResult> Partition::apply_retention(int64_t now) {
  RetentionResult result;
  while (true) {
    std::shared_ptr<Segment> victim;
    {
      std::unique_lock lock(segments_mu_);
      if (segments_.size() < 2) break;  // never the active segment
      const auto& oldest = segments_.front();
      bool expired = false;
      if (config_.retention_age) {
        const auto limit =
            std::chrono::duration_cast<std::chrono::milliseconds>(*config_.retention_age);
        expired = oldest->max_timestamp() >= 0 && now - oldest->max_timestamp() > limit.count();
      }
      if (!expired && config_.retention_bytes) {
        uint64_t total = 0;
        for (const auto& s : segments_) total += s->size();
        expired = total - oldest->size() >= *config_.retention_bytes;
      }
      // Never drop data a reader cannot have seen yet.
      if (!expired || oldest->next_offset() > high_watermark()) break;
      victim = oldest;
      segments_.erase(segments_.begin());
    }
    result.segments_removed++;
    result.bytes_removed += victim->size();
    if (auto st = victim->destroy(); !st) return st.error();
  }
  return result;
}

}  // namespace junction::log
