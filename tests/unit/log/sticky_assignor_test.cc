#include "log/sticky_assignor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace junction::log {
namespace {

using Plan = std::vector<std::vector<int32_t>>;

// Every partition owned exactly once, and no member more than one partition
// over another.
void expect_balanced(int32_t partitions, const Plan& plan) {
  std::vector<int32_t> all;
  size_t least = SIZE_MAX, most = 0;
  for (const auto& mine : plan) {
    all.insert(all.end(), mine.begin(), mine.end());
    least = std::min(least, mine.size());
    most = std::max(most, mine.size());
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
  }
  std::sort(all.begin(), all.end());
  std::vector<int32_t> expected(static_cast<size_t>(partitions));
  for (int32_t p = 0; p < partitions; ++p) expected[static_cast<size_t>(p)] = p;
  EXPECT_EQ(all, expected);
  if (!plan.empty()) {
    EXPECT_LE(most - least, 1u);
  }
}

bool subset(const std::vector<int32_t>& small, const std::vector<int32_t>& big) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

// The group as members join one by one, each join a rebalance.
Plan grown(int32_t partitions, size_t members) {
  Plan plan;
  for (size_t i = 0; i < members; ++i) {
    plan.emplace_back();
    plan = sticky_assign(partitions, plan);
  }
  return plan;
}

TEST(StickyAssignorTest, AJoinTakesOnlyTheNewcomersShareFromTheFullest) {
  // One member owns all four; the newcomer takes two, the rest stays.
  EXPECT_EQ(sticky_assign(4, {{0, 1, 2, 3}, {}}), (Plan{{0, 1}, {2, 3}}));
  // 2/2/1 plus a newcomer: it takes one, from the later of the two that had two.
  EXPECT_EQ(sticky_assign(5, {{0, 1}, {2, 3}, {4}, {}}), (Plan{{0, 1}, {2}, {4}, {3}}));

  for (int32_t partitions = 0; partitions <= 24; ++partitions) {
    for (size_t n = 1; n <= 9; ++n) {
      SCOPED_TRACE(testing::Message() << partitions << " partitions, " << n << " members");
      Plan before = grown(partitions, n);
      Plan with_newcomer = before;
      with_newcomer.emplace_back();
      const Plan after = sticky_assign(partitions, with_newcomer);
      expect_balanced(partitions, after);
      for (size_t i = 0; i < n; ++i) EXPECT_TRUE(subset(after[i], before[i]));
      // Only the newcomer's partitions moved, and it has its fair share.
      const size_t moved = after[n].size();
      EXPECT_LE(moved, static_cast<size_t>((partitions + n) / (n + 1)));
      EXPECT_GE(moved, static_cast<size_t>(partitions) / (n + 1));
    }
  }
}

TEST(StickyAssignorTest, ALeaveMovesOnlyTheLeaversPartitions) {
  EXPECT_EQ(sticky_assign(4, {{0, 1}, {3}}), (Plan{{0, 1}, {2, 3}}));

  for (int32_t partitions = 0; partitions <= 24; ++partitions) {
    for (size_t n = 2; n <= 9; ++n) {
      for (size_t leaver = 0; leaver < n; ++leaver) {
        SCOPED_TRACE(testing::Message() << partitions << " partitions, " << n << " members, member "
                                        << leaver << " leaves");
        Plan before = grown(partitions, n);
        Plan rest = before;
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(leaver));
        const Plan after = sticky_assign(partitions, rest);
        expect_balanced(partitions, after);
        size_t moved = 0;
        for (size_t i = 0; i < rest.size(); ++i) {
          EXPECT_TRUE(subset(rest[i], after[i])) << "a staying member lost a partition";
          moved += after[i].size() - rest[i].size();
        }
        EXPECT_EQ(moved, before[leaver].size());
      }
    }
  }
}

TEST(StickyAssignorTest, SameInputSameAnswer) {
  const Plan owned = {{5, 1}, {}, {0, 2, 3, 4, 6, 7}, {}};
  const Plan first = sticky_assign(8, owned);
  EXPECT_EQ(sticky_assign(8, owned), first);
  // Each keeps what its share allows, lowest first; the others fill up in
  // member order with the lowest free partitions.
  EXPECT_EQ(first, (Plan{{1, 5}, {3, 4}, {0, 2}, {6, 7}}));
  expect_balanced(8, first);
}

TEST(StickyAssignorTest, UntrustedOwnershipIsRepaired) {
  // Partitions past the count (the topic was recreated smaller) are dropped,
  // a partition claimed twice stays with its first claimant, and a member
  // over its share gives up its highest.
  const Plan after = sticky_assign(4, {{0, 1, 2, 3, 9}, {1, -1}, {}});
  EXPECT_EQ(after, (Plan{{0, 1}, {2}, {3}}));
  expect_balanced(4, after);
}

TEST(StickyAssignorTest, NewPartitionsGoToTheMembersWithRoom) {
  // A group that knew 2 partitions learns of 6: members keep theirs.
  const Plan after = sticky_assign(6, {{0}, {1}});
  EXPECT_EQ(after, (Plan{{0, 2, 3}, {1, 4, 5}}));
}

TEST(StickyAssignorTest, NothingToShare) {
  EXPECT_TRUE(sticky_assign(4, {}).empty());
  EXPECT_EQ(sticky_assign(0, {{}, {}}), (Plan{{}, {}}));
  // More members than partitions: some get none.
  expect_balanced(2, sticky_assign(2, {{}, {}, {}}));
  EXPECT_EQ(sticky_assign(2, {{}, {}, {}}), (Plan{{0}, {1}, {}}));
}

}  // namespace
}  // namespace junction::log
