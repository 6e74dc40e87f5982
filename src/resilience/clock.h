#pragma once

#include <chrono>

namespace junction::resilience {

// Every time-dependent building block takes `now` as an argument instead of
// reading a clock: tests drive time by hand, and a request path reads the
// clock once and hands the same instant to every limiter and breaker.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

}  // namespace junction::resilience
