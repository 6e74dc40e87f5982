#include "gateway/upstream_health.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace junction::gateway {
namespace {

using namespace std::chrono_literals;
using resilience::Clock;

OutlierPolicy policy(uint32_t failures = 3, double max_percent = 50) {
  OutlierPolicy p;
  p.consecutive_failures = failures;
  p.base_ejection = 10s;
  p.max_ejection = 25s;
  p.max_ejection_percent = max_percent;
  return p;
}

// Fails `target` n times in a row at `now`; returns the last call's ejection.
std::optional<Duration> fail(UpstreamHealth& h, size_t target, int n, TimePoint now) {
  std::optional<Duration> out;
  for (int i = 0; i < n; ++i) out = h.record_call(target, true, now);
  return out;
}

TEST(UpstreamHealth, ConsecutiveFailuresEjectForBaseTimesEjections) {
  UpstreamHealth h(4, {}, policy());
  const TimePoint t0 = Clock::now();
  EXPECT_FALSE(fail(h, 0, 2, t0));
  EXPECT_TRUE(h.available(0, t0));
  auto first = h.record_call(0, true, t0);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 10s);
  EXPECT_FALSE(h.available(0, t0));
  EXPECT_TRUE(h.ejected(0, t0 + 9s));
  EXPECT_FALSE(h.ejected(0, t0 + 10s));
  EXPECT_EQ(h.times_ejected(0), 1u);

  // Failing again right after it is back: twice as long, then capped at max_ejection.
  auto second = fail(h, 0, 3, t0 + 10s);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, 20s);
  auto third = fail(h, 0, 3, t0 + 30s);
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, 25s);
  EXPECT_EQ(h.times_ejected(0), 3u);
}

TEST(UpstreamHealth, ASuccessStartsTheRunOver) {
  UpstreamHealth h(2, {}, policy());
  const TimePoint t0 = Clock::now();
  fail(h, 0, 2, t0);
  EXPECT_FALSE(h.record_call(0, false, t0));
  EXPECT_FALSE(fail(h, 0, 2, t0));
  EXPECT_TRUE(h.available(0, t0));
  EXPECT_TRUE(h.record_call(0, true, t0));
}

TEST(UpstreamHealth, TimeBackInRotationForgivesEarlierEjections) {
  UpstreamHealth h(2, {}, policy());
  const TimePoint t0 = Clock::now();
  ASSERT_TRUE(fail(h, 0, 3, t0));        // 10s, back at t0+10s
  ASSERT_TRUE(fail(h, 0, 3, t0 + 10s));  // 20s, back at t0+30s
  EXPECT_EQ(h.times_ejected(0), 2u);
  // 25 s back in rotation forgives two base_ejections: the next one is the first again.
  auto next = fail(h, 0, 3, t0 + 55s);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 10s);
  EXPECT_EQ(h.times_ejected(0), 1u);
}

TEST(UpstreamHealth, NeverEjectsMoreThanMaxPercent) {
  UpstreamHealth h(5, {}, policy(3, 50));  // 2.5 rounds down to 2
  EXPECT_EQ(h.max_ejected(), 2u);
  const TimePoint t0 = Clock::now();
  EXPECT_TRUE(fail(h, 0, 3, t0));
  EXPECT_TRUE(fail(h, 1, 3, t0));
  EXPECT_FALSE(fail(h, 2, 3, t0));
  EXPECT_TRUE(h.available(2, t0));
  EXPECT_EQ(h.ejected_count(t0), 2u);
  // The refused run started over: two more failures are not enough...
  EXPECT_FALSE(fail(h, 2, 2, t0 + 10s));
  // ...a third is, now that the first two are back.
  EXPECT_TRUE(h.record_call(2, true, t0 + 10s));
  EXPECT_EQ(h.ejected_count(t0 + 10s), 1u);
}

TEST(UpstreamHealth, OneTargetAtFiftyPercentIsNeverEjected) {
  UpstreamHealth h(1, {}, policy(1, 50));
  EXPECT_EQ(h.max_ejected(), 0u);
  EXPECT_FALSE(fail(h, 0, 10, Clock::now()));
  UpstreamHealth all(3, {}, policy(1, 100));
  EXPECT_EQ(all.max_ejected(), 3u);
}

TEST(UpstreamHealth, FailuresOfCallsInFlightDuringAnEjectionDoNotExtendIt) {
  UpstreamHealth h(2, {}, policy(2));
  const TimePoint t0 = Clock::now();
  ASSERT_TRUE(fail(h, 0, 2, t0));
  EXPECT_FALSE(fail(h, 0, 5, t0 + 1s));
  EXPECT_FALSE(h.ejected(0, t0 + 10s));
  EXPECT_EQ(h.times_ejected(0), 1u);
  // Back, it takes a full run again.
  EXPECT_FALSE(h.record_call(0, true, t0 + 10s));
  EXPECT_TRUE(h.record_call(0, true, t0 + 10s));
}

TEST(UpstreamHealth, WithoutOutlierPolicyNothingIsEjected) {
  UpstreamHealth h(2, {}, std::nullopt);
  EXPECT_FALSE(fail(h, 0, 1000, Clock::now()));
  EXPECT_TRUE(h.available(0, Clock::now()));
  EXPECT_EQ(h.max_ejected(), 0u);
}

TEST(UpstreamHealth, FirstCheckDecidesThenThresholdsApply) {
  UpstreamHealth h(2, {2, 3}, std::nullopt);
  EXPECT_TRUE(h.healthy(0));
  EXPECT_TRUE(h.record_check(0, false));  // the first check: out at once
  EXPECT_FALSE(h.healthy(0));
  EXPECT_FALSE(h.record_check(0, true));  // one pass of two
  EXPECT_FALSE(h.healthy(0));
  EXPECT_TRUE(h.record_check(0, true));
  EXPECT_TRUE(h.healthy(0));
  EXPECT_FALSE(h.record_check(0, false));
  EXPECT_FALSE(h.record_check(0, false));
  EXPECT_FALSE(h.record_check(0, true));  // the run of failures is broken
  EXPECT_FALSE(h.record_check(0, false));
  EXPECT_FALSE(h.record_check(0, false));
  EXPECT_TRUE(h.healthy(0));
  EXPECT_TRUE(h.record_check(0, false));  // the third in a row
  EXPECT_FALSE(h.healthy(0));
  EXPECT_FALSE(h.available(0, Clock::now()));
  // A passing first check keeps a target in; the other target is untouched.
  EXPECT_FALSE(h.record_check(1, true));
  EXPECT_TRUE(h.healthy(1));
}

TEST(UpstreamHealth, ConcurrentFailuresEjectWithinTheLimit) {
  UpstreamHealth h(4, {}, policy(5, 50));
  const TimePoint t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&h, t0] {
      for (int n = 0; n < 1000; ++n) h.record_call(n % 4, true, t0);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.ejected_count(t0), 2u);
}

}  // namespace
}  // namespace junction::gateway
