#include "gateway/hash_ring.h"

#include <algorithm>

namespace junction::gateway {

uint64_t stable_hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

HashRing::HashRing(const std::vector<std::string>& targets, uint32_t points)
    : targets_(targets.size()) {
  points_.reserve(targets.size() * points);
  for (size_t t = 0; t < targets.size(); ++t) {
    for (uint32_t i = 0; i < points; ++i) {
      std::string key = targets[t] + "#" + std::to_string(i);
      points_.push_back({stable_hash(key), static_cast<uint32_t>(t)});
    }
  }
  // Ties (two targets written twice, or a 64-bit collision) go to the lower
  // index, so the ring does not depend on the sort's stability.
  std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.target < b.target;
  });
}

size_t HashRing::first_at_or_after(uint64_t hash) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                             [](const Point& p, uint64_t h) { return p.hash < h; });
  return it == points_.end() ? 0 : static_cast<size_t>(it - points_.begin());
}

}  // namespace junction::gateway
