#include "connectors/redis/stream_entry.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace junction::connectors::redis {
namespace {

Reply entry_reply(std::string id, std::vector<std::string> kv) {
  std::vector<Reply> fields;
  for (auto& s : kv) fields.push_back(Reply::string(std::move(s)));
  return Reply::array({Reply::string(std::move(id)), Reply::array(std::move(fields))});
}

TEST(RedisStreamEntryTest, ParsesAnXreadgroupReply) {
  Reply r = Reply::array(
      {Reply::array({Reply::string("orders"), Reply::array({entry_reply("1-0", {"payload", "{}"}),
                                                            entry_reply("2-5", {"a", "1"})})})});
  auto entries = parse_read(r);
  ASSERT_TRUE(entries.ok()) << entries.error().message();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].id, "2-5");
  EXPECT_EQ((*entries)[1].fields.at(0), (std::pair<std::string, std::string>{"a", "1"}));
}

TEST(RedisStreamEntryTest, ABlockThatTimedOutIsNoEntries) {
  auto entries = parse_read(Reply{});
  ASSERT_TRUE(entries.ok());
  EXPECT_TRUE(entries->empty());
}

TEST(RedisStreamEntryTest, DeletedEntriesAreSkippedAndBadShapesRejected) {
  auto entries = parse_entries(Reply::array({Reply{}, entry_reply("3-0", {"k", "v"})}));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].id, "3-0");

  // An odd number of field strings.
  Reply odd =
      Reply::array({Reply::array({Reply::string("4-0"), Reply::array({Reply::string("k")})})});
  EXPECT_FALSE(parse_entries(odd).ok());
  EXPECT_FALSE(parse_read(Reply::string("nope")).ok());
}

TEST(RedisStreamEntryTest, ParsesXpendingRows) {
  Reply row = Reply::array({Reply::string("5-1"), Reply::string("c1"), Reply{}, Reply{}});
  row.elements[2].type = Reply::Type::kInteger;
  row.elements[2].integer = 1200;
  row.elements[3].type = Reply::Type::kInteger;
  row.elements[3].integer = 3;
  auto pending = parse_pending(Reply::array({row}));
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, "5-1");
  EXPECT_EQ((*pending)[0].consumer, "c1");
  EXPECT_EQ((*pending)[0].idle_ms, 1200);
  EXPECT_EQ((*pending)[0].deliveries, 3);
  EXPECT_FALSE(parse_pending(Reply::array({Reply::string("x")})).ok());
}

TEST(RedisStreamEntryTest, ThePayloadFieldBecomesThePayloadAndTheRestHeaders) {
  StreamEntry e{"1700000000123-4", {{"payload", R"({"n":1})"}, {"source", "shop"}}};
  auto m = to_message(e, "orders", 2, EntryFormat{});
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->payload.view(), R"({"n":1})");
  EXPECT_EQ(m->headers.get("source"), "shop");
  EXPECT_EQ(m->headers.get(kIdHeader), "1700000000123-4");
  EXPECT_EQ(m->headers.get(kStreamHeader), "orders");
  EXPECT_EQ(m->headers.get(kDeliveriesHeader), "2");
  EXPECT_EQ(m->timestamp_ms, 1700000000123);
  EXPECT_EQ(m->id, "orders/1700000000123-4");
}

TEST(RedisStreamEntryTest, WithoutThePayloadFieldTheEntryIsAJsonObject) {
  StreamEntry e{"1-0", {{"sku", "a-1"}, {"qty", "2"}}};
  auto m = to_message(e, "orders", 1, EntryFormat{});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(boost::json::parse(m->payload.view()),
            boost::json::parse(R"({"sku":"a-1","qty":"2"})"));

  EntryFormat custom;
  custom.payload_field = "body";
  StreamEntry body{"1-0", {{"body", "plain text"}}};
  custom.codec = Codec::raw();
  auto raw = to_message(body, "s", 1, custom);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->payload.view(), "plain text");
}

TEST(RedisStreamEntryTest, AnUndecodablePayloadIsInvalid) {
  StreamEntry e{"1-0", {{"payload", "not json"}}};
  auto m = to_message(e, "orders", 1, EntryFormat{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().cls(), ErrorClass::kInvalid);
}

TEST(RedisStreamEntryTest, EntryTimesAndPaging) {
  EXPECT_EQ(entry_time_ms("1700000000000-0"), 1700000000000);
  EXPECT_EQ(entry_time_ms("17x"), 0);
  EXPECT_EQ(after("5-1"), "(5-1");
}

TEST(RedisStreamEntryTest, ADeadLetterKeepsTheFieldsAndSaysWhy) {
  StreamEntry e{"9-0", {{"payload", "{}"}}};
  Command cmd = dead_letter_command("orders.dlq", "orders", e, "boom", 5);
  EXPECT_EQ(cmd, (Command{"XADD", "orders.dlq", "*", "payload", "{}", "reason", "boom",
                          "source_stream", "orders", "source_id", "9-0", "deliveries", "5"}));
}

}  // namespace
}  // namespace junction::connectors::redis
