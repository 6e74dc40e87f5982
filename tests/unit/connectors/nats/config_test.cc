#include "connectors/nats/config.h"

#include <gtest/gtest.h>

#include "connectors/nats/subject.h"
#include "script/engine.h"
#include "spec/node.h"
#include "spec/schema.h"

namespace junction::connectors::nats {
namespace {

Result<spec::Config> bind_yaml(const std::vector<spec::Field>& fields, const std::string& yaml) {
  spec::Diagnostics diags;
  auto node = spec::Node::parse(yaml, "test.yaml", diags);
  if (!node) return Error::invalid(diags.format());
  spec::Schema schema;
  schema.fields = fields;
  auto config = spec::Config::bind(schema, *node, diags);
  if (!diags.ok()) return Error::invalid(diags.format());
  return config;
}

Result<InputOptions> input(const std::string& yaml) {
  auto c = bind_yaml(input_fields(), yaml);
  if (!c) return c.error();
  return parse_input(*c, "junction/f/input", "orders");
}

Result<OutputOptions> output(const std::string& yaml) {
  auto c = bind_yaml(output_fields(), yaml);
  if (!c) return c.error();
  auto engine = script::Engine::create();
  if (!engine) return engine.error();
  flow::ComponentContext ctx;
  ctx.step = "output";
  ctx.scripts = engine->get();
  auto subject = SubjectSource::from_config(*c, ctx);
  if (!subject) return subject.error();
  return parse_output(*c, "junction/f/output", subject->fixed());
}

TEST(NatsConfig, InputDefaults) {
  auto o = input("{ stream: ORDERS, subject: orders.> }");
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->connection.url, "nats://127.0.0.1:4222");
  EXPECT_EQ(o->durable, "junction_orders");
  EXPECT_EQ(o->batch, 100);
  EXPECT_EQ(o->max_in_flight, 1000);
  EXPECT_EQ(o->max_deliver, 5);
  EXPECT_EQ(o->ack_wait, std::chrono::seconds(30));
  EXPECT_FALSE(o->stream.create);
  // create_stream without stream_subjects captures the consumed subject.
  EXPECT_EQ(o->stream.subjects, std::vector<std::string>{"orders.>"});
}

TEST(NatsConfig, InputRejectsBadValues) {
  EXPECT_FALSE(input("{ subject: a }"));  // stream is required
  EXPECT_FALSE(input("{ stream: S, subject: 'a b' }"));
  EXPECT_FALSE(input("{ stream: S, subject: a.>.b }"));
  EXPECT_FALSE(input("{ stream: S.x, subject: a }"));
  EXPECT_FALSE(input("{ stream: S, subject: a, durable: d.x }"));
  EXPECT_FALSE(input("{ stream: S, subject: a, batch: 0 }"));
  EXPECT_FALSE(input("{ stream: S, subject: a, batch: 50, max_in_flight: 10 }"));
  EXPECT_FALSE(input("{ stream: S, subject: a, max_deliver: 0 }"));
  EXPECT_FALSE(input("{ stream: S, subject: a, dead_letter: 'dlq.*' }"));
  EXPECT_FALSE(input("{ stream: S, subject: a, token: t, user: u }"));
  EXPECT_FALSE(input("{ stream: S, subject: a, nak_delay: 10s, nak_delay_max: 1s }"));
  auto bad = input("{ stream: S, subject: a, batch: 0 }");
  EXPECT_EQ(bad.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(bad.error().message().find("batch"), std::string::npos);
}

TEST(NatsConfig, InputAcceptsUnboundedDeliveries) {
  auto o = input("{ stream: S, subject: a.*, max_deliver: -1, dead_letter: dlq.a }");
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->max_deliver, -1);
  EXPECT_EQ(o->dead_letter, "dlq.a");
}

TEST(NatsConfig, OutputNeedsALiteralSubject) {
  auto o = output("{ subject: orders.accepted, create_stream: true, stream: OUT }");
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->stream.subjects, std::vector<std::string>{"orders.accepted"});
  EXPECT_EQ(o->max_pending, 1024);
  EXPECT_FALSE(output("{ subject: 'orders.*' }"));
  EXPECT_FALSE(output("{ subject: orders, create_stream: true }"));  // no stream name
  EXPECT_FALSE(output("{ subject: orders, max_pending: 0 }"));
}

TEST(NatsConfig, OutputSubjectPerMessage) {
  EXPECT_TRUE(output("{ subject: 'orders.{{counter}}' }"));
  EXPECT_TRUE(output("{ subject_expression: '\"orders.\" .. msg.region' }"));
  // Exactly one of the two.
  EXPECT_FALSE(output("{}"));
  EXPECT_FALSE(output("{ subject: a, subject_expression: '\"b\"' }"));
  EXPECT_FALSE(output("{ subject: 'orders.{{nope}}' }"));
  EXPECT_FALSE(output("{ subject_expression: 'msg.' }"));
  // The stream to create cannot be guessed from a subject per message.
  EXPECT_FALSE(output("{ subject_expression: msg.s, create_stream: true, stream: OUT }"));
  auto o = output(
      "{ subject_expression: msg.s, create_stream: true, stream: OUT, "
      "stream_subjects: [orders.>] }");
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->stream.subjects, std::vector<std::string>{"orders.>"});
}

TEST(NatsConfig, SubjectSyntax) {
  EXPECT_TRUE(check_subject("a.b.c", false, "s"));
  EXPECT_TRUE(check_subject("a.*.c", true, "s"));
  EXPECT_TRUE(check_subject(">", true, "s"));
  EXPECT_FALSE(check_subject("a..b", true, "s"));
  EXPECT_FALSE(check_subject("a.", true, "s"));
  EXPECT_FALSE(check_subject("a*.b", true, "s"));
  EXPECT_FALSE(check_subject("a.*", false, "s"));
  EXPECT_FALSE(check_subject("", true, "s"));
}

}  // namespace
}  // namespace junction::connectors::nats
