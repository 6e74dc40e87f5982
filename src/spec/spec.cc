#include "spec/spec.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "spec/convert.h"
#include "spec/flow_parse.h"

namespace junction::spec {
namespace {

constexpr const char* kApiVersion = "junction/v1";

const std::vector<std::string>& known_sections() {
  static const std::vector<std::string> names = {"apiVersion", "integration",   "storage",
                                                 "topics",     "observability", "flows",
                                                 "gateway",    "upstreams"};
  return names;
}

// In the design (SPEC-EXAMPLE.yaml) but not built yet: named as such, so a
// spec written for a later version fails clearly rather than as a typo.
const std::vector<std::string>& planned_sections() {
  static const std::vector<std::string> names = {"sagas", "views", "streams", "sync",
                                                 "jobs",  "tests", "security"};
  return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const Schema& integration_schema() {
  static const Schema schema{{
      {"name", FieldType::kString, "", "what the integration is called"},
      {"type", FieldType::kString, "", "its kind, e.g. api-and-messaging"},
      {"purpose", FieldType::kString, "", "one line on what it is for"},
      {"requirements", FieldType::kObject, "", "SLOs; accepted, not yet checked"},
  }};
  return schema;
}

const Schema& storage_schema() {
  static const Schema schema{{
      {"dir", FieldType::kString, "./data", "where the log and state live"},
      {"fsync", FieldType::kString, "", "always | interval <duration> | never"},
  }};
  return schema;
}

const Schema& observability_schema() {
  static const Schema schema{{
      {"listen", FieldType::kString, "", "host:port of /metrics and /health"},
      {"log", FieldType::kObject, "", "log level and format"},
      {"tracing", FieldType::kAny, "", "planned"},
      {"audit", FieldType::kAny, "", "planned"},
  }};
  return schema;
}

const Schema& log_schema() {
  static const Schema schema{{
      {"level", FieldType::kString, "info", "", false, {"trace", "debug", "info", "warn", "error"}},
      {"format", FieldType::kString, "text", "", false, {"text", "json"}},
  }};
  return schema;
}

void parse_api_version(const Node& value, Diagnostics& diags) {
  if (!value.is_scalar()) {
    diags.error(value.location(), "expected a string for apiVersion, " + got(value),
                std::string("write `apiVersion: ") + kApiVersion + "`");
  } else if (value.raw() != kApiVersion) {
    diags.error(value.location(), "unsupported apiVersion '" + value.raw() + "'",
                std::string("expected '") + kApiVersion + "'");
  }
}

void parse_integration(const Node& block, IntegrationSpec& out, Diagnostics& diags) {
  Config config = Config::bind(integration_schema(), block, diags);
  out.name = config.str("name");
  out.type = config.str("type");
  out.purpose = config.str("purpose");
}

void parse_storage(const Node& block, StorageSpec& out, Diagnostics& diags) {
  Config config = Config::bind(storage_schema(), block, diags);
  std::filesystem::path dir = config.str("dir");
  if (config.has("dir") && dir.empty()) {
    diags.error(config.location("dir"), "field 'dir' must not be empty");
  }
  out.dir = dir;
  if (config.has("fsync"))
    out.fsync = parse_fsync(config.str("fsync"), config.location("fsync"), diags);
}

// "host:port" with a numeric port; the host may be empty (all interfaces) or
// a bracketed IPv6 address.
bool valid_listen(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  std::string_view port(address.data() + colon + 1, address.size() - colon - 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return !port.empty() && ec == std::errc() && end == port.data() + port.size() && value <= 65535;
}

void parse_observability(const Node& block, ObservabilitySpec& out, Diagnostics& diags) {
  Config config = Config::bind(observability_schema(), block, diags);
  if (config.has("listen")) {
    out.listen = config.str("listen");
    Node written = block.get("listen");
    if (!out.listen.empty() && !valid_listen(out.listen)) {
      diags.error(written.location(), "invalid listen address '" + written.raw() + "'",
                  "expected host:port like 127.0.0.1:9090");
    }
  }
  Config log = Config::bind(log_schema(), config.node("log"), diags);
  out.log_level = log.str("level");
  out.log_format = log.str("format");
  for (const char* planned : {"tracing", "audit"}) {
    if (config.has(planned)) {
      diags.error(config.location(planned), std::string("field '") + planned +
                                                "' is not supported by this version of junction");
    }
  }
}

void parse_root(const Node& root, const ComponentCatalog& catalog, Spec& spec, Diagnostics& diags) {
  bool api_version_seen = false;
  bool storage_seen = false;
  std::set<std::string> seen;
  // Topics take their default fsync from storage, wherever either is written.
  for (const auto& [key, value] : root.entries()) {
    if (key.is_scalar() && key.raw() == "storage") parse_storage(value, spec.storage, diags);
  }
  for (const auto& [key, value] : root.entries()) {
    if (!key.is_scalar()) {
      diags.error(key.location(), "expected a section name, " + got(key));
      continue;
    }
    const std::string& name = key.raw();
    if (!seen.insert(name).second) {
      diags.error(key.location(), "section '" + name + "' is given twice");
      continue;
    }
    if (name == "apiVersion") {
      api_version_seen = true;
      parse_api_version(value, diags);
    } else if (name == "integration") {
      parse_integration(value, spec.integration, diags);
    } else if (name == "storage") {
      storage_seen = true;  // parsed above
    } else if (name == "topics") {
      parse_topics(value, spec.storage.fsync, diags, spec.topics);
    } else if (name == "observability") {
      parse_observability(value, spec.observability, diags);
    } else if (name == "flows") {
      parse_flows(value, catalog, diags, spec.flows);
    } else if (name == "gateway") {
      spec.gateway.emplace();
      parse_gateway(value, diags, *spec.gateway);
    } else if (name == "upstreams") {
      parse_upstreams(value, diags, spec.upstreams);
    } else if (contains(planned_sections(), name)) {
      diags.error(key.location(),
                  "section '" + name + "' is not supported by this version of junction",
                  "remove it to run the rest of the spec");
    } else {
      std::vector<std::string> all = known_sections();
      all.insert(all.end(), planned_sections().begin(), planned_sections().end());
      diags.error(key.location(), "unknown section '" + name + "'", suggest(name, all));
    }
  }
  if (spec.gateway) {
    std::vector<std::string> topic_names;
    for (const auto& t : spec.topics) topic_names.push_back(t.name);
    check_gateway_references(*spec.gateway, spec.upstreams, topic_names, diags);
    std::vector<FlowInputRef> flow_inputs;
    for (const auto& f : spec.flows) flow_inputs.push_back({f.name, f.input.type});
    check_flow_targets(*spec.gateway, flow_inputs, diags);
  } else {
    for (const auto& f : spec.flows) {
      if (f.input.type != "gateway") continue;
      diags.error(f.input.where,
                  "flow '" + f.name + "' takes requests from the gateway, but there is none",
                  "add a `gateway:` section with a route `to: { flow: " + f.name + " }`");
    }
  }
  if (!api_version_seen) {
    diags.error(root.location(), "missing required field 'apiVersion'",
                std::string("add `apiVersion: ") + kApiVersion + "` at the top");
  }
  if (!storage_seen) spec.storage.dir = StorageSpec().dir;
  if (spec.storage.dir.is_relative()) {
    spec.storage.dir = (spec.base_dir / spec.storage.dir).lexically_normal();
  }
}

std::optional<Spec> build_spec(const Node& root, const std::filesystem::path& file,
                               const ComponentCatalog& catalog, Diagnostics& diags, LoadMode mode) {
  Spec spec;
  spec.file = file;
  spec.base_dir = file.parent_path();
  if (root.is_null()) {
    diags.error(Location{file.string(), 1, 1}, "the spec is empty",
                std::string("start it with `apiVersion: ") + kApiVersion + "`");
  } else if (!root.is_map()) {
    diags.error(root.location(),
                "expected a mapping of sections at the top of the spec, " + got(root));
  } else {
    parse_root(root, catalog, spec, diags);
  }
  if (!diags.ok() && mode == LoadMode::kComplete) return std::nullopt;
  return spec;
}

}  // namespace

std::optional<Spec> load_spec(const std::filesystem::path& file, const ComponentCatalog& catalog,
                              Diagnostics& diags, LoadMode mode) {
  try {
    auto root = Node::load_file(file, diags);
    if (!root) return std::nullopt;
    return build_spec(*root, file, catalog, diags, mode);
  } catch (const std::exception& e) {
    // Only allocation failure or a yaml-cpp bug lands here; it still may not escape.
    diags.error(Location{file.string()}, std::string("cannot load the spec: ") + e.what());
    return std::nullopt;
  }
}

std::optional<Spec> parse_spec(const std::string& text, const std::filesystem::path& file,
                               const ComponentCatalog& catalog, Diagnostics& diags) {
  try {
    auto root = Node::parse(text, file, diags);
    if (!root) return std::nullopt;
    return build_spec(*root, file, catalog, diags, LoadMode::kComplete);
  } catch (const std::exception& e) {
    diags.error(Location{file.string()}, std::string("cannot load the spec: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace junction::spec
