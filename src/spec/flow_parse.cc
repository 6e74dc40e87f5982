#include "spec/flow_parse.h"

#include <algorithm>
#include <set>

#include "spec/component_parse.h"
#include "spec/convert.h"

namespace junction::spec {
namespace {

const Schema& flow_schema() {
  static const Schema schema{{
      {"input", FieldType::kAny, "", "where messages come from"},
      {"pipeline", FieldType::kList, "", "processors applied in order"},
      {"output", FieldType::kAny, "", "where messages go"},
      {"outputs", FieldType::kObject, "", "several named outputs, each gets every message"},
      {"on_error", FieldType::kObject, "", "retry and dead-letter policy"},
      {"max_in_flight", FieldType::kInt, "1", "concurrent pipeline workers; 1 keeps order"},
      {"queue_depth", FieldType::kInt, "64", "batches buffered between input and workers"},
  }};
  return schema;
}

const Schema& on_error_schema() {
  static const Schema schema{{
      {"retry", FieldType::kObject, "", "how often and how fast to retry a failed message"},
      {"dead_letter", FieldType::kAny, "", "the output that takes messages retries gave up on"},
  }};
  return schema;
}

// The defaults match RetrySpec's.
const Schema& retry_schema() {
  static const Schema schema{{
      {"attempts", FieldType::kInt, "3", "total tries including the first; 1 = no retry"},
      {"base", FieldType::kDuration, "100ms", "delay before the first retry, doubled each time"},
      {"max", FieldType::kDuration, "10s", "longest delay between two tries"},
  }};
  return schema;
}

void check_range(const Config& config, const std::string& field, int64_t low, int64_t high,
                 Diagnostics& diags) {
  int64_t v = config.integer(field);
  if (config.has(field) && (v < low || v > high)) {
    diags.error(config.location(field), "field '" + field + "' must be between " +
                                            std::to_string(low) + " and " + std::to_string(high));
  }
}

void parse_retry(const Node& block, RetrySpec& retry, Diagnostics& diags) {
  Config config = Config::bind(retry_schema(), block, diags);
  retry.attempts = static_cast<int>(std::clamp<int64_t>(config.integer("attempts"), 0, 1 << 30));
  retry.base = config.duration("base");
  retry.max = config.duration("max");
  if (config.has("attempts") && config.integer("attempts") < 1) {
    diags.error(config.location("attempts"), "field 'attempts' must be at least 1",
                "1 means a single try with no retry");
  }
  if (retry.base > retry.max) {
    diags.error(config.location(config.has("base") ? "base" : "max"),
                "retry 'base' must not exceed 'max'");
  }
}

void parse_on_error(const Node& block, const ComponentCatalog& catalog, OnErrorSpec& on_error,
                    Diagnostics& diags) {
  Config config = Config::bind(on_error_schema(), block, diags);
  if (config.has("retry")) parse_retry(config.node("retry"), on_error.retry, diags);
  if (config.has("dead_letter")) {
    on_error.dead_letter =
        parse_component(config.node("dead_letter"), ComponentKind::kOutput, catalog, diags);
  }
}

void parse_pipeline(const Node& list, const ComponentCatalog& catalog, FlowSpec& flow,
                    Diagnostics& diags) {
  for (const Node& item : list.items()) {
    if (!item.is_map()) {
      diags.error(item.location(), "expected a mapping like `- map: ...`, " + got(item));
      continue;
    }
    if (auto c = parse_component(item, ComponentKind::kProcessor, catalog, diags)) {
      flow.pipeline.push_back(std::move(*c));
    }
  }
}

void parse_outputs(const Config& config, const ComponentCatalog& catalog, FlowSpec& flow,
                   Diagnostics& diags) {
  const bool single = config.has("output");
  const bool several = config.has("outputs");
  if (single && several) {
    diags.error(config.location("outputs"), "a flow has 'output' or 'outputs', not both",
                "list the single output under 'outputs' too");
    return;
  }
  if (!single && !several) {
    diags.error(flow.where, "missing required field 'output' in flow '" + flow.name + "'",
                "add 'output', or 'outputs' for several");
    return;
  }
  if (single) {
    if (auto c = parse_component(config.node("output"), ComponentKind::kOutput, catalog, diags)) {
      flow.outputs.push_back(NamedOutput{c->type, std::move(*c)});
    }
    return;
  }
  const Node outputs = config.node("outputs");
  const auto entries = outputs.entries();
  if (entries.empty()) diags.error(outputs.location(), "'outputs' names no output");
  std::set<std::string> names;
  for (const auto& [key, value] : entries) {
    if (!key.is_scalar() || key.raw().empty()) {
      diags.error(key.location(), "expected an output name, " + got(key));
      continue;
    }
    if (!names.insert(key.raw()).second) {
      diags.error(key.location(), "output '" + key.raw() + "' is given twice");
      continue;
    }
    if (auto c = parse_component(value, ComponentKind::kOutput, catalog, diags)) {
      flow.outputs.push_back(NamedOutput{key.raw(), std::move(*c)});
    }
  }
}

void parse_flow(const Node& key, const Node& block, const ComponentCatalog& catalog,
                Diagnostics& diags, std::vector<FlowSpec>& out) {
  const size_t errors_before = diags.size();
  FlowSpec flow;
  flow.name = key.raw();
  flow.where = key.location();
  Config config = Config::bind(flow_schema(), block, diags);
  if (!block.is_null() && !block.is_map()) return;
  if (config.has("input")) {
    if (auto c = parse_component(config.node("input"), ComponentKind::kInput, catalog, diags)) {
      flow.input = std::move(*c);
    }
  } else {
    diags.error(flow.where, "missing required field 'input' in flow '" + flow.name + "'");
  }
  if (config.has("pipeline")) parse_pipeline(config.node("pipeline"), catalog, flow, diags);
  parse_outputs(config, catalog, flow, diags);
  if (config.has("on_error"))
    parse_on_error(config.node("on_error"), catalog, flow.on_error, diags);
  check_range(config, "max_in_flight", 1, 4096, diags);
  check_range(config, "queue_depth", 1, 65536, diags);
  flow.max_in_flight =
      static_cast<int>(std::clamp<int64_t>(config.integer("max_in_flight"), 1, 4096));
  flow.queue_depth = static_cast<int>(std::clamp<int64_t>(config.integer("queue_depth"), 1, 65536));
  if (diags.size() == errors_before) out.push_back(std::move(flow));
}

}  // namespace

void parse_flows(const Node& section, const ComponentCatalog& catalog, Diagnostics& diags,
                 std::vector<FlowSpec>& out) {
  if (section.is_null()) return;
  if (!section.is_map()) {
    diags.error(section.location(), "expected a mapping of flow names to flows, " + got(section));
    return;
  }
  std::set<std::string> names;
  for (const auto& [key, value] : section.entries()) {
    if (!key.is_scalar() || key.raw().empty()) {
      diags.error(key.location(), "expected a flow name, " + got(key));
      continue;
    }
    if (!names.insert(key.raw()).second) {
      diags.error(key.location(), "flow '" + key.raw() + "' is given twice");
      continue;
    }
    parse_flow(key, value, catalog, diags, out);
  }
}

}  // namespace junction::spec
