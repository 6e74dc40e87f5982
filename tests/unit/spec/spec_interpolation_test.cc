#include <gtest/gtest.h>

#include "unit/spec/spec_fixture.h"

namespace junction::spec::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(SpecEnvTest, InterpolatesEnvAndFiles) {
  auto spec = parse(flow("    input: { file: \"${JUNCTION_TEST_PATH}\" }\n"
                         "    output: { http: 'http://x/$${raw}', token: '${file:token}' }\n"),
                    (dir_ / "spec.yaml").string());
  ASSERT_TRUE(spec) << diags_.format();
  const FlowSpec& f = spec->flows.at(0);
  EXPECT_EQ(f.input.config.str("path"), "from-env.jsonl");
  EXPECT_EQ(f.outputs.at(0).output.config.str("url"), "http://x/${raw}");
  EXPECT_EQ(f.outputs.at(0).output.config.str("token"), "t0ken-from-file");
}

TEST_F(SpecEnvTest, MissingVariableNamesItWithoutValues) {
  auto out =
      errors(flow("    input: { file: \"${JUNCTION_TEST_SECRET}-${JUNCTION_TEST_UNSET}\" }\n"
                  "    output: { stdout: }\n"));
  EXPECT_EQ(out,
            "spec.yaml:4:20: error: environment variable 'JUNCTION_TEST_UNSET' is not set; set "
            "it, give a default with ${JUNCTION_TEST_UNSET:-value}, or write $${ for a literal "
            "${\n");
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
}

TEST_F(SpecEnvTest, SecretNeverAppearsWhenItsFieldIsInvalid) {
  auto out = errors(
      flow(
          R"(    input: { file: x, format: "${JUNCTION_TEST_SECRET}", poll: "${JUNCTION_TEST_SECRET}" }
    output: { http: x, token: "${file:token}", timeout: "${file:token}" }
observability: { listen: "${JUNCTION_TEST_SECRET}" }
)"),
      (dir_ / "spec.yaml").string());
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.find("t0ken"), std::string::npos) << out;
  EXPECT_EQ(diags_.size(), 4u) << out;
}
}  // namespace
}  // namespace junction::spec::testing
