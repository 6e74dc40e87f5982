#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

#include "core/error.h"
#include "core/units.h"
#include "resilience/call_window.h"
#include "resilience/clock.h"

namespace junction::resilience {

enum class CircuitState : uint8_t { kClosed, kOpen, kHalfOpen };

// "closed", "open", "half_open": the names metrics and logs use.
std::string_view to_string(CircuitState state);

// Defaults are Resilience4j's, so its documentation applies as written.
struct CircuitBreakerConfig {
  enum class Window : uint8_t { kLastCalls, kLastDuration };

  Window window = Window::kLastCalls;
  uint32_t window_calls = 100;                          // kLastCalls: judge the last N calls
  Duration window_duration = std::chrono::seconds(60);  // kLastDuration: the calls of the last D
  // No verdict before this many calls are in the window. With kLastCalls it
  // is capped at window_calls, as in Resilience4j.
  uint32_t minimum_calls = 100;
  double failure_rate_threshold = 50;     // percent, in (0, 100]: open at or above it
  double slow_call_rate_threshold = 100;  // percent, in (0, 100]: open at or above it
  Duration slow_call_duration = std::chrono::seconds(60);  // slower than this is slow
  Duration wait_in_open = std::chrono::seconds(60);
  uint32_t permitted_in_half_open = 10;

  // Says which field is out of range. The breaker itself only guards against
  // values that would break it: zero sizes count as 1.
  Status validate() const;
};

// A circuit breaker with Resilience4j's state machine:
//
//   closed    --(failure or slow rate >= threshold, over >= minimum_calls)--> open
//   open      --(wait_in_open elapsed; noticed by the next call)-----------> half_open
//   half_open --(the permitted trial calls are all recorded)---------------> closed
//                 if both rates are below their thresholds, else ----------> open
//
// Results are attributed to the state current when they are recorded, as
// in Resilience4j: a result recorded while open came from a call started
// before the circuit opened and is dropped; half-open counts at most as many
// results as it granted permits. A caller that acquired a permit and then
// did not make the call must release() it, or half-open waits for a result
// that never comes.
//
// Thread-safety: every member takes one mutex, but for acquire() while
// closed, which reads an atomic (every I/O thread calls it per request,
// and they would contend); a breaker guards one upstream and is consulted
// once per call, not per byte. The transition listener runs
// under that mutex, so transitions are reported in order; it must not call
// back into the breaker.
class CircuitBreaker {
 public:
  using TransitionListener = std::function<void(CircuitState from, CircuitState to)>;

  explicit CircuitBreaker(CircuitBreakerConfig config, TransitionListener on_transition = {});
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Whether a call may be made now. In half-open each true uses up a permit.
  bool acquire(TimePoint now);
  // Gives back a permit whose call was never made.
  void release();
  void record_success(TimePoint now, Duration duration);
  void record_failure(TimePoint now, Duration duration);

  // The state at `now`: open turns half-open here once wait_in_open is over.
  CircuitState state(TimePoint now);
  // How many times the breaker entered `state` since it was built.
  uint64_t transitions_to(CircuitState state) const;
  // The outcomes in the closed-state window, for metrics. Kept while open,
  // so the rates that opened the circuit stay visible; emptied on closing.
  CallTotals window_totals(TimePoint now);

 private:
  void record(TimePoint now, Duration duration, bool failed);
  void advance(TimePoint now);
  void enter(CircuitState to, TimePoint now);
  bool over_threshold(const CallTotals& t) const;

  const CircuitBreakerConfig config_;
  const uint32_t minimum_calls_;
  const TransitionListener on_transition_;

  mutable std::mutex mu_;
  CircuitState state_ = CircuitState::kClosed;
  std::atomic<bool> closed_{true};  // state_ == kClosed, for acquire() without the lock
  CallWindow window_;
  TimePoint opened_at_{};
  uint32_t half_open_granted_ = 0;
  CallTotals half_open_results_;
  std::array<uint64_t, 3> transitions_{};
};

}  // namespace junction::resilience
