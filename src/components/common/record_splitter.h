#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer.h"

namespace junction::components {

// One newline-terminated record of a byte stream, without its "\n" or "\r\n".
struct Record {
  Buffer bytes;
  uint64_t offset = 0;  // stream offset of the first byte
  uint64_t end = 0;     // stream offset just past the terminating newline
};

// Cuts a byte stream, fed in chunks, into records. Records that lie inside
// one chunk are slices of it (no copy); only a record spanning chunks is
// copied. In CSV mode a newline inside a quoted field does not end the record
// (RFC 4180). A record longer than `max_record` is dropped and reported by its
// offset, so one runaway line cannot make memory grow without bound.
class RecordSplitter {
 public:
  RecordSplitter(size_t max_record, bool csv_quotes, uint64_t start_offset = 0)
      : max_(max_record), csv_(csv_quotes), next_start_(start_offset), position_(start_offset) {}

  // Appends the complete records of `chunk` (the bytes right after the ones
  // fed before) to `out`, and the offsets of oversized records to `oversized`.
  void feed(const Buffer& chunk, std::vector<Record>& out, std::vector<uint64_t>& oversized);
  // The stream ended: its unterminated tail, if any, as a last record; an
  // oversized tail is reported in `oversized` instead.
  std::optional<Record> finish(std::vector<uint64_t>& oversized);

  // Offset just past the last complete (or dropped) record: where a reader
  // restarts without losing or repeating a record.
  uint64_t consumed() const { return next_start_; }
  // Offset just past the last byte fed.
  uint64_t position() const { return position_; }

 private:
  // Index of the newline ending the current record in [from, size), or npos.
  size_t find_end(const char* data, size_t from, size_t size);
  void emit(Buffer bytes, uint64_t end, std::vector<Record>& out);

  size_t max_;
  bool csv_;
  uint64_t next_start_;  // offset of the record being assembled
  uint64_t position_;
  std::string carry_;  // bytes of that record seen in earlier chunks
  bool in_quotes_ = false;
  bool skipping_ = false;  // the current record is oversized: discard to its end
};

}  // namespace junction::components
