#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "core/units.h"
#include "resilience/clock.h"

namespace junction::gateway {

using resilience::TimePoint;

// When active health checks change a target's verdict.
struct HealthThresholds {
  uint32_t healthy = 2;    // passed checks in a row that put an unhealthy target back
  uint32_t unhealthy = 3;  // failed checks in a row that take a healthy target out
};

// When passive outlier detection ejects a target (Envoy's consecutive_5xx).
struct OutlierPolicy {
  uint32_t consecutive_failures = 5;
  Duration base_ejection = std::chrono::seconds(30);
  Duration max_ejection = std::chrono::minutes(5);
  double max_ejection_percent = 50;
};

// The health of one named upstream's targets, as every thread that proxies
// to it sees it: the active checks' verdict and the passive ejections.
//
// Thread-safety: the request path (available, record_call on a success) only
// loads and stores per-target atomics. Taking a target out is rare and takes
// a mutex, so that two threads cannot together eject more targets than
// max_ejection_percent allows. record_check is called by one health checker.
class UpstreamHealth {
 public:
  // `outlier` unset: calls are not judged and nothing is ever ejected.
  UpstreamHealth(size_t targets, HealthThresholds thresholds, std::optional<OutlierPolicy> outlier);
  UpstreamHealth(const UpstreamHealth&) = delete;
  UpstreamHealth& operator=(const UpstreamHealth&) = delete;

  size_t size() const { return size_; }

  // Whether a request may go to the target: it passes its checks and is not ejected.
  bool available(size_t target, TimePoint now) const {
    return healthy(target) && !ejected(target, now);
  }
  bool healthy(size_t target) const {
    return targets_[target].healthy.load(std::memory_order_relaxed);
  }
  bool ejected(size_t target, TimePoint now) const {
    return ticks(now) < targets_[target].ejected_until.load(std::memory_order_relaxed);
  }

  // The outcome of a proxied call: `failed` for no answer, a timeout or a 5xx.
  // The failure that completes a run of consecutive_failures ejects the
  // target, unless that would put more than max_ejection_percent of the
  // targets out; the run then starts over. Returns the ejection's length
  // when this call ejected the target.
  std::optional<Duration> record_call(size_t target, bool failed, TimePoint now);

  // The outcome of an active check. Targets start healthy and the first
  // check decides at once, so a target that is down at startup gets no
  // traffic; later the thresholds apply. Returns true when the verdict changed.
  bool record_check(size_t target, bool passed);

  // The multiplier of the target's last ejection: its ejections, less one
  // for every base_ejection it spent back in rotation before each of them.
  uint32_t times_ejected(size_t target) const;
  size_t ejected_count(TimePoint now) const;
  // How many targets may be out at once: max_ejection_percent of them, rounded down.
  size_t max_ejected() const;

 private:
  // One cache line per target: threads bump different targets' counters.
  struct alignas(64) TargetState {
    std::atomic<bool> healthy{true};
    std::atomic<bool> checked{false};
    std::atomic<int32_t> check_streak{0};  // > 0: passes in a row; < 0: failures
    std::atomic<uint32_t> consecutive_failures{0};
    std::atomic<int64_t> ejected_until{0};  // steady-clock ticks; in the past: not ejected
    // Under eject_mu_:
    uint32_t times_ejected = 0;
    int64_t back_at = 0;  // when the last ejection ended
  };

  static int64_t ticks(TimePoint t) { return t.time_since_epoch().count(); }
  std::optional<Duration> eject(size_t target, TimePoint now);

  size_t size_;
  HealthThresholds thresholds_;
  std::optional<OutlierPolicy> outlier_;
  std::unique_ptr<TargetState[]> targets_;
  mutable std::mutex eject_mu_;
};

}  // namespace junction::gateway
