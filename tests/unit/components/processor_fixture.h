#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "flow/registry.h"
#include "script/engine.h"
#include "spec/node.h"
#include "spec/schema.h"

namespace junction::components::fixture {

// What an input would see of a message's acknowledgement.
struct AckProbe {
  int calls = 0;
  std::optional<Status> status;
};

inline Message make_message(std::string payload, AckProbe& probe) {
  Message m;
  m.payload = Buffer(std::move(payload));
  m.ack = Ack([&probe](Status s) {
    ++probe.calls;
    probe.status = std::move(s);
  });
  return m;
}

// Builds one kind of processor through the registry, binding YAML as the spec
// loader would, with a Lua engine in the context.
class ProcessorTest : public ::testing::Test {
 protected:
  using RegisterFn = void (*)(flow::ComponentRegistry&);

  ProcessorTest(std::string type, RegisterFn register_fn) : type_(std::move(type)) {
    register_fn(registry_);
    engine_ = script::Engine::create().value();
    ctx_.scripts = engine_.get();
    ctx_.step = "pipeline[0]." + type_;
  }

  Result<std::unique_ptr<flow::Processor>> build(const std::string& yaml) {
    spec::Diagnostics diags;
    auto node = spec::Node::parse(yaml, "test.yaml", diags);
    if (!node) return Error::invalid(diags.format());
    const auto* info = registry_.find(spec::ComponentKind::kProcessor, type_);
    spec::ComponentSpec c;
    c.kind = spec::ComponentKind::kProcessor;
    c.type = type_;
    c.config = spec::Config::bind(info->schema, *node, diags);
    if (!diags.ok()) return Error::invalid(diags.format());
    return registry_.make_processor(c, ctx_);
  }

  std::unique_ptr<flow::Processor> build_ok(const std::string& yaml) {
    auto p = build(yaml);
    EXPECT_TRUE(p.ok()) << p.error().message();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  std::string type_;
  flow::ComponentRegistry registry_;
  std::unique_ptr<script::Engine> engine_;
  flow::ComponentContext ctx_;
};

}  // namespace junction::components::fixture
