#include <gtest/gtest.h>

#include <string>

#include "connectors/amqp/register.h"
#include "flow/registry.h"
#include "observe/metrics.h"
#include "script/engine.h"
#include "spec/diagnostics.h"
#include "spec/node.h"

namespace junction::connectors {
namespace {

// Builds the amqp input or output from YAML, as `junction validate` does:
// no executor, no sockets.
class AmqpConfigTest : public ::testing::Test {
 protected:
  AmqpConfigTest() {
    register_amqp(registry_);
    engine_ = script::Engine::create().value();
    ctx_.scripts = engine_.get();
    ctx_.metrics = &metrics_;
    ctx_.flow = "f";
    ctx_.step = "input";
  }

  Status build(spec::ComponentKind kind, const std::string& yaml) {
    spec::Diagnostics diags;
    auto node = spec::Node::parse(yaml, "test.yaml", diags);
    if (!node) return Error::invalid(diags.format());
    spec::ComponentSpec c;
    c.kind = kind;
    c.type = "amqp";
    c.config = spec::Config::bind(registry_.find(kind, "amqp")->schema, *node, diags);
    if (!diags.ok()) return Error::invalid(diags.format());
    if (kind == spec::ComponentKind::kInput) {
      auto in = registry_.make_input(c, ctx_);
      return in ? ok_status() : Status(in.error());
    }
    auto out = registry_.make_output(c, ctx_);
    return out ? ok_status() : Status(out.error());
  }

  void expect_invalid(spec::ComponentKind kind, const std::string& yaml, const std::string& says) {
    Status s = build(kind, yaml);
    ASSERT_FALSE(s.ok()) << yaml;
    EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
    EXPECT_NE(s.error().message().find(says), std::string::npos) << s.error().message();
  }

  flow::ComponentRegistry registry_;
  observe::Registry metrics_;
  std::unique_ptr<script::Engine> engine_;
  flow::ComponentContext ctx_;
};

constexpr auto kIn = spec::ComponentKind::kInput;
constexpr auto kOut = spec::ComponentKind::kOutput;

TEST_F(AmqpConfigTest, ValidConfigsBuildWithoutConnecting) {
  // Port 1: nothing listens there, and building must not try.
  EXPECT_TRUE(build(kIn,
                    "{url: 'amqp://h:1', queue: q, declare: true, "
                    "dead_letter_exchange: '', dead_letter_routing_key: q.dlq}")
                  .ok());
  EXPECT_TRUE(build(kOut, "{url: 'amqp://h:1', exchange: x, routing_key_expr: msg.kind}").ok());
  EXPECT_TRUE(build(kOut, "{url: 'amqp://h:1', routing_key: q, format: raw}").ok());
}

TEST_F(AmqpConfigTest, BadConfigsAreInvalidWithTheReason) {
  expect_invalid(kIn, "{url: 'amqps://h', queue: q}", "TLS");
  expect_invalid(kIn, "{url: 'nonsense', queue: q}", "amqp://");
  expect_invalid(kIn, "{url: 'amqp://h', queue: q, prefetch: 0}", "prefetch");
  expect_invalid(kIn, "{url: 'amqp://h', queue: q, prefetch: 70000}", "prefetch");
  expect_invalid(kIn, "{url: 'amqp://h', queue: ''}", "queue");
  expect_invalid(kIn, "{url: 'amqp://h', queue: q, dead_letter_exchange: dlx}", "declare");
  expect_invalid(kIn, "{url: 'amqp://h', queue: q, heartbeat: 100000s}", "heartbeat");
  expect_invalid(kOut, "{url: 'amqp://h', routing_key: a, routing_key_expr: msg.b}", "not both");
  expect_invalid(kOut, "{url: 'amqp://h', routing_key_expr: 'msg.'}", "routing_key_expr");
  expect_invalid(kOut, "{url: 'amqp://h', confirm_timeout: 0s}", "confirm_timeout");
}

TEST_F(AmqpConfigTest, TheUrlIsSecret) {
  for (auto kind : {kIn, kOut}) {
    const spec::Field* url = registry_.find(kind, "amqp")->schema.find("url");
    ASSERT_NE(url, nullptr);
    EXPECT_TRUE(url->secret);
    EXPECT_TRUE(url->required);
  }
}

}  // namespace
}  // namespace junction::connectors
