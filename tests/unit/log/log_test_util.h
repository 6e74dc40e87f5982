#pragma once

#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "log/record_batch.h"
#include "log/store.h"

namespace junction::log::test {

inline Record make_record(const std::string& value, int64_t ts = 1000,
                          std::optional<std::string> key = std::nullopt) {
  Record r;
  r.timestamp_ms = ts;
  r.key = std::move(key);
  r.value = value;
  return r;
}

inline std::string make_batch(const std::vector<Record>& records,
                              Compression c = Compression::kNone) {
  return *encode_batch(0, records, c);
}

// Every record in `bytes` (whole batches back to back).
inline std::vector<Record> decode_all(std::string_view bytes) {
  std::vector<Record> out;
  while (!bytes.empty()) {
    auto h = parse_batch_header(bytes);
    if (!h) break;
    auto rs = decode_batch(bytes.substr(0, h->total_size()));
    if (!rs) break;
    out.insert(out.end(), rs->begin(), rs->end());
    bytes.remove_prefix(h->total_size());
  }
  return out;
}

// A store in `dir` with default options (the error says why it did not open).
inline Result<std::unique_ptr<Store>> open_store(const std::filesystem::path& dir) {
  StoreOptions opts;
  opts.dir = dir;
  return Store::open(opts);
}

// Produces and waits for the journal's answer.
inline Result<AppendResult> produce_sync(Store& store, Topic& topic, int32_t partition,
                                         const std::vector<Record>& records) {
  std::promise<Result<AppendResult>> p;
  store.produce(topic, partition, records,
                [&](Result<AppendResult> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

// Reads every readable record of a partition from `from`.
inline std::vector<Record> read_all(const Partition& p, int64_t from = 0) {
  std::vector<Record> out;
  int64_t offset = std::max(from, p.start_offset());
  while (offset < p.high_watermark()) {
    auto bytes = p.read(offset, 64 * 1024);
    if (!bytes || bytes->empty()) break;
    for (auto& r : decode_all(*bytes)) {
      if (r.offset >= offset) out.push_back(r);
    }
    offset = out.empty() ? offset + 1 : out.back().offset + 1;
  }
  return out;
}

}  // namespace junction::log::test
