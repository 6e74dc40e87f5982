#include <gtest/gtest.h>

#include "test_util.h"

namespace junction::script {
namespace {

using testing::make_engine;
using testing::make_message;
using testing::map_once;

TEST(Sandbox, ForbiddenGlobalsAreNil) {
  auto engine = make_engine();
  for (const char* expr : {"io",
                           "os.execute",
                           "os.exit",
                           "os.getenv",
                           "os.remove",
                           "os.rename",
                           "os.tmpname",
                           "require",
                           "package",
                           "load",
                           "loadstring",
                           "loadfile",
                           "dofile",
                           "debug",
                           "string.dump",
                           "print",
                           "coroutine",
                           "unpack",
                           "(''):len() and ('').dump",
                           "_G.io",
                           "_ENV.load"}) {
    auto chunk = engine->compile_expression(std::string(expr) + " == nil", "forbidden");
    ASSERT_TRUE(chunk.ok()) << expr << ": " << chunk.error().message();
    auto r = engine->eval_bool(*chunk, make_message("{}"));
    ASSERT_TRUE(r.ok()) << expr << ": " << r.error().message();
    EXPECT_TRUE(*r) << expr << " is reachable";
  }
}

TEST(Sandbox, SafeLibraryIsThere) {
  auto engine = make_engine();
  auto r = map_once(*engine, R"(
    return {
      type(os.time()), type(os.clock()), type(os.date("!%Y")), table.concat({"a", "b"}, ","),
      math.max(1, 2), utf8.char(233), select("#", 1, 2), table.unpack({7}),
      string.format("%05.1f", 3.14159), type(collectgarbage("count")),
      tostring(pcall(error, "x")), getmetatable(setmetatable({}, {__index = {}})) ~= nil,
    })",
                    "{}");
  EXPECT_EQ(r, R"(["number","number","string","a,b",2,"é",2,7,"003.1","number","false",true])");
}

TEST(Sandbox, DangerousOptionsAreRefused) {
  auto engine = make_engine();
  EXPECT_NE(map_once(*engine, "collectgarbage('collect')", "{}").find("only \"count\""),
            std::string::npos);
  EXPECT_NE(map_once(*engine, "setmetatable({}, {__gc = function() end})", "{}")
                .find("__gc metamethods are not allowed"),
            std::string::npos);
  EXPECT_EQ(map_once(*engine, "return {getmetatable('') == false}", "{}"), "[true]");
  EXPECT_NE(map_once(*engine, "setmetatable(_ENV, {})", "{}").find("protected metatable"),
            std::string::npos);
  EXPECT_NE(map_once(*engine, "setmetatable(msg.a, nil)", R"({"a":[]})").find("protected"),
            std::string::npos);
  EXPECT_NE(map_once(*engine, "return string.char(27) .. 'Lua'", "{}"), "");
}

TEST(Sandbox, ChunksCannotPatchEachOthersLibraries) {
  auto engine = make_engine();
  auto vandal = engine->compile_map("string.upper = nil; table.concat = nil; json.null = 1", "v");
  auto victim = engine->compile_map(
      "return {string.upper('a'), ('b'):upper(), table.concat({'c'}), json.null == 1}", "w");
  ASSERT_TRUE(vandal.ok() && victim.ok());
  Message m = make_message("{}");
  ASSERT_TRUE(engine->run_map(*vandal, m).ok());
  Message n = make_message("{}");
  ASSERT_TRUE(engine->run_map(*victim, n).ok());
  EXPECT_EQ(n.payload.str(), R"(["A","B","c",false])");
}

TEST(Sandbox, ReassigningEnvDoesNotStick) {
  auto engine = make_engine();
  auto chunk = engine->compile_map("local seen = msg.n; _ENV = {}; return seen", "env");
  ASSERT_TRUE(chunk.ok());
  for (int i = 0; i < 2; ++i) {
    Message m = make_message(R"({"n":5})");
    auto r = engine->run_map(*chunk, m);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(m.payload.str(), "5");
  }
}

TEST(Sandbox, BytecodeIsRejected) {
  auto engine = make_engine();
  auto chunk = engine->compile_map(std::string("\x1bLua\x54", 5), "bytecode");
  ASSERT_FALSE(chunk.ok());
  EXPECT_NE(chunk.error().message().find("attempt to load a binary chunk"), std::string::npos)
      << chunk.error().message();
}

}  // namespace
}  // namespace junction::script
