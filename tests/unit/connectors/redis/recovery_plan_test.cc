#include "connectors/redis/recovery_plan.h"

#include <gtest/gtest.h>

#include <set>

namespace junction::connectors::redis {
namespace {

std::vector<PendingEntry> page(std::vector<std::pair<std::string, int64_t>> rows) {
  std::vector<PendingEntry> out;
  for (auto& [id, n] : rows) out.push_back({id, "c1", 0, n});
  return out;
}

std::vector<std::string> ids(const std::vector<PendingEntry>& v) {
  std::vector<std::string> out;
  for (const auto& p : v) out.push_back(p.id);
  return out;
}

auto none = [](const std::string&) { return false; };

TEST(RedisRecoveryPlanTest, RedeliversUntilMaxDeliveriesThenDeadLetters) {
  auto plan = plan_recovery(page({{"1-0", 1}, {"2-0", 3}, {"3-0", 2}}), 10, 100, 3, none);
  EXPECT_EQ(ids(plan.redeliver), (std::vector<std::string>{"1-0", "3-0"}));
  EXPECT_EQ(ids(plan.expired), (std::vector<std::string>{"2-0"}));
  EXPECT_TRUE(plan.last_page);
  EXPECT_FALSE(plan.out_of_room);
}

TEST(RedisRecoveryPlanTest, SkipsWhatIsInFlightOrAwaitingItsXack) {
  std::set<std::string> busy = {"1-0", "2-0"};
  auto plan = plan_recovery(page({{"1-0", 9}, {"2-0", 1}, {"3-0", 1}}), 10, 100, 3,
                            [&](const std::string& id) { return busy.contains(id); });
  EXPECT_EQ(ids(plan.redeliver), (std::vector<std::string>{"3-0"}));
  EXPECT_TRUE(plan.expired.empty());  // 1-0 is in flight: not dead-lettered under the flow
}

TEST(RedisRecoveryPlanTest, AFullPageMovesTheCursorPastItsLastRow) {
  auto plan = plan_recovery(page({{"1-0", 1}, {"2-0", 1}}), 2, 100, 3, none);
  EXPECT_FALSE(plan.last_page);
  EXPECT_EQ(plan.next_cursor, "(2-0");
}

TEST(RedisRecoveryPlanTest, StopsWhereRoomRunsOut) {
  auto plan = plan_recovery(page({{"1-0", 1}, {"2-0", 1}, {"3-0", 5}}), 3, 1, 3, none);
  EXPECT_EQ(ids(plan.redeliver), (std::vector<std::string>{"1-0"}));
  EXPECT_TRUE(plan.out_of_room);
  EXPECT_TRUE(plan.expired.empty());  // after the stop: handled by the next look
}

TEST(RedisRecoveryPlanTest, AnEmptyPELEndsThePass) {
  auto plan = plan_recovery({}, 10, 100, 3, none);
  EXPECT_TRUE(plan.last_page);
  EXPECT_EQ(plan.next_cursor, "-");
  EXPECT_TRUE(plan.redeliver.empty());
}

}  // namespace
}  // namespace junction::connectors::redis
