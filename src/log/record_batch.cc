#include "log/record_batch.h"

#include <algorithm>
#include <limits>

#include "fmt/format.h"
#include "log/byte_io.h"
#include "log/compression.h"
#include "log/crc32c.h"

namespace junction::log {
namespace {

std::string_view as_view(const std::string& s) {
  return s;
}

uint32_t crc_of(std::string_view covered) {
  return crc32c(0, std::as_bytes(std::span(covered.data(), covered.size())));
}

size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
size_t varint_size(int32_t v) {
  return uvarint_size(static_cast<uint32_t>((v << 1) ^ (v >> 31)));
}
size_t varlong_size(int64_t v) {
  return uvarint_size(static_cast<uint64_t>((v << 1) ^ (v >> 63)));
}
size_t nullable_size(const std::optional<std::string>& b) {
  return b ? varint_size(static_cast<int32_t>(b->size())) + b->size() : varint_size(-1);
}

// The record's length comes first, so it is computed up front and the
// record written straight into `out`: no per-record buffer or copy.
void encode_record(std::string& out, const Record& r, int32_t offset_delta, int64_t base_ts) {
  const int64_t ts_delta = r.timestamp_ms - base_ts;
  size_t length = 1 + varlong_size(ts_delta) + varint_size(offset_delta) + nullable_size(r.key) +
                  nullable_size(r.value) + varint_size(static_cast<int32_t>(r.headers.size()));
  for (const auto& h : r.headers) {
    length +=
        varint_size(static_cast<int32_t>(h.key.size())) + h.key.size() + nullable_size(h.value);
  }
  ByteWriter w(out);
  w.varint(static_cast<int32_t>(length));
  w.i8(0);  // record attributes: unused in v2
  w.varlong(ts_delta);
  w.varint(offset_delta);
  w.nullable(r.key);
  w.nullable(r.value);
  w.varint(static_cast<int32_t>(r.headers.size()));
  for (const auto& h : r.headers) {
    w.varint(static_cast<int32_t>(h.key.size()));
    w.bytes(h.key);
    w.nullable(h.value);
  }
}

size_t estimated_size(std::span<const Record> records) {
  size_t n = 0;
  for (const auto& r : records) {
    n += 24 + (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    for (const auto& h : r.headers) n += 10 + h.key.size() + (h.value ? h.value->size() : 0);
  }
  return n;
}

Result<Record> decode_record(ByteReader& in, const BatchHeader& h) {
  const int32_t length = in.varint();
  if (!in.ok() || length < 0 || static_cast<size_t>(length) > in.remaining()) {
    return Error::invalid("record length out of bounds");
  }
  ByteReader r(in.bytes(static_cast<size_t>(length)));
  Record rec;
  r.i8();
  rec.timestamp_ms = h.first_timestamp + r.varlong();
  rec.offset = h.base_offset + r.varint();
  rec.key = r.nullable();
  rec.value = r.nullable();
  const int32_t header_count = r.varint();
  if (!r.ok() || header_count < 0 || static_cast<size_t>(header_count) > r.remaining()) {
    return Error::invalid("record header count out of bounds");
  }
  rec.headers.reserve(static_cast<size_t>(header_count));
  for (int32_t i = 0; i < header_count && r.ok(); ++i) {
    RecordHeader hdr;
    const int32_t key_len = r.varint();
    if (key_len < 0) return Error::invalid("record header key is null");
    hdr.key = std::string(r.bytes(static_cast<size_t>(key_len)));
    hdr.value = r.nullable();
    rec.headers.push_back(std::move(hdr));
  }
  if (!r.ok()) return Error::invalid("record truncated");
  if (r.remaining() != 0) return Error::invalid("record has trailing bytes");
  return rec;
}

}  // namespace

std::optional<Compression> compression_from_string(std::string_view name) {
  if (name == "none") return Compression::kNone;
  if (name == "lz4") return Compression::kLz4;
  if (name == "zstd") return Compression::kZstd;
  return std::nullopt;
}

std::string_view to_string(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kSnappy:
      return "snappy";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

namespace {

Status encode(std::string& out, int64_t base_offset, std::span<const Record> records,
              Compression compression, bool keep_offsets) {
  if (records.empty()) return Error::invalid("a record batch needs at least one record");
  if (records.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Error::invalid("too many records for one batch");
  }
  int64_t first_ts = records.front().timestamp_ms;
  int64_t max_ts = first_ts;
  for (const auto& r : records) {
    first_ts = std::min(first_ts, r.timestamp_ms);
    max_ts = std::max(max_ts, r.timestamp_ms);
  }
  const int64_t last_delta =
      keep_offsets ? records.back().offset - base_offset : static_cast<int64_t>(records.size() - 1);

  out.clear();
  const bool plain = compression == Compression::kNone;
  out.reserve(kBatchHeaderSize + (plain ? estimated_size(records) : 0));
  ByteWriter w(out);
  w.i64(base_offset);
  w.i32(0);   // batchLength, patched below
  w.i32(-1);  // partitionLeaderEpoch: no leader election here
  w.i8(kMagic);
  w.u32(0);  // crc, patched below
  w.i16(static_cast<int16_t>(compression));
  w.i32(static_cast<int32_t>(last_delta));
  w.i64(first_ts);
  w.i64(max_ts);
  w.i64(-1);  // producerId: no idempotent producer state
  w.i16(-1);
  w.i32(-1);
  w.i32(static_cast<int32_t>(records.size()));
  // Uncompressed records go straight after the header; compressed ones are
  // gathered first, then packed in one block.
  std::string body;
  std::string& target = plain ? out : body;
  if (!plain) body.reserve(estimated_size(records));
  for (size_t i = 0; i < records.size(); ++i) {
    const int64_t delta = keep_offsets ? records[i].offset - base_offset : static_cast<int64_t>(i);
    if (delta < 0 || delta > std::numeric_limits<int32_t>::max() ||
        (i > 0 && keep_offsets && records[i].offset <= records[i - 1].offset)) {
      return Error::invalid("record offsets must ascend within a batch");
    }
    encode_record(target, records[i], static_cast<int32_t>(delta), first_ts);
  }
  if (!plain) {
    auto packed = compress(compression, body);
    if (!packed) return packed.error();
    w.bytes(*packed);
  }
  w.patch_u32(8, static_cast<uint32_t>(out.size() - kBatchOverhead));
  w.patch_u32(kCrcOffset, crc_of(as_view(out).substr(kAttributesOffset)));
  return ok_status();
}

}  // namespace

Result<std::string> encode_batch(int64_t base_offset, std::span<const Record> records,
                                 Compression compression) {
  std::string out;
  if (auto st = encode(out, base_offset, records, compression, false); !st) return st.error();
  return out;
}

Status encode_batch(std::string& out, int64_t base_offset, std::span<const Record> records,
                    Compression compression) {
  return encode(out, base_offset, records, compression, false);
}

Result<std::string> encode_batch_keeping_offsets(std::span<const Record> records,
                                                 Compression compression) {
  if (records.empty()) return Error::invalid("a record batch needs at least one record");
  std::string out;
  if (auto st = encode(out, records.front().offset, records, compression, true); !st) {
    return st.error();
  }
  return out;
}

Result<BatchHeader> parse_batch_header(std::string_view bytes) {
  if (bytes.size() < kBatchHeaderSize) return Error::invalid("record batch header truncated");
  ByteReader r(bytes);
  BatchHeader h;
  h.base_offset = r.i64();
  h.batch_length = r.i32();
  h.leader_epoch = r.i32();
  h.magic = r.i8();
  h.crc = r.u32();
  h.attributes = r.i16();
  h.last_offset_delta = r.i32();
  h.first_timestamp = r.i64();
  h.max_timestamp = r.i64();
  h.producer_id = r.i64();
  h.producer_epoch = r.i16();
  h.base_sequence = r.i32();
  h.record_count = r.i32();
  if (h.magic != kMagic) {
    return Error::invalid(fmt::format("record batch magic is {}, expected {}", h.magic, kMagic));
  }
  if (h.batch_length < static_cast<int32_t>(kBatchHeaderSize - kBatchOverhead)) {
    return Error::invalid(fmt::format("record batch length {} is too small", h.batch_length));
  }
  if (h.base_offset < 0 || h.record_count < 0 || h.last_offset_delta < 0) {
    return Error::invalid("record batch header has negative fields");
  }
  return h;
}

bool batch_crc_ok(std::string_view batch) {
  auto h = parse_batch_header(batch);
  if (!h || batch.size() < h->total_size()) return false;
  return crc_of(batch.substr(kAttributesOffset, h->total_size() - kAttributesOffset)) == h->crc;
}

Result<std::vector<Record>> decode_batch(std::string_view batch, size_t max_decompressed) {
  auto h = parse_batch_header(batch);
  if (!h) return h.error();
  if (batch.size() < h->total_size()) return Error::invalid("record batch truncated");
  batch = batch.substr(0, h->total_size());
  if (crc_of(batch.substr(kAttributesOffset)) != h->crc) {
    return Error::invalid(fmt::format("record batch at offset {} fails its CRC", h->base_offset));
  }
  auto plain = decompress(h->compression(), batch.substr(kBatchHeaderSize), max_decompressed);
  if (!plain) return plain.error();
  // Each record takes at least 7 bytes, which bounds the count before reserve().
  if (static_cast<size_t>(h->record_count) > plain->size() / 7 + 1) {
    return Error::invalid("record count exceeds the batch size");
  }
  ByteReader in(*plain);
  std::vector<Record> records;
  records.reserve(static_cast<size_t>(h->record_count));
  for (int32_t i = 0; i < h->record_count; ++i) {
    auto rec = decode_record(in, *h);
    if (!rec) return rec.error().wrap(fmt::format("record {}", i));
    records.push_back(std::move(*rec));
  }
  if (in.remaining() != 0) return Error::invalid("record batch has trailing bytes");
  return records;
}

Status for_each_batch(std::string_view batches,
                      const std::function<void(const BatchHeader&, std::vector<Record>&&)>& fn) {
  while (!batches.empty()) {
    auto h = parse_batch_header(batches);
    if (!h) return h.error();
    auto records = decode_batch(batches.substr(0, h->total_size()));
    if (!records) return records.error();
    fn(*h, std::move(*records));
    batches.remove_prefix(h->total_size());
  }
  return ok_status();
}

void set_base_offset(std::string& batch, int64_t base_offset) {
  auto v = static_cast<uint64_t>(base_offset);
  for (int i = 7; i >= 0; --i) {
    batch[static_cast<size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
}

}  // namespace junction::log
