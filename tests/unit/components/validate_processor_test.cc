#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "components/processors/validate/validate.h"
#include "flow/registry.h"
#include "processor_fixture.h"
#include "spec/node.h"
#include "spec/schema.h"

namespace junction::components {
namespace {

namespace fs = std::filesystem;

struct AckProbe {
  int calls = 0;
  std::optional<Status> status;
};

Message make_message(std::string payload, AckProbe& probe) {
  Message m;
  m.payload = Buffer(std::move(payload));
  m.ack = Ack([&probe](Status s) {
    ++probe.calls;
    probe.status = std::move(s);
  });
  return m;
}

constexpr const char* kOrderSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["id", "total"],
  "properties": {
    "id": {"type": "string"},
    "total": {"type": "number", "minimum": 0},
    "a/b": {"type": "integer"}
  }
})";

class ValidateProcessorTest : public fixture::ProcessorTest {
 protected:
  ValidateProcessorTest() : ProcessorTest("validate", register_validate_processor) {}

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("junction-validate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ctx_.flow = "orders";
    ctx_.step = "pipeline[0].validate";
    ctx_.base_dir = dir_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  fs::path dir_;
};

TEST_F(ValidateProcessorTest, ValidMessagePassesUnchanged) {
  write("order.json", kOrderSchema);
  auto p = build_ok("schema: order.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"({"id":"a1","total":12.5})", probe);
  msg.key = "a1";
  msg.headers.set("h", "v");
  MessageBatch out;
  ASSERT_TRUE(p->process(msg, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.str(), R"({"id":"a1","total":12.5})");
  EXPECT_EQ(out[0].key, "a1");
  EXPECT_EQ(out[0].headers.get("h"), "v");
  EXPECT_EQ(probe.calls, 0);
  out[0].ack.ok();
  EXPECT_EQ(probe.calls, 1);
  EXPECT_TRUE(probe.status->ok());
}

TEST_F(ValidateProcessorTest, ShorthandSetsTheSchemaPath) {
  write("order.json", kOrderSchema);
  const auto* info = registry_.find(spec::ComponentKind::kProcessor, "validate");
  spec::Diagnostics diags;
  auto node = spec::Node::parse("validate: order.json", "test.yaml", diags);
  ASSERT_TRUE(node);
  spec::ComponentSpec c;
  c.type = "validate";
  c.config =
      spec::Config::bind_shorthand(info->schema, *node, "validate", node->get("validate"), diags);
  ASSERT_TRUE(diags.ok()) << diags.format();
  EXPECT_EQ(c.config.str("schema"), "order.json");
  EXPECT_TRUE(registry_.make_processor(c, ctx_).ok());
}

TEST_F(ValidateProcessorTest, ViolationIsInvalidAndLeavesMessageIntact) {
  write("order.json", kOrderSchema);
  auto p = build_ok("schema: order.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"({"id":7,"total":-1,"a/b":1.5})", probe);
  MessageBatch out;
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
  const std::string& text = s.error().message();
  EXPECT_NE(text.find("/id: "), std::string::npos) << text;
  EXPECT_NE(text.find("/total: "), std::string::npos) << text;
  EXPECT_NE(text.find("/a~1b: "), std::string::npos) << text;  // RFC 6901 escaping
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(msg.payload.str(), R"({"id":7,"total":-1,"a/b":1.5})");
  EXPECT_FALSE(msg.ack.empty());
  EXPECT_EQ(probe.calls, 0);
}

TEST_F(ValidateProcessorTest, MissingRequiredPropertyIsReportedAtTheRoot) {
  write("order.json", kOrderSchema);
  auto p = build_ok("schema: order.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"({"id":"x"})", probe);
  MessageBatch out;
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("(root): "), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("total"), std::string::npos) << s.error().message();
}

TEST_F(ValidateProcessorTest, ListsAtMostFiveErrors) {
  write("nums.json", R"({"type":"array","items":{"type":"integer"}})");
  auto p = build_ok("schema: nums.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message(R"(["a","b","c","d","e","f","g"])", probe);
  MessageBatch out;
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  const std::string& text = s.error().message();
  EXPECT_NE(text.find("/4: "), std::string::npos) << text;
  EXPECT_EQ(text.find("/5: "), std::string::npos) << text;
  EXPECT_NE(text.find("more)"), std::string::npos) << text;
}

TEST_F(ValidateProcessorTest, NonJsonPayloadIsInvalid) {
  write("order.json", kOrderSchema);
  auto p = build_ok("schema: order.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  Message msg = make_message("not json", probe);
  MessageBatch out;
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(s.error().message().rfind("payload is not JSON: ", 0), 0u) << s.error().message();
  EXPECT_EQ(msg.payload.str(), "not json");
  EXPECT_FALSE(msg.ack.empty());
}

TEST_F(ValidateProcessorTest, Draft04SchemaIsHonoured) {
  // In draft-04 exclusiveMaximum is a boolean modifier of maximum.
  write("d4.json", R"({"$schema":"http://json-schema.org/draft-04/schema#",
    "type":"number","maximum":10,"exclusiveMaximum":true})");
  auto p = build_ok("schema: d4.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  MessageBatch out;
  Message ok = make_message("9", probe);
  EXPECT_TRUE(p->process(ok, out).ok());
  Message bad = make_message("10", probe);
  EXPECT_FALSE(p->process(bad, out).ok());
  EXPECT_EQ(out.size(), 1u);
}

TEST_F(ValidateProcessorTest, RefToAnotherFileResolvesBesideTheSchema) {
  fs::create_directories(dir_ / "schemas");
  write("schemas/money.json", R"({"type":"number","minimum":0})");
  write("schemas/order.json", R"({"type":"object","properties":{"total":{"$ref":"money.json"}}})");
  auto p = build_ok("schema: schemas/order.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  MessageBatch out;
  Message ok = make_message(R"({"total":3})", probe);
  EXPECT_TRUE(p->process(ok, out).ok());
  Message bad = make_message(R"({"total":-3})", probe);
  Status s = p->process(bad, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("/total: "), std::string::npos) << s.error().message();
}

TEST_F(ValidateProcessorTest, MissingSchemaFileNamesTheFile) {
  auto p = build("schema: nowhere.json");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(p.error().message().find("nowhere.json"), std::string::npos) << p.error().message();
}

TEST_F(ValidateProcessorTest, SchemaFileThatIsNotJsonNamesTheProblem) {
  write("broken.json", "{\"type\": ");
  auto p = build("schema: broken.json");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("broken.json"), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("not valid JSON"), std::string::npos) << p.error().message();
}

TEST_F(ValidateProcessorTest, UnusableSchemaIsRejectedAtBuild) {
  write("bad.json", R"({"type": 5})");
  auto p = build("schema: bad.json");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(p.error().message().find("bad.json"), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("not a usable JSON Schema"), std::string::npos)
      << p.error().message();
}

TEST_F(ValidateProcessorTest, UnresolvableRefIsRejectedAtBuild) {
  write("refs.json", R"({"$ref":"missing.json"})");
  auto p = build("schema: refs.json");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("missing.json"), std::string::npos) << p.error().message();
}

TEST_F(ValidateProcessorTest, RemoteRefIsNotFetched) {
  write("remote.json", R"({"$ref":"http://example.com/schema.json"})");
  auto p = build("schema: remote.json");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("not fetched"), std::string::npos) << p.error().message();
}

TEST_F(ValidateProcessorTest, TopLevelRefToAnotherFileWorks) {
  write("money.json", R"({"type":"number","minimum":0})");
  write("price.json",
        R"({"$schema":"http://json-schema.org/draft-07/schema#","$ref":"money.json"})");
  auto p = build_ok("schema: price.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  MessageBatch out;
  Message ok = make_message("1", probe);
  EXPECT_TRUE(p->process(ok, out).ok());
  Message bad = make_message("-1", probe);
  EXPECT_FALSE(p->process(bad, out).ok());
  Message text = make_message(R"("1")", probe);
  EXPECT_FALSE(p->process(text, out).ok());
}

// valijson recurses forever on these (a stack overflow): they must be
// rejected when the flow is built.
TEST_F(ValidateProcessorTest, RefLoopsThatNeverDescendAreRejected) {
  const char* loops[] = {
      R"({"$ref":"#"})",
      R"({"allOf":[{"$ref":"#"}]})",
      R"({"anyOf":[{"type":"string"},{"not":{"$ref":"#"}}]})",
      R"({"properties":{"a":{"$ref":"#/properties/a"}}})",
      R"({"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},
          "properties":{"x":{"$ref":"#/definitions/a"}}})",
      R"({"$ref":"loop.json"})",
  };
  write("loop.json", R"({"$ref":"#"})");
  for (const char* text : loops) {
    write("s.json", text);
    auto p = build("schema: s.json");
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_NE(p.error().message().find("without descending"), std::string::npos)
        << p.error().message();
    EXPECT_NE(p.error().message().find("s.json"), std::string::npos) << p.error().message();
  }
  write("a.json", R"({"allOf":[{"$ref":"b.json"}]})");
  write("b.json", R"({"$ref":"a.json"})");
  auto p = build("schema: a.json");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("without descending"), std::string::npos)
      << p.error().message();
}

TEST_F(ValidateProcessorTest, RecursionThroughPropertiesIsFine) {
  write("tree.json", R"({"type":"object","required":["v"],
    "properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#"}}}})");
  auto p = build_ok("schema: tree.json");
  ASSERT_TRUE(p);
  std::string deep = R"({"v":0})";
  for (int i = 1; i < 60; ++i) deep = R"({"v":)" + std::to_string(i) + R"(,"kids":[)" + deep + "]}";
  AckProbe probe;
  MessageBatch out;
  Message ok = make_message(deep, probe);
  EXPECT_TRUE(p->process(ok, out).ok());
  std::string bad = R"({"v":1,"kids":[{"v":2,"kids":[{"w":3}]}]})";
  Message wrong = make_message(bad, probe);
  Status s = p->process(wrong, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("/kids/0/kids/0: "), std::string::npos) << s.error().message();
}

TEST_F(ValidateProcessorTest, OverlyDeepPayloadIsRejected) {
  write("any.json", "{}");
  auto p = build_ok("schema: any.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  MessageBatch out;
  Message fine = make_message(std::string(200, '[') + std::string(200, ']'), probe);
  EXPECT_TRUE(p->process(fine, out).ok());
  Message deep = make_message(std::string(300, '[') + std::string(300, ']'), probe);
  Status s = p->process(deep, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message().rfind("payload is not JSON", 0), 0u) << s.error().message();
}

// libstdc++'s std::regex recurses per character and overflows the stack on
// strings of some 50 KB: patterns must not go through it.
TEST_F(ValidateProcessorTest, PatternsMatchLongStringsSafely) {
  write("p.json", R"({"properties":{"id":{"type":"string","pattern":"^[a-z]+$"}}})");
  auto p = build_ok("schema: p.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  MessageBatch out;
  Message ok = make_message(R"({"id":")" + std::string(1'000'000, 'a') + R"("})", probe);
  EXPECT_TRUE(p->process(ok, out).ok());
  Message bad = make_message(R"({"id":")" + std::string(1'000'000, 'a') + R"(1"})", probe);
  Status s = p->process(bad, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("/id: String does not match pattern '^[a-z]+$'"),
            std::string::npos)
      << s.error().message();
}

TEST_F(ValidateProcessorTest, CatastrophicBacktrackingFailsInsteadOfHanging) {
  write("p.json", R"({"pattern":"^(a+)+$"})");
  auto p = build_ok("schema: p.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  MessageBatch out;
  Message msg = make_message("\"" + std::string(40, 'a') + "!\"", probe);
  Status s = p->process(msg, out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
}

TEST_F(ValidateProcessorTest, BadPatternIsRejectedAtBuild) {
  write("p.json", R"({"properties":{"id":{"pattern":"(unclosed"}}})");
  auto p = build("schema: p.json");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("p.json"), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("(unclosed"), std::string::npos) << p.error().message();
  write("pp.json", R"({"patternProperties":{"[":{}}})");
  auto pp = build("schema: pp.json");
  ASSERT_FALSE(pp.ok());
  EXPECT_NE(pp.error().message().find("patternProperties"), std::string::npos)
      << pp.error().message();
}

TEST_F(ValidateProcessorTest, PatternInsideDataIsNotAKeyword) {
  // Only schema positions are rewritten: a "pattern" inside const stays data.
  write("c.json", R"({"const":{"pattern":"^x$","format":"date"}})");
  auto p = build_ok("schema: c.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  MessageBatch out;
  Message ok = make_message(R"({"pattern":"^x$","format":"date"})", probe);
  EXPECT_TRUE(p->process(ok, out).ok());
  Message bad = make_message(R"({"pattern":"^y$","format":"date"})", probe);
  EXPECT_FALSE(p->process(bad, out).ok());
}

TEST_F(ValidateProcessorTest, DateAndTimeFormats) {
  write("f.json", R"({"properties":{"d":{"format":"date"},"t":{"format":"time"},
    "dt":{"format":"date-time"},"e":{"format":"email"}}})");
  auto p = build_ok("schema: f.json");
  ASSERT_TRUE(p);
  auto check = [&](const std::string& payload) {
    AckProbe probe;
    MessageBatch out;
    Message m = make_message(payload, probe);
    return p->process(m, out).ok();
  };
  EXPECT_TRUE(check(R"({"d":"2024-02-29","t":"23:59:60.5+02:00","dt":"2024-07-18T16:52:45Z"})"));
  EXPECT_TRUE(check(R"({"dt":"2024-07-18t16:52:45.123-05:30","e":"not checked"})"));
  EXPECT_TRUE(check(R"({"d":5})"));  // formats apply to strings only
  EXPECT_FALSE(check(R"({"d":"2023-02-29"})"));
  EXPECT_FALSE(check(R"({"d":"2024-04-31"})"));
  EXPECT_FALSE(check(R"({"d":"2024-13-01"})"));
  EXPECT_FALSE(check(R"({"t":"24:00:00Z"})"));
  EXPECT_FALSE(check(R"({"t":"12:00:00"})"));  // the offset is required
  EXPECT_FALSE(check(R"({"dt":"2024-07-18 16:52:45Z"})"));
  EXPECT_FALSE(check(R"({"dt":")" + std::string(200'000, '1') + R"(-01-01T00:00:00Z"})"));
}

TEST_F(ValidateProcessorTest, LongPropertyNamesAreRejectedWithPatternProperties) {
  write("pp.json", R"({"patternProperties":{"^x-":{"type":"string"}}})");
  auto p = build_ok("schema: pp.json");
  ASSERT_TRUE(p);
  AckProbe probe;
  MessageBatch out;
  Message ok = make_message(R"({"x-a":"1","y":2})", probe);
  EXPECT_TRUE(p->process(ok, out).ok());
  Message wrong = make_message(R"({"x-a":1})", probe);
  EXPECT_FALSE(p->process(wrong, out).ok());
  Message huge = make_message(R"({")" + std::string(100'000, 'k') + R"(":1})", probe);
  Status s = p->process(huge, out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("property name of 100000 bytes"), std::string::npos)
      << s.error().message();
}

TEST_F(ValidateProcessorTest, UnsupportedDraftIsRejected) {
  write("new.json", R"({"$schema":"https://json-schema.org/draft/2020-12/schema"})");
  auto p = build("schema: new.json");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("2020-12"), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("new.json"), std::string::npos) << p.error().message();
}

TEST_F(ValidateProcessorTest, SchemaFieldIsRequired) {
  auto p = build("{}");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("schema"), std::string::npos) << p.error().message();
}

}  // namespace
}  // namespace junction::components
