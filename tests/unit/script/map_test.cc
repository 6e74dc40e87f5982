#include <gtest/gtest.h>

#include "test_util.h"

namespace junction::script {
namespace {

using testing::json_eq;
using testing::make_engine;
using testing::make_message;
using testing::map_once;

class MapTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> engine_ = make_engine();
  std::string map(std::string_view source, std::string_view payload) {
    return map_once(*engine_, source, payload);
  }
};

TEST_F(MapTest, AddsAField) {
  EXPECT_TRUE(json_eq(map("out.total = msg.qty * msg.price", R"({"qty":3,"price":2.5})"),
                      R"({"qty":3,"price":2.5,"total":7.5})"));
  EXPECT_TRUE(json_eq(map("out.total = msg.qty * msg.price", R"({"qty":3,"price":4})"),
                      R"({"qty":3,"price":4,"total":12})"));
}

TEST_F(MapTest, NestedObjects) {
  auto r = map(R"(
    out.customer.name = string.upper(msg.customer.name)
    out.extra = {level = {deep = true}}
  )",
               R"({"customer":{"id":"c-1","name":"ada"}})");
  EXPECT_TRUE(
      json_eq(r, R"({"customer":{"id":"c-1","name":"ADA"},"extra":{"level":{"deep":true}}})"));
}

TEST_F(MapTest, ArraysRoundTripIncludingEmptyOnes) {
  const char* doc = R"({"items":[1,2,3],"empty":[],"objs":[{"a":1},{}],"nested":[[],[[]]],"o":{}})";
  auto r = map("return msg", doc);
  EXPECT_TRUE(json_eq(r, doc));
  EXPECT_NE(r.find(R"("empty":[])"), std::string::npos) << r;
  EXPECT_NE(r.find(R"("o":{})"), std::string::npos) << r;
  EXPECT_EQ(map("return msg", "[]"), "[]");
  EXPECT_EQ(map("return msg", "[1,[2,{}]]"), "[1,[2,{}]]");
}

TEST_F(MapTest, ArraysStayArraysWhenModified) {
  EXPECT_TRUE(json_eq(map("table.insert(msg.items, 4); out.n = #msg.items", R"({"items":[1,2,3]})"),
                      R"({"items":[1,2,3,4],"n":4})"));
  EXPECT_TRUE(json_eq(map("table.remove(msg.items)", R"({"items":[1]})"), R"({"items":[]})"));
}

TEST_F(MapTest, NewTablesEncodeBySequenceOrMarker) {
  EXPECT_EQ(map("return {list = {1, 2, 3}}", "{}"), R"({"list":[1,2,3]})");
  EXPECT_EQ(map("return {e = {}}", "{}"), R"({"e":{}})");
  EXPECT_EQ(map("return {e = json.array()}", "{}"), R"({"e":[]})");
  EXPECT_EQ(map("return {e = json.array({'a'})}", "{}"), R"({"e":["a"]})");
  EXPECT_TRUE(json_eq(map("return {[1] = 'a', [3] = 'c'}", "{}"), R"({"1":"a","3":"c"})"));
}

TEST_F(MapTest, NullIsKept) {
  auto r = map("out.was_null = msg.n == json.null", R"({"n":null,"a":[null]})");
  EXPECT_TRUE(json_eq(r, R"({"n":null,"a":[null],"was_null":true})"));
  EXPECT_EQ(map("return msg", "null"), "null");
}

TEST_F(MapTest, NumbersKeepTheirKind) {
  EXPECT_EQ(map("return msg", "[9007199254740993,-9223372036854775808,0.1,1e300,-0,2.0]"),
            "[9007199254740993,-9223372036854775808,0.1,1e+300,0,2]");
  EXPECT_EQ(map("return {math.type(msg[1]), math.type(msg[2])}", "[1,1.5]"),
            R"(["integer","float"])");
  EXPECT_EQ(map("return {msg[1]}", "[18446744073709551616]"), "[18446744073709551616]");
}

TEST_F(MapTest, StringsWithEscapesRoundTrip) {
  const char* doc = R"({"s":"caf\u00e9 \ud83d\ude00 \"q\" \\ \n\t\u0001"})";
  auto r = map("return msg", doc);
  EXPECT_TRUE(json_eq(r, doc));
  EXPECT_EQ(map("return {#msg.s}", R"({"s":"\u00e9"})"), "[2]");
}

TEST_F(MapTest, StringResultIsTheRawPayload) {
  EXPECT_EQ(map(R"(return "hello " .. msg.name)", R"({"name":"bob"})"), "hello bob");
  EXPECT_EQ(map(R"(out = "a\"b")", "{}"), "a\"b");
}

TEST_F(MapTest, NonJsonPayloadIsAString) {
  EXPECT_EQ(map("return type(msg)", "plain text"), "string");
  EXPECT_EQ(map("return msg:upper()", "plain text"), "PLAIN TEXT");
  EXPECT_EQ(map("return msg", R"({"unterminated":)"), R"({"unterminated":)");
  EXPECT_EQ(map("return type(msg) .. #msg", ""), "string0");
  EXPECT_EQ(map("return msg .. '!'", R"("quoted")"), "quoted!");
}

TEST_F(MapTest, ScalarResultsAreJson) {
  EXPECT_EQ(map("return 42", "{}"), "42");
  EXPECT_EQ(map("return 1.5", "{}"), "1.5");
  EXPECT_EQ(map("return 3 / 1", "{}"), "3");
  EXPECT_EQ(map("return true", "{}"), "true");
  EXPECT_EQ(map("return msg + 1", "41"), "42");
}

TEST_F(MapTest, DropsWhenOutIsNil) {
  EXPECT_EQ(map("out = nil", R"({"a":1})"), "<dropped>");
  auto chunk = engine_->compile_map("if msg.a > 1 then out = nil end", "drop.map");
  ASSERT_TRUE(chunk.ok());
  Message keep = make_message(R"({"a":1})");
  Message drop = make_message(R"({"a":2})");
  EXPECT_TRUE(*engine_->run_map(*chunk, keep));
  auto r = engine_->run_map(*chunk, drop);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(drop.payload.str(), R"({"a":2})");
}

TEST_F(MapTest, ReturnValueWinsOverOut) {
  EXPECT_EQ(map("out = nil; return {a = 1}", "{}"), R"({"a":1})");
}

TEST_F(MapTest, MetaAndKeyAreWritable) {
  auto chunk = engine_->compile_map(R"(
    meta["x-new"] = "1"
    meta["content-type"] = nil
    meta.trace = meta.trace .. "-2"
    meta.count = 3
    key = msg.id
  )",
                                    "meta.map");
  ASSERT_TRUE(chunk.ok()) << chunk.error().message();
  Message m = make_message(R"({"id":"order-7"})");
  m.key = "old";
  m.headers.add("content-type", "application/json");
  m.headers.add("trace", "t1");
  m.headers.add("keep", "a");
  m.headers.add("keep", "b");
  auto r = engine_->run_map(*chunk, m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(m.key, "order-7");
  EXPECT_FALSE(m.headers.get("content-type"));
  EXPECT_EQ(m.headers.get("trace"), "t1-2");
  EXPECT_EQ(m.headers.get("x-new"), "1");
  EXPECT_EQ(m.headers.get("count"), "3");
  std::vector<std::string> keeps;
  for (const auto& [name, value] : m.headers) {
    if (name == "keep") keeps.push_back(value);
  }
  EXPECT_EQ(keeps, (std::vector<std::string>{"a", "b"}));
}

TEST_F(MapTest, MetaAndKeyAreResetPerMessage) {
  auto chunk = engine_->compile_map(R"(
    out.key_seen = key
    out.meta_seen = meta.h or "none"
    key = "changed"
    meta.h = "changed"
  )",
                                    "reset.map");
  ASSERT_TRUE(chunk.ok());
  for (const char* k : {"k1", "k2"}) {
    Message m = make_message("{}");
    m.key = k;
    ASSERT_TRUE(engine_->run_map(*chunk, m).ok());
    EXPECT_TRUE(json_eq(m.payload.view(),
                        std::string(R"({"key_seen":")") + k + R"(","meta_seen":"none"})"));
    EXPECT_EQ(m.key, "changed");
    EXPECT_EQ(m.headers.get("h"), "changed");
  }
}

TEST_F(MapTest, ConditionalAssignmentsDoNotLeakToTheNextMessage) {
  auto chunk = engine_->compile_map(R"(
    if msg.set then key = "set"; meta.h = "set"; out = {flag = true} end
  )",
                                    "cond.map");
  ASSERT_TRUE(chunk.ok());
  Message first = make_message(R"({"set":true})");
  first.key = "k1";
  ASSERT_TRUE(engine_->run_map(*chunk, first).ok());
  EXPECT_EQ(first.key, "set");
  EXPECT_EQ(first.payload.str(), R"({"flag":true})");
  Message second = make_message(R"({"set":false})");
  second.key = "k2";
  ASSERT_TRUE(engine_->run_map(*chunk, second).ok());
  EXPECT_EQ(second.key, "k2");
  EXPECT_FALSE(second.headers.get("h"));
  EXPECT_EQ(second.payload.str(), R"({"set":false})");
}

TEST_F(MapTest, OutIsNilWhenAChunkRunsAsAnExpression) {
  auto chunk = engine_->compile_expression("out == nil", "either");
  ASSERT_TRUE(chunk.ok());
  Message m = make_message("{}");
  ASSERT_TRUE(engine_->run_map(*chunk, m).ok());
  EXPECT_EQ(m.payload.str(), "false");
  EXPECT_TRUE(*engine_->eval_bool(*chunk, make_message("{}")));
}

TEST_F(MapTest, UntouchedKeyAndHeadersStay) {
  Message m = make_message(R"({"a":1})");
  m.key = "k";
  m.headers.add("h", "1");
  m.headers.add("h", "2");
  auto chunk = engine_->compile_map("out.b = 2", "plain.map");
  ASSERT_TRUE(engine_->run_map(*chunk, m).ok());
  EXPECT_EQ(m.key, "k");
  EXPECT_EQ(m.headers.size(), 2u);
}

TEST_F(MapTest, UnencodableResultsAreInvalid) {
  for (auto [source, what] : std::vector<std::pair<const char*, const char*>>{
           {"out.f = print or function() end", "map produced a function value"},
           {"out.x = 0/0", "map produced a non-finite number"},
           {"out.x = math.huge", "map produced a non-finite number"},
           {"out.t = {[true] = 1}", "map produced a table key of type boolean"},
           {"local t = {}; t.self = t; return t", "nested deeper than"},
           {"return coroutine and coroutine.create(print) or function() end", "function"},
       }) {
    auto chunk = engine_->compile_map(source, "bad.map");
    ASSERT_TRUE(chunk.ok()) << source;
    Message m = make_message("{}");
    auto r = engine_->run_map(*chunk, m);
    ASSERT_FALSE(r.ok()) << source;
    EXPECT_EQ(r.error().cls(), ErrorClass::kInvalid);
    EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
    EXPECT_EQ(m.payload.str(), "{}");
  }
}

TEST_F(MapTest, BadMetaIsInvalid) {
  auto chunk = engine_->compile_map("meta.x = {}", "bad-meta.map");
  Message m = make_message("{}");
  auto r = engine_->run_map(*chunk, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "bad-meta.map: meta values must be strings");
}

TEST_F(MapTest, UserGlobalsPersistPerChunk) {
  auto counter = engine_->compile_map("n = (n or 0) + 1; out.n = n", "count.map");
  auto other = engine_->compile_map("out.n = n", "other.map");
  for (int i = 1; i <= 3; ++i) {
    Message m = make_message("{}");
    ASSERT_TRUE(engine_->run_map(*counter, m).ok());
    EXPECT_EQ(m.payload.str(), R"({"n":)" + std::to_string(i) + "}");
  }
  Message m = make_message("{}");
  ASSERT_TRUE(engine_->run_map(*other, m).ok());
  EXPECT_EQ(m.payload.str(), "{}");
}

}  // namespace
}  // namespace junction::script
