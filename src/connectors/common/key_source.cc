#include "connectors/common/key_source.h"

#include <fmt/format.h>

#include "script/engine.h"

namespace junction::connectors {

Result<KeySource> KeySource::from_config(const spec::Config& c, flow::ComponentContext& ctx,
                                         std::string_view field) {
  KeySource source;
  source.field_ = std::string(field);
  source.scripts_ = ctx.scripts;
  const std::string expr_field = source.field_ + "_expression";
  const bool has_expr = c.has(expr_field) && !c.str(expr_field).empty();
  if (has_expr == (c.has(source.field_) && !c.str(source.field_).empty())) {
    return Error::invalid(fmt::format("set exactly one of {} and {}", field, expr_field));
  }
  if (has_expr) {
    auto chunk = ctx.scripts->compile_expression(c.str(expr_field), ctx.step + "." + expr_field);
    if (!chunk) return chunk.error();
    source.chunk_ = *chunk;
  } else {
    auto key = components::Template::parse(c.str(source.field_));
    if (!key) return key.error().wrap(source.field_);
    source.key_ = std::move(*key);
  }
  return source;
}

Result<std::string> KeySource::key_for(const Message& m) {
  if (chunk_ >= 0) {
    auto k = scripts_->eval_string(chunk_, m);
    if (!k) return k.error().wrap(field_ + "_expression");
    return std::move(*k);
  }
  std::string key;
  key_.render(key);
  return key;
}

}  // namespace junction::connectors
