#include <gtest/gtest.h>

#include "test_util.h"

namespace junction::script {
namespace {

using testing::json_eq;
using testing::make_engine;
using testing::make_message;
using Step = Engine::Step;

class ChainTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> engine_ = make_engine();
  int map(std::string_view source) { return *engine_->compile_map(source, "chain.map"); }
  int filter(std::string_view expr) { return *engine_->compile_expression(expr, "chain.filter"); }
};

TEST_F(ChainTest, MapThenFilter) {
  std::vector<Step> steps{{map("out.total = msg.qty * msg.price")},
                          {filter("msg.total > 1000"), true}};
  Message big = make_message(R"({"qty":500,"price":2.5})");
  auto r = engine_->run_chain(steps, big);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(*r);
  EXPECT_TRUE(json_eq(big.payload.view(), R"({"qty":500,"price":2.5,"total":1250})"));

  Message small = make_message(R"({"qty":1,"price":2.5})");
  r = engine_->run_chain(steps, small);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(small.payload.str(), R"({"qty":1,"price":2.5})");
}

TEST_F(ChainTest, ValuesAndKeyAndMetaFlowBetweenSteps) {
  std::vector<Step> steps{
      {map("key = 'k-' .. msg.id; meta.stage = '1'; return {id = msg.id, n = 1}")},
      {filter("key == 'k-7' and meta.stage == '1'"), true},
      {map("msg.n = msg.n + 1; meta.stage = meta.stage .. '2'; return 'id=' .. msg.id .. ',n=' .. "
           "msg.n")},
  };
  Message m = make_message(R"({"id":"7","noise":true})");
  m.headers.add("origin", "test");
  auto r = engine_->run_chain(steps, m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(*r);
  EXPECT_EQ(m.payload.str(), "id=7,n=2");
  EXPECT_EQ(m.key, "k-7");
  EXPECT_EQ(m.headers.get("stage"), "12");
  EXPECT_EQ(m.headers.get("origin"), "test");
}

TEST_F(ChainTest, KeyFromAnEarlierStepIsNotStickyAcrossMessages) {
  std::vector<Step> steps{{map("if msg.rekey then key = 'new' end")}, {map("return {seen = key}")}};
  Message first = make_message(R"({"rekey":true})");
  first.key = "a";
  ASSERT_TRUE(engine_->run_chain(steps, first).ok());
  EXPECT_EQ(first.payload.str(), R"({"seen":"new"})");
  EXPECT_EQ(first.key, "new");
  Message second = make_message("{}");
  second.key = "b";
  ASSERT_TRUE(engine_->run_chain(steps, second).ok());
  EXPECT_EQ(second.payload.str(), R"({"seen":"b"})");
  EXPECT_EQ(second.key, "b");
}

TEST_F(ChainTest, MapCanDropMidway) {
  int after = map("error('must not run')");
  std::vector<Step> steps{{map("out = nil")}, {after}};
  Message m = make_message("{}");
  auto r = engine_->run_chain(steps, m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(*r);
}

TEST_F(ChainTest, ErrorsNameTheFailingStep) {
  std::vector<Step> steps{{map("out.a = 1")}, {*engine_->compile_map("\nerror('boom')", "second")}};
  Message m = make_message("{}");
  auto r = engine_->run_chain(steps, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "second:2: boom");
  EXPECT_EQ(m.payload.str(), "{}");
}

TEST_F(ChainTest, FiltersOnlyKeepThePayloadBytes) {
  std::vector<Step> steps{{filter("msg.a > 1"), true}, {filter("msg.b"), true}};
  Message m = make_message(R"({"b":true, "a":2})");
  auto r = engine_->run_chain(steps, m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(*r);
  EXPECT_EQ(m.payload.str(), R"({"b":true, "a":2})");
}

TEST_F(ChainTest, EmptyChainKeepsTheMessage) {
  Message m = make_message(R"({"b":1,"a":2})");
  auto r = engine_->run_chain({}, m);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(m.payload.str(), R"({"b":1,"a":2})");
}

}  // namespace
}  // namespace junction::script
