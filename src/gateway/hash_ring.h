#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace junction::gateway {

// 64-bit FNV-1a followed by MurmurHash3's fmix64 finalizer. FNV-1a alone is
// fast and stable across builds and machines (unlike std::hash), but keys
// that differ only in their last bytes ("t#1", "t#2") land close together;
// the finalizer spreads them over the whole ring.
uint64_t stable_hash(std::string_view bytes);

// A consistent-hash ring (Karger et al.; the Ketama layout): each target owns
// `points` pseudo-random points, and a key belongs to the first point
// clockwise from its hash. Removing a target moves only the keys it owned, to
// the targets owning the following points, which are spread over all others.
//
// Points are derived from the targets' names, not their positions, so every
// gateway instance with the same targets builds the same ring, and a target's
// keys stay with it when another one is added or removed. Immutable once
// built: shared between threads without locks.
class HashRing {
 public:
  static constexpr uint32_t kPointsPerTarget = 160;

  explicit HashRing(const std::vector<std::string>& targets, uint32_t points = kPointsPerTarget);

  // The owner of `hash`, skipping targets for which `usable(index)` is false
  // by walking on clockwise: the keys of a target that is out go where they
  // would go if it were removed from the ring. Nullopt when none is usable.
  template <class Usable>
  std::optional<size_t> pick(uint64_t hash, Usable&& usable) const;

  size_t targets() const { return targets_; }

 private:
  struct Point {
    uint64_t hash;
    uint32_t target;
  };
  size_t first_at_or_after(uint64_t hash) const;

  std::vector<Point> points_;  // sorted by hash
  size_t targets_;
};

template <class Usable>
std::optional<size_t> HashRing::pick(uint64_t hash, Usable&& usable) const {
  if (points_.empty()) return std::nullopt;
  size_t at = first_at_or_after(hash);
  // A full turn visits every target; a target that is out is asked again at
  // each of its points, which costs an atomic load, and only while it is out.
  for (size_t step = 0; step < points_.size(); ++step) {
    const Point& p = points_[(at + step) % points_.size()];
    if (usable(static_cast<size_t>(p.target))) return p.target;
  }
  return std::nullopt;
}

}  // namespace junction::gateway
