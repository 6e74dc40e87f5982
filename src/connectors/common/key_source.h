#pragma once

#include <string>

#include "components/common/template.h"
#include "core/error.h"
#include "core/message.h"
#include "flow/registry.h"
#include "spec/schema.h"

namespace junction::connectors::redis {

// Where a command's key comes from: the `key` template or the
// `key_expression` Lua expression; a component sets exactly one. Shared by
// the redis output and redis_lookup.
class KeySource {
 public:
  static Result<KeySource> from_config(const spec::Config& c, flow::ComponentContext& ctx);

  Result<std::string> key_for(const Message& m);

 private:
  components::Template key_;
  int chunk_ = -1;  // the compiled expression, or -1: the template
  script::Engine* scripts_ = nullptr;
};

}  // namespace junction::connectors::redis
