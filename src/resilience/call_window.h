#pragma once

#include <cstdint>
#include <vector>

#include "core/units.h"
#include "resilience/clock.h"

namespace junction::resilience {

// Outcome counts of a set of calls. A call can be both failed and slow.
struct CallTotals {
  uint64_t calls = 0;
  uint64_t failures = 0;
  uint64_t slow = 0;

  double failure_rate() const;  // percent of calls; 0 when there are none
  double slow_rate() const;     // percent of calls; 0 when there are none
};

// The recent calls a circuit breaker judges by, as Resilience4j keeps them:
// either the last N calls (count-based), or the calls of the last D
// (time-based). The time-based window aggregates calls into kTimeBuckets
// buckets of D / kTimeBuckets each, so memory does not grow with traffic; a
// call leaves the window between D - D/kTimeBuckets and D after it was made.
//
// Not synchronised: the circuit breaker's mutex guards it.
class CallWindow {
 public:
  static constexpr int kTimeBuckets = 20;

  static CallWindow last_calls(uint32_t count);
  static CallWindow last_duration(Duration span);

  void record(TimePoint now, bool failed, bool slow);
  // Non-const: a time-based window drops the buckets that have expired.
  CallTotals totals(TimePoint now);
  void clear();

 private:
  struct Bucket {
    int64_t epoch = 0;  // which bucket-width interval since the clock's epoch
    CallTotals totals;
  };
  static constexpr uint8_t kFailed = 1;
  static constexpr uint8_t kSlow = 2;

  CallWindow() = default;
  void expire(TimePoint now);
  int64_t epoch_of(TimePoint now) const;

  CallTotals totals_;
  // Count-based: one outcome byte per call, in a ring.
  std::vector<uint8_t> outcomes_;
  size_t next_ = 0;
  // Time-based: a ring of buckets indexed by epoch.
  std::vector<Bucket> buckets_;
  Duration bucket_width_{};
};

}  // namespace junction::resilience
