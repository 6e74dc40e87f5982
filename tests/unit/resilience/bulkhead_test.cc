#include "resilience/bulkhead.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace junction::resilience {
namespace {

TEST(BulkheadTest, RefusesBeyondTheLimit) {
  Bulkhead b(2);
  auto p1 = b.try_enter();
  auto p2 = b.try_enter();
  ASSERT_TRUE(p1 && p2);
  EXPECT_EQ(b.in_flight(), 2u);
  EXPECT_FALSE(b.try_enter());
  EXPECT_EQ(b.rejected(), 1u);
}

TEST(BulkheadTest, PermitsReleaseOnDestruction) {
  Bulkhead b(1);
  {
    auto p = b.try_enter();
    ASSERT_TRUE(p);
    EXPECT_FALSE(b.try_enter());
  }
  EXPECT_EQ(b.in_flight(), 0u);
  EXPECT_TRUE(b.try_enter());
}

TEST(BulkheadTest, MovedPermitsReleaseOnce) {
  Bulkhead b(2);
  auto p = b.try_enter();
  ASSERT_TRUE(p);
  Bulkhead::Permit moved = std::move(*p);
  p.reset();  // the moved-from permit gives nothing back
  EXPECT_EQ(b.in_flight(), 1u);

  auto other = b.try_enter();
  ASSERT_TRUE(other);
  moved = std::move(*other);  // releases the slot `moved` held
  EXPECT_EQ(b.in_flight(), 1u);
  moved.release();
  moved.release();
  EXPECT_EQ(b.in_flight(), 0u);
}

TEST(BulkheadTest, ZeroRefusesEverything) {
  Bulkhead b(0);
  EXPECT_FALSE(b.try_enter());
}

TEST(BulkheadTest, NeverExceedsTheLimitAcrossThreads) {
  Bulkhead b(3);
  std::atomic<uint32_t> peak{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (auto p = b.try_enter()) {
          uint32_t now = b.in_flight();
          uint32_t seen = peak.load();
          while (now > seen && !peak.compare_exchange_weak(seen, now)) {
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 3u);
  EXPECT_EQ(b.in_flight(), 0u);
}

}  // namespace
}  // namespace junction::resilience
