#include "app/flow_builder.h"

#include "components/processors/script_chain/script_chain.h"
#include "script/engine.h"

namespace junction::app {

BuiltFlow::BuiltFlow() = default;
BuiltFlow::BuiltFlow(BuiltFlow&&) noexcept = default;
BuiltFlow& BuiltFlow::operator=(BuiltFlow&&) noexcept = default;
BuiltFlow::~BuiltFlow() {
  // Processors hold chunk references into the engine: drop them first.
  parts = flow::FlowParts{};
}

namespace {

flow::ComponentContext make_context(const spec::Spec& spec, const spec::FlowSpec& f,
                                    const BuiltFlow& built, const BuildEnv& env) {
  flow::ComponentContext ctx;
  ctx.flow = f.name;
  ctx.base_dir = spec.base_dir;
  ctx.storage_dir = spec.storage.dir;
  for (const auto& o : f.outputs) ctx.output_names.push_back(o.name);
  ctx.executor = built.executor;
  ctx.blocking = env.blocking;
  ctx.metrics = env.metrics;
  ctx.health = env.health;
  ctx.scripts = built.scripts.get();
  ctx.store = env.store;
  ctx.topics = &spec.topics;
  ctx.flow_targets = env.flow_targets;
  return ctx;
}

}  // namespace

std::vector<BuiltFlow> build_flows(const spec::Spec& spec, const flow::ComponentRegistry& registry,
                                   const BuildEnv& env, spec::Diagnostics& diags) {
  std::vector<BuiltFlow> flows;
  size_t errors_before = diags.size();
  for (const auto& f : spec.flows) {
    BuiltFlow built;
    auto engine = script::Engine::create();
    if (!engine.ok()) {
      diags.error(f.where, "flow '" + f.name + "': " + engine.error().message());
      continue;
    }
    built.scripts = std::move(engine).value();
    if (env.next_executor) built.executor = env.next_executor();
    auto ctx = make_context(spec, f, built, env);
    auto report = [&](const spec::ComponentSpec& c, const Error& e) {
      diags.error(c.where, ctx.step + ": " + e.message());
    };

    built.parts.name = f.name;
    built.parts.retry = f.on_error.retry;
    built.parts.max_in_flight = f.max_in_flight;
    built.parts.queue_depth = f.queue_depth;

    ctx.step = "input." + f.input.type;
    auto input = registry.make_input(f.input, ctx);
    if (input.ok()) {
      built.parts.input = std::move(input).value();
    } else {
      report(f.input, input.error());
    }

    for (size_t i = 0; i < f.pipeline.size(); ++i) {
      const auto& p = f.pipeline[i];
      ctx.step = "pipeline[" + std::to_string(i) + "]." + p.type;
      auto made = registry.make_processor(p, ctx);
      if (made.ok()) {
        built.parts.steps.push_back({ctx.step, std::move(made).value()});
      } else {
        report(p, made.error());
      }
    }

    for (const auto& o : f.outputs) {
      ctx.step = "outputs." + o.name;
      auto made = registry.make_output(o.output, ctx);
      if (made.ok()) {
        built.parts.sinks.push_back({o.name, std::move(made).value()});
      } else {
        report(o.output, made.error());
      }
    }

    built.parts.steps = components::fuse_script_steps(std::move(built.parts.steps), *built.scripts);

    if (f.on_error.dead_letter) {
      ctx.step = "on_error.dead_letter";
      auto made = registry.make_output(*f.on_error.dead_letter, ctx);
      if (made.ok()) {
        built.parts.dead_letter = std::move(made).value();
      } else {
        report(*f.on_error.dead_letter, made.error());
      }
    }
    flows.push_back(std::move(built));
  }
  if (diags.size() != errors_before) return {};
  return flows;
}

}  // namespace junction::app
