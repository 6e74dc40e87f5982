// Every default in every registered component's schema must parse as its
// field's type: a bad one aborts the first spec that leaves the field out.

#include <gtest/gtest.h>

#include "components/builtin.h"
#include "connectors/register.h"
#include "flow/registry.h"
#include "spec/schema.h"

namespace junction {
namespace {

TEST(ComponentDefaults, EveryDefaultParsesAsItsFieldType) {
  flow::ComponentRegistry registry;
  components::register_builtin(registry);
  connectors::register_connectors(registry);
  ASSERT_FALSE(registry.all().empty());
  for (const auto* info : registry.all()) {
    for (const auto& problem : spec::check_defaults(info->schema)) {
      ADD_FAILURE() << info->name << ": " << problem;
    }
  }
}

TEST(ComponentDefaults, ReportsAStringDefaultThatYamlReadsAsAMapping) {
  spec::Schema schema;
  schema.fields.push_back({"template", spec::FieldType::kString, R"({"n": 1})", "doc"});
  schema.fields.push_back({"count", spec::FieldType::kInt, "3", "doc"});
  auto problems = spec::check_defaults(schema);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("template"), std::string::npos);
}

}  // namespace
}  // namespace junction
