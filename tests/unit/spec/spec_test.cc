#include "spec/spec.h"

#include <gtest/gtest.h>

#include "unit/spec/spec_fixture.h"

namespace junction::spec::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(SpecTest, FullSpec) {
  auto spec = parse(R"(apiVersion: junction/v1
integration:
  name: orders
  type: api-and-messaging
  purpose: keep orders moving
  requirements:
    latency: { p99: 100ms }
storage:
  dir: state
  fsync: interval 5ms
observability:
  listen: 127.0.0.1:9090
  log: { level: debug, format: json }
flows:
  copy:
    input: { file: in.jsonl, format: json }
    pipeline:
      - map: "out = msg"
      - filter: { expression: "msg.total > 10" }
    output: { stdout: {} }
    on_error:
      retry: { attempts: 5, base: 50ms, max: 2s }
      dead_letter: { file: dlq.jsonl }
    max_in_flight: 4
    queue_depth: 128
  fanout:
    input:
      generate: { interval: 10ms, count: 3 }
    outputs:
      audit: { file: { path: audit.jsonl, format: lines } }
      console: { stdout: }
)",
                    "dir/spec.yaml");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_EQ(spec->file, "dir/spec.yaml");
  EXPECT_EQ(spec->base_dir, "dir");
  EXPECT_EQ(spec->integration.name, "orders");
  EXPECT_EQ(spec->integration.type, "api-and-messaging");
  EXPECT_EQ(spec->integration.purpose, "keep orders moving");
  EXPECT_EQ(spec->storage.dir, "dir/state");
  EXPECT_EQ(spec->observability.listen, "127.0.0.1:9090");
  EXPECT_EQ(spec->observability.log_level, "debug");
  EXPECT_EQ(spec->observability.log_format, "json");
  ASSERT_EQ(spec->flows.size(), 2u);

  const FlowSpec& copy = spec->flows[0];
  EXPECT_EQ(copy.name, "copy");
  EXPECT_EQ(copy.where.to_string(), "dir/spec.yaml:15:3");
  EXPECT_EQ(copy.input.kind, ComponentKind::kInput);
  EXPECT_EQ(copy.input.type, "file");
  EXPECT_EQ(copy.input.where.to_string(), "dir/spec.yaml:16:14");
  EXPECT_EQ(copy.input.config.str("path"), "in.jsonl");
  EXPECT_EQ(copy.input.config.str("format"), "json");
  EXPECT_EQ(copy.input.config.duration("poll"), Duration(1s));
  ASSERT_EQ(copy.pipeline.size(), 2u);
  EXPECT_EQ(copy.pipeline[0].kind, ComponentKind::kProcessor);
  EXPECT_EQ(copy.pipeline[0].type, "map");
  EXPECT_EQ(copy.pipeline[0].config.str("script"), "out = msg");
  EXPECT_EQ(copy.pipeline[1].type, "filter");
  EXPECT_EQ(copy.pipeline[1].config.str("expression"), "msg.total > 10");
  ASSERT_EQ(copy.outputs.size(), 1u);
  EXPECT_EQ(copy.outputs[0].name, "stdout");
  EXPECT_EQ(copy.outputs[0].output.kind, ComponentKind::kOutput);
  EXPECT_EQ(copy.outputs[0].output.type, "stdout");
  EXPECT_FALSE(copy.outputs[0].output.config.boolean("pretty"));
  EXPECT_EQ(copy.on_error.retry.attempts, 5);
  EXPECT_EQ(copy.on_error.retry.base, Duration(50ms));
  EXPECT_EQ(copy.on_error.retry.max, Duration(2s));
  ASSERT_TRUE(copy.on_error.dead_letter);
  EXPECT_EQ(copy.on_error.dead_letter->type, "file");
  EXPECT_EQ(copy.on_error.dead_letter->config.str("path"), "dlq.jsonl");
  EXPECT_EQ(copy.max_in_flight, 4);
  EXPECT_EQ(copy.queue_depth, 128);

  const FlowSpec& fanout = spec->flows[1];
  EXPECT_EQ(fanout.input.type, "generate");
  EXPECT_EQ(fanout.input.config.duration("interval"), Duration(10ms));
  EXPECT_EQ(fanout.input.config.integer("count"), 3);
  ASSERT_EQ(fanout.outputs.size(), 2u);
  EXPECT_EQ(fanout.outputs[0].name, "audit");
  EXPECT_EQ(fanout.outputs[0].output.type, "file");
  EXPECT_EQ(fanout.outputs[0].output.config.str("path"), "audit.jsonl");
  EXPECT_EQ(fanout.outputs[1].name, "console");
  EXPECT_EQ(fanout.outputs[1].output.type, "stdout");
  EXPECT_TRUE(fanout.pipeline.empty());
}

TEST_F(SpecTest, DefaultsApply) {
  auto spec = parse(flow("    input: { file: in.jsonl }\n    output: { stdout: {} }\n"));
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_EQ(spec->storage.dir, "data");
  EXPECT_EQ(spec->observability.listen, "");
  EXPECT_EQ(spec->observability.log_level, "info");
  EXPECT_EQ(spec->observability.log_format, "text");
  const FlowSpec& f = spec->flows.at(0);
  EXPECT_EQ(f.max_in_flight, 1);
  EXPECT_EQ(f.queue_depth, 64);
  EXPECT_EQ(f.on_error.retry.attempts, 3);
  EXPECT_EQ(f.on_error.retry.base, Duration(100ms));
  EXPECT_EQ(f.on_error.retry.max, Duration(10s));
  EXPECT_FALSE(f.on_error.dead_letter);
  EXPECT_EQ(f.input.config.str("format"), "lines");
  EXPECT_TRUE(f.input.config.has("path"));
  EXPECT_FALSE(f.input.config.has("format"));
}

TEST_F(SpecTest, OnlyApiVersionIsEnough) {
  auto spec = parse("apiVersion: junction/v1\n");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_TRUE(spec->flows.empty());
}

TEST_F(SpecTest, AbsoluteStorageDirIsKept) {
  auto spec = parse("apiVersion: junction/v1\nstorage: { dir: /var/lib/junction }\n", "d/s.yaml");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_EQ(spec->storage.dir, "/var/lib/junction");
}

TEST_F(SpecTest, YamlSyntaxError) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nflows: { a: [1, 2 }\n"),
            "spec.yaml:2:19: error: invalid YAML: illegal flow end\n");
}

TEST_F(SpecTest, EmptySpec) {
  EXPECT_EQ(errors(""),
            "spec.yaml:1:1: error: the spec is empty; start it with `apiVersion: junction/v1`\n");
}

TEST_F(SpecTest, RootMustBeAMapping) {
  EXPECT_EQ(errors("- apiVersion: junction/v1\n"),
            "spec.yaml:1:1: error: expected a mapping of sections at the top of the spec, got a "
            "sequence\n");
}

TEST_F(SpecTest, WrongApiVersion) {
  EXPECT_EQ(errors("apiVersion: junction/v2\n"),
            "spec.yaml:1:13: error: unsupported apiVersion 'junction/v2'; expected "
            "'junction/v1'\n");
}

TEST_F(SpecTest, ApiVersionMustBeAString) {
  EXPECT_EQ(errors("apiVersion: [junction/v1]\n"),
            "spec.yaml:1:13: error: expected a string for apiVersion, got a sequence; write "
            "`apiVersion: junction/v1`\n");
}

TEST_F(SpecTest, MissingApiVersion) {
  EXPECT_EQ(errors("integration: { name: x }\n"),
            "spec.yaml:1:1: error: missing required field 'apiVersion'; add `apiVersion: "
            "junction/v1` at the top\n");
}

TEST_F(SpecTest, UnknownSectionWithDidYouMean) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nflow: {}\ngatway: {}\nbananas: 1\n"),
            "spec.yaml:2:1: error: unknown section 'flow'; did you mean 'flows'?\n"
            "spec.yaml:3:1: error: unknown section 'gatway'; did you mean 'gateway'?\n"
            "spec.yaml:4:1: error: unknown section 'bananas'; expected one of: apiVersion, "
            "integration, storage, topics, observability, flows, gateway, upstreams, sagas, "
            "views, streams, sync, jobs, tests, security\n");
}

TEST_F(SpecTest, PlannedSectionsAreNotSupportedYet) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nviews:\n  orders: {}\nsagas: {}\n"),
            "spec.yaml:2:1: error: section 'views' is not supported by this version of "
            "junction; remove it to run the rest of the spec\n"
            "spec.yaml:4:1: error: section 'sagas' is not supported by this version of "
            "junction; remove it to run the rest of the spec\n");
}

TEST_F(SpecTest, SectionGivenTwice) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nflows: {}\nflows: {}\n"),
            "spec.yaml:3:1: error: section 'flows' is given twice\n");
}

TEST_F(SpecTest, SectionMustBeAMapping) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nstorage: ./data\n"),
            "spec.yaml:2:10: error: expected a mapping, got a scalar\n");
}

TEST_F(SpecTest, IntegrationFields) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nintegration:\n  nmae: x\n  type: [a]\n"),
            "spec.yaml:3:3: error: unknown field 'nmae'; did you mean 'name'?\n"
            "spec.yaml:4:9: error: expected a string for field 'type', got a sequence\n");
}

TEST_F(SpecTest, StorageDirMustNotBeEmpty) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nstorage: { dir: '' }\n"),
            "spec.yaml:2:17: error: field 'dir' must not be empty\n");
}

TEST_F(SpecTest, ObservabilityErrors) {
  EXPECT_EQ(errors(R"(apiVersion: junction/v1
observability:
  listen: localhost
  log: { level: verbose, format: jsno }
  tracing: { otlp: "http://127.0.0.1:4318" }
)"),
            "spec.yaml:3:11: error: invalid listen address 'localhost'; expected host:port like "
            "127.0.0.1:9090\n"
            "spec.yaml:4:17: error: invalid value 'verbose' for field 'level'; expected one of: "
            "trace, debug, info, warn, error\n"
            "spec.yaml:4:34: error: invalid value 'jsno' for field 'format'; did you mean "
            "'json'?\n"
            "spec.yaml:5:12: error: field 'tracing' is not supported by this version of "
            "junction\n");
}

TEST_F(SpecTest, ReportsEveryErrorAtOnce) {
  parse(R"(apiVersion: junction/v2
storge: {}
flows:
  a:
    input: { fiel: x }
    output: { stdout: }
  b:
    input: { file: x }
)");
  EXPECT_EQ(diags_.size(), 4u) << diags_.format();
}

TEST_F(SpecEnvTest, LoadSpecFromFile) {
  std::ofstream(dir_ / "spec.yaml") << flow(
      "    input: { file: in.jsonl }\n"
      "    output: { stdout: }\n");
  Diagnostics diags;
  auto spec = load_spec(dir_ / "spec.yaml", catalog_, diags);
  ASSERT_TRUE(spec) << diags.format();
  EXPECT_EQ(spec->base_dir, dir_);
  EXPECT_EQ(spec->storage.dir, dir_ / "data");
  EXPECT_EQ(spec->flows.at(0).input.where.to_string(), (dir_ / "spec.yaml").string() + ":4:14");
}

TEST_F(SpecEnvTest, LoadSpecMissingFile) {
  Diagnostics diags;
  EXPECT_FALSE(load_spec(dir_ / "nope.yaml", catalog_, diags));
  const std::string file = (dir_ / "nope.yaml").string();
  EXPECT_EQ(diags.format(),
            file + ": error: cannot read spec file '" + file + "': No such file or directory\n");
}

TEST(ComponentKindTest, Names) {
  EXPECT_EQ(to_string(ComponentKind::kInput), "input");
  EXPECT_EQ(to_string(ComponentKind::kProcessor), "processor");
  EXPECT_EQ(to_string(ComponentKind::kOutput), "output");
}

}  // namespace
}  // namespace junction::spec::testing
