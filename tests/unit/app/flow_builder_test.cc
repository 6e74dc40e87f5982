#include "app/flow_builder.h"

#include <gtest/gtest.h>

#include "components/builtin.h"
#include "observe/metrics.h"

namespace junction::app {
namespace {

class FlowBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override { components::register_builtin(registry_); }

  std::vector<BuiltFlow> build(const std::string& yaml, spec::Diagnostics& diags) {
    auto spec = spec::parse_spec(yaml, "test.yaml", registry_, diags);
    if (!spec) return {};
    BuildEnv env;
    env.metrics = &metrics_;
    return build_flows(*spec, registry_, env, diags);
  }

  flow::ComponentRegistry registry_;
  observe::Registry metrics_;
};

TEST_F(FlowBuilderTest, AdjacentScriptStepsAreFusedAndKeepTheirMeaning) {
  spec::Diagnostics diags;
  auto flows = build(R"(
apiVersion: junction/v1
flows:
  f:
    input: { generate: '{}' }
    pipeline:
      - map: "out.total = msg.qty * msg.price"
      - filter: "msg.total > 10"
      - map: "out.big = true"
      - validate: schema.json
      - map: "out.after = 1"
    output: { drop: {} }
)",
                     diags);
  // validate needs its schema file; without it the spec does not build.
  ASSERT_FALSE(diags.ok());
  EXPECT_NE(diags.format().find("schema.json"), std::string::npos);

  spec::Diagnostics ok_diags;
  flows = build(R"(
apiVersion: junction/v1
flows:
  f:
    input: { generate: '{}' }
    pipeline:
      - map: "out.total = msg.qty * msg.price"
      - filter: "msg.total > 10"
      - map: "out.big = true"
      - split: "{ msg }"
      - map: "out.after = 1"
    output: { drop: {} }
)",
                ok_diags);
  ASSERT_TRUE(ok_diags.ok()) << ok_diags.format();
  ASSERT_EQ(flows.size(), 1u);
  auto& steps = flows[0].parts.steps;
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].name, "pipeline[0].map+pipeline[1].filter+pipeline[2].map");
  EXPECT_EQ(steps[1].name, "pipeline[3].split");
  EXPECT_EQ(steps[2].name, "pipeline[4].map");

  int settled_ok = 0;
  auto run = [&](const std::string& payload) {
    Message m;
    m.payload = Buffer(payload);
    m.ack = Ack([&](Status s) { settled_ok += s.ok(); });
    MessageBatch out;
    Status s = steps[0].processor->process(m, out);
    EXPECT_TRUE(s.ok());
    return out;
  };
  auto kept = run(R"({"qty": 3, "price": 5})");
  ASSERT_EQ(kept.size(), 1u);
  auto v = kept[0].payload.str();
  EXPECT_NE(v.find("\"total\":15"), std::string::npos) << v;
  EXPECT_NE(v.find("\"big\":true"), std::string::npos) << v;
  auto dropped = run(R"({"qty": 1, "price": 5})");
  EXPECT_TRUE(dropped.empty());
  EXPECT_EQ(settled_ok, 1);  // the filtered one is acknowledged as handled
}

}  // namespace
}  // namespace junction::app
