#include "resilience/circuit_breaker.h"

#include <algorithm>
#include <string>
#include <utility>

namespace junction::resilience {
namespace {

bool valid_percent(double p) {
  return p > 0 && p <= 100;
}

CallWindow make_window(const CircuitBreakerConfig& c) {
  if (c.window == CircuitBreakerConfig::Window::kLastDuration) {
    return CallWindow::last_duration(c.window_duration);
  }
  return CallWindow::last_calls(c.window_calls);
}

uint32_t effective_minimum_calls(const CircuitBreakerConfig& c) {
  uint32_t m = std::max<uint32_t>(c.minimum_calls, 1);
  if (c.window == CircuitBreakerConfig::Window::kLastCalls) {
    m = std::min(m, std::max<uint32_t>(c.window_calls, 1));
  }
  return m;
}

}  // namespace

std::string_view to_string(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

Status CircuitBreakerConfig::validate() const {
  if (!valid_percent(failure_rate_threshold)) {
    return Error::invalid("failure_rate_threshold must be in (0, 100], got " +
                          std::to_string(failure_rate_threshold));
  }
  if (!valid_percent(slow_call_rate_threshold)) {
    return Error::invalid("slow_call_rate_threshold must be in (0, 100], got " +
                          std::to_string(slow_call_rate_threshold));
  }
  if (window == Window::kLastCalls && window_calls == 0) {
    return Error::invalid("window_calls must be at least 1");
  }
  if (window == Window::kLastDuration && window_duration <= Duration::zero()) {
    return Error::invalid("window_duration must be positive");
  }
  if (minimum_calls == 0) return Error::invalid("minimum_calls must be at least 1");
  if (permitted_in_half_open == 0) {
    return Error::invalid("permitted_in_half_open must be at least 1");
  }
  if (wait_in_open < Duration::zero()) return Error::invalid("wait_in_open must not be negative");
  if (slow_call_duration <= Duration::zero()) {
    return Error::invalid("slow_call_duration must be positive");
  }
  return ok_status();
}

CircuitBreaker::CircuitBreaker(CircuitBreakerConfig config, TransitionListener on_transition)
    : config_([&] {
        config.permitted_in_half_open = std::max<uint32_t>(config.permitted_in_half_open, 1);
        return config;
      }()),
      minimum_calls_(effective_minimum_calls(config_)),
      on_transition_(std::move(on_transition)),
      window_(make_window(config_)) {}

bool CircuitBreaker::over_threshold(const CallTotals& t) const {
  return t.calls > 0 && (t.failure_rate() >= config_.failure_rate_threshold ||
                         t.slow_rate() >= config_.slow_call_rate_threshold);
}

void CircuitBreaker::enter(CircuitState to, TimePoint now) {
  CircuitState from = state_;
  state_ = to;
  closed_.store(to == CircuitState::kClosed, std::memory_order_release);
  ++transitions_[static_cast<size_t>(to)];
  switch (to) {
    case CircuitState::kOpen:
      opened_at_ = now;
      break;
    case CircuitState::kHalfOpen:
      half_open_granted_ = 0;
      half_open_results_ = {};
      break;
    case CircuitState::kClosed:
      // A closed circuit judges only calls made since it closed.
      window_.clear();
      break;
  }
  if (on_transition_) on_transition_(from, to);
}

void CircuitBreaker::advance(TimePoint now) {
  if (state_ == CircuitState::kOpen && now - opened_at_ >= config_.wait_in_open) {
    enter(CircuitState::kHalfOpen, now);
  }
}

bool CircuitBreaker::acquire(TimePoint now) {
  // Closed, the answer needs no lock: a call racing the opening counts as
  // one that acquired just before it.
  if (closed_.load(std::memory_order_acquire)) return true;
  std::lock_guard lock(mu_);
  advance(now);
  switch (state_) {
    case CircuitState::kClosed:
      return true;
    case CircuitState::kOpen:
      return false;
    case CircuitState::kHalfOpen:
      if (half_open_granted_ >= config_.permitted_in_half_open) return false;
      ++half_open_granted_;
      return true;
  }
  return false;
}

void CircuitBreaker::release() {
  std::lock_guard lock(mu_);
  if (state_ == CircuitState::kHalfOpen && half_open_granted_ > half_open_results_.calls) {
    --half_open_granted_;
  }
}

void CircuitBreaker::record_success(TimePoint now, Duration duration) {
  record(now, duration, false);
}

void CircuitBreaker::record_failure(TimePoint now, Duration duration) {
  record(now, duration, true);
}

void CircuitBreaker::record(TimePoint now, Duration duration, bool failed) {
  std::lock_guard lock(mu_);
  advance(now);
  bool slow = duration > config_.slow_call_duration;
  switch (state_) {
    case CircuitState::kClosed: {
      window_.record(now, failed, slow);
      CallTotals t = window_.totals(now);
      if (t.calls >= minimum_calls_ && over_threshold(t)) enter(CircuitState::kOpen, now);
      return;
    }
    case CircuitState::kOpen:
      return;
    case CircuitState::kHalfOpen: {
      if (half_open_results_.calls >= half_open_granted_) return;
      ++half_open_results_.calls;
      if (failed) ++half_open_results_.failures;
      if (slow) ++half_open_results_.slow;
      if (half_open_results_.calls >= config_.permitted_in_half_open) {
        enter(over_threshold(half_open_results_) ? CircuitState::kOpen : CircuitState::kClosed,
              now);
      }
      return;
    }
  }
}

CircuitState CircuitBreaker::state(TimePoint now) {
  std::lock_guard lock(mu_);
  advance(now);
  return state_;
}

uint64_t CircuitBreaker::transitions_to(CircuitState state) const {
  std::lock_guard lock(mu_);
  return transitions_[static_cast<size_t>(state)];
}

CallTotals CircuitBreaker::window_totals(TimePoint now) {
  std::lock_guard lock(mu_);
  return window_.totals(now);
}

}  // namespace junction::resilience
