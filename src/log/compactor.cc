#include "log/compactor.h"

#include <filesystem>
#include <unordered_map>

#include "fmt/format.h"
#include "log/file.h"

namespace junction::log {
namespace fs = std::filesystem;

namespace {

// Every batch of a sealed segment, decoded.
Status for_each_segment_batch(
    const Segment& seg, const std::function<void(const BatchHeader&, std::vector<Record>&&)>& fn) {
  auto bytes = seg.read(seg.base_offset(), static_cast<size_t>(seg.size()), seg.size());
  if (!bytes) return bytes.error();
  return for_each_batch(*bytes, fn);
}

}  // namespace

Result<CompactionResult> compact_partition(Partition& partition, int64_t now_ms) {
  CompactionResult result;
  auto sealed = partition.sealed_segments();
  if (sealed.empty()) return result;

  // The latest offset of every key, over everything readable.
  std::unordered_map<std::string, int64_t> latest;
  auto scanned = partition.scan(0, [&](const BatchHeader&, std::vector<Record>&& records) {
    for (const auto& r : records) {
      if (r.key) latest[*r.key] = r.offset;
    }
  });
  if (!scanned) return scanned.error();

  const auto& config = partition.config();
  const int64_t tombstone_cutoff =
      now_ms -
      std::chrono::duration_cast<std::chrono::milliseconds>(config.tombstone_retention).count();
  for (const auto& seg : sealed) {
    std::string out;
    size_t removed = 0;
    Status encoded = ok_status();
    auto st = for_each_segment_batch(*seg, [&](const BatchHeader&, std::vector<Record>&& records) {
      std::vector<Record> keep;
      for (auto& r : records) {
        bool stays = true;
        if (r.key) {
          auto it = latest.find(*r.key);
          stays = it != latest.end() && it->second == r.offset &&
                  (r.value || r.timestamp_ms >= tombstone_cutoff);
        }
        if (stays) {
          keep.push_back(std::move(r));
        } else {
          ++removed;
        }
      }
      if (keep.empty() || !encoded) return;
      auto batch = encode_batch_keeping_offsets(keep, config.compression);
      if (!batch) {
        encoded = batch.error();
        return;
      }
      out += *batch;
    });
    if (!st) return st.error();
    if (!encoded) return encoded.error();
    if (removed == 0) continue;

    const auto log_path = seg->log_path();
    const auto cleaned = fs::path(log_path.string() + ".cleaned");
    {
      auto f = File::open(cleaned, true);
      if (!f) return f.error();
      if (auto s = f->truncate(0); !s) return s.error();
      if (auto s = f->write_at(0, out); !s) return s.error();
      if (auto s = f->sync_data(); !s) return s.error();
    }
    std::error_code ec;
    fs::rename(cleaned, log_path, ec);
    if (ec)
      return Error::transient(
          fmt::format("cannot replace {}: {}", log_path.string(), ec.message()));
    if (auto s = sync_directory(partition.dir()); !s) return s.error();
    auto reopened = Segment::open(partition.dir(), seg->base_offset(), partition.segment_options(),
                                  /*verify=*/true, /*repair=*/false);
    if (!reopened) return reopened.error();
    if (auto s = partition.replace_segment(seg->base_offset(), std::move(*reopened)); !s) {
      return s.error();
    }
    result.segments_rewritten++;
    result.records_removed += removed;
    result.bytes_before += seg->size();
    result.bytes_after += out.size();
  }
  return result;
}

}  // namespace junction::log
