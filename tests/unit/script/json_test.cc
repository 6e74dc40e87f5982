#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <random>

#include "test_util.h"

namespace junction::script {
namespace {

using testing::json_eq;
using testing::make_engine;
using testing::map_once;

TEST(JsonLib, Encode) {
  auto engine = make_engine();
  EXPECT_TRUE(json_eq(map_once(*engine, "return json.encode({a = {1, 2}, b = json.null})", "{}"),
                      R"({"a":[1,2],"b":null})"));
  EXPECT_EQ(map_once(*engine, R"(return json.encode("a\"b\n\1"))", "{}"), R"("a\"b\n\u0001")");
  EXPECT_EQ(map_once(*engine, "return json.encode(msg)", R"({"e":[]})"), R"({"e":[]})");
  EXPECT_EQ(map_once(*engine, "return json.encode({})", "{}"), "{}");
  EXPECT_EQ(map_once(*engine, "return json.encode(1.25)", "{}"), "1.25");
  EXPECT_EQ(map_once(*engine, "return json.encode(nil)", "{}"), "null");
  EXPECT_EQ(map_once(*engine, "return json.encode(print or function() end)", "{}"),
            "<error: test.map:1: json.encode: cannot encode a function value>");
}

TEST(JsonLib, Decode) {
  auto engine = make_engine();
  EXPECT_EQ(map_once(*engine, R"(
    local t = json.decode('{"x":[1,2,{"y":null}],"s":"\\u00e9"}')
    return {t.x[3].y == json.null, #t.x, t.s, math.type(t.x[1])}
  )",
                     "{}"),
            R"([true,3,"é","integer"])");
  EXPECT_EQ(map_once(*engine, "return json.encode(json.decode(' [ ] '))", "{}"), "[]");
  EXPECT_EQ(map_once(*engine, "return json.decode('\"plain\"')", "{}"), "plain");
  EXPECT_EQ(map_once(*engine, "return json.decode('{bad')", "{}"),
            "<error: test.map:1: json.decode: invalid JSON at offset 1>");
  EXPECT_EQ(map_once(*engine, "return json.decode('1 2')", "{}"),
            "<error: test.map:1: json.decode: invalid JSON at offset 2>");
  EXPECT_EQ(map_once(*engine, "return {pcall(json.decode, '')}", "{}"),
            R"([false,"json.decode: invalid JSON at offset 0"])");
  EXPECT_EQ(map_once(*engine, "return {(pcall(json.decode, {}))}", "{}"), "[false]");
}

TEST(JsonLib, RejectsMalformedPayloads) {
  auto engine = make_engine();
  for (const char* doc : {"{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"\\x\"", "\"a\nb\"",
                          "{\"a\" 1}", "[1 2]", "nul", "1e", "\"\\ud800"}) {
    EXPECT_EQ(map_once(*engine, "return type(msg)", doc), "string") << doc;
  }
}

TEST(JsonNumbers, ShortDecimalsPrintShort) {
  auto engine = make_engine();
  EXPECT_EQ(map_once(*engine, "return {2.5, 19.99, 0.1, -0.125, 1e-7, 123456.75, 0.3, 1/3}", "{}"),
            "[2.5,19.99,0.1,-0.125,1e-07,123456.75,0.3,0.3333333333333333]");
}

TEST(JsonNumbers, FloatsRoundTripExactly) {
  auto engine = make_engine();
  std::mt19937_64 rng(42);
  std::vector<double> values;
  for (int i = 0; i < 3000; ++i) {
    switch (i % 3) {
      case 0:  // few decimals
        values.push_back(static_cast<double>(static_cast<int64_t>(rng() % 20000000) - 10000000) /
                         std::pow(10.0, static_cast<double>(rng() % 8)));
        break;
      case 1: {  // any finite bit pattern
        uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (std::isfinite(d)) values.push_back(d);
        break;
      }
      default:
        values.push_back(
            std::ldexp(static_cast<double>(rng() % 1000000), -static_cast<int>(rng() % 60)));
    }
  }
  std::string doc = "[";
  for (double v : values) {
    char buf[64];
    doc.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    doc.push_back(',');
  }
  doc.back() = ']';
  auto out = map_once(*engine, "for i, v in ipairs(msg) do msg[i] = v + 0.0 end", doc);
  ASSERT_TRUE(out.size() > 2 && out.front() == '[' && out.back() == ']') << out;
  std::vector<std::string> texts;
  for (size_t start = 1, comma; start < out.size(); start = comma + 1) {
    comma = out.find_first_of(",]", start);
    texts.push_back(out.substr(start, comma - start));
  }
  ASSERT_EQ(texts.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    double got = 0;
    auto [ptr, ec] = std::from_chars(texts[i].data(), texts[i].data() + texts[i].size(), got);
    ASSERT_TRUE(ec == std::errc() && ptr == texts[i].data() + texts[i].size()) << texts[i];
    EXPECT_EQ(got, values[i]) << "element " << i << ": " << texts[i];
  }

  // eval_json keeps them exact too (no text round trip).
  auto chunk = engine->compile_expression("msg", "numbers");
  Message m;
  m.payload = Buffer::copy_of(doc);
  auto v = engine->eval_json(*chunk, m);
  ASSERT_TRUE(v.ok()) << v.error().message();
  ASSERT_EQ(v->as_array().size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& e = v->as_array()[i];
    double got = e.is_double() ? e.as_double() : static_cast<double>(e.as_int64());
    EXPECT_EQ(got, values[i]) << "element " << i;
  }
}

}  // namespace
}  // namespace junction::script
