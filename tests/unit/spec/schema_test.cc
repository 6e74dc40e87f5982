#include "spec/schema.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace junction::spec {
namespace {

using namespace std::chrono_literals;

// Every field type, a required field, defaults, a one_of and a secret.
Schema all_types() {
  return Schema{{
      {"name", FieldType::kString, "", "", true},
      {"mode", FieldType::kString, "fast", "", false, {"fast", "safe"}},
      {"count", FieldType::kInt, "7"},
      {"ratio", FieldType::kNumber, "0.5"},
      {"enabled", FieldType::kBool, "true"},
      {"interval", FieldType::kDuration, "250ms"},
      {"max_body", FieldType::kSize, "64KiB"},
      {"limit", FieldType::kRate, "10/s"},
      {"tags", FieldType::kStringList, "[a, b]"},
      {"options", FieldType::kObject},
      {"items", FieldType::kList},
      {"extra", FieldType::kAny},
      {"token", FieldType::kString, "", "", false, {}, true},
      {"plain", FieldType::kString},
  }};
}

class BindTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("JUNCTION_TEST_SECRET", "hunter2-secret", 1); }
  void TearDown() override { ::unsetenv("JUNCTION_TEST_SECRET"); }

  // Binds the mapping under "block:" of `yaml`.
  Config bind(const std::string& yaml, const Schema& schema = all_types()) {
    auto root = Node::parse(yaml, "c.yaml", diags_);
    if (!root) return Config();
    return Config::bind(schema, root->get("block"), diags_);
  }

  Diagnostics diags_;
};

TEST_F(BindTest, ReadsEveryType) {
  Config c = bind(R"(block:
  name: orders
  mode: safe
  count: -42
  ratio: 1.25
  enabled: off
  interval: 1h30m
  max_body: 10MB
  limit: 1000/min burst 50
  tags: [x, y, z]
  options: { a: 1 }
  items: [1, 2]
  extra: anything
)");
  ASSERT_TRUE(diags_.ok()) << diags_.format();
  EXPECT_EQ(c.str("name"), "orders");
  EXPECT_EQ(c.str("mode"), "safe");
  EXPECT_EQ(c.integer("count"), -42);
  EXPECT_DOUBLE_EQ(c.number("ratio"), 1.25);
  EXPECT_FALSE(c.boolean("enabled"));
  EXPECT_EQ(c.duration("interval"), Duration(90min));
  EXPECT_EQ(c.size("max_body"), 10'000'000u);
  EXPECT_DOUBLE_EQ(c.rate("limit").per_second, 1000.0 / 60);
  EXPECT_EQ(c.rate("limit").burst, 50u);
  EXPECT_EQ(c.strings("tags"), (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_TRUE(c.node("options").is_map());
  EXPECT_EQ(c.node("options").get("a").raw(), "1");
  EXPECT_TRUE(c.node("items").is_sequence());
  EXPECT_EQ(c.node("extra").raw(), "anything");
  EXPECT_TRUE(c.has("name"));
  EXPECT_EQ(c.location("count").to_string(), "c.yaml:4:10");
  EXPECT_EQ(c.location().to_string(), "c.yaml:2:3");
}

TEST_F(BindTest, DefaultsApplyAndHasIsFalse) {
  Config c = bind("block:\n  name: n\n");
  ASSERT_TRUE(diags_.ok()) << diags_.format();
  EXPECT_EQ(c.str("mode"), "fast");
  EXPECT_EQ(c.integer("count"), 7);
  EXPECT_DOUBLE_EQ(c.number("ratio"), 0.5);
  EXPECT_TRUE(c.boolean("enabled"));
  EXPECT_EQ(c.duration("interval"), Duration(250ms));
  EXPECT_EQ(c.size("max_body"), 64u * 1024);
  EXPECT_DOUBLE_EQ(c.rate("limit").per_second, 10.0);
  EXPECT_EQ(c.strings("tags"), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(c.has("mode"));
  EXPECT_FALSE(c.has("count"));
  // Not written: the field's location is the block's.
  EXPECT_EQ(c.location("count").to_string(), "c.yaml:2:3");
}

TEST_F(BindTest, UnsetFieldsWithoutDefaultReadAsZero) {
  Schema schema{{{"s", FieldType::kString},
                 {"i", FieldType::kInt},
                 {"n", FieldType::kNumber},
                 {"b", FieldType::kBool},
                 {"d", FieldType::kDuration},
                 {"z", FieldType::kSize},
                 {"r", FieldType::kRate},
                 {"l", FieldType::kStringList},
                 {"o", FieldType::kObject}}};
  Config c = bind("block:\n", schema);
  ASSERT_TRUE(diags_.ok()) << diags_.format();
  EXPECT_EQ(c.str("s"), "");
  EXPECT_EQ(c.integer("i"), 0);
  EXPECT_EQ(c.number("n"), 0.0);
  EXPECT_FALSE(c.boolean("b"));
  EXPECT_EQ(c.duration("d"), Duration::zero());
  EXPECT_EQ(c.size("z"), 0u);
  EXPECT_EQ(c.rate("r").per_second, 0.0);
  EXPECT_TRUE(c.strings("l").empty());
  EXPECT_FALSE(c.node("o").defined());
  EXPECT_FALSE(c.has("s"));
}

TEST_F(BindTest, BooleanSpellings) {
  Schema schema{{{"a", FieldType::kBool},
                 {"b", FieldType::kBool},
                 {"c", FieldType::kBool},
                 {"d", FieldType::kBool},
                 {"e", FieldType::kBool},
                 {"f", FieldType::kBool}}};
  Config c = bind("block: { a: true, b: yes, c: On, d: false, e: no, f: OFF }\n", schema);
  ASSERT_TRUE(diags_.ok()) << diags_.format();
  EXPECT_TRUE(c.boolean("a"));
  EXPECT_TRUE(c.boolean("b"));
  EXPECT_TRUE(c.boolean("c"));
  EXPECT_FALSE(c.boolean("d"));
  EXPECT_FALSE(c.boolean("e"));
  EXPECT_FALSE(c.boolean("f"));
}

TEST_F(BindTest, IntegerSpellingsAndNumberFromInt) {
  Schema schema{{{"h", FieldType::kInt}, {"o", FieldType::kInt}, {"n", FieldType::kNumber}}};
  Config c = bind("block: { h: 0x1F, o: 0o17, n: 3 }\n", schema);
  ASSERT_TRUE(diags_.ok()) << diags_.format();
  EXPECT_EQ(c.integer("h"), 31);
  EXPECT_EQ(c.integer("o"), 15);
  EXPECT_DOUBLE_EQ(c.number("n"), 3.0);
}

TEST_F(BindTest, ScalarIsAStringListOfOne) {
  Config c = bind("block: { name: n, tags: solo }\n");
  ASSERT_TRUE(diags_.ok()) << diags_.format();
  EXPECT_EQ(c.strings("tags"), std::vector<std::string>{"solo"});
}

TEST_F(BindTest, EmptyValueMeansDefault) {
  Config c = bind("block:\n  name: n\n  count:\n");
  ASSERT_TRUE(diags_.ok()) << diags_.format();
  EXPECT_EQ(c.integer("count"), 7);
  EXPECT_FALSE(c.has("count"));
}

TEST_F(BindTest, ValuesAreInterpolated) {
  Config c =
      bind("block:\n  name: ${JUNCTION_TEST_SECRET}\n  tags: [\"${JUNCTION_TEST_SECRET}\"]\n");
  ASSERT_TRUE(diags_.ok()) << diags_.format();
  EXPECT_EQ(c.str("name"), "hunter2-secret");
  EXPECT_EQ(c.strings("tags"), std::vector<std::string>{"hunter2-secret"});
}

TEST_F(BindTest, UnknownFieldWithHint) {
  bind("block:\n  name: n\n  inteval: 5s\n  zzz: 1\n");
  EXPECT_EQ(diags_.format(),
            "c.yaml:3:3: error: unknown field 'inteval'; did you mean 'interval'?\n"
            "c.yaml:4:3: error: unknown field 'zzz'; expected one of: name, mode, count, ratio, "
            "enabled, interval, max_body, limit, tags, options, items, extra, token, plain\n");
}

TEST_F(BindTest, MissingRequiredAtTheBlock) {
  bind("block:\n  count: 1\n");
  EXPECT_EQ(diags_.format(), "c.yaml:2:3: error: missing required field 'name'\n");
}

TEST_F(BindTest, EmptyRequiredAtItsKey) {
  bind("block:\n  count: 1\n  name:\n");
  EXPECT_EQ(diags_.format(), "c.yaml:3:3: error: missing value for required field 'name'\n");
}

TEST_F(BindTest, BlockMustBeAMapping) {
  bind("block: text\n");
  EXPECT_EQ(diags_.format(), "c.yaml:1:8: error: expected a mapping, got a scalar\n");
}

TEST_F(BindTest, NullBlockIsAllDefaults) {
  Schema schema{{{"count", FieldType::kInt, "7"}}};
  Config c = bind("block:\n", schema);
  EXPECT_TRUE(diags_.ok());
  EXPECT_EQ(c.integer("count"), 7);
}

TEST_F(BindTest, FieldGivenTwice) {
  bind("block:\n  name: a\n  name: b\n");
  EXPECT_EQ(diags_.format(), "c.yaml:3:3: error: field 'name' is given twice\n");
}

TEST_F(BindTest, WrongShapePerType) {
  bind(R"(block:
  name: [a]
  count: { a: 1 }
  tags: { a: 1 }
  options: text
  items: text
  mode: [fast]
)");
  EXPECT_EQ(diags_.format(),
            "c.yaml:2:9: error: expected a string for field 'name', got a sequence\n"
            "c.yaml:3:10: error: expected an integer for field 'count', got a mapping\n"
            "c.yaml:4:9: error: expected a string or a list of strings for field 'tags', got a "
            "mapping\n"
            "c.yaml:5:12: error: expected a mapping for field 'options', got a scalar\n"
            "c.yaml:6:10: error: expected a sequence for field 'items', got a scalar\n"
            "c.yaml:7:9: error: expected a string for field 'mode', got a sequence\n");
}

TEST_F(BindTest, NonStringInAStringList) {
  bind("block:\n  name: n\n  tags: [a, [b]]\n");
  EXPECT_EQ(diags_.format(),
            "c.yaml:3:13: error: expected a string in the list 'tags', got a sequence\n");
}

TEST_F(BindTest, InvalidScalarsEchoTheTextAsWritten) {
  bind(R"(block:
  name: n
  count: twelve
  ratio: half
  enabled: maybe
  interval: 5x
  max_body: 10 parsecs
  limit: fast
)");
  EXPECT_EQ(diags_.format(),
            "c.yaml:3:10: error: invalid integer 'twelve' for field 'count': expected a whole "
            "number like 64\n"
            "c.yaml:4:10: error: invalid number 'half' for field 'ratio': expected a number like "
            "0.5\n"
            "c.yaml:5:12: error: invalid boolean 'maybe' for field 'enabled': expected true or "
            "false\n"
            "c.yaml:6:13: error: invalid duration '5x' for field 'interval': expected a number "
            "with a unit: ns, us, ms, s, m, h, d like 250ms or 5m\n"
            "c.yaml:7:13: error: invalid size '10 parsecs' for field 'max_body': expected a "
            "number with an optional unit: B, KB, MB, GB, KiB, MiB, GiB like 64KiB\n"
            "c.yaml:8:10: error: invalid rate 'fast' for field 'limit': expected a count per "
            "period like 1000/min or 50/s burst 100\n");
}

TEST_F(BindTest, IntegerOverflowIsInvalid) {
  bind("block:\n  name: n\n  count: 9223372036854775808\n");
  EXPECT_EQ(diags_.format(),
            "c.yaml:3:10: error: invalid integer '9223372036854775808' for field 'count': "
            "expected a whole number like 64\n");
}

TEST_F(BindTest, OneOfViolationWithHint) {
  bind("block:\n  name: n\n  mode: saf\n");
  EXPECT_EQ(diags_.format(),
            "c.yaml:3:9: error: invalid value 'saf' for field 'mode'; did you mean 'safe'?\n");
}

TEST_F(BindTest, OneOfViolationListsTheChoices) {
  bind("block:\n  name: n\n  mode: turbo\n");
  EXPECT_EQ(diags_.format(),
            "c.yaml:3:9: error: invalid value 'turbo' for field 'mode'; expected one of: fast, "
            "safe\n");
}

TEST_F(BindTest, InterpolatedSecretNeverAppearsInErrors) {
  bind(R"(block:
  name: n
  interval: ${JUNCTION_TEST_SECRET}
  mode: ${JUNCTION_TEST_SECRET}
  count: "${JUNCTION_TEST_SECRET}"
)");
  const std::string out = diags_.format();
  EXPECT_EQ(out,
            "c.yaml:3:13: error: invalid duration '${JUNCTION_TEST_SECRET}' for field "
            "'interval': expected a number with a unit: ns, us, ms, s, m, h, d like 250ms or 5m\n"
            "c.yaml:4:9: error: invalid value '${JUNCTION_TEST_SECRET}' for field 'mode'; "
            "expected one of: fast, safe\n"
            "c.yaml:5:10: error: invalid integer '${JUNCTION_TEST_SECRET}' for field 'count': "
            "expected a whole number like 64\n");
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
}

TEST_F(BindTest, SecretFieldIsNeverEchoed) {
  Schema schema{{{"token", FieldType::kString, "", "", false, {"a", "b"}, true}}};
  bind("block:\n  token: hunter2-literal\n", schema);
  const std::string out = diags_.format();
  EXPECT_EQ(out, "c.yaml:2:10: error: invalid value for field 'token'; expected one of: a, b\n");
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
}

TEST_F(BindTest, MissingVariableIsReportedOnce) {
  ::unsetenv("JUNCTION_TEST_UNSET");
  bind("block:\n  name: ${JUNCTION_TEST_UNSET}\n");
  EXPECT_EQ(diags_.format(),
            "c.yaml:2:9: error: environment variable 'JUNCTION_TEST_UNSET' is not set; set it, "
            "give a default with ${JUNCTION_TEST_UNSET:-value}, or write $${ for a literal ${\n");
}

TEST_F(BindTest, ShorthandBindsThePrimaryAndSiblings) {
  Schema schema{{{"path", FieldType::kString, "", "", true},
                 {"format", FieldType::kString, "lines", "", false, {"lines", "json"}}},
                "path"};
  auto root = Node::parse("block: { file: in.jsonl, format: json }\n", "c.yaml", diags_);
  ASSERT_TRUE(root);
  Node block = root->get("block");
  Config c = Config::bind_shorthand(schema, block, "file", block.get("file"), diags_);
  ASSERT_TRUE(diags_.ok()) << diags_.format();
  EXPECT_EQ(c.str("path"), "in.jsonl");
  EXPECT_EQ(c.str("format"), "json");
  EXPECT_TRUE(c.has("path"));
  EXPECT_EQ(c.location("path").to_string(), "c.yaml:1:16");
}

TEST_F(BindTest, ShorthandPrimaryGivenTwice) {
  Schema schema{{{"path", FieldType::kString}}, "path"};
  auto root = Node::parse("block: { file: a, path: b }\n", "c.yaml", diags_);
  ASSERT_TRUE(root);
  Node block = root->get("block");
  Config::bind_shorthand(schema, block, "file", block.get("file"), diags_);
  EXPECT_EQ(diags_.format(), "c.yaml:1:19: error: field 'path' is given twice\n");
}

TEST(ConfigDeathTest, UndeclaredFieldAborts) {
  Diagnostics diags;
  Config c = Config::bind(Schema{{{"a", FieldType::kString}}}, Node(), diags);
  EXPECT_DEATH(c.str("b"), "field 'b' is not declared");
  EXPECT_DEATH(c.has("b"), "field 'b' is not declared");
  EXPECT_DEATH(Config().integer("a"), "not declared");
}

TEST(ConfigDeathTest, WrongTypeAborts) {
  Diagnostics diags;
  auto root = Node::parse("a: text\n", "c.yaml", diags);
  Config c = Config::bind(Schema{{{"a", FieldType::kString}}}, *root, diags);
  EXPECT_DEATH(c.integer("a"), "read as the wrong type");
}

TEST(ConfigDeathTest, BadDefaultAborts) {
  Diagnostics diags;
  Schema schema{{{"d", FieldType::kDuration, "soon"}}};
  EXPECT_DEATH(Config::bind(schema, Node(), diags), "bad default for field 'd'");
}

TEST(FieldTypeTest, Names) {
  EXPECT_EQ(to_string(FieldType::kString), "string");
  EXPECT_EQ(to_string(FieldType::kStringList), "string list");
  EXPECT_EQ(to_string(FieldType::kDuration), "duration");
}

TEST(SchemaTest, FindAndNames) {
  Schema schema = all_types();
  EXPECT_NE(schema.find("mode"), nullptr);
  EXPECT_EQ(schema.find("nope"), nullptr);
  EXPECT_EQ(schema.names().front(), "name");
}

}  // namespace
}  // namespace junction::spec
