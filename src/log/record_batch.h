#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace junction::log {

// Kafka's RecordBatch v2 (magic 2), byte for byte, so that stored batches can
// be served to Kafka clients without re-encoding. Layout (big-endian):
//   baseOffset i64 | batchLength i32 | partitionLeaderEpoch i32 | magic i8 |
//   crc u32 | attributes i16 | lastOffsetDelta i32 | baseTimestamp i64 |
//   maxTimestamp i64 | producerId i64 | producerEpoch i16 | baseSequence i32 |
//   recordCount i32 | records (compressed as a block when attributes say so)
// The CRC-32C covers attributes .. end.

enum class Compression : int8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

std::optional<Compression> compression_from_string(std::string_view name);
std::string_view to_string(Compression c);

struct RecordHeader {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const RecordHeader&) const = default;
};

struct Record {
  int64_t offset = 0;  // absolute; ignored when encoding (taken from position)
  int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt is a tombstone (compaction)
  std::vector<RecordHeader> headers;
  bool operator==(const Record&) const = default;
};

constexpr size_t kBatchOverhead = 12;     // baseOffset + batchLength
constexpr size_t kBatchHeaderSize = 61;   // everything before the records
constexpr size_t kCrcOffset = 17;         // where the CRC field starts
constexpr size_t kAttributesOffset = 21;  // where the CRC coverage starts
constexpr int8_t kMagic = 2;

struct BatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t leader_epoch = 0;
  int8_t magic = 0;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t first_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  int64_t last_offset() const { return base_offset + last_offset_delta; }
  int64_t next_offset() const { return last_offset() + 1; }
  size_t total_size() const { return kBatchOverhead + static_cast<size_t>(batch_length); }
  Compression compression() const { return static_cast<Compression>(attributes & 0x07); }
};

// Encodes `records` as one batch starting at `base_offset`. An empty span is
// a caller error (Kafka has no empty batches).
Result<std::string> encode_batch(int64_t base_offset, std::span<const Record> records,
                                 Compression compression);
// The same, into `out` (cleared first), so that a caller can reuse a buffer's
// capacity instead of allocating one per batch.
Status encode_batch(std::string& out, int64_t base_offset, std::span<const Record> records,
                    Compression compression);

// Encodes records that keep their own offsets (ascending, gaps allowed), as
// compaction rewrites them; the batch's base offset is the first one's.
Result<std::string> encode_batch_keeping_offsets(std::span<const Record> records,
                                                 Compression compression);

// Parses the fixed header from the first kBatchHeaderSize bytes. Checks the
// magic byte and that the lengths are sane; does not check the CRC.
Result<BatchHeader> parse_batch_header(std::string_view bytes);

// True when the CRC in `batch` (a whole batch, header included) matches.
bool batch_crc_ok(std::string_view batch);

// Decodes every record of a whole batch, after checking its CRC. `max_bytes`
// bounds the decompressed size, so a hostile batch cannot exhaust memory.
Result<std::vector<Record>> decode_batch(std::string_view batch,
                                         size_t max_decompressed = 64u << 20);

// Decodes whole batches laid back to back (as Partition::read returns them)
// and calls `fn` with each batch's header and records; stops at the first
// batch that does not decode.
Status for_each_batch(std::string_view batches,
                      const std::function<void(const BatchHeader&, std::vector<Record>&&)>& fn);

// Rewrites the base offset of an encoded batch in place. The CRC does not
// cover it, so a batch encoded before its offset is known stays valid.
void set_base_offset(std::string& batch, int64_t base_offset);

}  // namespace junction::log
