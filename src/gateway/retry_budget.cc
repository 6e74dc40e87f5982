#include "gateway/retry_budget.h"

#include <chrono>

namespace junction::gateway {

uint32_t WindowedCounter::second(TimePoint now) const {
  // Wraps after 136 years, and a clock before the origin (a test's) counts as 0.
  auto s = std::chrono::duration_cast<std::chrono::seconds>(now - origin_).count();
  return static_cast<uint32_t>(s < 0 ? 0 : s);
}

void WindowedCounter::add(TimePoint now) {
  const uint64_t sec = second(now);
  auto& slot = slots_[sec % kSeconds];
  uint64_t old = slot.load(std::memory_order_relaxed);
  for (;;) {
    uint64_t next = (old >> 32) == sec ? old + 1 : (sec << 32) | 1;
    if (slot.compare_exchange_weak(old, next, std::memory_order_relaxed)) return;
  }
}

uint64_t WindowedCounter::sum(TimePoint now) const {
  const uint64_t sec = second(now);
  uint64_t total = 0;
  for (const auto& slot : slots_) {
    uint64_t v = slot.load(std::memory_order_relaxed);
    uint64_t at = v >> 32;
    if (at <= sec && sec - at < static_cast<uint64_t>(kSeconds)) total += v & 0xffffffffULL;
  }
  return total;
}

RetryBudget::RetryBudget(double percent, uint32_t min_per_second, TimePoint origin)
    : ratio_(percent / 100.0),
      floor_(static_cast<double>(min_per_second) * WindowedCounter::kSeconds),
      requests_(origin),
      retries_(origin) {}

bool RetryBudget::try_retry(TimePoint now) {
  double allowed = floor_ + ratio_ * static_cast<double>(requests_.sum(now));
  // The epsilon keeps 20% of 10 requests at 2 retries, not 1.9999.
  if (static_cast<double>(retries_.sum(now)) + 1 > allowed + 1e-9) return false;
  retries_.add(now);
  return true;
}

}  // namespace junction::gateway
