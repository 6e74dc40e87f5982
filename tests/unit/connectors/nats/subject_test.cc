#include "connectors/nats/subject.h"

#include <gtest/gtest.h>

#include "connectors/nats/config.h"
#include "script/engine.h"
#include "spec/node.h"

namespace junction::connectors::nats {
namespace {

class NatsSubjectTest : public ::testing::Test {
 protected:
  NatsSubjectTest() {
    engine_ = script::Engine::create().value();
    ctx_.flow = "f";
    ctx_.step = "output";
    ctx_.scripts = engine_.get();
  }

  Result<SubjectSource> source(const std::string& yaml) {
    spec::Diagnostics diags;
    auto node = spec::Node::parse(yaml, "test.yaml", diags);
    if (!node) return Error::invalid(diags.format());
    spec::Schema schema;
    schema.fields = output_fields();
    auto config = spec::Config::bind(schema, *node, diags);
    if (!diags.ok()) return Error::invalid(diags.format());
    return SubjectSource::from_config(config, ctx_);
  }

  static Message order(std::string_view json) {
    Message m;
    m.payload = Buffer::copy_of(json);
    return m;
  }

  std::unique_ptr<script::Engine> engine_;
  flow::ComponentContext ctx_;
};

TEST_F(NatsSubjectTest, AFixedSubjectIsCheckedWhenTheSpecLoads) {
  auto s = source("{ subject: orders.accepted }");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->fixed(), "orders.accepted");
  EXPECT_EQ(s->subject_for(order("{}")).value(), "orders.accepted");
  for (const char* bad : {"'orders.*'", "'orders.>'", "'a b'", "'a..b'"}) {
    auto rejected = source(std::string("{ subject: ") + bad + " }");
    ASSERT_FALSE(rejected) << bad;
    EXPECT_EQ(rejected.error().cls(), ErrorClass::kInvalid);
  }
}

TEST_F(NatsSubjectTest, AnExpressionGivesEachMessageItsSubject) {
  auto s = source("{ subject_expression: '\"orders.\" .. msg.region' }");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(s->fixed().empty());
  EXPECT_EQ(s->label(), "subject_expression");
  EXPECT_EQ(s->subject_for(order(R"({"region":"eu"})")).value(), "orders.eu");
  EXPECT_EQ(s->subject_for(order(R"({"region":"us"})")).value(), "orders.us");
}

TEST_F(NatsSubjectTest, AnInvalidSubjectPerMessageIsAnInvalidError) {
  auto s = source("{ subject_expression: msg.to }");
  ASSERT_TRUE(s) << s.error().message();
  for (const char* payload : {R"({"to":""})", R"({"to":"orders.eu west"})", R"({"to":"orders.*"})",
                              R"({"to":"orders.>"})", R"({"to":"orders..eu"})"}) {
    auto subject = s->subject_for(order(payload));
    ASSERT_FALSE(subject) << payload;
    EXPECT_EQ(subject.error().cls(), ErrorClass::kInvalid) << payload;
    EXPECT_NE(subject.error().message().find("subject"), std::string::npos)
        << subject.error().message();
  }
  // No value at all: the expression fails, and says where.
  auto missing = s->subject_for(order("{}"));
  ASSERT_FALSE(missing);
  EXPECT_FALSE(missing.error().retryable());
  EXPECT_NE(missing.error().message().find("subject_expression"), std::string::npos);
}

TEST_F(NatsSubjectTest, ATemplateRendersPerMessage) {
  auto s = source("{ subject: 'events.{{counter}}' }");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(s->fixed().empty());
  EXPECT_EQ(s->label(), "events.{{counter}}");
  EXPECT_EQ(s->subject_for(order("{}")).value(), "events.1");
  EXPECT_EQ(s->subject_for(order("{}")).value(), "events.2");
}

}  // namespace
}  // namespace junction::connectors::nats
