#include "gateway/upstream_health.h"

#include <algorithm>
#include <cmath>

namespace junction::gateway {

UpstreamHealth::UpstreamHealth(size_t targets, HealthThresholds thresholds,
                               std::optional<OutlierPolicy> outlier)
    : size_(targets),
      thresholds_(thresholds),
      outlier_(outlier),
      targets_(std::make_unique<TargetState[]>(targets)) {}

std::optional<Duration> UpstreamHealth::record_call(size_t target, bool failed, TimePoint now) {
  if (!outlier_) return std::nullopt;
  auto& failures = targets_[target].consecutive_failures;
  if (!failed) {
    // Most calls succeed: read first, so that they do not all write the
    // shared cache line.
    if (failures.load(std::memory_order_relaxed) != 0) {
      failures.store(0, std::memory_order_relaxed);
    }
    return std::nullopt;
  }
  // Calls that were in flight when the target was ejected fail after it:
  // they neither extend the ejection nor count towards the next one.
  if (ejected(target, now)) return std::nullopt;
  if (failures.fetch_add(1, std::memory_order_relaxed) + 1 < outlier_->consecutive_failures) {
    return std::nullopt;
  }
  return eject(target, now);
}

std::optional<Duration> UpstreamHealth::eject(size_t target, TimePoint now) {
  std::lock_guard lock(eject_mu_);
  TargetState& t = targets_[target];
  // Another thread ejected it since this failure counted.
  if (ejected(target, now)) {
    t.consecutive_failures.store(0, std::memory_order_relaxed);
    return std::nullopt;
  }
  // A success on another thread broke the run since this failure counted.
  if (t.consecutive_failures.load(std::memory_order_relaxed) < outlier_->consecutive_failures) {
    return std::nullopt;
  }
  t.consecutive_failures.store(0, std::memory_order_relaxed);
  if (ejected_count(now) + 1 > max_ejected()) return std::nullopt;
  // Every base_ejection spent back in rotation forgives one earlier
  // ejection, so a target that failed once a day is not out for max_ejection.
  const int64_t base = outlier_->base_ejection.count();
  if (t.times_ejected > 0 && t.back_at > 0) {
    int64_t forgiven = std::max<int64_t>(0, (ticks(now) - t.back_at) / base);
    t.times_ejected -= static_cast<uint32_t>(std::min<int64_t>(forgiven, t.times_ejected));
  }
  ++t.times_ejected;
  Duration length = std::min<Duration>(outlier_->base_ejection * t.times_ejected,
                                       std::max(outlier_->max_ejection, outlier_->base_ejection));
  t.back_at = ticks(now) + length.count();
  t.ejected_until.store(t.back_at, std::memory_order_relaxed);
  return length;
}

bool UpstreamHealth::record_check(size_t target, bool passed) {
  TargetState& t = targets_[target];
  int32_t streak = t.check_streak.load(std::memory_order_relaxed);
  if (passed) {
    streak = streak > 0 ? streak + 1 : 1;
  } else {
    streak = streak < 0 ? streak - 1 : -1;
  }
  t.check_streak.store(streak, std::memory_order_relaxed);
  const bool first = !t.checked.exchange(true, std::memory_order_relaxed);
  const bool was = t.healthy.load(std::memory_order_relaxed);
  bool now;
  if (was) {
    now = passed || (!first && static_cast<uint32_t>(-streak) < thresholds_.unhealthy);
  } else {
    now = passed && static_cast<uint32_t>(streak) >= thresholds_.healthy;
  }
  t.healthy.store(now, std::memory_order_relaxed);
  return now != was;
}

uint32_t UpstreamHealth::times_ejected(size_t target) const {
  std::lock_guard lock(eject_mu_);
  return targets_[target].times_ejected;
}

size_t UpstreamHealth::ejected_count(TimePoint now) const {
  size_t n = 0;
  for (size_t i = 0; i < size_; ++i) n += ejected(i, now) ? 1 : 0;
  return n;
}

size_t UpstreamHealth::max_ejected() const {
  if (!outlier_) return 0;
  // The epsilon keeps 3 targets at 100% from becoming 2.9999 and so 2.
  return static_cast<size_t>(
      std::floor(static_cast<double>(size_) * outlier_->max_ejection_percent / 100.0 + 1e-9));
}

}  // namespace junction::gateway
