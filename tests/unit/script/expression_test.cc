#include <gtest/gtest.h>

#include "test_util.h"

namespace junction::script {
namespace {

using testing::make_engine;
using testing::make_message;

class ExpressionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> engine_ = make_engine();

  int compile(std::string_view expr) {
    auto chunk = engine_->compile_expression(expr, "test.expr");
    EXPECT_TRUE(chunk.ok()) << chunk.error().message();
    return chunk.ok() ? *chunk : -1;
  }
  Result<bool> eval_bool(std::string_view expr, std::string_view payload) {
    return engine_->eval_bool(compile(expr), make_message(payload));
  }
  Result<std::string> eval_string(std::string_view expr, std::string_view payload) {
    return engine_->eval_string(compile(expr), make_message(payload));
  }
};

TEST_F(ExpressionTest, Booleans) {
  int chunk = compile("msg.total > 1000");
  EXPECT_TRUE(*engine_->eval_bool(chunk, make_message(R"({"total":1500})")));
  EXPECT_FALSE(*engine_->eval_bool(chunk, make_message(R"({"total":999.5})")));
  EXPECT_FALSE(*eval_bool("msg.missing", "{}"));
  EXPECT_TRUE(*eval_bool("msg.zero", R"({"zero":0})"));  // Lua truthiness
  EXPECT_TRUE(*eval_bool("msg.n == json.null", R"({"n":null})"));
  EXPECT_TRUE(*eval_bool("msg == 'ping'", "ping"));
}

TEST_F(ExpressionTest, ComparingAMissingFieldIsARuntimeError) {
  auto r = eval_bool("msg.total > 1000", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(r.error().message().find("test.expr:1:"), std::string::npos) << r.error().message();
}

TEST_F(ExpressionTest, Strings) {
  const char* doc = R"({"customer":{"id":"c-1"},"n":42,"f":2.0,"g":2.5,"b":true,"l":[1,"x"]})";
  EXPECT_EQ(*eval_string("msg.customer.id", doc), "c-1");
  EXPECT_EQ(*eval_string("msg.n", doc), "42");
  EXPECT_EQ(*eval_string("msg.f", doc), "2");
  EXPECT_EQ(*eval_string("msg.g", doc), "2.5");
  EXPECT_EQ(*eval_string("msg.n / 4", doc), "10.5");
  EXPECT_EQ(*eval_string("msg.n // 4", doc), "10");
  EXPECT_EQ(*eval_string("msg.b", doc), "true");
  EXPECT_EQ(*eval_string("msg.l", doc), R"([1,"x"])");
  EXPECT_EQ(*eval_string("msg.customer.id .. '/' .. msg.n", doc), "c-1/42");
  EXPECT_EQ(*eval_string("2^63", doc), "9223372036854775808");
  EXPECT_EQ(*eval_string("1e300", doc), "1e+300");
  EXPECT_EQ(*eval_string("0.1 + 0.2", doc), "0.30000000000000004");
}

TEST_F(ExpressionTest, NilStringIsAnError) {
  auto r = eval_string("msg.missing", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "test.expr: expression produced nil");
}

TEST_F(ExpressionTest, Json) {
  auto v = engine_->eval_json(compile("msg.items"), make_message(R"({"items":[{"a":1},2,"x"]})"));
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(*v, boost::json::parse(R"([{"a":1},2,"x"])"));
  auto empty = engine_->eval_json(compile("msg.items"), make_message(R"({"items":[]})"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->is_array());
  auto nil = engine_->eval_json(compile("msg.none"), make_message("{}"));
  ASSERT_TRUE(nil.ok());
  EXPECT_TRUE(nil->is_null());
  auto built = engine_->eval_json(compile("{msg.a, msg.a * 2}"), make_message(R"({"a":2})"));
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(*built, boost::json::parse("[2,4]"));
  auto bad = engine_->eval_json(compile("print or function() end"), make_message("{}"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("expression produced a function value"), std::string::npos);
}

TEST_F(ExpressionTest, SeesMetaAndKey) {
  Message m = make_message("{}");
  m.key = "k-1";
  m.headers.add("x-type", "order");
  EXPECT_TRUE(*engine_->eval_bool(compile("meta['x-type'] == 'order' and key == 'k-1'"), m));
  EXPECT_EQ(*engine_->eval_string(compile("key"), m), "k-1");
}

TEST_F(ExpressionTest, TrailingCommentIsAllowed) {
  EXPECT_TRUE(*eval_bool("msg.a == 1 -- only ones", R"({"a":1})"));
}

TEST_F(ExpressionTest, StatementsAreRejected) {
  for (const char* expr : {"x = 1", "", "1) end (2", "msg.a; os.exit()"}) {
    auto chunk = engine_->compile_expression(expr, "test.expr");
    ASSERT_FALSE(chunk.ok()) << expr;
    EXPECT_EQ(chunk.error().cls(), ErrorClass::kInvalid);
  }
}

TEST_F(ExpressionTest, UnknownChunkIsAnError) {
  auto r = engine_->eval_bool(42, make_message("{}"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cls(), ErrorClass::kInvalid);
}

}  // namespace
}  // namespace junction::script
