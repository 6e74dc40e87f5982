#include "core/cpu_affinity.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <memory>
#include <thread>
#include <vector>

namespace junction::cpu {
namespace {

std::vector<int> allowed_now() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  EXPECT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  std::vector<int> out;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &mask)) out.push_back(c);
  }
  return out;
}

TEST(CpuAffinityTest, ParsesTheThreeModes) {
  EXPECT_EQ(parse_affinity("auto"), Affinity::kAuto);
  EXPECT_EQ(parse_affinity("on"), Affinity::kOn);
  EXPECT_EQ(parse_affinity("off"), Affinity::kOff);
  EXPECT_FALSE(parse_affinity("yes"));
  EXPECT_FALSE(parse_affinity(""));
}

TEST(CpuAffinityTest, AutoPinsOnlyOneThreadPerUsableCpu) {
  const std::vector<int> cpus{2, 3, 5, 7};
  EXPECT_EQ(placement(Affinity::kAuto, 4, cpus), (std::vector<int>{2, 3, 5, 7}));
  EXPECT_TRUE(placement(Affinity::kAuto, 3, cpus).empty());
  EXPECT_TRUE(placement(Affinity::kAuto, 5, cpus).empty());
  // One CPU: nothing to keep apart.
  EXPECT_TRUE(placement(Affinity::kAuto, 1, {0}).empty());
}

TEST(CpuAffinityTest, OnPinsRoundRobinAndOffNever) {
  const std::vector<int> cpus{0, 1};
  EXPECT_EQ(placement(Affinity::kOn, 3, cpus), (std::vector<int>{0, 1, 0}));
  EXPECT_EQ(placement(Affinity::kOn, 1, cpus), (std::vector<int>{0}));
  EXPECT_TRUE(placement(Affinity::kOff, 2, cpus).empty());
  EXPECT_TRUE(placement(Affinity::kOn, 2, {}).empty());
}

TEST(CpuAffinityTest, UsableIsTheMaskAtStart) {
  EXPECT_EQ(usable(), allowed_now());
  EXPECT_FALSE(usable().empty());
}

TEST(CpuAffinityTest, APinnedThreadRunsOnItsCpuAndStartsUnpinnedThreads) {
  const int cpu = usable().back();
  std::vector<int> pinned, inside_scope, after_scope, child;
  std::thread worker([&] {
    ASSERT_TRUE(pin_this_thread(cpu).ok());
    pinned = allowed_now();
    {
      Unpinned scope;
      inside_scope = allowed_now();
    }
    after_scope = allowed_now();
    unpinned_thread([&] { child = allowed_now(); }).join();
  });
  worker.join();
  EXPECT_EQ(pinned, std::vector<int>{cpu});
  EXPECT_EQ(inside_scope, usable());
  EXPECT_EQ(after_scope, std::vector<int>{cpu});
  EXPECT_EQ(child, usable());
}

TEST(CpuAffinityTest, InterleavedScopesEndPinned) {
  const int cpu = usable().front();
  std::vector<int> after;
  std::thread worker([&] {
    ASSERT_TRUE(pin_this_thread(cpu).ok());
    // Two coroutines on one thread may open and close scopes out of order.
    auto a = std::make_unique<Unpinned>();
    auto b = std::make_unique<Unpinned>();
    a.reset();
    b.reset();
    after = allowed_now();
  });
  worker.join();
  EXPECT_EQ(after, std::vector<int>{cpu});
}

TEST(CpuAffinityTest, AnUnpinnedThreadIsLeftAlone) {
  std::vector<int> inside;
  std::thread worker([&] {
    Unpinned scope;
    inside = allowed_now();
  });
  worker.join();
  EXPECT_EQ(inside, usable());
}

TEST(CpuAffinityTest, ACpuOutOfRangeIsRefused) {
  std::thread worker([] {
    EXPECT_FALSE(pin_this_thread(-1).ok());
    EXPECT_FALSE(pin_this_thread(CPU_SETSIZE).ok());
  });
  worker.join();
}

}  // namespace
}  // namespace junction::cpu
