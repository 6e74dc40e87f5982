// JSON objects keep their member order through a map: a Lua table has none,
// so a regression here reorders every user's payload.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "test_util.h"

namespace junction::script {
namespace {

using testing::make_engine;
using testing::make_message;
using testing::map_once;

class KeyOrderTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> engine_ = make_engine();
  std::string map(std::string_view source, std::string_view payload) {
    return map_once(*engine_, source, payload);
  }
};

TEST_F(KeyOrderTest, UnchangedObjectsKeepTheirOrder) {
  const char* doc = R"({"zeta":1,"alpha":{"y":2,"b":[{"q":1,"a":2}],"x":3},"mid":"m","id":9})";
  EXPECT_EQ(map("return msg", doc), doc);
}

TEST_F(KeyOrderTest, AddedKeysFollowAndRemovedOnesGo) {
  EXPECT_EQ(map("out.total = 5; out.mid = nil", R"({"zeta":1,"mid":2,"alpha":3})"),
            R"({"zeta":1,"alpha":3,"total":5})");
  EXPECT_EQ(map("out.alpha.c = true", R"({"zeta":1,"alpha":{"y":2,"x":3}})"),
            R"({"zeta":1,"alpha":{"y":2,"x":3,"c":true}})");
}

TEST_F(KeyOrderTest, ChangedValuesKeepTheirPlace) {
  EXPECT_EQ(map("out.b = {n = 1}", R"({"c":1,"b":2,"a":3})"), R"({"c":1,"b":{"n":1},"a":3})");
}

TEST_F(KeyOrderTest, LargeObjectsKeepTheirOrder) {
  std::string doc = "{";
  for (int i = 99; i >= 0; --i) {
    doc += "\"k" + std::to_string(i * 7 % 100) + "\":" + std::to_string(i);
    if (i > 0) doc += ',';
  }
  doc += '}';
  EXPECT_EQ(map("return msg", doc), doc);
  auto added = map("out.extra = 1", doc);
  EXPECT_EQ(added, doc.substr(0, doc.size() - 1) + ",\"extra\":1}");
}

TEST_F(KeyOrderTest, RepeatedKeysInTheTextAppearOnceWithTheLastValue) {
  EXPECT_EQ(map("return msg", R"({"a":1,"b":2,"a":3})"), R"({"a":3,"b":2})");
  std::string doc = "{";
  for (int i = 0; i < 40; ++i) doc += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  doc += R"("k0":"again"})";
  auto r = map("return msg", doc);
  EXPECT_EQ(r.find("\"k0\""), r.rfind("\"k0\"")) << r;
  EXPECT_NE(r.find(R"({"k0":"again","k1":1,)"), std::string::npos) << r;
}

TEST_F(KeyOrderTest, MovedTablesKeepTheirOwnOrder) {
  EXPECT_EQ(map("return {wrapped = msg.inner}", R"({"inner":{"z":1,"a":2,"m":3}})"),
            R"({"wrapped":{"z":1,"a":2,"m":3}})");
}

TEST_F(KeyOrderTest, JsonDecodeInAScriptKeepsOrderToo) {
  EXPECT_EQ(map(R"(return json.decode('{"z":1,"a":2,"m":3}'))", "{}"), R"({"z":1,"a":2,"m":3})");
  EXPECT_EQ(map(R"(return {s = json.encode(msg)})", R"({"z":1,"a":2})"),
            R"({"s":"{\"z\":1,\"a\":2}"})");
}

TEST_F(KeyOrderTest, ADroppedTableWhoseAddressIsReusedStillEncodesEveryKeyOnce) {
  // Dropping decoded tables and collecting them lets new tables take their
  // addresses; whatever order they get, every member appears exactly once.
  auto r = map(R"(
    local keep = {}
    for i = 1, 50 do msg["t" .. i] = nil end
    collectgarbage()
    for i = 1, 50 do keep[i] = {a = i, q = i, t1 = i} end
    return {list = keep}
  )",
               R"({"t1":{"q":1,"a":2},"t2":{"q":1,"a":2},"t3":{"t1":0,"zz":1}})");
  auto v = boost::json::parse(r);
  auto& list = v.at("list").as_array();
  ASSERT_EQ(list.size(), 50u);
  for (const auto& o : list) EXPECT_EQ(o.as_object().size(), 3u) << r;
}

TEST_F(KeyOrderTest, EvalJsonKeepsOrder) {
  auto chunk = engine_->compile_expression("msg.body", "test.expr");
  ASSERT_TRUE(chunk.ok());
  auto v = engine_->eval_json(*chunk, make_message(R"({"body":{"z":1,"a":2,"m":3}})"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(boost::json::serialize(*v), R"({"z":1,"a":2,"m":3})");
}

}  // namespace
}  // namespace junction::script
