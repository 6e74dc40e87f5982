#pragma once

#include <boost/container/static_vector.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/units.h"
#include "resilience/clock.h"

namespace junction::gateway {

using resilience::TimePoint;

// One limit: a token bucket of `burst` requests refilled at `per_second`.
struct RateLimit {
  std::string spec;  // as written: "50/s burst 100"
  double per_second = 0;
  uint64_t burst = 0;  // >= 1
  // The time to refill from empty: the "window" advertised to clients.
  Duration window() const;
};

// "1000/min" (bursts of up to 1000), "50/s burst 100", "10/h"; units s, m or
// min, h, d (see parse_rate in core/units.h). Error::invalid says what is wrong.
Result<RateLimit> parse_rate_limit(std::string_view text);

struct RateLimiterOptions {
  // At most this many keys hold buckets; beyond it the least recently used
  // key is forgotten. About 200 bytes a key plus 32 per limit.
  size_t max_keys = 100'000;
  size_t shards = 16;  // independent locks, so threads rarely contend
};

// Token buckets per key (a consumer, an IP, a route, a header value: the
// caller builds the key) under one or more limits; a request passes only if
// every limit lets it, and then it is taken from all of them.
//
// Memory is bounded: a key longer than kMaxKeyBytes is stored as its
// SHA-256, and at most max_keys keys are kept, evicting the least recently
// used. Evicting is nearly always lossless: a key idle for a window has a
// full bucket, the same as a new one. Only when max_keys distinct keys are
// seen within one window does an evicted key lose its debt and start again
// full; evictions_while_limited() counts those, to size max_keys by.
//
// Thread-safety: keys are spread over shards by hash, each behind its own
// mutex; check() may run on any thread.
class RateLimiter {
 public:
  static constexpr size_t kMaxKeyBytes = 64;

  struct Decision {
    bool allowed = false;
    // The limit that decided: the one with the fewest requests left when
    // allowed, the one that refused longest when not.
    size_t limit_index = 0;
    uint64_t limit = 0;          // its burst
    uint64_t remaining = 0;      // whole requests left under it
    uint64_t reset_seconds = 0;  // until it is full again, rounded up
    // Refused: until this request would pass, rounded up, at least 1 (about
    // 292 years if `cost` exceeds a burst: it never will). Allowed: 0.
    uint64_t retry_after_seconds = 0;
  };

  // Error::invalid without limits, or with max_keys or shards of 0.
  static Result<RateLimiter> create(std::vector<RateLimit> limits, RateLimiterOptions options = {});
  RateLimiter(RateLimiter&&) noexcept;
  RateLimiter& operator=(RateLimiter&&) noexcept;
  ~RateLimiter();

  Decision check(std::string_view key, TimePoint now, uint32_t cost = 1);

  // RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset and
  // RateLimit-Policy (every limit, "100;w=2, 1000;w=60") as in
  // draft-ietf-httpapi-ratelimit-headers-06, plus Retry-After when refused.
  // Fixed capacity, so a request's fields cost no heap allocation.
  using HeaderFields = boost::container::static_vector<std::pair<std::string_view, std::string>, 5>;
  HeaderFields header_fields(const Decision& d) const;
  // The same fields as header lines ("Name: value\r\n"), appended to `out`.
  void append_header_lines(const Decision& d, std::string& out) const;

  const std::vector<RateLimit>& limits() const { return limits_; }
  size_t key_count() const;
  uint64_t evictions() const;
  uint64_t evictions_while_limited() const;

 private:
  struct Shard;
  RateLimiter() = default;

  std::vector<RateLimit> limits_;
  std::string policy_;  // RateLimit-Policy: the same for every decision
  std::vector<Shard> shards_;
};

}  // namespace junction::gateway
