#include <gtest/gtest.h>

#include "unit/spec/spec_fixture.h"

namespace junction::spec::testing {
namespace {

using namespace std::chrono_literals;

class FlowTest : public SpecTest {};

TEST_F(FlowTest, FlowsMustBeAMapping) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nflows:\n  - input: {}\n"),
            "spec.yaml:3:3: error: expected a mapping of flow names to flows, got a sequence\n");
}

TEST_F(FlowTest, FlowMustBeAMapping) {
  EXPECT_EQ(errors(flow("    copy\n")), "spec.yaml:4:5: error: expected a mapping, got a scalar\n");
}

TEST_F(FlowTest, EmptyFlowNeedsInputAndOutput) {
  EXPECT_EQ(errors("apiVersion: junction/v1\nflows:\n  f:\n  g:\n    input: { file: x }\n"
                   "    output: { stdout: }\n"),
            "spec.yaml:3:3: error: missing required field 'input' in flow 'f'\n"
            "spec.yaml:3:3: error: missing required field 'output' in flow 'f'; add 'output', "
            "or 'outputs' for several\n");
}

TEST_F(FlowTest, FlowGivenTwice) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n    output: { stdout: }\n"
                        "  f:\n    input: { file: x }\n    output: { stdout: }\n")),
            "spec.yaml:6:3: error: flow 'f' is given twice\n");
}

TEST_F(FlowTest, UnknownFlowFieldWithHint) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n    output: { stdout: }\n    on_eror: {}\n"
                        "    max_inflight: 2\n")),
            "spec.yaml:6:5: error: unknown field 'on_eror'; did you mean 'on_error'?\n"
            "spec.yaml:7:5: error: unknown field 'max_inflight'; did you mean "
            "'max_in_flight'?\n");
}

TEST_F(FlowTest, BothOutputAndOutputs) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n    output: { stdout: }\n"
                        "    outputs: { a: { stdout: } }\n")),
            "spec.yaml:6:14: error: a flow has 'output' or 'outputs', not both; list the single "
            "output under 'outputs' too\n");
}

TEST_F(FlowTest, NeitherOutputNorOutputs) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n")),
            "spec.yaml:3:3: error: missing required field 'output' in flow 'f'; add 'output', "
            "or 'outputs' for several\n");
}

TEST_F(FlowTest, OutputsErrors) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n    outputs:\n      a: { stdout: }\n"
                        "      a: { stdout: }\n      b: { stdot: }\n")),
            "spec.yaml:7:7: error: output 'a' is given twice\n"
            "spec.yaml:8:12: error: unknown output 'stdot'; did you mean 'stdout'?\n");
  EXPECT_EQ(errors(flow("    input: { file: x }\n    outputs: {}\n")),
            "spec.yaml:5:14: error: 'outputs' names no output\n");
}

TEST_F(FlowTest, UnknownComponentWithHint) {
  EXPECT_EQ(errors(flow("    input: { fiel: x }\n    output: { stdout: }\n")),
            "spec.yaml:4:14: error: unknown input 'fiel'; did you mean 'file'?\n");
}

TEST_F(FlowTest, UnknownComponentListsTheChoices) {
  EXPECT_EQ(errors(flow("    input:\n      kafka: { topic: t }\n    output: { stdout: }\n")),
            "spec.yaml:5:7: error: unknown input 'kafka'; expected one of: file, generate\n");
}

TEST_F(FlowTest, UnknownComponentPicksTheMisspeltKey) {
  EXPECT_EQ(errors(flow("    input: { format: json, fiel: x }\n    output: { stdout: }\n")),
            "spec.yaml:4:28: error: unknown input 'fiel'; did you mean 'file'?\n");
}

TEST_F(FlowTest, SeveralComponentsInOne) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n    pipeline:\n      - map: a\n"
                        "        filter: b\n    output: { stdout: }\n")),
            "spec.yaml:7:9: error: a pipeline step names one processor, found 'map' and "
            "'filter'; write each processor as its own `- ` item\n");
  EXPECT_EQ(errors(flow("    input: { file: x, generate: {} }\n    output: { stdout: }\n")),
            "spec.yaml:4:23: error: found two inputs, 'file' and 'generate'; a flow reads one "
            "input; write a flow per input\n");
  EXPECT_EQ(errors(flow("    input: { file: x }\n    output: { stdout: {}, http: x }\n")),
            "spec.yaml:5:27: error: found two outputs, 'stdout' and 'http'; use 'outputs' to "
            "name several\n");
}

TEST_F(FlowTest, ComponentMustBeAMapping) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n    output: stdout\n")),
            "spec.yaml:5:13: error: expected a mapping naming an output, got a scalar; write "
            "`stdout: {}`\n");
  EXPECT_EQ(errors(flow("    input: [file]\n    output: { stdout: }\n")),
            "spec.yaml:4:12: error: expected a mapping naming an input, got a sequence; "
            "expected one of: file, generate\n");
}

TEST_F(FlowTest, EmptyComponent) {
  EXPECT_EQ(errors(flow("    input: {}\n    output: { stdout: }\n")),
            "spec.yaml:4:12: error: expected an input name; expected one of: file, generate\n");
}

TEST_F(FlowTest, PipelineItemMustBeAMapping) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n    pipeline:\n      - map\n"
                        "    output: { stdout: }\n")),
            "spec.yaml:6:9: error: expected a mapping like `- map: ...`, got a scalar\n");
}

TEST_F(FlowTest, PipelineMustBeASequence) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n    pipeline: { map: x }\n"
                        "    output: { stdout: }\n")),
            "spec.yaml:5:15: error: expected a sequence for field 'pipeline', got a mapping\n");
}

TEST_F(FlowTest, ShorthandWithSiblings) {
  auto spec =
      parse(flow("    input: { file: in.jsonl, format: json, poll: 5s }\n"
                 "    output:\n      file: out.jsonl\n      format: json\n"));
  ASSERT_TRUE(spec) << diags_.format();
  const FlowSpec& f = spec->flows.at(0);
  EXPECT_EQ(f.input.config.str("path"), "in.jsonl");
  EXPECT_EQ(f.input.config.duration("poll"), Duration(5s));
  EXPECT_EQ(f.input.config.location("path").to_string(), "spec.yaml:4:20");
  EXPECT_EQ(f.outputs.at(0).output.config.str("path"), "out.jsonl");
  EXPECT_EQ(f.outputs.at(0).output.config.str("format"), "json");
  EXPECT_EQ(f.outputs.at(0).output.where.to_string(), "spec.yaml:6:7");
}

TEST_F(FlowTest, ShorthandErrorsPointAtTheOriginalNodes) {
  EXPECT_EQ(errors(flow("    input: { file: in.jsonl, format: xml, pol: 5s }\n"
                        "    output: { stdout: }\n")),
            "spec.yaml:4:38: error: invalid value 'xml' for field 'format'; expected one of: "
            "lines, json\n"
            "spec.yaml:4:43: error: unknown field 'pol'; did you mean 'poll'?\n");
}

TEST_F(FlowTest, ShorthandWithoutPrimary) {
  EXPECT_EQ(errors(flow("    input: { file: x }\n    output: { stdout: yes }\n")),
            "spec.yaml:5:23: error: component 'stdout' takes a mapping of fields; write "
            "`stdout: { ... }`\n");
}

TEST_F(FlowTest, NullNameWithSiblingFields) {
  auto spec = parse(flow("    input: { file: x }\n    output: { stdout: , pretty: true }\n"));
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_TRUE(spec->flows.at(0).outputs.at(0).output.config.boolean("pretty"));
}

TEST_F(FlowTest, FieldsBesideAMapping) {
  EXPECT_EQ(errors(flow("    input: { file: { path: x }, format: json }\n"
                        "    output: { stdout: }\n")),
            "spec.yaml:4:33: error: field 'format' is beside 'file: { ... }'; move it into the "
            "mapping under 'file'\n");
}

TEST_F(FlowTest, MissingRequiredComponentField) {
  EXPECT_EQ(errors(flow("    input:\n      file:\n        format: json\n"
                        "    output: { stdout: }\n")),
            "spec.yaml:6:9: error: missing required field 'path'\n");
  EXPECT_EQ(errors(flow("    input:\n      file:\n    output: { stdout: }\n")),
            "spec.yaml:5:7: error: missing required field 'path'\n");
}

TEST_F(FlowTest, ComponentFieldTypes) {
  EXPECT_EQ(errors(flow(R"(    input: { generate: { interval: 5x, count: many } }
    output:
      http:
        url: http://x
        timeout: soon
        rate_limit: 10 per second
        max_body: 1 TB
        headers: [a]
)")),
            "spec.yaml:4:36: error: invalid duration '5x' for field 'interval': expected a number "
            "with a unit: ns, us, ms, s, m, h, d like 250ms or 5m\n"
            "spec.yaml:4:47: error: invalid integer 'many' for field 'count': expected a whole "
            "number like 64\n"
            "spec.yaml:8:18: error: invalid duration 'soon' for field 'timeout': expected a "
            "number with a unit: ns, us, ms, s, m, h, d like 250ms or 5m\n"
            "spec.yaml:9:21: error: invalid rate '10 per second' for field 'rate_limit': "
            "expected a count per period like 1000/min or 50/s burst 100\n"
            "spec.yaml:10:19: error: invalid size '1 TB' for field 'max_body': expected a number "
            "with an optional unit: B, KB, MB, GB, KiB, MiB, GiB like 64KiB\n"
            "spec.yaml:11:18: error: expected a mapping for field 'headers', got a sequence\n");
}

TEST_F(FlowTest, RetryAndRanges) {
  EXPECT_EQ(errors(flow(R"(    input: { file: x }
    output: { stdout: }
    on_error:
      retry: { attempts: 0, base: 5s, max: 1s, jitter: full }
      dead_letter: dlq
    max_in_flight: 0
    queue_depth: 100000
)")),
            "spec.yaml:7:48: error: unknown field 'jitter'; expected one of: attempts, base, max\n"
            "spec.yaml:7:26: error: field 'attempts' must be at least 1; 1 means a single try "
            "with no retry\n"
            "spec.yaml:7:35: error: retry 'base' must not exceed 'max'\n"
            "spec.yaml:8:20: error: expected a mapping naming an output, got a scalar; expected "
            "one of: file, http, stdout\n"
            "spec.yaml:9:20: error: field 'max_in_flight' must be between 1 and 4096\n"
            "spec.yaml:10:18: error: field 'queue_depth' must be between 1 and 65536\n");
}
}  // namespace
}  // namespace junction::spec::testing
