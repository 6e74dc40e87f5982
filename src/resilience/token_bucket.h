#pragma once

#include <cstdint>

#include "core/units.h"
#include "resilience/clock.h"

namespace junction::resilience {

// What a take (or a peek) found.
struct TakeResult {
  bool allowed = false;
  double remaining = 0;  // tokens left after the take, fractional
  // Until the requested tokens are available: zero when allowed, and
  // Duration::max() when more tokens were asked for than the bucket holds.
  Duration retry_after{};
  Duration until_full{};  // until the bucket holds `burst` tokens again
};

// A token bucket: holds at most `burst` tokens, refills continuously at
// `rate_per_second`, starts full. Tokens are counted in billionths so that
// refill arithmetic is exact for whole-nanosecond waits: "10/s" gives exactly
// one token after 100ms, not 0.9999999.
//
// Not synchronised: the owner (one io_context, or a lock such as the rate
// limiter's shard mutex) serialises calls.
class TokenBucket {
 public:
  // The largest burst a bucket holds; larger values are clamped to it.
  static constexpr double kMaxBurst = 1e9;

  // Preconditions, checked by whatever parses the configuration:
  // rate_per_second > 0 and 1 <= burst <= kMaxBurst. Out-of-range values are
  // clamped so that a bug cannot divide by zero.
  TokenBucket(double rate_per_second, double burst, TimePoint now);

  // Takes `n` tokens if the bucket holds them; takes nothing otherwise.
  TakeResult try_take(TimePoint now, uint32_t n = 1);
  // What try_take(now, n) would answer, without taking or refilling.
  TakeResult peek(TimePoint now, uint32_t n = 1) const;

  double rate_per_second() const { return rate_; }
  double burst() const;

 private:
  int64_t tokens_at(TimePoint now) const;
  TakeResult describe(int64_t tokens, int64_t needed, bool allowed) const;

  double rate_;  // tokens per second = billionths of a token per nanosecond
  int64_t capacity_;
  int64_t tokens_;
  TimePoint last_;
};

}  // namespace junction::resilience
