#pragma once

#include <string>
#include <string_view>

#include "components/common/template.h"
#include "core/error.h"
#include "core/message.h"
#include "flow/registry.h"
#include "spec/schema.h"

namespace junction::connectors {

// A string computed per message, such as a Redis key or a NATS subject:
// the `<field>` template ({{counter}}, {{timestamp_ms}}, {{id}},
// {{random}}) or the `<field>_expression` Lua expression over `msg` and
// `meta`; a component sets exactly one. Shared by the redis output,
// redis_lookup and the nats output.
class KeySource {
 public:
  static Result<KeySource> from_config(const spec::Config& c, flow::ComponentContext& ctx,
                                       std::string_view field = "key");

  Result<std::string> key_for(const Message& m);
  // True when every message gets the same string (a template without
  // placeholders), so that it can be checked once, when the spec loads.
  bool is_constant() const { return chunk_ < 0 && key_.is_constant(); }

 private:
  std::string field_;
  components::Template key_;
  int chunk_ = -1;  // the compiled expression, or -1: the template
  script::Engine* scripts_ = nullptr;
};

}  // namespace junction::connectors
