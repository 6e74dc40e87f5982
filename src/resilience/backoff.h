#pragma once

#include <cstdint>
#include <random>

#include "core/units.h"

namespace junction::resilience {

// Exponential backoff with full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"): the delay before retry n is uniform in
// [0, min(max, base * 2^(n-1))]. Full jitter spreads retries of many clients
// that failed together, which fixed or equal-jitter backoff does not.
class Backoff {
 public:
  Backoff(Duration base, Duration max, uint64_t seed = std::random_device{}())
      : base_(base), max_(max), rng_(seed) {}

  // The delay before retry number `retry` (1 = the first retry).
  Duration delay(int retry);
  // The upper bound of that delay, without jitter.
  Duration ceiling(int retry) const;

 private:
  Duration base_;
  Duration max_;
  std::mt19937_64 rng_;
};

}  // namespace junction::resilience
