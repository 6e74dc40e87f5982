#pragma once

#include <cstdint>
#include <string_view>

namespace junction::log {

// Kafka's default partitioner: murmur2 (seed 0x9747b28c) of the key bytes,
// made positive by masking the sign bit, modulo the partition count. Using
// the same function means a key lands on the same partition number here as
// with any Kafka client, so a spec can move to Kafka without reshuffling.
int32_t murmur2(std::string_view key);
int32_t partition_for_key(std::string_view key, int32_t partitions);

}  // namespace junction::log
