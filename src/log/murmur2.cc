#include "log/murmur2.h"

namespace junction::log {

int32_t murmur2(std::string_view key) {
  // A transcription of org.apache.kafka.common.utils.Utils.murmur2, with
  // Java's signed 32-bit arithmetic done in uint32_t (same bits).
  const auto length = static_cast<uint32_t>(key.size());
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());

  uint32_t h = kSeed ^ length;
  const uint32_t length4 = length / 4;
  for (uint32_t i = 0; i < length4; ++i) {
    const uint32_t i4 = i * 4;
    uint32_t k = (data[i4 + 0] & 0xffu) + ((data[i4 + 1] & 0xffu) << 8) +
                 ((data[i4 + 2] & 0xffu) << 16) + ((data[i4 + 3] & 0xffu) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const uint32_t tail = length & ~3u;
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(data[tail + 2] & 0xff) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(data[tail + 1] & 0xff) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(data[tail] & 0xff);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t partition_for_key(std::string_view key, int32_t partitions) {
  const int32_t positive = murmur2(key) & 0x7fffffff;
  return positive % partitions;
}

}  // namespace junction::log
