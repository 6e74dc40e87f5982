#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "components/processors/dedupe/dedupe.h"
#include "flow/registry.h"
#include "processor_fixture.h"
#include "script/engine.h"
#include "spec/node.h"
#include "spec/schema.h"

namespace junction::components {
namespace {

using fixture::AckProbe;
using fixture::make_message;

class DedupeProcessorTest : public fixture::ProcessorTest {
 protected:
  DedupeProcessorTest() : ProcessorTest("dedupe", register_dedupe_processor) {}

  // Processes one payload; true when it passed. Passed messages are acked ok.
  bool passes(flow::Processor& p, const std::string& payload) {
    AckProbe probe;
    Message msg = make_message(payload, probe);
    MessageBatch out;
    Status s = p.process(msg, out);
    EXPECT_TRUE(s.ok()) << s.error().message();
    for (auto& m : out) m.ack.ok();
    return out.size() == 1;
  }
};

TEST_F(DedupeProcessorTest, DuplicateIsDroppedAndAckedOk) {
  auto p = build_ok("{key: msg.order_id}");
  ASSERT_TRUE(p);
  AckProbe first_probe, dup_probe;
  MessageBatch out;
  Message first = make_message(R"({"order_id": "A", "v": 1})", first_probe);
  ASSERT_TRUE(p->process(first, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.str(), R"({"order_id": "A", "v": 1})");
  EXPECT_EQ(first_probe.calls, 0);  // passed on: settled downstream, not here

  Message dup = make_message(R"({"order_id": "A", "v": 2})", dup_probe);
  ASSERT_TRUE(p->process(dup, out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(dup_probe.calls, 1);
  EXPECT_TRUE(dup_probe.status->ok());
}

TEST_F(DedupeProcessorTest, DistinctKeysPass) {
  auto p = build_ok("{key: msg.id}");
  ASSERT_TRUE(p);
  EXPECT_TRUE(passes(*p, R"({"id": 1})"));
  EXPECT_TRUE(passes(*p, R"({"id": 2})"));
  EXPECT_TRUE(passes(*p, R"({"id": "1x"})"));
  EXPECT_FALSE(passes(*p, R"({"id": 1})"));
  EXPECT_FALSE(passes(*p, R"({"id": 2})"));
}

TEST_F(DedupeProcessorTest, ExpressionMaySeeHeadersAndKey) {
  auto p = build_ok("{key: \"meta['tenant'] .. ':' .. key\"}");
  ASSERT_TRUE(p);
  auto run = [&](const std::string& tenant, const std::string& key) {
    AckProbe probe;
    Message m = make_message("{}", probe);
    m.headers.set("tenant", tenant);
    m.key = key;
    MessageBatch out;
    EXPECT_TRUE(p->process(m, out).ok());
    for (auto& o : out) o.ack.ok();
    return out.size() == 1;
  };
  EXPECT_TRUE(run("t1", "k"));
  EXPECT_TRUE(run("t2", "k"));
  EXPECT_FALSE(run("t1", "k"));
}

TEST_F(DedupeProcessorTest, KeyPassesAgainAfterTtl) {
  auto p = build_ok("{key: msg.id, ttl: 200ms}");
  ASSERT_TRUE(p);
  EXPECT_TRUE(passes(*p, R"({"id": 1})"));
  EXPECT_FALSE(passes(*p, R"({"id": 1})"));
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_TRUE(passes(*p, R"({"id": 1})"));
  EXPECT_FALSE(passes(*p, R"({"id": 1})"));
}

TEST_F(DedupeProcessorTest, DuplicatesDoNotExtendTheWindow) {
  // Sleeps only give lower bounds; the margins leave a loaded machine room.
  auto p = build_ok("{key: msg.id, ttl: 500ms}");
  ASSERT_TRUE(p);
  EXPECT_TRUE(passes(*p, R"({"id": 1})"));
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_FALSE(passes(*p, R"({"id": 1})"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(passes(*p, R"({"id": 1})"));  // 550ms after it first passed
}

TEST_F(DedupeProcessorTest, FullTableForgetsTheOldestKey) {
  auto p = build_ok("{key: msg.id, max_keys: 2}");
  ASSERT_TRUE(p);
  EXPECT_TRUE(passes(*p, R"({"id": "a"})"));
  EXPECT_TRUE(passes(*p, R"({"id": "b"})"));
  EXPECT_TRUE(passes(*p, R"({"id": "c"})"));  // evicts "a"
  EXPECT_FALSE(passes(*p, R"({"id": "b"})"));
  EXPECT_FALSE(passes(*p, R"({"id": "c"})"));
  EXPECT_TRUE(passes(*p, R"({"id": "a"})"));  // forgotten: passes again, evicts "b"
  EXPECT_TRUE(passes(*p, R"({"id": "b"})"));
}

TEST_F(DedupeProcessorTest, NilKeyIsAnErrorAndLeavesMessageIntact) {
  auto p = build_ok("{key: msg.order_id}");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"({"other": 1})", probe);
  MessageBatch out;
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message().rfind("dedupe key", 0), 0u) << s.error().message();
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(msg.payload.str(), R"({"other": 1})");
  EXPECT_FALSE(msg.ack.empty());
  EXPECT_EQ(probe.calls, 0);
}

TEST_F(DedupeProcessorTest, RejectsBadConfig) {
  auto missing = build("{ttl: 1m}");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("key"), std::string::npos);
  auto syntax = build("{key: 'msg.('}");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message().find("key"), std::string::npos) << syntax.error().message();
  auto ttl = build("{key: msg.id, ttl: 0s}");
  ASSERT_FALSE(ttl.ok());
  EXPECT_NE(ttl.error().message().find("ttl"), std::string::npos);
  auto forever = build("{key: msg.id, ttl: 100000d}");
  ASSERT_FALSE(forever.ok());
  auto keys = build("{key: msg.id, max_keys: 0}");
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.error().message().find("max_keys"), std::string::npos);
}

}  // namespace
}  // namespace junction::components
