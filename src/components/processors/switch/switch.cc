#include "components/processors/switch/switch.h"

#include <algorithm>

#include "script/engine.h"

namespace junction::components {
namespace {

struct Case {
  int chunk;
  std::vector<std::string> to;
};

// Content-based router: sends each message to the outputs of the first case
// whose condition holds (or of every such case, as a recipient list).
class SwitchProcessor final : public flow::Processor {
 public:
  SwitchProcessor(script::Engine& engine, std::vector<Case> cases,
                  std::vector<std::string> fallback, bool all_matches)
      : engine_(engine),
        cases_(std::move(cases)),
        default_(std::move(fallback)),
        all_matches_(all_matches) {}

  Status process(Message& msg, MessageBatch& out) override {
    std::vector<std::string> routes;
    for (const auto& c : cases_) {
      auto hit = engine_.eval_bool(c.chunk, msg);
      if (!hit.ok()) return std::move(hit).error();
      if (!*hit) continue;
      for (const auto& name : c.to) {
        if (std::find(routes.begin(), routes.end(), name) == routes.end()) routes.push_back(name);
      }
      if (!all_matches_) break;
    }
    if (routes.empty()) routes = default_;
    if (routes.empty()) {
      msg.ack.ok();  // no case and no default: dropped on purpose
      return ok_status();
    }
    msg.routes = std::move(routes);
    out.push_back(std::move(msg));
    return ok_status();
  }

 private:
  script::Engine& engine_;
  std::vector<Case> cases_;
  std::vector<std::string> default_;
  bool all_matches_;
};

// Reads `to:` (one output name or a list) and checks every name is an output of the flow.
Result<std::vector<std::string>> read_targets(const spec::Node& node, const std::string& where,
                                              const flow::ComponentContext& ctx) {
  std::vector<std::string> names;
  if (node.is_scalar()) {
    names.push_back(node.raw());
  } else if (node.is_sequence()) {
    for (const auto& item : node.items()) {
      if (!item.is_scalar()) return Error::invalid(where + ": expected output names");
      names.push_back(item.raw());
    }
  } else {
    return Error::invalid(where + ": expected an output name or a list of them");
  }
  for (const auto& n : names) {
    if (std::find(ctx.output_names.begin(), ctx.output_names.end(), n) == ctx.output_names.end()) {
      return Error::invalid(where + ": '" + n + "' is not an output of this flow; " +
                            spec::suggest(n, ctx.output_names));
    }
  }
  return names;
}

Result<std::vector<Case>> read_cases(const spec::Node& cases, flow::ComponentContext& ctx) {
  std::vector<Case> out;
  auto items = cases.items();
  for (size_t i = 0; i < items.size(); ++i) {
    std::string where =
        "cases[" + std::to_string(i) + "] (" + items[i].location().to_string() + ")";
    if (!items[i].is_map()) return Error::invalid(where + ": expected { when: ..., to: ... }");
    for (const auto& [k, v] : items[i].entries()) {
      if (k.raw() != "when" && k.raw() != "to") {
        return Error::invalid(where + ": unknown field '" + k.raw() + "'; " +
                              spec::suggest(k.raw(), {"when", "to"}));
      }
    }
    auto when = items[i].get("when");
    auto to = items[i].get("to");
    if (!when.is_scalar()) return Error::invalid(where + ": missing `when` expression");
    if (!to.defined()) return Error::invalid(where + ": missing `to`");
    auto targets = read_targets(to, where + ".to", ctx);
    if (!targets.ok()) return std::move(targets).error();
    auto chunk =
        ctx.scripts->compile_expression(when.raw(), ctx.step + ".cases[" + std::to_string(i) + "]");
    if (!chunk.ok()) return std::move(chunk).error().wrap(where + ".when");
    out.push_back({*chunk, std::move(targets).value()});
  }
  return out;
}

}  // namespace

void register_switch_processor(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "switch";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Routes each message to named outputs by content (Content-Based Router).";
  info.doc =
      "Cases are tried in order; the first whose `when` holds sends the message to its `to` "
      "outputs (with `all_matches: true`, every matching case adds its outputs: a Recipient "
      "List). A message no case matches goes to `default`, or is dropped and acked when there "
      "is no default. Output names must be keys of the flow's `outputs:`.\n\n"
      "Example:\n\n    - switch:\n        cases:\n          - when: \"msg.total > 1000\"\n"
      "            to: review\n        default: fulfil";
  info.schema.fields = {
      {"cases", spec::FieldType::kList, "", "List of { when: <expression>, to: <output or list> }.",
       true},
      {"default", spec::FieldType::kStringList, "", "Outputs for messages no case matched."},
      {"all_matches", spec::FieldType::kBool, "false",
       "Route to every matching case, not the first."},
  };
  info.make_processor =
      [](const spec::Config& c,
         flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Processor>> {
    auto cases = read_cases(c.node("cases"), ctx);
    if (!cases.ok()) return std::move(cases).error();
    std::vector<std::string> fallback = c.strings("default");
    for (const auto& n : fallback) {
      if (std::find(ctx.output_names.begin(), ctx.output_names.end(), n) ==
          ctx.output_names.end()) {
        return Error::invalid("default: '" + n + "' is not an output of this flow; " +
                              spec::suggest(n, ctx.output_names));
      }
    }
    return std::unique_ptr<flow::Processor>(std::make_unique<SwitchProcessor>(
        *ctx.scripts, std::move(cases).value(), std::move(fallback), c.boolean("all_matches")));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
