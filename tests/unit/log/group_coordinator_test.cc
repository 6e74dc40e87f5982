#include "log/group_coordinator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace junction::log {
namespace {

using namespace std::chrono_literals;
using Clock = GroupCoordinator::Clock;

// What each member was last told, by member id (filled by the callbacks).
struct Heard {
  std::map<uint64_t, Assignment> last;
};

class GroupCoordinatorTest : public ::testing::Test {
 protected:
  // Joins "g" on "t" (4 partitions); returns the member id.
  uint64_t join(std::chrono::milliseconds session = 0ms, Clock::time_point now = Clock::now()) {
    auto id = std::make_shared<uint64_t>(0);
    // The id is known only once join returns, and join notifies before that.
    auto pending = std::make_shared<std::vector<Assignment>>();
    auto cb = [this, id, pending](Assignment a) {
      if (*id == 0) {
        pending->push_back(std::move(a));
      } else {
        heard_.last[*id] = std::move(a);
      }
    };
    auto r = coordinator_.join("g", "t", 4, cb, session, now);
    EXPECT_TRUE(r) << r.error().message();
    *id = *r;
    if (!pending->empty()) heard_.last[*id] = pending->back();
    return *id;
  }

  std::vector<int32_t> all_owned() {
    std::vector<int32_t> out;
    for (const auto& [id, parts] : coordinator_.assignment("g", "t")) {
      out.insert(out.end(), parts.begin(), parts.end());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  GroupCoordinator coordinator_{3};
  Heard heard_;
};

TEST_F(GroupCoordinatorTest, JoinAndLeaveReassignEveryPartitionOnce) {
  const uint64_t a = join();
  EXPECT_EQ(heard_.last[a].partitions, (std::vector<int32_t>{0, 1, 2, 3}));
  const uint64_t gen1 = heard_.last[a].generation;

  // Sticky: a keeps half of what it had, b takes the other half.
  const uint64_t b = join();
  EXPECT_EQ(heard_.last[a].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(heard_.last[b].partitions, (std::vector<int32_t>{2, 3}));
  EXPECT_GT(heard_.last[a].generation, gen1);
  EXPECT_EQ(heard_.last[a].generation, heard_.last[b].generation);
  EXPECT_EQ(all_owned(), (std::vector<int32_t>{0, 1, 2, 3}));

  coordinator_.leave("g", "t", a);
  EXPECT_EQ(heard_.last[b].partitions, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(coordinator_.member_count("g", "t"), 1u);
  EXPECT_FALSE(coordinator_.heartbeat("g", "t", a));

  // Leaving twice, or a member that never was, changes nothing.
  const uint64_t gen = heard_.last[b].generation;
  coordinator_.leave("g", "t", a);
  coordinator_.leave("g", "t", 12345);
  EXPECT_EQ(coordinator_.heartbeat("g", "t", b)->generation, gen);
}

TEST_F(GroupCoordinatorTest, MembersAreBounded) {
  join();
  join();
  join();
  auto r = coordinator_.join("g", "t", 4, [](Assignment) {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().cls(), ErrorClass::kOverloaded);
  // Another group has its own bound.
  EXPECT_TRUE(coordinator_.join("other", "t", 4, [](Assignment) {}));
}

TEST_F(GroupCoordinatorTest, SilentMembersExpireAndTheirPartitionsMove) {
  const auto t0 = Clock::now();
  const uint64_t local = join(0ms, t0);      // in this process: never expires
  const uint64_t remote = join(2000ms, t0);  // must be heard from every 2 s
  const uint64_t chatty = join(2000ms, t0);
  EXPECT_EQ(heard_.last[local].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(heard_.last[remote].partitions, (std::vector<int32_t>{2}));
  EXPECT_EQ(heard_.last[chatty].partitions, (std::vector<int32_t>{3}));

  // Heartbeats keep `chatty` in; `remote` goes silent.
  EXPECT_TRUE(coordinator_.heartbeat("g", "t", chatty, t0 + 1500ms));
  EXPECT_TRUE(coordinator_.expire(t0 + 1999ms).empty());
  auto gone = coordinator_.expire(t0 + 2000ms);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], (GroupCoordinator::MemberKey{"g", "t", remote}));
  EXPECT_FALSE(coordinator_.heartbeat("g", "t", remote, t0 + 2001ms));
  // Only the silent member's partition moved.
  EXPECT_EQ(heard_.last[local].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(heard_.last[chatty].partitions, (std::vector<int32_t>{2, 3}));

  // The local member outlives any silence; the chatty one does not.
  gone = coordinator_.expire(t0 + 1h);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(std::get<2>(gone[0]), chatty);
  EXPECT_EQ(heard_.last[local].partitions, (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST_F(GroupCoordinatorTest, OnlyTheCurrentOwnerCommits) {
  const uint64_t a = join();
  int writes = 0;
  auto write = [&] { ++writes; };
  EXPECT_EQ(coordinator_.commit_as("g", "t", a, 1, write), GroupCoordinator::CommitCheck::kDone);
  EXPECT_EQ(writes, 1);

  // b's join takes partition 3 from a: a's late commit for it is refused,
  // while its commits for the partitions it kept go on.
  const uint64_t b = join();
  EXPECT_EQ(coordinator_.commit_as("g", "t", a, 3, write),
            GroupCoordinator::CommitCheck::kNotOwner);
  EXPECT_EQ(coordinator_.commit_as("g", "t", b, 3, write), GroupCoordinator::CommitCheck::kDone);
  EXPECT_EQ(coordinator_.commit_as("g", "t", a, 1, write), GroupCoordinator::CommitCheck::kDone);
  EXPECT_EQ(writes, 3);

  // After leaving, nothing is committed in its name.
  coordinator_.leave("g", "t", b);
  EXPECT_EQ(coordinator_.commit_as("g", "t", b, 3, write),
            GroupCoordinator::CommitCheck::kUnknownMember);
  EXPECT_EQ(coordinator_.commit_as("g", "other-topic", a, 1, write),
            GroupCoordinator::CommitCheck::kUnknownMember);
  EXPECT_EQ(writes, 3);
}

TEST_F(GroupCoordinatorTest, EveryMemberHearsEachGeneration) {
  const uint64_t a = join();
  const uint64_t b = join();
  const uint64_t c = join();
  const uint64_t gen = heard_.last[c].generation;
  // Each rebalance is one new generation, told to every member that stays.
  coordinator_.leave("g", "t", c);
  EXPECT_EQ(heard_.last[a].generation, gen + 1);
  EXPECT_EQ(heard_.last[b].generation, gen + 1);
  EXPECT_EQ(coordinator_.heartbeat("g", "t", a)->generation, gen + 1);
}

TEST_F(GroupCoordinatorTest, OnlyMovedPartitionsStartANewTenure) {
  const uint64_t a = join();
  const uint64_t gen1 = heard_.last[a].generation;
  EXPECT_EQ(heard_.last[a].owned_since, (std::vector<uint64_t>(4, gen1)));

  const uint64_t b = join();
  const uint64_t gen2 = heard_.last[b].generation;
  EXPECT_EQ(heard_.last[a].generation, gen2);
  EXPECT_EQ(heard_.last[a].owned_since, (std::vector<uint64_t>{gen1, gen1}));
  EXPECT_EQ(heard_.last[b].owned_since, (std::vector<uint64_t>{gen2, gen2}));

  // b leaves: a gets 2 and 3 back, in a new tenure; 0 and 1 never moved.
  coordinator_.leave("g", "t", b);
  const auto back = coordinator_.heartbeat("g", "t", a);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->partitions, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(back->owned_since, (std::vector<uint64_t>{gen1, gen1, gen2 + 1, gen2 + 1}));
}

// A member naming the generation its records were handed out in commits a
// partition only if its current tenure of it began at or before then.
TEST_F(GroupCoordinatorTest, ACommitNamingAGenerationIsFencedByTenure) {
  using Check = GroupCoordinator::CommitCheck;
  const uint64_t a = join();
  const uint64_t gen1 = heard_.last[a].generation;
  int writes = 0;
  auto write = [&] { ++writes; };
  auto commit = [&](uint64_t member, std::vector<int32_t> parts, std::optional<uint64_t> gen) {
    return coordinator_.commit_as("g", "t", member, parts, gen, write);
  };
  // The current tenure, named by its own or a later generation, commits.
  EXPECT_EQ(commit(a, {0, 1, 2, 3}, gen1).check, Check::kDone);
  EXPECT_EQ(writes, 1);

  // b's join (gen2) takes 2 and 3; b's leave (gen3) gives them back to a in
  // a new tenure. a kept 0 and 1 throughout.
  const uint64_t b = join();
  const uint64_t gen2 = heard_.last[b].generation;
  // Not owned is refused as such, whatever the generation says.
  EXPECT_EQ(commit(a, {2}, gen1).check, Check::kNotOwner);
  coordinator_.leave("g", "t", b);
  const uint64_t gen3 = gen2 + 1;
  ASSERT_EQ(coordinator_.heartbeat("g", "t", a)->generation, gen3);

  // What a read of 2 in gen1 went to b in between: refused, naming the
  // partition and when its tenure began.
  auto stale = commit(a, {2}, gen1);
  EXPECT_EQ(stale.check, Check::kStaleTenure);
  EXPECT_EQ(stale.partition, 2);
  EXPECT_EQ(stale.tenure, gen3);
  EXPECT_EQ(stale.generation, gen3);
  EXPECT_EQ(commit(a, {3}, gen2).check, Check::kStaleTenure);
  // All or nothing: with one stale partition, the kept ones are not written either.
  stale = commit(a, {0, 1, 3}, gen1);
  EXPECT_EQ(stale.check, Check::kStaleTenure);
  EXPECT_EQ(stale.partition, 3);
  EXPECT_EQ(writes, 1);

  // The kept partitions' tenure began in gen1: an old generation still commits them.
  EXPECT_EQ(commit(a, {0, 1}, gen1).check, Check::kDone);
  // The current generation commits everything.
  EXPECT_EQ(commit(a, {0, 1, 2, 3}, gen3).check, Check::kDone);
  // Without a generation only ownership counts, as before.
  EXPECT_EQ(commit(a, {2, 3}, std::nullopt).check, Check::kDone);
  EXPECT_EQ(writes, 4);

  // A generation the group has not reached is no tenure to compare with.
  auto future = commit(a, {0}, gen3 + 1);
  EXPECT_EQ(future.check, Check::kFutureGeneration);
  EXPECT_EQ(future.generation, gen3);
  // A member that left commits nothing.
  EXPECT_EQ(commit(b, {2}, gen3).check, Check::kUnknownMember);
  EXPECT_EQ(writes, 4);
}

TEST_F(GroupCoordinatorTest, MembershipShowsEachMembersShareAndSilence) {
  EXPECT_FALSE(coordinator_.membership("g", "t"));
  const auto t0 = Clock::now();
  const uint64_t local = join(0ms, t0);
  const uint64_t remote = join(5000ms, t0);
  ASSERT_TRUE(coordinator_.heartbeat("g", "t", remote, t0 + 500ms));

  const auto status = coordinator_.membership("g", "t", t0 + 1500ms);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->generation, heard_.last[local].generation);
  ASSERT_EQ(status->members.size(), 2u);
  EXPECT_EQ(status->members[0].id, local);
  EXPECT_EQ(status->members[0].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(status->members[0].session_timeout, 0ms);
  EXPECT_EQ(status->members[0].since_heard, 1500ms);
  EXPECT_EQ(status->members[1].id, remote);
  EXPECT_EQ(status->members[1].partitions, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(status->members[1].session_timeout, 5000ms);
  EXPECT_EQ(status->members[1].since_heard, 1000ms);
  EXPECT_FALSE(coordinator_.membership("g", "other-topic"));

  // Once the last member is gone, so is the group's membership.
  coordinator_.leave("g", "t", local);
  coordinator_.leave("g", "t", remote);
  EXPECT_FALSE(coordinator_.membership("g", "t"));
}

}  // namespace
}  // namespace junction::log
