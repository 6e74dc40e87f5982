#include <gtest/gtest.h>

#include "test_util.h"

namespace junction::script {
namespace {

using testing::make_engine;
using testing::make_message;

Result<bool> run(Engine& engine, int chunk, std::string_view payload = "{}") {
  Message m = make_message(payload);
  return engine.run_map(chunk, m);
}

void expect_usable(Engine& engine) {
  auto chunk = engine.compile_map("out.total = msg.qty * msg.price", "after");
  ASSERT_TRUE(chunk.ok()) << chunk.error().message();
  Message m = make_message(R"({"qty":2,"price":3})");
  auto r = engine.run_map(*chunk, m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(testing::json_eq(m.payload.view(), R"({"qty":2,"price":3,"total":6})"));
}

TEST(Limits, InfiniteLoopHitsTheInstructionLimit) {
  auto engine = make_engine();
  auto chunk = engine->compile_map("while true do end", "loop");
  ASSERT_TRUE(chunk.ok());
  for (int i = 0; i < 3; ++i) {
    auto r = run(*engine, *chunk);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().cls(), ErrorClass::kPermanent);
    EXPECT_EQ(r.error().message(), "script exceeded 1000000 instructions");
  }
  expect_usable(*engine);
}

TEST(Limits, BudgetIsPerInvocation) {
  auto engine = make_engine({.max_instructions = 10'000});
  auto chunk = engine->compile_map("local s = 0; for i = 1, 1000 do s = s + i end; out.s = s", "m");
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(run(*engine, *chunk).ok());
  auto heavy = engine->compile_map("for i = 1, 10000 do end", "heavy");
  EXPECT_FALSE(run(*engine, *heavy).ok());
}

TEST(Limits, PcallCannotSwallowTheInstructionLimit) {
  auto engine = make_engine({.max_instructions = 100'000});
  auto chunk = engine->compile_map(R"(
    while true do pcall(function() while true do end end) end
  )",
                                   "sneaky");
  auto r = run(*engine, *chunk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "script exceeded 100000 instructions");
  auto nested = engine->compile_map(R"(
    pcall(function() while true do end end)
    out.survived = true
  )",
                                    "nested");
  r = run(*engine, *nested);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cls(), ErrorClass::kPermanent);
  expect_usable(*engine);
}

TEST(Limits, ZeroInstructionLimitIsUnbounded) {
  auto engine = make_engine({.max_instructions = 0});
  auto chunk = engine->compile_map("for i = 1, 3000000 do end", "long");
  EXPECT_TRUE(run(*engine, *chunk).ok());
}

TEST(Limits, MemoryBombsHitTheMemoryLimit) {
  constexpr size_t kLimit = 8 << 20;
  auto engine = make_engine({.max_instructions = 100'000'000, .max_memory_bytes = kLimit});
  for (const char* bomb : {
           "local s = 'x' while true do s = s .. s end",
           "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 100) .. i end",
           "return string.rep('x', 1 << 30)",
           "local t = {} for i = 1, 1e9 do t[i] = {i} end",
       }) {
    auto chunk = engine->compile_map(bomb, "bomb");
    ASSERT_TRUE(chunk.ok()) << bomb;
    auto r = run(*engine, *chunk);
    ASSERT_FALSE(r.ok()) << bomb;
    EXPECT_EQ(r.error().cls(), ErrorClass::kPermanent);
    EXPECT_EQ(r.error().message(), "script exceeded memory limit of 8388608 bytes") << bomb;
    EXPECT_LT(engine->memory_used(), size_t{1} << 20) << bomb;
    expect_usable(*engine);
  }
}

TEST(Limits, GlobalsOfAChunkThatHitALimitAreReset) {
  auto engine = make_engine({.max_instructions = 100'000'000, .max_memory_bytes = 8 << 20});
  auto chunk = engine->compile_map(R"(
    runs = (runs or 0) + 1
    if msg.bomb then big = {} for i = 1, 1e9 do big[i] = i end end
    out.runs = runs
    out.big = big ~= nil
  )",
                                   "m");
  ASSERT_TRUE(chunk.ok());
  Message first = make_message("{}");
  ASSERT_TRUE(engine->run_map(*chunk, first).ok());
  EXPECT_FALSE(run(*engine, *chunk, R"({"bomb":true})").ok());
  Message after = make_message("{}");
  auto r = engine->run_map(*chunk, after);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(testing::json_eq(after.payload.view(), R"({"runs":1,"big":false})"));
}

TEST(Limits, LargePayloadCountsAgainstMemory) {
  auto engine = make_engine({.max_memory_bytes = 1 << 20});
  std::string big = "\"" + std::string(2 << 20, 'x') + "\"";
  auto chunk = engine->compile_map("out.n = #msg", "m");
  auto r = run(*engine, *chunk, big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "script exceeded memory limit of 1048576 bytes");
  expect_usable(*engine);
}

TEST(Limits, HugeContainersDecode) {
  auto engine = make_engine({.max_instructions = 0, .max_memory_bytes = 256 << 20});
  std::string array = "[";
  for (int i = 0; i < 1'200'000; ++i) array += std::to_string(i % 10) + ",";
  array.back() = ']';
  std::string object = "{";
  for (int i = 0; i < 100'000; ++i)
    object += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  object.back() = '}';
  auto chunk = engine->compile_map(
      "local n = 0 for k, v in pairs(msg) do n = n + 1 end "
      "return {n = n, len = #msg, last = msg[#msg] or msg.k99999, dup = msg.k31}",
      "count");
  ASSERT_TRUE(chunk.ok());
  Message a = make_message(array);
  ASSERT_TRUE(engine->run_map(*chunk, a).ok());
  EXPECT_TRUE(testing::json_eq(a.payload.view(), R"({"n":1200000,"len":1200000,"last":9})"));
  Message o = make_message(object);
  ASSERT_TRUE(engine->run_map(*chunk, o).ok());
  EXPECT_TRUE(testing::json_eq(o.payload.view(), R"({"n":100000,"len":0,"last":99999,"dup":31})"));
  Message dup = make_message(R"({"a":1,"a":2})");
  ASSERT_TRUE(engine->run_map(*chunk, dup).ok());
  EXPECT_TRUE(testing::json_eq(dup.payload.view(), R"({"n":1,"len":0})"));
}

TEST(Limits, TooSmallMemoryLimitFailsCreate) {
  auto engine = Engine::create({.max_memory_bytes = 4096});
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.error().cls(), ErrorClass::kPermanent);
}

TEST(Limits, DeepPayloadIsInvalid) {
  auto engine = make_engine();
  auto chunk = engine->compile_map("return msg", "m");
  Message ok = make_message(std::string(128, '[') + std::string(128, ']'));
  ASSERT_TRUE(engine->run_map(*chunk, ok).ok());
  Message deep = make_message(std::string(129, '[') + std::string(129, ']'));
  auto r = engine->run_map(*chunk, deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(r.error().message(), "payload JSON is nested deeper than 128 levels");
  auto cyclic = engine->compile_map("local t = {} t[1] = t return t", "cyclic");
  Message m = make_message("{}");
  r = engine->run_map(*cyclic, m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("nested deeper than 128 levels"), std::string::npos);
}

}  // namespace
}  // namespace junction::script
