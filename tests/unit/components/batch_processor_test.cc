#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "components/processors/batch/batch.h"
#include "core/reply_slot.h"
#include "flow/registry.h"
#include "processor_fixture.h"
#include "spec/node.h"
#include "spec/schema.h"

namespace junction::components {
namespace {

using fixture::AckProbe;
using fixture::make_message;

class BatchProcessorTest : public fixture::ProcessorTest {
 protected:
  BatchProcessorTest() : ProcessorTest("batch", register_batch_processor) {}
};

TEST_F(BatchProcessorTest, CountMakesOneJsonArray) {
  auto p = build_ok("{count: 3}");
  ASSERT_TRUE(p);
  AckProbe a, b, c;
  MessageBatch out;
  Message m1 = make_message(R"({"n": 1})", a);
  m1.key = "k1";
  m1.headers.set("trace", "t1");
  Message m2 = make_message("plain \"text\"", b);
  m2.headers.set("other", "x");
  Message m3 = make_message(" 2.50\n", c);
  ASSERT_TRUE(p->process(m1, out).ok());
  ASSERT_TRUE(p->process(m2, out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(p->process(m3, out).ok());
  ASSERT_EQ(out.size(), 1u);
  // JSON payloads kept verbatim (2.50 keeps its spelling), others as strings.
  EXPECT_EQ(out[0].payload.str(), R"([{"n": 1},"plain \"text\"",2.50])");
  EXPECT_EQ(out[0].key, "k1");
  EXPECT_EQ(out[0].headers.get("trace"), "t1");
  EXPECT_FALSE(out[0].headers.get("other").has_value());
  EXPECT_EQ(out[0].headers.get("batch-count"), "3");
  EXPECT_FALSE(out[0].id.empty());
  EXPECT_TRUE(out[0].reply.empty());  // no part came from a request
  EXPECT_EQ(a.calls + b.calls + c.calls, 0);
}

TEST_F(BatchProcessorTest, EmptyPayloadBecomesAnEmptyString) {
  auto p = build_ok("{count: 2}");
  ASSERT_TRUE(p);
  AckProbe a, b;
  MessageBatch out;
  Message m1 = make_message("", a);
  Message m2 = make_message("[]", b);
  ASSERT_TRUE(p->process(m1, out).ok());
  ASSERT_TRUE(p->process(m2, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.str(), R"(["",[]])");
}

TEST_F(BatchProcessorTest, DeepJsonStaysJson) {
  auto p = build_ok("{count: 2}");
  ASSERT_TRUE(p);
  AckProbe a, b;
  MessageBatch out;
  std::string deep = std::string(500, '[') + std::string(500, ']');
  Message m1 = make_message(deep, a);
  Message m2 = make_message("[1] 2", b);  // two JSON texts are not one
  ASSERT_TRUE(p->process(m1, out).ok());
  ASSERT_TRUE(p->process(m2, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.str(), "[" + deep + R"(,"[1] 2"])");
}

TEST_F(BatchProcessorTest, LinesJoinsPayloads) {
  auto p = build_ok("{count: 2, format: lines}");
  ASSERT_TRUE(p);
  AckProbe a, b;
  MessageBatch out;
  Message m1 = make_message("one", a);
  Message m2 = make_message(R"({"two":2})", b);
  ASSERT_TRUE(p->process(m1, out).ok());
  ASSERT_TRUE(p->process(m2, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.str(), "one\n{\"two\":2}");
  EXPECT_EQ(out[0].headers.get("batch-count"), "2");
}

TEST_F(BatchProcessorTest, BytesLimitStartsANewBatch) {
  auto p = build_ok("{count: 100, bytes: 10, format: lines}");
  ASSERT_TRUE(p);
  AckProbe probe;
  MessageBatch out;
  for (const char* payload : {"aaaa", "bbbb", "cccc", "dddddddddddd"}) {
    Message m = make_message(payload, probe);
    ASSERT_TRUE(p->process(m, out).ok());
  }
  // aaaa+bbbb fit; cccc would pass 10 bytes, so it starts the next batch;
  // the 12-byte message cannot fit anywhere and goes out after cccc, alone.
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].payload.str(), "aaaa\nbbbb");
  EXPECT_EQ(out[1].payload.str(), "cccc");
  EXPECT_EQ(out[2].payload.str(), "dddddddddddd");
  MessageBatch rest;
  p->flush(rest);
  EXPECT_TRUE(rest.empty());
}

TEST_F(BatchProcessorTest, FlushEmitsThePartialBatch) {
  auto p = build_ok("{count: 10, period: 250ms}");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->flush_interval().has_value());
  EXPECT_EQ(*p->flush_interval(), std::chrono::milliseconds(250));
  MessageBatch out;
  p->flush(out);
  EXPECT_TRUE(out.empty());
  AckProbe probe;
  Message m = make_message("1", probe);
  ASSERT_TRUE(p->process(m, out).ok());
  EXPECT_TRUE(out.empty());
  p->flush(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.str(), "[1]");
  EXPECT_EQ(out[0].headers.get("batch-count"), "1");
  out.clear();
  p->flush(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(probe.calls, 1);  // the cleared batch was never settled: a failure
  EXPECT_FALSE(probe.status->ok());
}

TEST_F(BatchProcessorTest, SettlingTheBatchSettlesEveryMemberOnce) {
  auto p = build_ok("{count: 3}");
  ASSERT_TRUE(p);
  AckProbe probes[3];
  MessageBatch out;
  for (auto& probe : probes) {
    Message m = make_message("{}", probe);
    ASSERT_TRUE(p->process(m, out).ok());
  }
  ASSERT_EQ(out.size(), 1u);
  out[0].ack.ok();
  for (auto& probe : probes) {
    EXPECT_EQ(probe.calls, 1);
    EXPECT_TRUE(probe.status->ok());
  }
}

TEST_F(BatchProcessorTest, AFailedBatchFailsEveryMember) {
  auto p = build_ok("{count: 2}");
  ASSERT_TRUE(p);
  AckProbe probes[2];
  MessageBatch out;
  for (auto& probe : probes) {
    Message m = make_message("{}", probe);
    ASSERT_TRUE(p->process(m, out).ok());
  }
  ASSERT_EQ(out.size(), 1u);
  out[0].ack.settle(Error::transient("output down"));
  for (auto& probe : probes) {
    EXPECT_EQ(probe.calls, 1);
    ASSERT_FALSE(probe.status->ok());
    EXPECT_EQ(probe.status->error().message(), "output down");
  }
}

TEST_F(BatchProcessorTest, TheBatchCarriesTheReplySlotsOfAllItsParts) {
  auto p = build_ok("{count: 3}");
  ASSERT_TRUE(p);
  AckProbe probes[3];
  auto first = std::make_shared<ReplySlot>();
  auto third = std::make_shared<ReplySlot>();
  MessageBatch out;
  Message m1 = make_message("1", probes[0]);
  m1.reply = ReplySlots(first);
  Message m2 = make_message("2", probes[1]);  // from no request
  Message m3 = make_message("3", probes[2]);
  m3.reply = ReplySlots(third);
  ASSERT_TRUE(p->process(m1, out).ok());
  ASSERT_TRUE(p->process(m2, out).ok());
  ASSERT_TRUE(p->process(m3, out).ok());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].reply.slots().size(), 2u);
  EXPECT_EQ(out[0].reply.slots()[0], first);
  EXPECT_EQ(out[0].reply.slots()[1], third);

  out[0].reply.answer(out[0].payload, out[0].headers);
  EXPECT_EQ(first->contents().payload->view(), "[1,2,3]");
  EXPECT_EQ(third->contents().payload->view(), "[1,2,3]");
}

TEST_F(BatchProcessorTest, APartialBatchFlushedOnItsPeriodCarriesItsPartsSlots) {
  auto p = build_ok("{count: 10}");
  ASSERT_TRUE(p);
  AckProbe probe;
  auto slot = std::make_shared<ReplySlot>();
  MessageBatch out;
  Message m = make_message("{}", probe);
  m.reply = ReplySlots(slot);
  ASSERT_TRUE(p->process(m, out).ok());
  p->flush(out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].reply.slots().size(), 1u);
  EXPECT_EQ(out[0].reply.slots()[0], slot);
}

TEST_F(BatchProcessorTest, PendingMessagesFailWhenTheProcessorIsDestroyed) {
  AckProbe probe;
  {
    auto p = build_ok("{count: 5}");
    ASSERT_TRUE(p);
    MessageBatch out;
    Message m = make_message("{}", probe);
    ASSERT_TRUE(p->process(m, out).ok());
  }
  EXPECT_EQ(probe.calls, 1);
  EXPECT_FALSE(probe.status->ok());  // redelivered, never silently acked
}

TEST_F(BatchProcessorTest, RejectsBadConfig) {
  auto zero = build("{count: 0}");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message().find("count"), std::string::npos);
  auto huge = build("{count: 100000000}");
  ASSERT_FALSE(huge.ok());
  auto no_period = build("{period: 0s}");
  ASSERT_FALSE(no_period.ok());
  EXPECT_NE(no_period.error().message().find("period"), std::string::npos);
  auto format = build("{format: xml}");
  ASSERT_FALSE(format.ok());
  EXPECT_NE(format.error().message().find("xml"), std::string::npos);
  auto bytes = build("{bytes: lots}");
  ASSERT_FALSE(bytes.ok());
}

TEST_F(BatchProcessorTest, DefaultsBuild) {
  auto p = build_ok("{}");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p->flush_interval(), std::chrono::seconds(1));
}

}  // namespace
}  // namespace junction::components
