#include "connectors/redis/key_source.h"

#include "script/engine.h"

namespace junction::connectors::redis {

Result<KeySource> KeySource::from_config(const spec::Config& c, flow::ComponentContext& ctx) {
  KeySource source;
  source.scripts_ = ctx.scripts;
  const bool has_expr = c.has("key_expression") && !c.str("key_expression").empty();
  if (has_expr == (c.has("key") && !c.str("key").empty())) {
    return Error::invalid("set exactly one of key and key_expression");
  }
  if (has_expr) {
    auto chunk =
        ctx.scripts->compile_expression(c.str("key_expression"), ctx.step + ".key_expression");
    if (!chunk) return chunk.error();
    source.chunk_ = *chunk;
  } else {
    auto key = components::Template::parse(c.str("key"));
    if (!key) return key.error().wrap("key");
    source.key_ = std::move(*key);
  }
  return source;
}

Result<std::string> KeySource::key_for(const Message& m) {
  if (chunk_ >= 0) {
    auto k = scripts_->eval_string(chunk_, m);
    if (!k) return k.error().wrap("key_expression");
    return std::move(*k);
  }
  std::string key;
  key_.render(key);
  return key;
}

}  // namespace junction::connectors::redis
