#include "gateway/hash_ring.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace junction::gateway {
namespace {

std::vector<std::string> targets(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("http://10.0.0." + std::to_string(i + 1) + ":8080");
  return out;
}

auto all = [](size_t) { return true; };

TEST(StableHash, IsFnv1aThroughTheMurmurFinalizer) {
  // Pinned (computed apart from this code, from FNV-1a 64 whose "a" is
  // 0xaf63dc4c8601ec8c): a change would move every key after an upgrade, and
  // gateways of two versions would disagree.
  EXPECT_EQ(stable_hash(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(stable_hash("user-1"), 0x41a2fca5c68401c5ULL);
  EXPECT_NE(stable_hash("user-1"), stable_hash("user-2"));
}

TEST(HashRing, SameKeySameTargetAndEveryTargetGetsAShare) {
  HashRing ring(targets(4));
  std::map<size_t, int> share;
  for (int k = 0; k < 40000; ++k) {
    uint64_t h = stable_hash("user-" + std::to_string(k));
    auto t = ring.pick(h, all);
    ASSERT_TRUE(t);
    EXPECT_EQ(ring.pick(h, all), t);
    ++share[*t];
  }
  ASSERT_EQ(share.size(), 4u);
  // 160 points per target keep each share near a quarter.
  for (auto [target, n] : share) {
    EXPECT_GT(n, 40000 / 4 * 0.8) << target;
    EXPECT_LT(n, 40000 / 4 * 1.2) << target;
  }
}

TEST(HashRing, RemovingATargetRemapsOnlyItsKeys) {
  auto five = targets(5);
  auto four = five;
  four.erase(four.begin() + 2);  // 10.0.0.3 leaves
  HashRing before(five);
  HashRing after(four);
  int moved = 0;
  int owned_by_removed = 0;
  const int keys = 20000;
  for (int k = 0; k < keys; ++k) {
    uint64_t h = stable_hash("k" + std::to_string(k));
    const std::string& was = five[*before.pick(h, all)];
    const std::string& now = four[*after.pick(h, all)];
    if (was == five[2]) {
      ++owned_by_removed;
    } else {
      EXPECT_EQ(was, now) << "a key of a target that stayed moved";
    }
    moved += was != now;
  }
  EXPECT_EQ(moved, owned_by_removed);
  EXPECT_GT(owned_by_removed, keys / 5 * 0.7);
  EXPECT_LT(owned_by_removed, keys / 5 * 1.3);
}

TEST(HashRing, SkippingATargetIsLikeRemovingIt) {
  auto five = targets(5);
  auto four = five;
  four.erase(four.begin() + 1);
  HashRing ring(five);
  HashRing without(four);
  auto not_second = [](size_t t) { return t != 1; };
  std::set<size_t> heirs;
  for (int k = 0; k < 5000; ++k) {
    uint64_t h = stable_hash("k" + std::to_string(k));
    auto walked = ring.pick(h, not_second);
    ASSERT_TRUE(walked);
    EXPECT_EQ(five[*walked], four[*without.pick(h, all)]);
    if (*ring.pick(h, all) == 1) heirs.insert(*walked);
  }
  // The skipped target's keys spread over the others, not onto one neighbour.
  EXPECT_EQ(heirs.size(), 4u);
}

TEST(HashRing, NothingUsableIsNoTarget) {
  HashRing ring(targets(3));
  EXPECT_FALSE(ring.pick(stable_hash("x"), [](size_t) { return false; }));
  HashRing empty({});
  EXPECT_FALSE(empty.pick(1, all));
}

TEST(HashRing, TheRingDependsOnNamesNotOrder) {
  auto t = targets(3);
  auto reversed = std::vector<std::string>(t.rbegin(), t.rend());
  HashRing a(t);
  HashRing b(reversed);
  for (int k = 0; k < 1000; ++k) {
    uint64_t h = stable_hash(std::to_string(k));
    EXPECT_EQ(t[*a.pick(h, all)], reversed[*b.pick(h, all)]);
  }
}

}  // namespace
}  // namespace junction::gateway
