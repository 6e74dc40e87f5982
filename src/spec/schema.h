#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/units.h"
#include "spec/diagnostics.h"
#include "spec/node.h"

namespace junction::spec {

enum class FieldType {
  kString,
  kInt,
  kNumber,
  kBool,
  kDuration,    // "250ms", "5m"
  kSize,        // "64KiB"
  kRate,        // "1000/min", "50/s burst 100"
  kStringList,  // a sequence of scalars, or one scalar taken as a list of one
  kObject,      // a mapping the component checks itself
  kList,        // a sequence the component checks itself
  kAny,         // any YAML, checked by the component
};

std::string_view to_string(FieldType type);

// One configuration field of a component: drives validation, `junction doc`
// and docs/components.md.
struct Field {
  std::string name;
  FieldType type = FieldType::kString;
  std::string default_value;  // as it would be written in YAML; empty = no default
  std::string doc;            // one line
  bool required = false;
  std::vector<std::string> one_of;  // allowed values for a kString field; empty = any
  bool secret = false;              // never printed, not even by `junction doc` examples
};

struct Schema {
  std::vector<Field> fields;
  // The field set by the shorthand `- validate: schemas/order.json`, where the
  // component's name maps straight to a scalar. Empty = no shorthand.
  std::string primary;

  const Field* find(std::string_view name) const;
  std::vector<std::string> names() const;
};

// Every default in `schema` that does not parse as its field's type, as
// messages; empty when all are good. A bad default is a component bug.
std::vector<std::string> check_defaults(const Schema& schema);

// A component's configuration after validation against its Schema: every
// field typed, interpolated, and defaulted. Getters take a field the schema
// declares; asking for an undeclared field is a programming error (aborts).
class Config {
 public:
  Config() = default;

  // Validates `block` (a mapping, or null for "all defaults") against the
  // schema; every problem is recorded in `diags` with its location, and the
  // returned Config holds whatever could be read.
  static Config bind(const Schema& schema, const Node& block, Diagnostics& diags);
  // The shorthand spelling of a component, `{ file: in.jsonl, format: lines }`:
  // `primary` (the value under the component's name) sets the schema's primary
  // field, and the keys of `block` other than `name_key` are its other fields.
  // Errors point at the nodes as written.
  static Config bind_shorthand(const Schema& schema, const Node& block, const std::string& name_key,
                               const Node& primary, Diagnostics& diags);

  // True when the spec set the field (rather than its default applying).
  bool has(std::string_view name) const;

  const std::string& str(std::string_view name) const;
  int64_t integer(std::string_view name) const;
  double number(std::string_view name) const;
  bool boolean(std::string_view name) const;
  Duration duration(std::string_view name) const;
  uint64_t size(std::string_view name) const;
  Rate rate(std::string_view name) const;
  const std::vector<std::string>& strings(std::string_view name) const;
  // The raw node of a kObject / kList / kAny field (undefined when absent).
  Node node(std::string_view name) const;

  // Where the field was written, or where the block is when it was not.
  Location location(std::string_view name) const;
  Location location() const { return block_.location(); }
  const Node& block() const { return block_; }

  using Value = std::variant<std::monostate, std::string, int64_t, double, bool, Duration, uint64_t,
                             Rate, std::vector<std::string>, Node>;

 private:
  const Value& get(std::string_view name) const;
  void assign(const Field& field, const Node& value, Diagnostics& diags);
  void apply_defaults(const Schema& schema, const std::map<std::string, Node>& empty_keys,
                      bool report_missing, Diagnostics& diags);

  Node block_;
  std::map<std::string, Value, std::less<>> values_;
  std::map<std::string, Node, std::less<>> given_;
};

}  // namespace junction::spec
