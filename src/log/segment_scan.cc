#include "log/segment_scan.h"

#include <algorithm>

#include "fmt/format.h"

namespace junction::log {
namespace {

// A whole, CRC-valid batch starts at `pos`.
bool valid_batch_at(std::string_view data, uint64_t pos) {
  if (data.size() - pos < kBatchHeaderSize) return false;
  if (static_cast<int8_t>(data[pos + 16]) != kMagic) return false;  // cheap filter first
  auto rest = data.substr(pos);
  auto h = parse_batch_header(rest);
  if (!h || h->total_size() > rest.size()) return false;
  return batch_crc_ok(rest);
}

bool valid_batch_after(std::string_view data, uint64_t from) {
  for (uint64_t p = from + 1; p + kBatchHeaderSize <= data.size(); ++p) {
    if (valid_batch_at(data, p)) return true;
  }
  return false;
}

}  // namespace

ScanOutcome scan_batches(std::string_view data, int64_t base_offset,
                         const std::function<void(const BatchHeader&, uint64_t)>& on_batch) {
  ScanOutcome out;
  out.next_offset = base_offset;
  uint64_t pos = 0;
  auto fail = [&](std::string problem) {
    out.valid_bytes = pos;
    out.problem = std::move(problem);
    out.state =
        valid_batch_after(data, pos) ? ScanOutcome::State::kCorrupt : ScanOutcome::State::kTornTail;
    return out;
  };
  while (pos < data.size()) {
    auto rest = data.substr(pos);
    if (rest.size() < kBatchHeaderSize) {
      return fail(fmt::format("{} bytes at the end are shorter than a batch header", rest.size()));
    }
    auto h = parse_batch_header(rest);
    if (!h) return fail(h.error().message());
    if (h->total_size() > rest.size()) {
      return fail(fmt::format("batch at offset {} claims {} bytes, {} remain", h->base_offset,
                              h->total_size(), rest.size()));
    }
    if (!batch_crc_ok(rest)) {
      return fail(fmt::format("batch at offset {} fails its CRC", h->base_offset));
    }
    if (h->base_offset < out.next_offset) {
      return fail(fmt::format("batch at offset {} goes back from offset {}", h->base_offset,
                              out.next_offset));
    }
    if (on_batch) on_batch(*h, pos);
    out.next_offset = h->next_offset();
    out.max_timestamp = std::max(out.max_timestamp, h->max_timestamp);
    pos += h->total_size();
  }
  out.valid_bytes = pos;
  return out;
}

}  // namespace junction::log
