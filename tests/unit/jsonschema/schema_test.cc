#include "jsonschema/schema.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "jsonschema/constraints.h"

namespace junction::jsonschema {
namespace {

namespace fs = std::filesystem;

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("junction-jsonschema-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  std::shared_ptr<const Schema> load_ok(const std::string& text) {
    auto schema = Schema::load(write("s.json", text));
    EXPECT_TRUE(schema.ok()) << (schema.ok() ? "" : schema.error().message());
    return schema.ok() ? *schema : nullptr;
  }

  static Report check(Validator& v, const std::string& doc, size_t max_listed = 10) {
    auto report = v.validate(boost::json::parse(doc), max_listed);
    EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message());
    return report.ok() ? *report : Report{};
  }

  fs::path dir_;
};

constexpr const char* kOrder = R"({
  "type": "object",
  "required": ["id", "total"],
  "properties": {
    "id": {"type": "string"},
    "total": {"type": "number", "minimum": 0},
    "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
    "a/b~c": {"type": "integer"}
  }
})";

TEST_F(SchemaTest, ValidDocumentHasNoViolations) {
  Validator v(load_ok(kOrder));
  Report r = check(v, R"({"id":"a","total":3,"lines":[{"sku":"x"}]})");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.violations.empty());
}

TEST_F(SchemaTest, ViolationsCarryRfc6901Pointers) {
  Validator v(load_ok(kOrder));
  Report r = check(v, R"({"id":7,"total":-1,"lines":[{"sku":"x"},{"sku":2}],"a/b~c":0.5})");
  ASSERT_FALSE(r.ok());
  std::vector<std::string> pointers;
  for (const auto& violation : r.violations) {
    pointers.push_back(violation.pointer);
    EXPECT_FALSE(violation.message.empty());
  }
  EXPECT_EQ(r.total, r.violations.size());
  for (const char* expected : {"/id", "/total", "/lines/1/sku", "/a~1b~0c"}) {
    EXPECT_NE(std::find(pointers.begin(), pointers.end(), expected), pointers.end()) << expected;
  }
  // The enclosing "Failed to validate item #1" wrappers are left out.
  for (const auto& violation : r.violations) {
    EXPECT_EQ(violation.message.find("Failed to validate"), std::string::npos) << violation.message;
  }
}

TEST_F(SchemaTest, RootIsTheEmptyPointer) {
  Validator v(load_ok(kOrder));
  Report r = check(v, R"({"id":"x"})");
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].pointer, "");
  EXPECT_NE(r.violations[0].message.find("total"), std::string::npos) << r.violations[0].message;
}

TEST_F(SchemaTest, ListIsBoundedButTotalCountsAll) {
  Validator v(load_ok(R"({"type":"array","items":{"type":"integer"}})"));
  Report r = check(v, R"(["a","b","c","d","e","f","g"])", 3);
  ASSERT_EQ(r.violations.size(), 3u);
  EXPECT_EQ(r.total, 7u);
  EXPECT_EQ(r.violations[0].pointer, "/0");
  EXPECT_EQ(r.violations[2].pointer, "/2");
}

TEST_F(SchemaTest, LongPropertyNamesAreRefusedOnlyWithPatternProperties) {
  const std::string huge = R"({")" + std::string(5000, 'k') + R"(":1})";
  Validator plain(load_ok(R"({"type":"object"})"));
  EXPECT_TRUE(check(plain, huge).ok());

  Validator patterned(load_ok(R"({"patternProperties":{"^x-":{"type":"string"}}})"));
  auto r = patterned.validate(boost::json::parse(huge), 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(r.error().message().find("5000 bytes"), std::string::npos) << r.error().message();
  EXPECT_FALSE(check(patterned, R"({"x-a":1})").ok());
}

TEST_F(SchemaTest, OneSchemaServesValidatorsOnManyThreads) {
  auto schema = load_ok(R"({"properties":{"code":{"type":"string","pattern":"^[A-Z]{3}$"}}})");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Validator v(schema);
      for (int i = 0; i < 200; ++i) {
        auto good = v.validate(boost::json::parse(R"({"code":"ABC"})"), 1);
        auto bad = v.validate(boost::json::parse(R"({"code":"abc"})"), 1);
        if (!good.ok() || !good->ok() || !bad.ok() || bad->ok()) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(SchemaTest, LoadErrorsNameTheFile) {
  auto missing = Schema::load(dir_ / "absent.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(missing.error().message().find("absent.json"), std::string::npos);

  auto not_json = Schema::load(write("bad.json", "{nope"));
  ASSERT_FALSE(not_json.ok());
  EXPECT_NE(not_json.error().message().find("not valid JSON"), std::string::npos);

  auto bad_ref = Schema::load(write("ref.json", R"({"$ref":"other.json"})"));
  ASSERT_FALSE(bad_ref.ok());
  EXPECT_NE(bad_ref.error().message().find("other.json"), std::string::npos);

  auto loop = Schema::load(write("loop.json", R"({"allOf":[{"$ref":"#"}]})"));
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message().find("leads back to itself"), std::string::npos);

  auto draft = Schema::load(
      write("new.json", R"({"$schema":"https://json-schema.org/draft/2020-12/schema"})"));
  ASSERT_FALSE(draft.ok());
  EXPECT_NE(draft.error().message().find("2020-12"), std::string::npos);
}

TEST_F(SchemaTest, ParseOptionsBoundTheDepth) {
  boost::system::error_code ec;
  std::string deep(300, '[');
  deep += std::string(300, ']');
  boost::json::parse(deep, ec, {}, parse_options());
  EXPECT_TRUE(ec);
  std::string fine(200, '[');
  fine += std::string(200, ']');
  boost::json::parse(fine, ec, {}, parse_options());
  EXPECT_FALSE(ec);
}

TEST(ValidFormat, DatesAndTimes) {
  EXPECT_TRUE(valid_format("date", "2024-02-29"));
  EXPECT_FALSE(valid_format("date", "2023-02-29"));
  EXPECT_TRUE(valid_format("date-time", "2024-07-18T16:52:45.5+02:00"));
  EXPECT_FALSE(valid_format("date-time", "2024-07-18T16:52:45"));
  EXPECT_TRUE(valid_format("email", "anything"));  // not checked
}

}  // namespace
}  // namespace junction::jsonschema
