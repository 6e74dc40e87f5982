#include "resilience/call_window.h"

#include <algorithm>

namespace junction::resilience {

double CallTotals::failure_rate() const {
  return calls == 0 ? 0.0 : 100.0 * static_cast<double>(failures) / static_cast<double>(calls);
}

double CallTotals::slow_rate() const {
  return calls == 0 ? 0.0 : 100.0 * static_cast<double>(slow) / static_cast<double>(calls);
}

namespace {

void add(CallTotals& into, const CallTotals& t) {
  into.calls += t.calls;
  into.failures += t.failures;
  into.slow += t.slow;
}

void subtract(CallTotals& from, const CallTotals& t) {
  from.calls -= t.calls;
  from.failures -= t.failures;
  from.slow -= t.slow;
}

}  // namespace

CallWindow CallWindow::last_calls(uint32_t count) {
  CallWindow w;
  w.outcomes_.assign(std::max<uint32_t>(count, 1), 0);
  return w;
}

CallWindow CallWindow::last_duration(Duration span) {
  CallWindow w;
  w.bucket_width_ = std::max(span / kTimeBuckets, Duration(1));
  w.buckets_.resize(kTimeBuckets);
  // Epoch 0 would look current at the clock's epoch; start every bucket
  // far enough in the past to count as expired.
  for (auto& b : w.buckets_) b.epoch = INT64_MIN / 2;
  return w;
}

int64_t CallWindow::epoch_of(TimePoint now) const {
  auto t = now.time_since_epoch().count();
  auto width = bucket_width_.count();
  // Floor division: steady_clock's epoch is arbitrary, so `now` may be negative.
  return t >= 0 ? t / width : -((-t + width - 1) / width);
}

void CallWindow::expire(TimePoint now) {
  int64_t current = epoch_of(now);
  for (auto& b : buckets_) {
    if (b.totals.calls != 0 && b.epoch <= current - kTimeBuckets) {
      subtract(totals_, b.totals);
      b.totals = {};
    }
  }
}

void CallWindow::record(TimePoint now, bool failed, bool slow) {
  CallTotals call{1, failed ? 1u : 0u, slow ? 1u : 0u};
  if (!outcomes_.empty()) {
    uint8_t& slot = outcomes_[next_];
    // Once the ring is full, the call that falls out is the one overwritten.
    if (totals_.calls == outcomes_.size()) {
      subtract(totals_, {1, (slot & kFailed) ? 1u : 0u, (slot & kSlow) ? 1u : 0u});
    }
    slot = static_cast<uint8_t>((failed ? kFailed : 0) | (slow ? kSlow : 0));
    next_ = (next_ + 1) % outcomes_.size();
    add(totals_, call);
    return;
  }
  expire(now);
  int64_t epoch = epoch_of(now);
  auto index = static_cast<size_t>(((epoch % kTimeBuckets) + kTimeBuckets) % kTimeBuckets);
  Bucket& b = buckets_[index];
  // A bucket from a later epoch means the clock stepped back a whole ring:
  // the call is counted in the newer bucket rather than erasing it.
  if (b.epoch < epoch) {
    subtract(totals_, b.totals);
    b.totals = {};
    b.epoch = epoch;
  }
  add(b.totals, call);
  add(totals_, call);
}

CallTotals CallWindow::totals(TimePoint now) {
  if (!buckets_.empty()) expire(now);
  return totals_;
}

void CallWindow::clear() {
  totals_ = {};
  std::fill(outcomes_.begin(), outcomes_.end(), 0);
  next_ = 0;
  for (auto& b : buckets_) b = Bucket{INT64_MIN / 2, {}};
}

}  // namespace junction::resilience
