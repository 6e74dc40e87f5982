#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "components/processors/switch/switch.h"
#include "flow/registry.h"
#include "processor_fixture.h"
#include "script/engine.h"
#include "spec/node.h"
#include "spec/schema.h"

namespace junction::components {
namespace {

class SwitchProcessorTest : public fixture::ProcessorTest {
 protected:
  SwitchProcessorTest() : ProcessorTest("switch", register_switch_processor) {
    ctx_.output_names = {"review", "fulfil", "audit"};
  }

  // Routes one message; returns its routes, or nullopt when it was dropped.
  std::optional<std::vector<std::string>> route(flow::Processor& p, const std::string& payload,
                                                bool* acked_ok = nullptr) {
    Message m;
    m.payload = Buffer(payload);
    m.ack = Ack([acked_ok](Status s) {
      if (acked_ok) *acked_ok = s.ok();
    });
    MessageBatch out;
    EXPECT_TRUE(p.process(m, out).ok());
    if (out.empty()) return std::nullopt;
    return out[0].routes;
  }
};

TEST_F(SwitchProcessorTest, FirstMatchingCaseWinsElseDefault) {
  auto p = build(R"(
cases:
  - when: "msg.total > 1000"
    to: review
  - when: "msg.total > 500"
    to: [fulfil, audit]
default: fulfil
)")
               .value();
  EXPECT_EQ(route(*p, R"({"total": 2000})"), (std::vector<std::string>{"review"}));
  EXPECT_EQ(route(*p, R"({"total": 700})"), (std::vector<std::string>{"fulfil", "audit"}));
  EXPECT_EQ(route(*p, R"({"total": 1})"), (std::vector<std::string>{"fulfil"}));
}

TEST_F(SwitchProcessorTest, AllMatchesMakesARecipientList) {
  auto p = build(R"(
all_matches: true
cases:
  - { when: "msg.total > 1000", to: review }
  - { when: "msg.total > 500", to: [audit, review] }
)")
               .value();
  EXPECT_EQ(route(*p, R"({"total": 2000})"), (std::vector<std::string>{"review", "audit"}));
}

TEST_F(SwitchProcessorTest, UnmatchedWithoutDefaultIsDroppedAndAcked) {
  auto p = build(R"(
cases:
  - { when: "msg.total > 1000", to: review }
)")
               .value();
  bool acked_ok = false;
  EXPECT_EQ(route(*p, R"({"total": 5})", &acked_ok), std::nullopt);
  EXPECT_TRUE(acked_ok);
}

TEST_F(SwitchProcessorTest, ConfigErrorsNameTheProblem) {
  auto unknown = build("cases: [ { when: 'true', to: revew } ]");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("did you mean 'review'"), std::string::npos)
      << unknown.error().message();
  auto bad_field = build("cases: [ { wen: 'true', to: review } ]");
  ASSERT_FALSE(bad_field.ok());
  EXPECT_NE(bad_field.error().message().find("did you mean 'when'"), std::string::npos);
  auto bad_expr = build("cases: [ { when: 'msg.x >', to: review } ]");
  ASSERT_FALSE(bad_expr.ok());
  EXPECT_EQ(bad_expr.error().cls(), ErrorClass::kInvalid);
  auto bad_default = build("cases: [ { when: 'true', to: review } ]\ndefault: nowhere");
  ASSERT_FALSE(bad_default.ok());
  EXPECT_NE(bad_default.error().message().find("nowhere"), std::string::npos);
}

TEST_F(SwitchProcessorTest, ExpressionRuntimeErrorLeavesMessageIntact) {
  auto p = build("cases: [ { when: 'msg.a.b > 1', to: review } ]").value();
  Message m;
  m.payload = Buffer(R"({"x": 1})");
  MessageBatch out;
  Status s = p->process(m, out);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(m.payload.str(), R"({"x": 1})");
}

}  // namespace
}  // namespace junction::components
