#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "flow/flow.h"
#include "flow/registry.h"
#include "spec/spec.h"

namespace junction::log {
class Store;
}
namespace junction::script {
class Engine;
}
namespace junction::gateway {
class FlowTargets;
}

namespace junction::app {

// A flow's components, built and checked, not yet running. Owns the Lua
// engine its processors compiled into.
struct BuiltFlow {
  BuiltFlow();
  BuiltFlow(BuiltFlow&&) noexcept;
  BuiltFlow& operator=(BuiltFlow&&) noexcept;
  ~BuiltFlow();

  std::unique_ptr<script::Engine> scripts;
  flow::FlowParts parts;
  asio::any_io_executor executor;
};

struct BuildEnv {
  // Picks the executor a flow runs on; empty function = validation only.
  std::function<asio::any_io_executor()> next_executor;
  BlockingPool* blocking = nullptr;
  observe::Registry* metrics = nullptr;
  observe::Health* health = nullptr;             // null when only validating
  log::Store* store = nullptr;                   // the embedded log, when the spec uses it
  gateway::FlowTargets* flow_targets = nullptr;  // when the spec has a gateway
};

// Builds every flow of the spec. Component errors are recorded at the
// component's location; returns the flows only when there was none.
std::vector<BuiltFlow> build_flows(const spec::Spec& spec, const flow::ComponentRegistry& registry,
                                   const BuildEnv& env, spec::Diagnostics& diags);

}  // namespace junction::app
