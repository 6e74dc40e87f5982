#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "resilience/clock.h"

namespace junction::gateway {

using resilience::TimePoint;

// A count of events over the last kSeconds whole seconds, lock-free: one
// slot per second, each an atomic holding the second it counts (high 32
// bits) and its count (low 32). A slot still holding an older second is
// taken over by the first event of the new one.
class WindowedCounter {
 public:
  static constexpr int64_t kSeconds = 10;

  explicit WindowedCounter(TimePoint origin) : origin_(origin) {}
  void add(TimePoint now);
  uint64_t sum(TimePoint now) const;

 private:
  uint32_t second(TimePoint now) const;

  TimePoint origin_;
  std::array<std::atomic<uint64_t>, kSeconds> slots_{};
};

// Finagle's RetryBudget: retries may add at most `percent` of the requests
// of the last 10 seconds, plus `min_per_second` a second so that a quiet
// upstream still gets its retries. Unlike a per-request attempt limit, a
// budget caps the extra load retries put on an upstream that is failing for
// everyone: with 20%, at most 1.2x the traffic, not attempts-times.
//
// Shared by every thread that proxies to the upstream. The check and the
// withdrawal are two atomic steps, so threads racing for the last retry may
// overdraw by one each: a budget, not an exact quota.
class RetryBudget {
 public:
  RetryBudget(double percent, uint32_t min_per_second, TimePoint origin);

  // Every request, before its first attempt.
  void record_request(TimePoint now) { requests_.add(now); }
  // True, and the retry is counted, when the budget allows one more.
  bool try_retry(TimePoint now);

  uint64_t requests(TimePoint now) const { return requests_.sum(now); }
  uint64_t retries(TimePoint now) const { return retries_.sum(now); }

 private:
  double ratio_;
  double floor_;  // retries a window allows with no requests
  WindowedCounter requests_;
  WindowedCounter retries_;
};

}  // namespace junction::gateway
