#include "gateway/retry_budget.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace junction::gateway {
namespace {

using namespace std::chrono_literals;
using resilience::Clock;

int retries_allowed(RetryBudget& budget, TimePoint now, int tries = 1000) {
  int n = 0;
  for (int i = 0; i < tries; ++i) n += budget.try_retry(now) ? 1 : 0;
  return n;
}

TEST(RetryBudget, RetriesAreAShareOfRequests) {
  const TimePoint t0 = Clock::now();
  RetryBudget budget(20, 0, t0);
  EXPECT_FALSE(budget.try_retry(t0));  // no requests, no floor: no retry
  for (int i = 0; i < 10; ++i) budget.record_request(t0);
  EXPECT_EQ(retries_allowed(budget, t0), 2);
  for (int i = 0; i < 5; ++i) budget.record_request(t0);
  EXPECT_EQ(retries_allowed(budget, t0), 1);  // 20% of 15 is 3, 2 spent
  EXPECT_EQ(budget.requests(t0), 15u);
  EXPECT_EQ(budget.retries(t0), 3u);
}

TEST(RetryBudget, TheFloorAllowsRetriesWithoutTraffic) {
  const TimePoint t0 = Clock::now();
  RetryBudget budget(20, 3, t0);
  EXPECT_EQ(retries_allowed(budget, t0), 30);  // 3 a second over the 10 s window
  for (int i = 0; i < 50; ++i) budget.record_request(t0 + 1s);
  EXPECT_EQ(retries_allowed(budget, t0 + 1s), 10);
}

TEST(RetryBudget, OldRequestsAndRetriesLeaveTheWindow) {
  const TimePoint t0 = Clock::now();
  RetryBudget budget(50, 0, t0);
  for (int i = 0; i < 10; ++i) budget.record_request(t0);
  EXPECT_EQ(retries_allowed(budget, t0 + 9s), 5);
  EXPECT_EQ(budget.retries(t0 + 9s), 5u);
  // Ten seconds on, the requests are forgotten but the retries of second 9 are not.
  EXPECT_EQ(budget.requests(t0 + 10s), 0u);
  EXPECT_EQ(budget.retries(t0 + 10s), 5u);
  budget.record_request(t0 + 10s);
  budget.record_request(t0 + 10s);
  EXPECT_FALSE(budget.try_retry(t0 + 10s));
  // Ten seconds after them, the retries are too.
  EXPECT_EQ(budget.retries(t0 + 19s), 0u);
  EXPECT_EQ(budget.requests(t0 + 19s), 2u);
  EXPECT_EQ(retries_allowed(budget, t0 + 19s), 1);
}

TEST(RetryBudget, HundredPercentAllowsOneRetryPerRequest) {
  const TimePoint t0 = Clock::now();
  RetryBudget budget(100, 0, t0);
  for (int i = 0; i < 7; ++i) budget.record_request(t0);
  EXPECT_EQ(retries_allowed(budget, t0), 7);
}

TEST(WindowedCounter, SlotsAreReusedAcrossTheWindow) {
  const TimePoint t0 = Clock::now();
  WindowedCounter c(t0);
  for (int s = 0; s < 25; ++s) c.add(t0 + std::chrono::seconds(s));
  EXPECT_EQ(c.sum(t0 + 24s), 10u);  // seconds 15..24
  EXPECT_EQ(c.sum(t0 + 30s), 4u);   // 21..24 still in, 25..30 empty
  EXPECT_EQ(c.sum(t0 + 40s), 0u);
}

TEST(WindowedCounter, ConcurrentAddsAllCount) {
  const TimePoint t0 = Clock::now();
  WindowedCounter c(t0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&c, t0] {
      for (int n = 0; n < 10000; ++n) c.add(t0 + 3s);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.sum(t0 + 3s), 40000u);
}

}  // namespace
}  // namespace junction::gateway
