#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/executor.h"
#include "flow/component.h"
#include "spec/catalog.h"
#include "spec/schema.h"
#include "spec/spec.h"

namespace junction::observe {
class Health;
class Registry;
}  // namespace junction::observe
namespace junction::log {
class Store;
}
namespace junction::script {
class Engine;
}
namespace junction::gateway {
class FlowTargets;
}

namespace junction::flow {

// What a component may use while it is built and while it runs. Building must
// have no side effects (no sockets, no files opened): `junction validate`
// builds every component of a spec and throws them away.
struct ComponentContext {
  std::string flow;                       // flow name
  std::string step;                       // "input", "pipeline[2].map", "outputs.archive"
  std::filesystem::path base_dir;         // relative paths in the spec resolve here
  std::filesystem::path storage_dir;      // where state and checkpoints live
  std::vector<std::string> output_names;  // the flow's outputs, for routing checks
  asio::any_io_executor executor;         // the flow's executor; empty when only validating
  BlockingPool* blocking = nullptr;       // for blocking calls; null when only validating
  observe::Registry* metrics = nullptr;   // never null
  observe::Health* health = nullptr;      // readiness; null when only validating
  script::Engine* scripts = nullptr;      // the flow's Lua engine; never null
  log::Store* store = nullptr;            // the embedded log; null when only validating
  const std::vector<spec::TopicSpec>* topics = nullptr;  // the spec's topics; may be null
  // The flows that serve gateway routes; null when only validating or the
  // spec has no gateway.
  gateway::FlowTargets* flow_targets = nullptr;

  // The spec's declaration of a topic, if it has one.
  const spec::TopicSpec* find_topic(std::string_view name) const {
    if (!topics) return nullptr;
    for (const auto& t : *topics) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  std::filesystem::path resolve(const std::filesystem::path& p) const {
    return p.is_absolute() || p.empty() ? p : base_dir / p;
  }
};

template <class T>
using Factory = std::function<Result<std::unique_ptr<T>>(const spec::Config&, ComponentContext&)>;

struct ComponentInfo {
  std::string name;
  spec::ComponentKind kind = spec::ComponentKind::kProcessor;
  std::string summary;  // one line, for `junction list`
  std::string doc;      // a paragraph and an example, for `junction doc`
  spec::Schema schema;
  Factory<Input> make_input;
  Factory<Processor> make_processor;
  Factory<Output> make_output;
};

// Every input, processor and output, by kind and name. Drives spec
// validation, `junction list`, `junction doc` and docs/components.md.
class ComponentRegistry : public spec::ComponentCatalog {
 public:
  void add(ComponentInfo info);

  const ComponentInfo* find(spec::ComponentKind kind, const std::string& name) const;
  // Sorted by kind (inputs, processors, outputs), then name.
  std::vector<const ComponentInfo*> all() const;
  // Every component with this name, of any kind (`junction doc file`).
  std::vector<const ComponentInfo*> named(const std::string& name) const;

  const spec::Schema* schema(spec::ComponentKind kind, const std::string& name) const override;
  std::vector<std::string> names(spec::ComponentKind kind) const override;

  Result<std::unique_ptr<Input>> make_input(const spec::ComponentSpec& c,
                                            ComponentContext& ctx) const;
  Result<std::unique_ptr<Processor>> make_processor(const spec::ComponentSpec& c,
                                                    ComponentContext& ctx) const;
  Result<std::unique_ptr<Output>> make_output(const spec::ComponentSpec& c,
                                              ComponentContext& ctx) const;

 private:
  std::map<std::pair<spec::ComponentKind, std::string>, ComponentInfo> components_;
};

// `junction doc NAME` text and the docs/components.md reference.
std::string render_component_doc(const ComponentInfo& info);
std::string render_components_markdown(const ComponentRegistry& registry);

}  // namespace junction::flow
