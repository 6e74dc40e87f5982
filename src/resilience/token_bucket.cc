#include "resilience/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace junction::resilience {
namespace {

constexpr int64_t kScale = 1'000'000'000;  // billionths per token
constexpr double kMinRate = 1e-9;

// The wait until `deficit` billionths have flowed in at `rate` per ns, rounded
// up so that a caller who waits exactly this long is never refused.
Duration wait_for(int64_t deficit, double rate) {
  if (deficit <= 0) return Duration::zero();
  double ns = std::ceil(static_cast<double>(deficit) / rate);
  if (ns >= static_cast<double>(Duration::max().count())) return Duration::max();
  return Duration(static_cast<int64_t>(ns));
}

}  // namespace

TokenBucket::TokenBucket(double rate_per_second, double burst, TimePoint now)
    : rate_(std::max(rate_per_second, kMinRate)),
      capacity_(std::llround(std::clamp(burst, 1.0, kMaxBurst) * kScale)),
      tokens_(capacity_),
      last_(now) {}

double TokenBucket::burst() const {
  return static_cast<double>(capacity_) / kScale;
}

int64_t TokenBucket::tokens_at(TimePoint now) const {
  // A clock that steps back refills nothing rather than draining the bucket.
  if (now <= last_) return tokens_;
  double inflow = static_cast<double>((now - last_).count()) * rate_;
  int64_t room = capacity_ - tokens_;
  if (inflow >= static_cast<double>(room)) return capacity_;
  return tokens_ + std::llround(inflow);
}

TakeResult TokenBucket::describe(int64_t tokens, int64_t needed, bool allowed) const {
  TakeResult r;
  r.allowed = allowed;
  r.remaining = static_cast<double>(tokens) / kScale;
  if (!allowed) {
    r.retry_after = needed > capacity_ ? Duration::max() : wait_for(needed - tokens, rate_);
  }
  r.until_full = wait_for(capacity_ - tokens, rate_);
  return r;
}

TakeResult TokenBucket::try_take(TimePoint now, uint32_t n) {
  tokens_ = tokens_at(now);
  last_ = std::max(last_, now);
  int64_t needed = static_cast<int64_t>(n) * kScale;
  bool allowed = tokens_ >= needed;
  if (allowed) tokens_ -= needed;
  return describe(tokens_, needed, allowed);
}

TakeResult TokenBucket::peek(TimePoint now, uint32_t n) const {
  int64_t tokens = tokens_at(now);
  int64_t needed = static_cast<int64_t>(n) * kScale;
  bool allowed = tokens >= needed;
  return describe(allowed ? tokens - needed : tokens, needed, allowed);
}

}  // namespace junction::resilience
