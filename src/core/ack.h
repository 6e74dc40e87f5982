#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "core/error.h"

namespace junction {

// The promise an input made upstream: settle me once the message is safe.
//
// An Ack is a move-only handle to one pending unit of work. The input's
// callback runs exactly once, when every unit derived from it is settled: ok
// if all succeeded, else with the first failure. A handle destroyed without
// being settled counts as a failure, so a message lost to a bug is redelivered
// rather than silently acknowledged.
class Ack {
 public:
  using Callback = std::function<void(Status)>;

  Ack() = default;  // an empty handle: settling it does nothing
  explicit Ack(Callback on_settled);
  Ack(Ack&& other) noexcept : state_(other.state_) { other.state_ = nullptr; }
  Ack& operator=(Ack&& other) noexcept;
  Ack(const Ack&) = delete;
  Ack& operator=(const Ack&) = delete;
  ~Ack();

  bool empty() const { return state_ == nullptr; }

  // Settles this unit; the handle becomes empty.
  void settle(Status status);
  void ok() { settle(ok_status()); }

  // n handles that together settle `parent` once all of them are settled
  // (split one message into n). With n == 0 the parent is settled ok now.
  static std::vector<Ack> split(Ack parent, size_t n);
  // One handle that settles every part when it is settled (batch n into one).
  static Ack join(std::vector<Ack> parts);

 private:
  struct State;
  explicit Ack(State* state) : state_(state) {}
  State* state_ = nullptr;
};

}  // namespace junction
