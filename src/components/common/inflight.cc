#include "components/common/inflight.h"

#include <algorithm>

namespace junction::components {

Duration InflightTracker::backoff(int failures) {
  using std::chrono::milliseconds;
  constexpr milliseconds kBase(100);
  constexpr milliseconds kMax(5000);
  milliseconds d = kBase;
  for (int i = 1; i < failures && d < kMax; ++i) d *= 2;
  return std::min(d, kMax);
}

void InflightTracker::add(uint64_t offset, Buffer payload) {
  entries_.insert_or_assign(offset, Entry{std::move(payload), 1});
}

void InflightTracker::settled_ok(uint64_t offset) {
  entries_.erase(offset);
}

void InflightTracker::settled_failed(uint64_t offset, Clock::time_point now) {
  auto it = entries_.find(offset);
  if (it == entries_.end()) return;
  waiting_.emplace(now + backoff(it->second.attempts), offset);
}

std::vector<InflightTracker::Redelivery> InflightTracker::take_due(Clock::time_point now,
                                                                   size_t max) {
  std::vector<Redelivery> due;
  while (!waiting_.empty() && waiting_.begin()->first <= now && due.size() < max) {
    uint64_t offset = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    auto it = entries_.find(offset);
    if (it == entries_.end()) continue;
    ++it->second.attempts;
    due.push_back({offset, it->second.payload, it->second.attempts});
  }
  return due;
}

std::optional<InflightTracker::Clock::time_point> InflightTracker::next_due() const {
  if (waiting_.empty()) return std::nullopt;
  return waiting_.begin()->first;
}

}  // namespace junction::components
