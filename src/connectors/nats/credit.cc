#include "connectors/nats/credit.h"

#include <algorithm>

namespace junction::connectors::nats {

InFlightCredit::InFlightCredit(int max_in_flight, int batch)
    : max_(std::max(max_in_flight, 1)), batch_(std::clamp(batch, 1, max_)) {}

int InFlightCredit::take() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stopped_ || max_ - in_flight_ >= batch_; });
  if (stopped_) return 0;
  in_flight_ += batch_;
  return batch_;
}

void InFlightCredit::give_back(int n) {
  if (n == 0) return;
  std::lock_guard lock(mu_);
  const bool was_short = max_ - in_flight_ < batch_;
  in_flight_ -= n;
  // Only the fetcher waits, and only for a whole batch of room.
  if (was_short && max_ - in_flight_ >= batch_) cv_.notify_all();
}

void InFlightCredit::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  cv_.notify_all();
}

bool InFlightCredit::stopped() {
  std::lock_guard lock(mu_);
  return stopped_;
}

int InFlightCredit::in_flight() {
  std::lock_guard lock(mu_);
  return in_flight_;
}

}  // namespace junction::connectors::nats
