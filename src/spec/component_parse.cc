#include "spec/component_parse.h"

#include "spec/convert.h"

namespace junction::spec {
namespace {

std::string with_article(ComponentKind kind) {
  std::string name(to_string(kind));
  return (kind == ComponentKind::kProcessor ? "a " : "an ") + name;
}

struct Named {
  Node key;
  Node value;
};

void report_not_a_mapping(const Node& node, ComponentKind kind, const ComponentCatalog& catalog,
                          Diagnostics& diags) {
  std::string hint;
  // `output: stdout` is the likeliest slip: say exactly what to write.
  if (node.is_scalar() && catalog.schema(kind, node.raw()) != nullptr) {
    hint = "write `" + node.raw() + ": {}`";
  } else {
    hint = suggest(node.is_scalar() ? node.raw() : std::string(), catalog.names(kind));
  }
  diags.error(node.location(), "expected a mapping naming " + with_article(kind) + ", " + got(node),
              hint);
}

void report_unknown(const Node& node, ComponentKind kind, const ComponentCatalog& catalog,
                    Diagnostics& diags) {
  const auto names = catalog.names(kind);
  // With fields beside the name, the misspelt name is the key nearest to a
  // known component; without any near one, the first key is the best guess.
  const auto entries = node.entries();
  const Node* reported = nullptr;
  for (const auto& [key, value] : entries) {
    if (!key.is_scalar()) continue;
    if (reported == nullptr ||
        (!nearest(key.raw(), names).empty() && nearest(reported->raw(), names).empty())) {
      reported = &key;
    }
  }
  if (reported == nullptr) {
    diags.error(node.location(), "expected " + with_article(kind) + " name",
                suggest(std::string(), names));
    return;
  }
  diags.error(reported->location(),
              "unknown " + std::string(to_string(kind)) + " '" + reported->raw() + "'",
              suggest(reported->raw(), names));
}

void report_several(const Node& first, const Node& second, ComponentKind kind, Diagnostics& diags) {
  const std::string names = "'" + first.raw() + "' and '" + second.raw() + "'";
  switch (kind) {
    case ComponentKind::kProcessor:
      diags.error(second.location(), "a pipeline step names one processor, found " + names,
                  "write each processor as its own `- ` item");
      return;
    case ComponentKind::kInput:
      diags.error(second.location(), "found two inputs, " + names,
                  "a flow reads one input; write a flow per input");
      return;
    case ComponentKind::kOutput:
      diags.error(second.location(), "found two outputs, " + names,
                  "use 'outputs' to name several");
      return;
  }
}

}  // namespace

std::optional<ComponentSpec> parse_component(const Node& node, ComponentKind kind,
                                             const ComponentCatalog& catalog, Diagnostics& diags) {
  if (!node.is_map()) {
    report_not_a_mapping(node, kind, catalog, diags);
    return std::nullopt;
  }
  const auto entries = node.entries();
  std::vector<Named> named;
  for (const auto& [key, value] : entries) {
    if (key.is_scalar() && catalog.schema(kind, key.raw()) != nullptr)
      named.push_back({key, value});
  }
  if (named.empty()) {
    report_unknown(node, kind, catalog, diags);
    return std::nullopt;
  }
  if (named.size() > 1) {
    report_several(named[0].key, named[1].key, kind, diags);
    return std::nullopt;
  }

  const size_t errors_before = diags.size();
  const Node& key = named[0].key;
  const Node& value = named[0].value;
  const Schema& schema = *catalog.schema(kind, key.raw());
  ComponentSpec out{kind, key.raw(), Config(), key.location()};
  if (value.is_map() || (value.is_null() && entries.size() == 1)) {
    for (const auto& [other, unused] : entries) {
      if (other.is_scalar() && other.raw() == key.raw()) continue;
      diags.error(other.location(),
                  "field '" + other.raw() + "' is beside '" + key.raw() + ": { ... }'",
                  "move it into the mapping under '" + key.raw() + "'");
    }
    out.config = Config::bind(schema, value, diags);
  } else {
    Node primary = value;
    if (!value.is_null() && schema.find(schema.primary) == nullptr) {
      diags.error(value.location(), "component '" + key.raw() + "' takes a mapping of fields",
                  "write `" + key.raw() + ": { ... }`");
      primary = Node();
    }
    out.config = Config::bind_shorthand(schema, node, key.raw(), primary, diags);
  }
  if (diags.size() != errors_before) return std::nullopt;
  return out;
}

}  // namespace junction::spec
