#include "resilience/token_bucket.h"

#include <gtest/gtest.h>

namespace junction::resilience {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{};

TEST(TokenBucketTest, StartsFullAndAllowsTheBurst) {
  TokenBucket b(10, 5, t0);
  for (int i = 4; i >= 0; --i) {
    auto r = b.try_take(t0);
    ASSERT_TRUE(r.allowed);
    EXPECT_DOUBLE_EQ(r.remaining, i);
    EXPECT_EQ(r.retry_after, Duration::zero());
  }
  auto refused = b.try_take(t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, Duration(100ms));
  EXPECT_EQ(refused.until_full, Duration(500ms));
}

TEST(TokenBucketTest, RefillIsExactForWholeMilliseconds) {
  TokenBucket b(10, 1, t0);
  ASSERT_TRUE(b.try_take(t0).allowed);
  EXPECT_FALSE(b.try_take(t0 + 99ms).allowed);
  // "10/s" must give a whole token after 100ms, not 0.9999999 of one.
  auto r = b.try_take(t0 + 100ms);
  EXPECT_TRUE(r.allowed);
  EXPECT_DOUBLE_EQ(r.remaining, 0);
}

TEST(TokenBucketTest, RefillStopsAtTheBurst) {
  TokenBucket b(100, 3, t0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(b.try_take(t0).allowed);
  auto r = b.try_take(t0 + 1h);
  EXPECT_TRUE(r.allowed);
  EXPECT_DOUBLE_EQ(r.remaining, 2);
  EXPECT_EQ(r.until_full, Duration(10ms));
}

TEST(TokenBucketTest, FractionalRates) {
  // 1000/min: one token every 60ms.
  TokenBucket per_minute(1000.0 / 60, 1, t0);
  ASSERT_TRUE(per_minute.try_take(t0).allowed);
  auto r = per_minute.try_take(t0);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.retry_after, Duration(60ms));
  EXPECT_FALSE(per_minute.try_take(t0 + 60ms - 1ns).allowed);
  EXPECT_TRUE(per_minute.try_take(t0 + 60ms).allowed);

  // Half a token a second: two seconds a token, with partial refills visible.
  TokenBucket slow(0.5, 2, t0);
  ASSERT_TRUE(slow.try_take(t0, 2).allowed);
  auto half = slow.peek(t0 + 1s, 0);
  EXPECT_DOUBLE_EQ(half.remaining, 0.5);
  EXPECT_EQ(half.until_full, Duration(3s));
  EXPECT_EQ(slow.peek(t0 + 1s).retry_after, Duration(1s));
}

// Whatever the rate, a caller that waits retry_after is let through, and one
// that waits a nanosecond less (when a nanosecond matters) is not.
TEST(TokenBucketTest, RetryAfterIsNeverTooShort) {
  for (double rate : {3.0, 7.0 / 60, 0.3, 1000.0, 1.0 / 3, 123456.789}) {
    TokenBucket b(rate, 2, t0);
    TimePoint now = t0;
    for (int i = 0; i < 500; ++i) {
      auto r = b.try_take(now);
      if (!r.allowed) {
        ASSERT_GT(r.retry_after, Duration::zero()) << rate;
        now += r.retry_after;
        ASSERT_TRUE(b.try_take(now).allowed) << "rate " << rate << " step " << i;
      }
    }
  }
}

TEST(TokenBucketTest, TakesSeveralTokensOrNone) {
  TokenBucket b(1, 5, t0);
  ASSERT_TRUE(b.try_take(t0, 3).allowed);
  auto r = b.try_take(t0, 3);
  EXPECT_FALSE(r.allowed);
  EXPECT_DOUBLE_EQ(r.remaining, 2);  // nothing was taken
  EXPECT_EQ(r.retry_after, Duration(1s));
  EXPECT_TRUE(b.try_take(t0, 2).allowed);
}

TEST(TokenBucketTest, MoreThanTheBurstNeverPasses) {
  TokenBucket b(1, 5, t0);
  auto r = b.try_take(t0, 6);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.retry_after, Duration::max());
  EXPECT_DOUBLE_EQ(r.remaining, 5);
}

TEST(TokenBucketTest, PeekChangesNothing) {
  TokenBucket b(1, 2, t0);
  ASSERT_TRUE(b.try_take(t0, 2).allowed);
  auto p = b.peek(t0 + 1s);
  EXPECT_TRUE(p.allowed);
  EXPECT_DOUBLE_EQ(p.remaining, 0);
  EXPECT_DOUBLE_EQ(b.peek(t0 + 1s, 0).remaining, 1);
  EXPECT_TRUE(b.try_take(t0 + 1s).allowed);
  EXPECT_FALSE(b.try_take(t0 + 1s).allowed);
}

TEST(TokenBucketTest, AClockSteppingBackRefillsNothing) {
  TokenBucket b(1, 2, t0 + 10s);
  ASSERT_TRUE(b.try_take(t0 + 10s, 2).allowed);
  EXPECT_FALSE(b.try_take(t0 + 5s).allowed);
  // Time lost to the step is not counted twice either.
  EXPECT_TRUE(b.try_take(t0 + 11s).allowed);
  EXPECT_FALSE(b.try_take(t0 + 11s).allowed);
}

TEST(TokenBucketTest, ClampsNonsenseConfiguration) {
  TokenBucket b(0, 0, t0);
  EXPECT_DOUBLE_EQ(b.burst(), 1);
  EXPECT_GT(b.rate_per_second(), 0);
  EXPECT_TRUE(b.try_take(t0).allowed);
}

}  // namespace
}  // namespace junction::resilience
