#pragma once

#include <cstdint>

#include "core/error.h"
#include "log/partition.h"

namespace junction::log {

struct CompactionResult {
  size_t segments_rewritten = 0;
  size_t records_removed = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
};

// Log compaction, as Kafka's cleaner does it: in every sealed segment (never
// the active one), keep only the latest record of each key; a tombstone (a
// record with a key and no value) stays until it is older than the topic's
// tombstone_retention, then goes too. Records without a key are kept.
// Offsets never change, so consumers see gaps, never renumbering.
//
// A segment is rewritten to `<base>.log.cleaned`, fsynced, and renamed over
// the original, so a crash leaves either the old or the new segment whole.
// Readers holding the old segment finish on its open file.
Result<CompactionResult> compact_partition(Partition& partition, int64_t now_ms);

}  // namespace junction::log
