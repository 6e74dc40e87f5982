#include "log/group_status.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>

#include "log/group_json.h"
#include "unit/common/temp_dir.h"
#include "unit/log/log_test_util.h"

namespace junction::log {
namespace {

using namespace std::chrono_literals;
using junction::test::TempDir;
using test::make_record;
using test::produce_sync;
using Clock = GroupCoordinator::Clock;
namespace json = boost::json;

class GroupStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test::open_store(dir_.path());
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
    TopicConfig c;
    c.partitions = 2;
    auto t = store_->open_topic("orders", c);
    ASSERT_TRUE(t);
    topic_ = *t;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(produce_sync(*store_, *topic_, 0, {make_record("a")}));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(produce_sync(*store_, *topic_, 1, {make_record("b")}));
  }

  void commit(const std::string& group, const std::string& topic, int32_t p, int64_t offset) {
    std::promise<Status> done;
    store_->offsets().commit(group, topic, p, offset, [&](Status st) { done.set_value(st); });
    ASSERT_TRUE(done.get_future().get());
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  Topic* topic_ = nullptr;
};

TEST_F(GroupStatusTest, AnUnknownGroupHasNoStatus) {
  EXPECT_FALSE(group_status(*store_, *topic_, "nobody"));
  // Offsets on another topic do not make the group known on this one.
  ASSERT_TRUE(store_->open_topic("other", TopicConfig{}));
  commit("elsewhere", "other", 0, 0);
  EXPECT_FALSE(group_status(*store_, *topic_, "elsewhere"));
  EXPECT_TRUE(group_names(*store_, "orders").empty());
  EXPECT_EQ(group_names(*store_, "other"), (std::vector<std::string>{"elsewhere"}));
}

TEST_F(GroupStatusTest, CommittedOffsetsAndLagWithoutMembers) {
  commit("audit", "orders", 0, 2);
  const auto status = group_status(*store_, *topic_, "audit");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->generation, 0u);
  EXPECT_TRUE(status->members.empty());
  ASSERT_EQ(status->partitions.size(), 2u);
  EXPECT_EQ(status->partitions[0].committed, 2);
  EXPECT_EQ(status->partitions[0].end, 5);
  EXPECT_EQ(status->partitions[0].lag, 3);
  // Never committed: it would read the whole partition.
  EXPECT_FALSE(status->partitions[1].committed);
  EXPECT_EQ(status->partitions[1].lag, 3);
  EXPECT_FALSE(status->partitions[1].owner);
  EXPECT_EQ(status->lag(), 6);

  const json::object o = group_to_json(*status);
  EXPECT_EQ(o.at("group"), "audit");
  EXPECT_EQ(o.at("lag"), 6);
  EXPECT_TRUE(o.at("members").as_array().empty());
  EXPECT_EQ(o.at("partitions").as_array()[0].at("committed"), 2);
  EXPECT_TRUE(o.at("partitions").as_array()[1].at("committed").is_null());
  EXPECT_TRUE(o.at("partitions").as_array()[1].at("owner").is_null());
}

TEST_F(GroupStatusTest, MembersTheirPartitionsAndHeartbeats) {
  const auto t0 = Clock::now();
  auto local = store_->groups().join("live", "orders", 2, [](Assignment) {});
  auto remote = store_->groups().join(
      "live", "orders", 2, [](Assignment) {}, 10s, t0);
  ASSERT_TRUE(local && remote);
  EXPECT_EQ(group_names(*store_, "orders"), (std::vector<std::string>{"live"}));

  const auto status = group_status(*store_, *topic_, "live", t0 + 2500ms);
  ASSERT_TRUE(status);
  EXPECT_GT(status->generation, 0u);
  ASSERT_EQ(status->members.size(), 2u);
  EXPECT_EQ(status->partitions[0].owner, *local);
  EXPECT_EQ(status->partitions[1].owner, *remote);
  EXPECT_EQ(status->lag(), 8);

  const json::object o = group_to_json(*status);
  EXPECT_EQ(o.at("generation"), status->generation);
  const auto& members = o.at("members").as_array();
  EXPECT_EQ(members[0].at("kind"), "local");
  EXPECT_EQ(members[0].at("id"), *local);
  EXPECT_FALSE(members[0].as_object().contains("session_timeout_ms"));
  EXPECT_EQ(members[1].at("kind"), "remote");
  EXPECT_EQ(members[1].at("partitions"), (json::array{1}));
  EXPECT_EQ(members[1].at("session_timeout_ms"), 10000);
  EXPECT_EQ(members[1].at("heartbeat_age_ms"), 2500);
  EXPECT_EQ(o.at("partitions").as_array()[1].at("owner"), *remote);

  store_->groups().leave("live", "orders", *local);
  store_->groups().leave("live", "orders", *remote);
  EXPECT_FALSE(group_status(*store_, *topic_, "live"));
}

}  // namespace
}  // namespace junction::log
