#include "flow/registry.h"

#include <fmt/format.h>

#include <cstdlib>

namespace junction::flow {
namespace {

template <class T>
Result<std::unique_ptr<T>> build(const ComponentInfo* info, const Factory<T>& factory,
                                 const spec::ComponentSpec& c, ComponentContext& ctx) {
  if (!info || !factory) {
    return Error::invalid(
        fmt::format("no {} named '{}' is registered", spec::to_string(c.kind), c.type));
  }
  auto made = factory(c.config, ctx);
  if (!made.ok()) return std::move(made).error();
  if (!*made) return Error::permanent(fmt::format("factory of '{}' returned nothing", c.type));
  return std::move(made).value();
}

}  // namespace

void ComponentRegistry::add(ComponentInfo info) {
  auto key = std::make_pair(info.kind, info.name);
  if (components_.count(key)) {
    // Two components with one name is a build mistake, not a runtime condition.
    std::abort();
  }
  components_.emplace(std::move(key), std::move(info));
}

const ComponentInfo* ComponentRegistry::find(spec::ComponentKind kind,
                                             const std::string& name) const {
  auto it = components_.find({kind, name});
  return it == components_.end() ? nullptr : &it->second;
}

std::vector<const ComponentInfo*> ComponentRegistry::all() const {
  std::vector<const ComponentInfo*> out;
  for (const auto& [key, info] : components_) out.push_back(&info);
  return out;
}

std::vector<const ComponentInfo*> ComponentRegistry::named(const std::string& name) const {
  std::vector<const ComponentInfo*> out;
  for (const auto& [key, info] : components_) {
    if (info.name == name) out.push_back(&info);
  }
  return out;
}

const spec::Schema* ComponentRegistry::schema(spec::ComponentKind kind,
                                              const std::string& name) const {
  const auto* info = find(kind, name);
  return info ? &info->schema : nullptr;
}

std::vector<std::string> ComponentRegistry::names(spec::ComponentKind kind) const {
  std::vector<std::string> out;
  for (const auto& [key, info] : components_) {
    if (key.first == kind) out.push_back(info.name);
  }
  return out;
}

Result<std::unique_ptr<Input>> ComponentRegistry::make_input(const spec::ComponentSpec& c,
                                                             ComponentContext& ctx) const {
  const auto* info = find(spec::ComponentKind::kInput, c.type);
  return build<Input>(info, info ? info->make_input : nullptr, c, ctx);
}

Result<std::unique_ptr<Processor>> ComponentRegistry::make_processor(const spec::ComponentSpec& c,
                                                                     ComponentContext& ctx) const {
  const auto* info = find(spec::ComponentKind::kProcessor, c.type);
  return build<Processor>(info, info ? info->make_processor : nullptr, c, ctx);
}

Result<std::unique_ptr<Output>> ComponentRegistry::make_output(const spec::ComponentSpec& c,
                                                               ComponentContext& ctx) const {
  const auto* info = find(spec::ComponentKind::kOutput, c.type);
  return build<Output>(info, info ? info->make_output : nullptr, c, ctx);
}

}  // namespace junction::flow
