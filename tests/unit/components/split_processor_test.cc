#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "components/processors/split/split.h"
#include "core/reply_slot.h"
#include "flow/registry.h"
#include "processor_fixture.h"
#include "script/engine.h"
#include "spec/node.h"
#include "spec/schema.h"

namespace junction::components {
namespace {

using fixture::AckProbe;
using fixture::make_message;

class SplitProcessorTest : public fixture::ProcessorTest {
 protected:
  SplitProcessorTest() : ProcessorTest("split", register_split_processor) {}
};

TEST_F(SplitProcessorTest, WholePayloadArrayByDefault) {
  auto p = build_ok("{}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"([1, "a", {"b": [true, null]}])", probe);
  msg.key = "k";
  msg.headers.set("trace", "t");
  msg.timestamp_ms = 42;
  MessageBatch out;
  ASSERT_TRUE(p->process(msg, out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].payload.str(), "1");
  EXPECT_EQ(out[1].payload.str(), "\"a\"");  // always JSON: strings are quoted
  EXPECT_EQ(out[2].payload.str(), R"({"b":[true,null]})");
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].key, "k");
    EXPECT_EQ(out[i].headers.get("trace"), "t");
    EXPECT_EQ(out[i].headers.get("split-index"), std::to_string(i));
    EXPECT_EQ(out[i].headers.get("split-count"), "3");
    EXPECT_EQ(out[i].timestamp_ms, 42);
  }
  EXPECT_EQ(probe.calls, 0);
}

TEST_F(SplitProcessorTest, DeepElementsAreKept) {
  auto p = build_ok("{}");
  ASSERT_TRUE(p);
  AckProbe probe;
  std::string deep = std::string(100, '[') + std::string(100, ']');
  Message msg = make_message("[" + deep + "]", probe);
  MessageBatch out;
  ASSERT_TRUE(p->process(msg, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.str(), deep);
}

TEST_F(SplitProcessorTest, ExpressionSelectsTheArray) {
  auto p = build_ok("{path: msg.order.items}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"({"order": {"items": [{"sku": "x"}, {"sku": "y"}]}})", probe);
  MessageBatch out;
  ASSERT_TRUE(p->process(msg, out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].payload.str(), R"({"sku":"x"})");
  EXPECT_EQ(out[1].payload.str(), R"({"sku":"y"})");
}

TEST_F(SplitProcessorTest, ChildrenSettleTheParentOnceWhenAllAreDone) {
  auto p = build_ok("{}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message("[1,2,3]", probe);
  MessageBatch out;
  ASSERT_TRUE(p->process(msg, out).ok());
  ASSERT_EQ(out.size(), 3u);
  out[0].ack.ok();
  out[1].ack.ok();
  EXPECT_EQ(probe.calls, 0);
  out[2].ack.ok();
  EXPECT_EQ(probe.calls, 1);
  EXPECT_TRUE(probe.status->ok());
}

TEST_F(SplitProcessorTest, EveryPartAnswersTheParentsSenderAndTheFirstReplyWins) {
  auto p = build_ok("{}");
  ASSERT_TRUE(p);
  AckProbe probe;
  auto slot = std::make_shared<ReplySlot>();
  Message msg = make_message("[1,2]", probe);
  msg.reply = ReplySlots(slot);
  MessageBatch out;
  ASSERT_TRUE(p->process(msg, out).ok());
  ASSERT_EQ(out.size(), 2u);
  for (const auto& part : out) {
    ASSERT_EQ(part.reply.slots().size(), 1u);
    EXPECT_EQ(part.reply.slots()[0], slot);
  }
  out[1].reply.answer(out[1].payload, out[1].headers);  // the first to reach `reply`
  out[0].reply.answer(out[0].payload, out[0].headers);
  EXPECT_EQ(slot->contents().payload->view(), "2");
}

TEST_F(SplitProcessorTest, OneFailedChildFailsTheParentOnce) {
  auto p = build_ok("{}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message("[1,2]", probe);
  MessageBatch out;
  ASSERT_TRUE(p->process(msg, out).ok());
  ASSERT_EQ(out.size(), 2u);
  out[0].ack.settle(Error::permanent("rejected"));
  out[1].ack.ok();
  EXPECT_EQ(probe.calls, 1);
  ASSERT_FALSE(probe.status->ok());
  EXPECT_EQ(probe.status->error().message(), "rejected");
}

TEST_F(SplitProcessorTest, EmptyArraySettlesTheParentWithNothingEmitted) {
  auto p = build_ok("{}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message("[]", probe);
  MessageBatch out;
  ASSERT_TRUE(p->process(msg, out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(probe.calls, 1);
  EXPECT_TRUE(probe.status->ok());
}

TEST_F(SplitProcessorTest, EmptyLuaTableCountsAsAnEmptyArray) {
  auto p = build_ok("{path: 'msg.items or {}'}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"({"other": 1})", probe);
  MessageBatch out;
  ASSERT_TRUE(p->process(msg, out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(probe.calls, 1);
  EXPECT_TRUE(probe.status->ok());
}

TEST_F(SplitProcessorTest, NotAnArrayIsInvalidAndLeavesMessageIntact) {
  auto p = build_ok("{path: msg.order}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"({"order": {"id": 1}})", probe);
  MessageBatch out;
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(s.error().message().rfind("split: expression did not yield an array", 0), 0u)
      << s.error().message();
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(msg.payload.str(), R"({"order": {"id": 1}})");
  EXPECT_FALSE(msg.ack.empty());
  EXPECT_EQ(probe.calls, 0);
}

TEST_F(SplitProcessorTest, NonJsonPayloadIsNotAnArray) {
  for (const char* path : {"msg", "'(msg)'"}) {  // the fast path and Lua
    auto p = build_ok(std::string("{path: ") + path + "}");
    ASSERT_TRUE(p);
    AckProbe probe;
    Message msg = make_message("[not json", probe);
    MessageBatch out;
    Status s = p->process(msg, out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
    EXPECT_EQ(s.error().message().rfind("split: expression did not yield an array", 0), 0u)
        << s.error().message();
    EXPECT_FALSE(msg.ack.empty());
  }
}

TEST_F(SplitProcessorTest, ScalarFromLuaIsNotAnArray) {
  auto p = build_ok("{path: 'msg.n'}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"({"n": 3})", probe);
  MessageBatch out;
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("a number"), std::string::npos) << s.error().message();
}

TEST_F(SplitProcessorTest, TooManyElementsIsInvalid) {
  auto p = build_ok("{max_elements: 2}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message("[1,2,3]", probe);
  MessageBatch out;
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(s.error().message().find("max_elements"), std::string::npos) << s.error().message();
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(msg.ack.empty());
  EXPECT_EQ(probe.calls, 0);
}

TEST_F(SplitProcessorTest, ScriptErrorIsReturnedAndLeavesMessageIntact) {
  auto p = build_ok("{path: 'msg.a.b'}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"({"x": 1})", probe);  // msg.a is nil: indexing it fails
  MessageBatch out;
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message().rfind("split", 0), 0u) << s.error().message();
  EXPECT_FALSE(msg.ack.empty());
  EXPECT_EQ(probe.calls, 0);
}

TEST_F(SplitProcessorTest, RejectsBadConfig) {
  auto syntax = build("{path: 'msg.items +'}");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message().find("path"), std::string::npos) << syntax.error().message();
  auto zero = build("{max_elements: 0}");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message().find("max_elements"), std::string::npos);
  auto empty = build("{path: ''}");
  ASSERT_FALSE(empty.ok());
}

}  // namespace
}  // namespace junction::components
