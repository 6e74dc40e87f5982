#include "connectors/redis/command.h"

#include <gtest/gtest.h>

namespace junction::connectors::redis {
namespace {

TEST(RedisCommandTest, NamesRoundTrip) {
  for (auto name : {"xadd", "publish", "set", "hset", "lpush"}) {
    auto kind = command_kind(name);
    ASSERT_TRUE(kind) << name;
    EXPECT_EQ(to_string(*kind), name);
  }
  EXPECT_FALSE(command_kind("del"));
}

TEST(RedisCommandTest, BuildsEachCommand) {
  CommandOptions o;
  o.kind = CommandKind::kXadd;
  EXPECT_EQ(*build_command(o, "s", "p"), (Command{"XADD", "s", "*", "payload", "p"}));
  o.maxlen = 1000;
  o.field = "body";
  EXPECT_EQ(*build_command(o, "s", "p"),
            (Command{"XADD", "s", "MAXLEN", "~", "1000", "*", "body", "p"}));

  o = {};
  o.kind = CommandKind::kPublish;
  EXPECT_EQ(*build_command(o, "ch", "p"), (Command{"PUBLISH", "ch", "p"}));
  o.kind = CommandKind::kLpush;
  EXPECT_EQ(*build_command(o, "l", "p"), (Command{"LPUSH", "l", "p"}));
  o.kind = CommandKind::kSet;
  EXPECT_EQ(*build_command(o, "k", "p"), (Command{"SET", "k", "p"}));
  o.ttl = std::chrono::seconds(90);
  EXPECT_EQ(*build_command(o, "k", "p"), (Command{"SET", "k", "p", "PX", "90000"}));
}

TEST(RedisCommandTest, HsetTakesTheFieldsOfAJsonObject) {
  CommandOptions o;
  o.kind = CommandKind::kHset;
  auto cmd = build_command(o, "h", R"({"name":"Ada","age":36,"tags":["x"]})");
  ASSERT_TRUE(cmd.ok()) << cmd.error().message();
  EXPECT_EQ(*cmd, (Command{"HSET", "h", "name", "Ada", "age", "36", "tags", R"(["x"])"}));
  EXPECT_EQ(build_command(o, "h", "[1,2]").error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(build_command(o, "h", "{}").error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(build_command(o, "h", "not json").error().cls(), ErrorClass::kInvalid);
}

TEST(RedisCommandTest, AnEmptyKeyIsInvalid) {
  EXPECT_EQ(build_command(CommandOptions{}, "", "p").error().cls(), ErrorClass::kInvalid);
}

TEST(RedisCommandTest, RepliesAreCheckedPerCommand) {
  Reply id = Reply::string("1-0");
  Reply ok{Reply::Type::kStatus, "OK", 0, {}};
  Reply count{Reply::Type::kInteger, "", 0, {}};
  Reply wrongtype{Reply::Type::kError, "WRONGTYPE Operation against a key", 0, {}};
  EXPECT_TRUE(check_reply(CommandKind::kXadd, id).ok());
  EXPECT_TRUE(check_reply(CommandKind::kSet, ok).ok());
  // No subscriber is not a failure.
  EXPECT_TRUE(check_reply(CommandKind::kPublish, count).ok());
  EXPECT_TRUE(check_reply(CommandKind::kHset, count).ok());
  EXPECT_TRUE(check_reply(CommandKind::kLpush, count).ok());
  EXPECT_EQ(check_reply(CommandKind::kXadd, wrongtype).error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(check_reply(CommandKind::kXadd, Reply{}).error().cls(), ErrorClass::kPermanent);
}

}  // namespace
}  // namespace junction::connectors::redis
