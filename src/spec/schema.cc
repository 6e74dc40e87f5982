#include "spec/schema.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>

#include "spec/convert.h"

namespace junction::spec {
namespace {

[[noreturn]] void programming_error(const std::string& what) {
  std::fprintf(stderr, "junction: spec::Config: %s\n", what.c_str());
  std::abort();
}

// Parses a field's default; on a bad one returns nothing and says why.
std::optional<Config::Value> try_parse_default(const Field& field, std::string& why) {
  YAML::Node yaml;
  try {
    yaml = YAML::Load(field.default_value);
  } catch (const std::exception&) {
    why = "default of field '" + field.name + "' is not valid YAML";
    return std::nullopt;
  }
  Node node(yaml, nullptr);
  if (node.is_null()) return Config::Value{std::monostate{}};
  Diagnostics diags;
  auto value = convert_field(field, node, /*interpolate_text=*/false, diags);
  if (!value) {
    why = "bad default for field '" + field.name + "': " + diags.format();
    return std::nullopt;
  }
  return *value;
}

// Defaults are written by developers in a Schema, not by users: a bad one is
// a bug in the component. check_defaults() lets a test catch it for every
// registered component before any spec uses it.
Config::Value parse_default(const Field& field) {
  std::string why;
  auto value = try_parse_default(field, why);
  if (!value) programming_error(why);
  return std::move(*value);
}

}  // namespace

std::vector<std::string> check_defaults(const Schema& schema) {
  std::vector<std::string> problems;
  for (const auto& f : schema.fields) {
    if (f.default_value.empty()) continue;
    std::string why;
    if (!try_parse_default(f, why)) problems.push_back(std::move(why));
  }
  return problems;
}

std::string_view to_string(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kInt:
      return "int";
    case FieldType::kNumber:
      return "number";
    case FieldType::kBool:
      return "bool";
    case FieldType::kDuration:
      return "duration";
    case FieldType::kSize:
      return "size";
    case FieldType::kRate:
      return "rate";
    case FieldType::kStringList:
      return "string list";
    case FieldType::kObject:
      return "object";
    case FieldType::kList:
      return "list";
    case FieldType::kAny:
      return "any";
  }
  return "unknown";
}

const Field* Schema::find(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<std::string> Schema::names() const {
  std::vector<std::string> out;
  out.reserve(fields.size());
  for (const auto& f : fields) out.push_back(f.name);
  return out;
}

Config Config::bind(const Schema& schema, const Node& block, Diagnostics& diags) {
  return bind_shorthand(schema, block, std::string(), Node(), diags);
}

Config Config::bind_shorthand(const Schema& schema, const Node& block, const std::string& name_key,
                              const Node& primary, Diagnostics& diags) {
  Config config;
  config.block_ = block;
  for (const auto& f : schema.fields) config.values_[f.name] = std::monostate{};
  // Keys written with an empty value (`path:`): absent, but worth pointing at.
  std::map<std::string, Node> empty_keys;
  std::set<std::string, std::less<>> seen;
  const Field* primary_field = schema.find(schema.primary);
  if (primary_field != nullptr && !primary.is_null()) {
    seen.insert(primary_field->name);
    config.assign(*primary_field, primary, diags);
  }
  const bool wrong_shape = !block.is_null() && !block.is_map();
  if (wrong_shape) diags.error(block.location(), "expected a mapping, " + got(block));
  for (const auto& [key, value] : block.entries()) {
    if (!key.is_scalar()) {
      diags.error(key.location(), "expected a field name, " + got(key));
      continue;
    }
    const std::string& name = key.raw();
    if (!name_key.empty() && name == name_key) continue;
    const Field* field = schema.find(name);
    if (field == nullptr) {
      diags.error(key.location(), "unknown field '" + name + "'", suggest(name, schema.names()));
      continue;
    }
    if (!seen.insert(name).second) {
      diags.error(key.location(), "field '" + name + "' is given twice");
      continue;
    }
    if (value.is_null()) {
      empty_keys.emplace(name, key);
      continue;
    }
    config.assign(*field, value, diags);
  }
  // Under a wrong shape every required field is "missing": one error says it.
  config.apply_defaults(schema, empty_keys, /*report_missing=*/!wrong_shape, diags);
  return config;
}

void Config::assign(const Field& field, const Node& value, Diagnostics& diags) {
  given_[field.name] = value;
  if (auto converted = convert_field(field, value, /*interpolate_text=*/true, diags)) {
    values_[field.name] = std::move(*converted);
  }
}

void Config::apply_defaults(const Schema& schema, const std::map<std::string, Node>& empty_keys,
                            bool report_missing, Diagnostics& diags) {
  for (const auto& f : schema.fields) {
    if (given_.count(f.name) != 0) continue;
    if (f.required) {
      if (!report_missing) continue;
      auto empty = empty_keys.find(f.name);
      if (empty != empty_keys.end()) {
        diags.error(empty->second.location(), "missing value for required field '" + f.name + "'");
      } else {
        diags.error(block_.location(), "missing required field '" + f.name + "'");
      }
    } else if (!f.default_value.empty()) {
      values_[f.name] = parse_default(f);
    }
  }
}

const Config::Value& Config::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    programming_error("field '" + std::string(name) + "' is not declared by the schema");
  }
  return it->second;
}

bool Config::has(std::string_view name) const {
  get(name);
  return given_.find(name) != given_.end();
}

Location Config::location(std::string_view name) const {
  get(name);
  auto it = given_.find(name);
  return it != given_.end() ? it->second.location() : block_.location();
}

namespace {

// A typed getter: the value, the zero value when the field is unset, and an
// abort when the caller asks for a different type than the schema declares.
template <class T>
const T* typed(const Config::Value& value, std::string_view name) {
  if (std::holds_alternative<std::monostate>(value)) return nullptr;
  if (const T* v = std::get_if<T>(&value)) return v;
  programming_error("field '" + std::string(name) + "' is read as the wrong type");
}

}  // namespace

const std::string& Config::str(std::string_view name) const {
  static const std::string kEmpty;
  const auto* v = typed<std::string>(get(name), name);
  return v ? *v : kEmpty;
}

int64_t Config::integer(std::string_view name) const {
  const auto* v = typed<int64_t>(get(name), name);
  return v ? *v : 0;
}

double Config::number(std::string_view name) const {
  const Value& value = get(name);
  // An int field read as a number is a widening, not a mistake.
  if (const auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  const auto* v = typed<double>(value, name);
  return v ? *v : 0.0;
}

bool Config::boolean(std::string_view name) const {
  const auto* v = typed<bool>(get(name), name);
  return v ? *v : false;
}

Duration Config::duration(std::string_view name) const {
  const auto* v = typed<Duration>(get(name), name);
  return v ? *v : Duration::zero();
}

uint64_t Config::size(std::string_view name) const {
  const auto* v = typed<uint64_t>(get(name), name);
  return v ? *v : 0;
}

Rate Config::rate(std::string_view name) const {
  const auto* v = typed<Rate>(get(name), name);
  return v ? *v : Rate{};
}

const std::vector<std::string>& Config::strings(std::string_view name) const {
  static const std::vector<std::string> kEmpty;
  const auto* v = typed<std::vector<std::string>>(get(name), name);
  return v ? *v : kEmpty;
}

Node Config::node(std::string_view name) const {
  const auto* v = typed<Node>(get(name), name);
  return v ? *v : Node();
}

}  // namespace junction::spec
