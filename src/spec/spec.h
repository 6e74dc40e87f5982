#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/units.h"
#include "spec/catalog.h"
#include "spec/diagnostics.h"
#include "spec/gateway_parse.h"
#include "spec/schema.h"
#include "spec/topics_parse.h"

namespace junction::spec {

// A component as the spec declares it: which one, and its validated config.
//
// Two spellings are accepted:
//   input: { file: { path: in.jsonl, format: lines } }      # name -> block
//   input: { file: in.jsonl, format: lines }                 # name -> primary field, siblings
struct ComponentSpec {
  ComponentKind kind = ComponentKind::kProcessor;
  std::string type;  // registered component name: "file", "map", ...
  Config config;
  Location where;
};

struct RetrySpec {
  int attempts = 3;  // total tries including the first; 1 = no retry
  Duration base = std::chrono::milliseconds(100);
  Duration max = std::chrono::seconds(10);
};

struct OnErrorSpec {
  RetrySpec retry;
  std::optional<ComponentSpec> dead_letter;  // an output
};

struct NamedOutput {
  std::string name;  // the key under `outputs:`, or the type for a single `output:`
  ComponentSpec output;
};

struct FlowSpec {
  std::string name;
  Location where;
  ComponentSpec input;
  std::vector<ComponentSpec> pipeline;
  std::vector<NamedOutput> outputs;
  OnErrorSpec on_error;
  int max_in_flight = 1;  // concurrent pipeline workers; 1 keeps order
  int queue_depth = 64;   // batches buffered between the input and the workers
};

struct IntegrationSpec {
  std::string name;
  std::string type;
  std::string purpose;
};

struct StorageSpec {
  std::filesystem::path dir = "./data";  // resolved against the spec's directory
  log::FsyncPolicy fsync;                // default for topics that set none
};

struct ObservabilitySpec {
  std::string listen;  // host:port of /metrics and /health; empty = off
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
};

struct Spec {
  std::filesystem::path file;
  std::filesystem::path base_dir;
  IntegrationSpec integration;
  StorageSpec storage;
  std::vector<TopicSpec> topics;
  ObservabilitySpec observability;
  std::vector<FlowSpec> flows;
  std::optional<GatewaySpec> gateway;
  std::vector<UpstreamSpec> upstreams;
};

// Whether load_spec returns a spec in which errors were found.
enum class LoadMode : uint8_t {
  kComplete,  // nothing when any error was recorded
  // What parsed, errors or not: the flows without errors (a flow with one is
  // left out), so that `junction validate` can build them and report their
  // components' errors in the same run. Never run such a spec.
  kPartial,
};

// Loads and validates a spec file; every error is in `diags` with
// file:line:col.
std::optional<Spec> load_spec(const std::filesystem::path& file, const ComponentCatalog& catalog,
                              Diagnostics& diags, LoadMode mode = LoadMode::kComplete);
// Same, from text (for tests); `file` names it in diagnostics.
std::optional<Spec> parse_spec(const std::string& text, const std::filesystem::path& file,
                               const ComponentCatalog& catalog, Diagnostics& diags);

}  // namespace junction::spec
