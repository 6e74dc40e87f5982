#include "resilience/call_window.h"

#include <gtest/gtest.h>

namespace junction::resilience {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{};

TEST(CallWindowTest, LastCallsKeepsTheNewestN) {
  auto w = CallWindow::last_calls(3);
  w.record(t0, true, false);
  w.record(t0, false, true);
  w.record(t0, true, true);
  auto t = w.totals(t0);
  EXPECT_EQ(t.calls, 3u);
  EXPECT_EQ(t.failures, 2u);
  EXPECT_EQ(t.slow, 2u);
  w.record(t0, false, false);  // pushes out the first failure
  t = w.totals(t0 + 1h);       // time plays no part
  EXPECT_EQ(t.calls, 3u);
  EXPECT_EQ(t.failures, 1u);
  EXPECT_EQ(t.slow, 2u);
  EXPECT_NEAR(t.failure_rate(), 100.0 / 3, 1e-9);
}

TEST(CallWindowTest, LastDurationForgetsOldBuckets) {
  auto w = CallWindow::last_duration(20s);  // buckets of 1s
  w.record(t0, true, false);
  w.record(t0 + 500ms, true, false);
  w.record(t0 + 10s, false, false);
  EXPECT_EQ(w.totals(t0 + 19s).calls, 3u);
  EXPECT_EQ(w.totals(t0 + 20s).calls, 1u);  // the first bucket expired
  EXPECT_EQ(w.totals(t0 + 20s).failures, 0u);
  EXPECT_EQ(w.totals(t0 + 30s).calls, 0u);
}

TEST(CallWindowTest, ReusedBucketStartsEmpty) {
  auto w = CallWindow::last_duration(20s);
  w.record(t0, true, false);
  w.record(t0 + 20s, false, false);  // same ring slot, a later epoch
  auto t = w.totals(t0 + 20s);
  EXPECT_EQ(t.calls, 1u);
  EXPECT_EQ(t.failures, 0u);
}

TEST(CallWindowTest, AClockSteppingBackKeepsCounts) {
  auto w = CallWindow::last_duration(20s);
  w.record(t0 + 40s, true, false);
  w.record(t0 + 20s, true, false);  // two rings back, same slot
  EXPECT_EQ(w.totals(t0 + 40s).calls, 2u);
}

TEST(CallWindowTest, ClearEmptiesBothKinds) {
  auto count = CallWindow::last_calls(2);
  count.record(t0, true, true);
  count.clear();
  EXPECT_EQ(count.totals(t0).calls, 0u);
  count.record(t0, false, false);
  count.record(t0, false, false);
  count.record(t0, false, false);
  EXPECT_EQ(count.totals(t0).calls, 2u);

  auto time = CallWindow::last_duration(1s);
  time.record(t0, true, true);
  time.clear();
  EXPECT_EQ(time.totals(t0).calls, 0u);
}

TEST(CallWindowTest, RatesOfNothingAreZero) {
  CallTotals t;
  EXPECT_EQ(t.failure_rate(), 0);
  EXPECT_EQ(t.slow_rate(), 0);
}

}  // namespace
}  // namespace junction::resilience
