#include "resilience/backoff.h"

#include <algorithm>

namespace junction::resilience {

Duration Backoff::ceiling(int retry) const {
  if (retry < 1) retry = 1;
  // Cap the exponent: 2^62 ns is already centuries.
  int shift = std::min(retry - 1, 62);
  auto base = base_.count();
  auto max = max_.count();
  if (base <= 0) return Duration::zero();
  if (shift >= 62 || base > (max >> shift)) return max_;
  return Duration(std::min<int64_t>(max, base << shift));
}

Duration Backoff::delay(int retry) {
  auto hi = ceiling(retry).count();
  if (hi <= 0) return Duration::zero();
  std::uniform_int_distribution<int64_t> dist(0, hi);
  return Duration(dist(rng_));
}

}  // namespace junction::resilience
