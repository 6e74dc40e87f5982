#include <fmt/format.h>

#include "flow/registry.h"

namespace junction::flow {
namespace {

std::string default_text(const spec::Field& f) {
  if (f.required) return "required";
  if (f.default_value.empty()) return "-";
  return f.default_value;
}

std::string field_doc(const spec::Field& f) {
  std::string doc = f.doc;
  if (!f.one_of.empty()) {
    doc += " One of:";
    for (size_t i = 0; i < f.one_of.size(); ++i) doc += (i ? ", " : " ") + f.one_of[i];
    doc += ".";
  }
  if (f.secret) doc += " Secret: use ${ENV} or ${file:path}; never logged.";
  return doc;
}

std::string kind_heading(spec::ComponentKind kind) {
  switch (kind) {
    case spec::ComponentKind::kInput:
      return "Inputs";
    case spec::ComponentKind::kProcessor:
      return "Processors";
    case spec::ComponentKind::kOutput:
      return "Outputs";
  }
  return "";
}

}  // namespace

std::string render_component_doc(const ComponentInfo& info) {
  std::string out =
      fmt::format("{} ({}): {}\n", info.name, spec::to_string(info.kind), info.summary);
  if (!info.doc.empty()) out += "\n" + info.doc + "\n";
  if (!info.schema.primary.empty()) {
    out += fmt::format("\nShorthand: `{}: <{}>` sets the field '{}'.\n", info.name,
                       info.schema.primary, info.schema.primary);
  }
  if (info.schema.fields.empty()) {
    out += "\nNo fields.\n";
    return out;
  }
  size_t w = 5;
  for (const auto& f : info.schema.fields) w = std::max(w, f.name.size());
  out += "\nFields:\n";
  for (const auto& f : info.schema.fields) {
    out += fmt::format("  {:<{}}  {:<11} {:<10} {}\n", f.name, w, spec::to_string(f.type),
                       default_text(f), field_doc(f));
  }
  return out;
}

std::string render_components_markdown(const ComponentRegistry& registry) {
  std::string out =
      "# Component reference\n\n"
      "Generated from the component registry by `junction doc --markdown`; do not edit by "
      "hand. CI fails when this file is stale (`make docs` regenerates it).\n\n"
      "A component is written either as `NAME: { field: value, ... }` or, when it has a "
      "shorthand field, as `NAME: value` with the other fields beside it.\n";
  std::optional<spec::ComponentKind> kind;
  for (const auto* info : registry.all()) {
    if (kind != info->kind) {
      kind = info->kind;
      out += "\n## " + kind_heading(info->kind) + "\n";
    }
    out += fmt::format("\n### `{}`\n\n{}\n", info->name, info->summary);
    if (!info->doc.empty()) out += "\n" + info->doc + "\n";
    if (!info->schema.primary.empty()) {
      out += fmt::format("\nShorthand: `{}: <{}>`.\n", info->name, info->schema.primary);
    }
    if (info->schema.fields.empty()) continue;
    out += "\n| field | type | default | description |\n|---|---|---|---|\n";
    for (const auto& f : info->schema.fields) {
      out += fmt::format(
          "| `{}` | {} | {} | {} |\n", f.name, spec::to_string(f.type),
          f.required ? "required" : (f.default_value.empty() ? "" : "`" + f.default_value + "`"),
          field_doc(f));
    }
  }
  return out;
}

}  // namespace junction::flow
