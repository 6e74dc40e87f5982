#include "resilience/circuit_breaker.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace junction::resilience {
namespace {

using namespace std::chrono_literals;
using State = CircuitState;

const TimePoint t0{};
constexpr Duration kFast = 10ms;

CircuitBreakerConfig small_config() {
  CircuitBreakerConfig c;
  c.window_calls = 10;
  c.minimum_calls = 4;
  c.failure_rate_threshold = 50;
  c.slow_call_rate_threshold = 50;
  c.slow_call_duration = 1s;
  c.wait_in_open = 30s;
  c.permitted_in_half_open = 3;
  return c;
}

class CircuitBreakerTest : public ::testing::Test {
 protected:
  explicit CircuitBreakerTest(CircuitBreakerConfig config = small_config())
      : breaker_(config, [this](State from, State to) { seen_.emplace_back(from, to); }) {}

  void fail(int n, TimePoint at = t0) {
    for (int i = 0; i < n; ++i) breaker_.record_failure(at, kFast);
  }
  void succeed(int n, TimePoint at = t0) {
    for (int i = 0; i < n; ++i) breaker_.record_success(at, kFast);
  }
  // Opens the breaker at `at` with four failures.
  void trip(TimePoint at = t0) {
    fail(4, at);
    ASSERT_EQ(breaker_.state(at), State::kOpen);
  }

  CircuitBreaker breaker_;
  std::vector<std::pair<State, State>> seen_;
};

TEST_F(CircuitBreakerTest, StartsClosedAndPermitsCalls) {
  EXPECT_EQ(breaker_.state(t0), State::kClosed);
  EXPECT_TRUE(breaker_.acquire(t0));
  EXPECT_TRUE(seen_.empty());
}

TEST_F(CircuitBreakerTest, OpensWhenTheFailureRateReachesTheThreshold) {
  fail(1);
  succeed(2);
  EXPECT_EQ(breaker_.state(t0), State::kClosed);  // 3 calls: below minimum_calls
  fail(1);                                        // 2 of 4 = 50%: at the threshold
  EXPECT_EQ(breaker_.state(t0), State::kOpen);
  EXPECT_FALSE(breaker_.acquire(t0));
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0], std::make_pair(State::kClosed, State::kOpen));
  EXPECT_EQ(breaker_.transitions_to(State::kOpen), 1u);
}

TEST_F(CircuitBreakerTest, WaitsForMinimumCalls) {
  fail(3);
  EXPECT_EQ(breaker_.state(t0), State::kClosed);
  EXPECT_TRUE(breaker_.acquire(t0));
}

TEST_F(CircuitBreakerTest, StaysClosedBelowTheThreshold) {
  succeed(6);
  fail(4);  // 40%
  EXPECT_EQ(breaker_.state(t0), State::kClosed);
}

TEST_F(CircuitBreakerTest, SlowCallsOpenItToo) {
  breaker_.record_success(t0, 1s);  // exactly the threshold is not slow
  breaker_.record_success(t0, 1s);
  breaker_.record_success(t0, 1s + 1ns);
  EXPECT_EQ(breaker_.state(t0), State::kClosed);
  breaker_.record_success(t0, 5s);  // 2 of 4 slow = 50%
  EXPECT_EQ(breaker_.state(t0), State::kOpen);
  // The window that opened it stays readable for metrics.
  auto totals = breaker_.window_totals(t0);
  EXPECT_EQ(totals.calls, 4u);
  EXPECT_EQ(totals.slow, 2u);
  EXPECT_EQ(totals.failures, 0u);
}

TEST_F(CircuitBreakerTest, OpenTurnsHalfOpenAfterTheWait) {
  trip();
  EXPECT_FALSE(breaker_.acquire(t0 + 30s - 1ns));
  EXPECT_EQ(breaker_.state(t0 + 30s - 1ns), State::kOpen);
  EXPECT_EQ(breaker_.state(t0 + 30s), State::kHalfOpen);
  EXPECT_EQ(seen_.back(), std::make_pair(State::kOpen, State::kHalfOpen));
}

TEST_F(CircuitBreakerTest, HalfOpenPermitsExactlyTheTrialCalls) {
  trip();
  TimePoint later = t0 + 30s;
  EXPECT_TRUE(breaker_.acquire(later));
  EXPECT_TRUE(breaker_.acquire(later));
  EXPECT_TRUE(breaker_.acquire(later));
  EXPECT_FALSE(breaker_.acquire(later));
  EXPECT_FALSE(breaker_.acquire(later + 1h));  // still waiting for the trial results
}

TEST_F(CircuitBreakerTest, HalfOpenClosesWhenTrialsMostlySucceed) {
  trip();
  TimePoint later = t0 + 30s;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(breaker_.acquire(later));
  succeed(2, later);
  EXPECT_EQ(breaker_.state(later), State::kHalfOpen);
  fail(1, later);  // 1 of 3 = 33%: below 50%
  EXPECT_EQ(breaker_.state(later), State::kClosed);
  EXPECT_EQ(seen_.back(), std::make_pair(State::kHalfOpen, State::kClosed));
  // The closed window starts empty: three failures are below minimum_calls.
  fail(3, later);
  EXPECT_EQ(breaker_.state(later), State::kClosed);
}

TEST_F(CircuitBreakerTest, HalfOpenReopensWhenTrialsFail) {
  trip();
  TimePoint later = t0 + 30s;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(breaker_.acquire(later));
  succeed(1, later);
  fail(2, later);
  EXPECT_EQ(breaker_.state(later), State::kOpen);
  EXPECT_EQ(seen_.back(), std::make_pair(State::kHalfOpen, State::kOpen));
  // The wait starts again from the reopening.
  EXPECT_EQ(breaker_.state(later + 30s - 1ns), State::kOpen);
  EXPECT_EQ(breaker_.state(later + 30s), State::kHalfOpen);
  EXPECT_EQ(breaker_.transitions_to(State::kOpen), 2u);
  EXPECT_EQ(breaker_.transitions_to(State::kHalfOpen), 2u);
  EXPECT_EQ(breaker_.transitions_to(State::kClosed), 0u);
}

TEST_F(CircuitBreakerTest, SlowTrialsReopenIt) {
  trip();
  TimePoint later = t0 + 30s;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(breaker_.acquire(later));
  breaker_.record_success(later, 2s);
  breaker_.record_success(later, 2s);
  breaker_.record_success(later, kFast);
  EXPECT_EQ(breaker_.state(later), State::kOpen);
}

TEST_F(CircuitBreakerTest, ResultsRecordedWhileOpenAreDropped) {
  trip();
  succeed(100, t0 + 1s);
  EXPECT_EQ(breaker_.state(t0 + 1s), State::kOpen);
}

TEST_F(CircuitBreakerTest, HalfOpenCountsOnlyResultsItPermitted) {
  trip();
  TimePoint later = t0 + 30s;
  ASSERT_TRUE(breaker_.acquire(later));
  succeed(5, later);  // one permit: one result counts
  EXPECT_EQ(breaker_.state(later), State::kHalfOpen);
  ASSERT_TRUE(breaker_.acquire(later));
  ASSERT_TRUE(breaker_.acquire(later));
  succeed(2, later);
  EXPECT_EQ(breaker_.state(later), State::kClosed);
}

TEST_F(CircuitBreakerTest, ReleaseGivesAPermitBack) {
  trip();
  TimePoint later = t0 + 30s;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(breaker_.acquire(later));
  EXPECT_FALSE(breaker_.acquire(later));
  breaker_.release();
  EXPECT_TRUE(breaker_.acquire(later));
}

TEST_F(CircuitBreakerTest, OldOutcomesLeaveTheCountWindow) {
  succeed(3);
  fail(2);
  succeed(5);  // window of 10: 20% failed
  EXPECT_EQ(breaker_.state(t0), State::kClosed);
  EXPECT_EQ(breaker_.window_totals(t0).failures, 2u);
  succeed(5);  // the two failures fall out
  EXPECT_EQ(breaker_.window_totals(t0).failures, 0u);
  fail(4);  // 4 of the last 10
  EXPECT_EQ(breaker_.state(t0), State::kClosed);
  fail(1);  // 5 of the last 10
  EXPECT_EQ(breaker_.state(t0), State::kOpen);
}

class TimeWindowBreakerTest : public CircuitBreakerTest {
 protected:
  static CircuitBreakerConfig config() {
    CircuitBreakerConfig c = small_config();
    c.window = CircuitBreakerConfig::Window::kLastDuration;
    c.window_duration = 10s;
    c.minimum_calls = 3;
    return c;
  }
  TimeWindowBreakerTest() : CircuitBreakerTest(config()) {}
};

TEST_F(TimeWindowBreakerTest, OpensOnFailuresWithinTheWindow) {
  fail(1, t0);
  fail(1, t0 + 4s);
  EXPECT_EQ(breaker_.state(t0 + 4s), State::kClosed);
  fail(1, t0 + 9s);
  EXPECT_EQ(breaker_.state(t0 + 9s), State::kOpen);
}

TEST_F(TimeWindowBreakerTest, FailuresExpireWithTheWindow) {
  fail(2, t0);
  EXPECT_EQ(breaker_.window_totals(t0 + 9s).calls, 2u);
  EXPECT_EQ(breaker_.window_totals(t0 + 10s).calls, 0u);
  fail(1, t0 + 10s);  // only one failure left in the window: below minimum_calls
  EXPECT_EQ(breaker_.state(t0 + 10s), State::kClosed);
  // 3 of the 6 calls in the window failed: 50% opens it.
  succeed(3, t0 + 11s);
  fail(2, t0 + 12s);
  EXPECT_EQ(breaker_.state(t0 + 12s), State::kOpen);
}

TEST(CircuitBreakerConfigTest, MinimumCallsIsCappedByTheCountWindow) {
  CircuitBreakerConfig c = small_config();
  c.window_calls = 2;
  c.minimum_calls = 100;
  CircuitBreaker b(c);
  b.record_failure(t0, kFast);
  b.record_failure(t0, kFast);
  EXPECT_EQ(b.state(t0), State::kOpen);
}

TEST(CircuitBreakerConfigTest, ValidateNamesTheField) {
  EXPECT_TRUE(CircuitBreakerConfig{}.validate().ok());
  CircuitBreakerConfig c;
  c.failure_rate_threshold = 0;
  EXPECT_NE(c.validate().error().message().find("failure_rate_threshold"), std::string::npos);
  c = {};
  c.slow_call_rate_threshold = 101;
  EXPECT_NE(c.validate().error().message().find("slow_call_rate_threshold"), std::string::npos);
  c = {};
  c.permitted_in_half_open = 0;
  EXPECT_NE(c.validate().error().message().find("permitted_in_half_open"), std::string::npos);
  c = {};
  c.window = CircuitBreakerConfig::Window::kLastDuration;
  c.window_duration = Duration::zero();
  EXPECT_NE(c.validate().error().message().find("window_duration"), std::string::npos);
  EXPECT_EQ(c.validate().error().cls(), ErrorClass::kInvalid);
}

TEST(CircuitStateTest, Names) {
  EXPECT_EQ(to_string(State::kClosed), "closed");
  EXPECT_EQ(to_string(State::kOpen), "open");
  EXPECT_EQ(to_string(State::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace junction::resilience
