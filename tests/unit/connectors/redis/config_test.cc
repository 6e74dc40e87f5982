// Building the Redis components from YAML, as `junction validate` does:
// options are read and checked, and no socket is opened.
#include <gtest/gtest.h>

#include "connectors/redis/register.h"
#include "connectors/redis/stream_input.h"
#include "observe/metrics.h"
#include "script/engine.h"
#include "spec/node.h"

namespace junction::connectors::redis {
namespace {

class RedisConfigTest : public ::testing::Test {
 protected:
  RedisConfigTest() {
    register_redis(registry_);
    engine_ = script::Engine::create().value();
    ctx_.flow = "billing";
    ctx_.step = "input";
    ctx_.scripts = engine_.get();
    ctx_.metrics = &metrics_;
  }

  Result<spec::Config> bind(spec::ComponentKind kind, const std::string& name,
                            const std::string& yaml) {
    spec::Diagnostics diags;
    auto node = spec::Node::parse(yaml, "test.yaml", diags);
    if (!node) return Error::invalid(diags.format());
    const auto* info = registry_.find(kind, name);
    if (!info) return Error::invalid("no component " + name);
    auto config = spec::Config::bind(info->schema, *node, diags);
    if (!diags.ok()) return Error::invalid(diags.format());
    return config;
  }

  Status build(spec::ComponentKind kind, const std::string& name, const std::string& yaml) {
    auto config = bind(kind, name, yaml);
    if (!config) return config.error();
    spec::ComponentSpec c;
    c.kind = kind;
    c.type = name;
    c.config = std::move(*config);
    if (kind == spec::ComponentKind::kInput) {
      auto in = registry_.make_input(c, ctx_);
      if (!in) return in.error();
    } else if (kind == spec::ComponentKind::kProcessor) {
      auto p = registry_.make_processor(c, ctx_);
      if (!p) return p.error();
    } else {
      auto out = registry_.make_output(c, ctx_);
      if (!out) return out.error();
    }
    return ok_status();
  }

  Status input(const std::string& yaml) {
    return build(spec::ComponentKind::kInput, "redis_stream", yaml);
  }
  Status output(const std::string& yaml) {
    return build(spec::ComponentKind::kOutput, "redis", yaml);
  }
  Status lookup(const std::string& yaml) {
    return build(spec::ComponentKind::kProcessor, "redis_lookup", yaml);
  }

  flow::ComponentRegistry registry_;
  observe::Registry metrics_;
  std::unique_ptr<script::Engine> engine_;
  flow::ComponentContext ctx_;
};

TEST_F(RedisConfigTest, StreamInputDefaults) {
  auto config = bind(spec::ComponentKind::kInput, "redis_stream", "stream: orders");
  ASSERT_TRUE(config.ok()) << config.error().message();
  auto o = stream_input_options(*config, ctx_);
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->group, "billing");  // the flow's name
  EXPECT_NE(o->consumer.find("billing"), std::string::npos);
  EXPECT_EQ(o->dead_letter, "orders.dlq");
  EXPECT_EQ(o->start_id, "0");
  EXPECT_EQ(o->max_deliveries, 5);
  EXPECT_EQ(o->format.payload_field, "payload");
  EXPECT_EQ(o->endpoint.port, 6379);
}

TEST_F(RedisConfigTest, StreamInputReadsItsOptions) {
  auto config = bind(spec::ComponentKind::kInput, "redis_stream",
                     "stream: orders\nurl: redis://:pw@cache:6380/3\ngroup: g\nconsumer: c\n"
                     "dead_letter: dead\nmax_deliveries: 2\nbatch: 10\nblock: 250ms\n"
                     "claim_idle: 1m\nfield: body\nformat: raw\n");
  ASSERT_TRUE(config.ok()) << config.error().message();
  auto o = stream_input_options(*config, ctx_);
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->endpoint.host, "cache");
  EXPECT_EQ(o->endpoint.password, "pw");
  EXPECT_EQ(o->endpoint.db, 3);
  EXPECT_EQ(o->consumer, "c");
  EXPECT_EQ(o->dead_letter, "dead");
  EXPECT_EQ(o->max_deliveries, 2);
  EXPECT_EQ(o->batch, 10u);
  EXPECT_EQ(o->block, std::chrono::milliseconds(250));
  EXPECT_EQ(o->claim_idle, std::chrono::minutes(1));
  EXPECT_EQ(o->format.payload_field, "body");
  EXPECT_EQ(o->format.codec.format(), Codec::Format::kRaw);
}

TEST_F(RedisConfigTest, StreamInputRejectsBadOptions) {
  EXPECT_TRUE(input("stream: orders").ok());
  EXPECT_FALSE(input("stream: orders\nmax_deliveries: 0").ok());
  EXPECT_FALSE(input("stream: orders\nbatch: 0").ok());
  EXPECT_FALSE(input("stream: orders\nblock: 0s").ok());
  EXPECT_FALSE(input("stream: orders\ndead_letter: orders").ok());
  EXPECT_FALSE(input("stream: orders\nurl: http://h").ok());
  EXPECT_FALSE(input("stream: orders\nport: 0").ok());
  EXPECT_FALSE(input("stream: ''").ok());
}

TEST_F(RedisConfigTest, OutputRejectsBadOptions) {
  EXPECT_TRUE(output("command: xadd\nkey: audit\nmaxlen: 10").ok());
  EXPECT_TRUE(output("command: set\nkey_expression: '\"k:\" .. msg.id'\nttl: 1h").ok());
  EXPECT_TRUE(output("command: publish\nkey: events-{{counter}}").ok());
  EXPECT_FALSE(output("command: del\nkey: k").ok());
  EXPECT_FALSE(output("command: set\nkey: k\nkey_expression: msg.id").ok());
  EXPECT_FALSE(output("command: set").ok());
  EXPECT_FALSE(output("command: set\nkey: k\nmaxlen: 10").ok());
  EXPECT_FALSE(output("command: xadd\nkey: k\nttl: 1s").ok());
  EXPECT_FALSE(output("command: xadd\nkey: '{{nope}}'").ok());
  EXPECT_FALSE(output("command: set\nkey_expression: 'msg.'").ok());
}

TEST_F(RedisConfigTest, LookupRejectsBadOptions) {
  EXPECT_TRUE(lookup("key: k\ninto: x").ok());
  EXPECT_TRUE(
      lookup("command: hget\nfield: f\nkey_expression: msg.id\ninto: x\ncache_ttl: 1m").ok());
  EXPECT_FALSE(lookup("key: k").ok());                          // no into
  EXPECT_FALSE(lookup("command: hget\nkey: k\ninto: x").ok());  // hget without field
  EXPECT_FALSE(lookup("field: f\nkey: k\ninto: x").ok());       // field without hget
  EXPECT_FALSE(lookup("into: x").ok());                         // no key
  EXPECT_FALSE(lookup("key: k\ninto: x\ncache_size: 0").ok());
  EXPECT_FALSE(lookup("key: k\ninto: x\non_missing: ignore").ok());
}

}  // namespace
}  // namespace junction::connectors::redis
