#include "core/ack.h"

#include <atomic>
#include <optional>

namespace junction {

struct Ack::State {
  Callback on_settled;
  std::vector<Ack> parents;
  std::atomic<size_t> pending{1};
  std::atomic<bool> failed{false};
  std::optional<Error> first_error;  // written once, by whoever flips `failed`

  void settle_one(Status status) {
    if (!status.ok()) {
      bool expected = false;
      if (failed.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
        first_error = std::move(status).error();
      }
    }
    if (pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    Status outcome = failed.load(std::memory_order_acquire) ? Status(*first_error) : ok_status();
    for (auto& parent : parents) parent.settle(outcome);
    if (on_settled) on_settled(std::move(outcome));
    delete this;
  }
};

Ack::Ack(Callback on_settled) : state_(new State) {
  state_->on_settled = std::move(on_settled);
}

Ack& Ack::operator=(Ack&& other) noexcept {
  if (this != &other) {
    if (state_) settle(Error::transient("message abandoned before it was settled"));
    state_ = other.state_;
    other.state_ = nullptr;
  }
  return *this;
}

Ack::~Ack() {
  if (state_) settle(Error::transient("message abandoned before it was settled"));
}

void Ack::settle(Status status) {
  State* s = state_;
  if (!s) return;
  state_ = nullptr;
  s->settle_one(std::move(status));
}

std::vector<Ack> Ack::split(Ack parent, size_t n) {
  std::vector<Ack> out;
  if (n == 0) {
    parent.ok();
    return out;
  }
  auto* s = new State;
  s->pending.store(n, std::memory_order_relaxed);
  s->parents.push_back(std::move(parent));
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(Ack(s));
  return out;
}

Ack Ack::join(std::vector<Ack> parts) {
  auto* s = new State;
  s->parents = std::move(parts);
  return Ack(s);
}

}  // namespace junction
