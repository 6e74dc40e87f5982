#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "log/record_batch.h"

namespace junction::log {

// The result of checking a segment's bytes batch by batch.
struct ScanOutcome {
  enum class State {
    kClean,     // every byte belongs to a valid batch
    kTornTail,  // valid batches, then bytes that are not a batch and no valid batch after them
    kCorrupt,   // a bad batch with a valid batch somewhere after it: not a torn write
  };
  State state = State::kClean;
  uint64_t valid_bytes = 0;  // length of the valid prefix
  int64_t next_offset = 0;   // offset after the last valid batch
  int64_t max_timestamp = -1;
  std::string problem;  // what is wrong at valid_bytes, when not clean
};

// Walks `data` (a whole segment file) from the start. Each batch must parse,
// fit, pass its CRC and not go back in offsets (compaction leaves gaps, never
// overlaps). `on_batch` sees each valid batch and its position.
//
// Telling a torn tail from corruption: a crash can only tear the last writes,
// so after the first bad byte we look for any later position that holds a
// whole valid batch. Finding one means data after the damage was once
// written completely, which a torn write cannot explain.
ScanOutcome scan_batches(std::string_view data, int64_t base_offset,
                         const std::function<void(const BatchHeader&, uint64_t)>& on_batch);

}  // namespace junction::log
