#include "components/processors/filter/filter.h"

#include "components/processors/script_chain/script_chain.h"
#include "script/engine.h"

namespace junction::components {
namespace {

// Keeps the messages for which a Lua expression is true (Message Filter).
class FilterProcessor final : public flow::Processor, public ScriptStepSource {
 public:
  FilterProcessor(script::Engine& engine, int chunk) : engine_(engine), chunk_(chunk) {}

  Status process(Message& msg, MessageBatch& out) override {
    auto keep = engine_.eval_bool(chunk_, msg);
    if (!keep.ok()) return std::move(keep).error();
    if (*keep) {
      out.push_back(std::move(msg));
    } else {
      msg.ack.ok();  // filtered out on purpose: nothing to redeliver
    }
    return ok_status();
  }

  script::Engine::Step script_step() const override { return {chunk_, true}; }

 private:
  script::Engine& engine_;
  int chunk_;
};

}  // namespace

void register_filter_processor(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "filter";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Keeps messages for which a Lua expression is true; drops (and acks) the rest.";
  info.doc =
      "The expression sees `msg`, `meta` and `key` as in `map`. Lua truthiness: only `false` "
      "and `nil` drop. Example: `- filter: \"msg.total > 1000\"`.";
  info.schema.primary = "expression";
  info.schema.fields = {
      {"expression", spec::FieldType::kString, "", "Lua expression over msg, meta and key.", true},
  };
  info.make_processor =
      [](const spec::Config& c,
         flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Processor>> {
    auto chunk = ctx.scripts->compile_expression(c.str("expression"), ctx.step);
    if (!chunk.ok()) return std::move(chunk).error();
    return std::unique_ptr<flow::Processor>(
        std::make_unique<FilterProcessor>(*ctx.scripts, *chunk));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
