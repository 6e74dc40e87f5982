#include "resilience/bulkhead.h"

namespace junction::resilience {

// The counter guards no other memory, so relaxed ordering is enough: each
// read-modify-write still sees every earlier one on the same atomic.

Bulkhead::Permit& Bulkhead::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    other.owner_ = nullptr;
  }
  return *this;
}

void Bulkhead::Permit::release() {
  if (owner_ != nullptr) {
    owner_->leave();
    owner_ = nullptr;
  }
}

std::optional<Bulkhead::Permit> Bulkhead::try_enter() {
  uint32_t current = in_flight_.load(std::memory_order_relaxed);
  while (current < max_) {
    if (in_flight_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) {
      return Permit(this);
    }
  }
  rejected_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

}  // namespace junction::resilience
