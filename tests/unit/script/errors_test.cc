#include <gtest/gtest.h>

#include "test_util.h"

namespace junction::script {
namespace {

using testing::make_engine;
using testing::make_message;
using testing::map_once;

TEST(ScriptErrors, SyntaxErrorNamesChunkAndLine) {
  auto engine = make_engine();
  auto chunk =
      engine->compile_map("out.a = 1\nout.b = 2\nout.c = = 3\n", "flows.orders.pipeline[1].map");
  ASSERT_FALSE(chunk.ok());
  EXPECT_EQ(chunk.error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(chunk.error().message().rfind("flows.orders.pipeline[1].map:3:", 0), 0u)
      << chunk.error().message();
}

TEST(ScriptErrors, ExpressionSyntaxErrorIsOnItsLine) {
  auto engine = make_engine();
  auto chunk = engine->compile_expression("msg.total >", "flows.x.filter");
  ASSERT_FALSE(chunk.ok());
  EXPECT_EQ(chunk.error().message().rfind("flows.x.filter:1:", 0), 0u) << chunk.error().message();
}

TEST(ScriptErrors, RuntimeErrorNamesChunkAndLine) {
  auto engine = make_engine();
  auto chunk = engine->compile_map("local x = 1\nlocal y = msg.nothing\nout.z = y.field\n", "m");
  ASSERT_TRUE(chunk.ok());
  Message m = make_message(R"({"a":1})");
  auto r = engine->run_map(*chunk, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(r.error().message().rfind("m:3: attempt to index", 0), 0u) << r.error().message();
  EXPECT_EQ(m.payload.str(), R"({"a":1})");
}

TEST(ScriptErrors, ErrorCallsKeepTheirMessage) {
  auto engine = make_engine();
  EXPECT_EQ(map_once(*engine, "error('bad order')", "{}"), "<error: test.map:1: bad order>");
  EXPECT_EQ(map_once(*engine, "error('bare', 0)", "{}"), "<error: bare>");
  EXPECT_EQ(map_once(*engine, "error(42)", "{}"), "<error: 42>");
  EXPECT_EQ(map_once(*engine, "error()", "{}"),
            "<error: script raised an error value of type nil>");
}

TEST(ScriptErrors, ErrorTableMaySetTheClass) {
  auto engine = make_engine();
  auto chunk = engine->compile_map(
      R"(if msg.retry then error({class = "transient", message = "backend busy"}) end
         error({class = "bogus", message = "what"}))",
      "m");
  ASSERT_TRUE(chunk.ok());
  Message retry = make_message(R"({"retry":true})");
  auto r = engine->run_map(*chunk, retry);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cls(), ErrorClass::kTransient);
  EXPECT_EQ(r.error().message(), "backend busy");
  Message other = make_message("{}");
  r = engine->run_map(*chunk, other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(r.error().message(), "what");
}

TEST(ScriptErrors, EngineStaysUsableAfterErrors) {
  auto engine = make_engine();
  auto bad = engine->compile_map("error('x')", "bad");
  auto good = engine->compile_map("out.ok = true", "good");
  ASSERT_TRUE(bad.ok() && good.ok());
  for (int i = 0; i < 100; ++i) {
    Message m = make_message("{}");
    ASSERT_FALSE(engine->run_map(*bad, m).ok());
    ASSERT_TRUE(engine->run_map(*good, m).ok());
    EXPECT_EQ(m.payload.str(), R"({"ok":true})");
  }
  EXPECT_FALSE(engine->compile_map("(", "broken").ok());
  auto after = engine->compile_map("out.n = 1", "after");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 2);
}

}  // namespace
}  // namespace junction::script
