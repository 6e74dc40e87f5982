#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "unit/spec/spec_fixture.h"

namespace junction::spec {
namespace {

namespace fs = std::filesystem;

// A route's `validate:`: the schema file is resolved beside the spec and
// compiled while parsing, so its mistakes point at the field.
class GatewayValidateSpecTest : public testing::SpecTest {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("junction-gw-validate-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "schemas");
    std::ofstream(dir_ / "schemas/order.json") << R"({"type":"object","required":["id"]})";
    std::ofstream(dir_ / "schemas/broken.json") << "{not json";
    std::ofstream(dir_ / "schemas/remote.json") << R"({"$ref":"https://example.com/s.json"})";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string spec_file() const { return (dir_ / "spec.yaml").string(); }

  static std::string with_routes(const std::string& routes) {
    return "apiVersion: junction/v1\n"
           "gateway:\n"
           "  listen: 127.0.0.1:0\n"
           "  routes:\n" +
           routes;
  }

  fs::path dir_;
};

TEST_F(GatewayValidateSpecTest, LongAndShortForms) {
  auto spec = parse(with_routes(R"(    - path: /orders
      validate: { schema: schemas/order.json, content_types: [Application/JSON, application/merge-patch+json] }
      to: { static: { body: ok } }
    - path: /short
      validate: schemas/order.json
      to: { static: { body: ok } }
    - path: /none
      to: { static: { body: ok } }
)"),
                    spec_file());
  ASSERT_TRUE(spec) << diags_.format();
  const auto& routes = spec->gateway->routes;
  ASSERT_TRUE(routes[0].validate);
  EXPECT_EQ(routes[0].validate->schema_file, dir_ / "schemas/order.json");
  EXPECT_NE(routes[0].validate->schema, nullptr);
  EXPECT_EQ(routes[0].validate->content_types,
            (std::vector<std::string>{"application/json", "application/merge-patch+json"}));
  ASSERT_TRUE(routes[1].validate);
  EXPECT_NE(routes[1].validate->schema, nullptr);
  EXPECT_EQ(routes[1].validate->content_types, std::vector<std::string>{"application/json"});
  EXPECT_FALSE(routes[2].validate);
}

TEST_F(GatewayValidateSpecTest, SchemaMistakesPointAtTheField) {
  const std::string file = spec_file();
  const std::string schemas = (dir_ / "schemas").string();
  EXPECT_EQ(errors(with_routes(R"(    - path: /a
      validate: { schema: schemas/broken.json }
      to: { static: { body: ok } }
    - path: /b
      validate: schemas/absent.json
      to: { static: { body: ok } }
    - path: /c
      validate: { schema: schemas/remote.json }
      to: { static: { body: ok } }
)"),
                   file),
            file + ":6:27: error: schema file " + schemas +
                "/broken.json is not valid JSON: syntax error\n" + file +
                ":9:17: error: cannot read schema file " + schemas + "/absent.json\n" + file +
                ":12:27: error: schema file " + schemas +
                "/remote.json: remote reference 'https://example.com/s.json' is not fetched\n");
}

TEST_F(GatewayValidateSpecTest, ShapeMistakes) {
  const std::string file = spec_file();
  EXPECT_EQ(errors(with_routes(R"(    - path: /a
      validate: { content_types: [application/json] }
      to: { static: { body: ok } }
    - path: /b
      validate: { schema: schemas/order.json, content_types: [json, "text/plain; charset=x"] }
      to: { static: { body: ok } }
    - path: /c
      validate: [schemas/order.json]
      to: { static: { body: ok } }
    - path: /d
      validate: { schema: schemas/order.json, content_types: [] }
      to: { static: { body: ok } }
    - path: /e
      validate: { schema: schemas/order.json, contnet_types: [] }
      to: { static: { body: ok } }
)"),
                   file),
            file + ":6:17: error: missing required field 'schema'\n" + file +
                ":9:62: error: invalid media type 'json'; expected type/subtype without "
                "parameters, like application/json\n" +
                file +
                ":9:62: error: invalid media type 'text/plain; charset=x'; expected "
                "type/subtype without parameters, like application/json\n" +
                file +
                ":12:17: error: expected a schema file or {schema: FILE, content_types: [...]}, "
                "got a sequence\n" +
                file + ":15:62: error: content_types needs at least one media type\n" + file +
                ":18:47: error: unknown field 'contnet_types'; did you mean 'content_types'?\n");
}

}  // namespace
}  // namespace junction::spec
