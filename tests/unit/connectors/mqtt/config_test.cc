// The mqtt input's and output's configuration, built through the registry as
// `junction validate` does: no sockets, clear `invalid` errors.
#include <gtest/gtest.h>

#include "connectors/mqtt/connection.h"
#include "connectors/mqtt/register.h"
#include "flow/registry.h"
#include "observe/metrics.h"
#include "spec/node.h"
#include "spec/schema.h"

namespace junction::connectors::mqtt {
namespace {

class MqttConfigTest : public ::testing::Test {
 protected:
  MqttConfigTest() {
    register_mqtt(registry_);
    ctx_.flow = "telemetry";
    ctx_.step = "input";
    ctx_.base_dir = "/etc/junction";
    ctx_.metrics = &metrics_;
  }

  Result<spec::Config> bind(spec::ComponentKind kind, const std::string& yaml) {
    spec::Diagnostics diags;
    auto node = spec::Node::parse(yaml, "test.yaml", diags);
    if (!node) return Error::invalid(diags.format());
    const auto* info = registry_.find(kind, "mqtt");
    if (!info) return Error::invalid("mqtt is not registered");
    auto config = spec::Config::bind(info->schema, *node, diags);
    if (!diags.ok()) return Error::invalid(diags.format());
    return config;
  }

  Status build(spec::ComponentKind kind, const std::string& yaml) {
    auto c = bind(kind, yaml);
    if (!c) return std::move(c).error();
    spec::ComponentSpec spec;
    spec.kind = kind;
    spec.type = "mqtt";
    spec.config = std::move(c).value();
    if (kind == spec::ComponentKind::kInput) {
      auto r = registry_.make_input(spec, ctx_);
      return r ? ok_status() : Status(std::move(r).error());
    }
    auto r = registry_.make_output(spec, ctx_);
    return r ? ok_status() : Status(std::move(r).error());
  }

  void expect_invalid(spec::ComponentKind kind, const std::string& yaml, const std::string& says) {
    Status s = build(kind, yaml);
    ASSERT_FALSE(s.ok()) << yaml;
    EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid) << yaml;
    EXPECT_NE(s.error().message().find(says), std::string::npos)
        << yaml << " -> " << s.error().message();
  }

  flow::ComponentRegistry registry_;
  observe::Registry metrics_;
  flow::ComponentContext ctx_;
};

constexpr auto kInput = spec::ComponentKind::kInput;
constexpr auto kOutput = spec::ComponentKind::kOutput;

TEST_F(MqttConfigTest, DefaultsKeepTheSessionAndNameTheClientAfterTheStep) {
  auto c = bind(kInput, "topics: [a/#]");
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto o = parse_connection(*c, ctx_, "junction-telemetry-input");
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 1883);
  EXPECT_EQ(o->client_id, "junction-telemetry-input");
  EXPECT_EQ(o->keepalive_s, 30);
  EXPECT_FALSE(o->tls());
  EXPECT_TRUE(c->boolean("clean_session") == false);
  EXPECT_EQ(c->integer("qos"), 1);
}

TEST_F(MqttConfigTest, TlsFilesResolveAgainstTheSpecDirectory) {
  auto c = bind(kInput,
                "topics: a\ncafile: certs/ca.pem\ncertfile: /abs/me.pem\nkeyfile: certs/me.key\n"
                "client_id: plant-7\nusername: u\npassword: p\nkeepalive: 1m");
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto o = parse_connection(*c, ctx_, "unused");
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_TRUE(o->tls());
  EXPECT_EQ(o->cafile, "/etc/junction/certs/ca.pem");
  EXPECT_EQ(o->certfile, "/abs/me.pem");
  EXPECT_EQ(o->keyfile, "/etc/junction/certs/me.key");
  EXPECT_EQ(o->client_id, "plant-7");
  EXPECT_EQ(o->keepalive_s, 60);
  EXPECT_EQ(o->password, "p");
}

TEST_F(MqttConfigTest, GoodSpecsBuildWithoutConnecting) {
  EXPECT_TRUE(build(kInput, "topics: [sensors/+/t, plant/#]\nqos: 0\nformat: raw").ok());
  EXPECT_TRUE(build(kInput, "topics: '#'\ndead_letter: junction/dead").ok());
  EXPECT_TRUE(build(kOutput, "topic: devices/{{key}}/cmd\nqos: 0\nretain: true").ok());
}

TEST_F(MqttConfigTest, FiltersFollowTheMqttRules) {
  EXPECT_TRUE(check_filter("a/+/b").ok());
  EXPECT_TRUE(check_filter("+").ok());
  EXPECT_TRUE(check_filter("#").ok());
  EXPECT_TRUE(check_filter("a/b/#").ok());
  EXPECT_FALSE(check_filter("").ok());
  EXPECT_FALSE(check_filter("a/#/b").ok());
  EXPECT_FALSE(check_filter("a/b#").ok());
  EXPECT_FALSE(check_filter("a/b+/c").ok());
}

TEST_F(MqttConfigTest, BadInputsAreInvalid) {
  expect_invalid(kInput, "topics: [a/#/b]", "not a topic filter");
  expect_invalid(kInput, "topics: a\nqos: 2", "qos must be 0 or 1");
  expect_invalid(kInput, "topics: a\nport: 70000", "port");
  expect_invalid(kInput, "topics: a\npassword: secret", "password needs a username");
  expect_invalid(kInput, "topics: a\ncafile: ca.pem\ncertfile: me.pem", "go together");
  expect_invalid(kInput, "topics: a\ncertfile: me.pem\nkeyfile: me.key", "needs cafile");
  expect_invalid(kInput, "topics: a\nkeepalive: 1s", "keepalive");
  expect_invalid(kInput, "topics: a\ndead_letter: dead/#", "dead_letter");
  expect_invalid(kInput, "topics: a\nclient_id: ''", "client_id");
  expect_invalid(kInput, "topics: a\nbatch_size: 0", "batch_size");
  expect_invalid(kInput, "topics: a\nreconnect_min: 5s\nreconnect_max: 1s", "reconnect_min");
}

TEST_F(MqttConfigTest, BadOutputsAreInvalid) {
  expect_invalid(kOutput, "topic: a/+/b", "cannot be published to");
  expect_invalid(kOutput, "topic: a/{{nope}}", "unknown placeholder");
  expect_invalid(kOutput, "topic: a\nqos: 2", "qos must be 0 or 1");
  expect_invalid(kOutput, "topic: a\ntimeout: 0s", "timeout");
}

TEST_F(MqttConfigTest, PasswordIsASecretField) {
  for (auto kind : {kInput, kOutput}) {
    const auto* info = registry_.find(kind, "mqtt");
    ASSERT_NE(info, nullptr);
    ASSERT_NE(info->schema.find("password"), nullptr);
    EXPECT_TRUE(info->schema.find("password")->secret);
    EXPECT_TRUE(info->schema.find("keyfile")->secret);
  }
}

}  // namespace
}  // namespace junction::connectors::mqtt
