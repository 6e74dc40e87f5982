#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "log/record_batch.h"

namespace junction::log {

// Kafka's block codecs for RecordBatch v2: lz4 is the LZ4 frame format, zstd
// a zstd frame. gzip and snappy are recognised but not produced or read here.
Result<std::string> compress(Compression codec, std::string_view plain);
Result<std::string> decompress(Compression codec, std::string_view packed, size_t max_size);

}  // namespace junction::log
