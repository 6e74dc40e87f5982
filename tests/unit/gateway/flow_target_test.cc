#include "gateway/flow_target.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "gateway/gateway.h"
#include "unit/http/test_support.h"

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;
using Outcome = FlowAnswer::Outcome;

FlowAnswer reply(std::string body, std::vector<std::pair<std::string, std::string>> meta = {}) {
  FlowAnswer a;
  a.outcome = Outcome::kReplied;
  a.payload = Buffer(std::move(body));
  for (const auto& [k, v] : meta) a.headers.add(k, v);
  return a;
}

FlowAnswer outcome(Outcome o, std::optional<Error> e = std::nullopt) {
  FlowAnswer a;
  a.outcome = o;
  a.error = std::move(e);
  return a;
}

boost::json::object problem(const http::Response& res) {
  EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
  auto body = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(body["status"].as_int64(), res.result_int());
  EXPECT_EQ(body["request_id"].as_string(), "rid-7");
  return body;
}

TEST(FlowResponseTest, AReplyIs200JsonByDefault) {
  auto res = flow_response(reply(R"({"price":42})"), "rid-7", 11);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(res.body(), R"({"price":42})");
  EXPECT_EQ(res[bhttp::field::content_length], "12");
}

TEST(FlowResponseTest, MetadataShapesTheReply) {
  auto res = flow_response(reply("made", {{"http_status", "201"},
                                          {"http_content_type", "text/plain"},
                                          {"http_header_Location", "/quotes/9"},
                                          {"HTTP_HEADER_cache-control", "no-store"},
                                          {"x-unrelated", "stays in the flow"}}),
                           "rid-7", 11);
  EXPECT_EQ(res.result_int(), 201);
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain");
  EXPECT_EQ(res[bhttp::field::location], "/quotes/9");
  EXPECT_EQ(res[bhttp::field::cache_control], "no-store");
  EXPECT_EQ(res.count("x-unrelated"), 0u);
  EXPECT_EQ(res.body(), "made");
}

TEST(FlowResponseTest, HeadersThatWouldBreakTheResponseAreLeftOut) {
  auto res = flow_response(reply("x", {{"http_header_Content-Length", "99"},
                                       {"http_header_Transfer-Encoding", "chunked"},
                                       {"http_header_X-Split", "a\r\nSet-Cookie: evil=1"},
                                       {"http_header_Bad Name", "v"},
                                       {"http_header_", "v"},
                                       {"http_header_X-Ok", "fine"}}),
                           "rid-7", 11);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[bhttp::field::content_length], "1");
  EXPECT_EQ(res.count(bhttp::field::transfer_encoding), 0u);
  EXPECT_EQ(res.count("X-Split"), 0u);
  EXPECT_EQ(res.count(bhttp::field::set_cookie), 0u);
  EXPECT_EQ(res["X-Ok"], "fine");
}

TEST(FlowResponseTest, A204Or304ReplyHasNoBody) {
  auto res = flow_response(reply("ignored", {{"http_status", "204"}}), "rid-7", 11);
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_TRUE(res.body().empty());
  EXPECT_EQ(res.count(bhttp::field::content_type), 0u);
}

TEST(FlowResponseTest, AnInvalidStatusIs500WithoutDetail) {
  for (const char* bad : {"abc", "99", "600", "200x", ""}) {
    auto res = flow_response(reply("x", {{"http_status", bad}}), "rid-7", 11);
    EXPECT_EQ(res.result_int(), 500) << bad;
    EXPECT_EQ(problem(res)["detail"].as_string(), "the request could not be processed");
  }
}

TEST(FlowResponseTest, NoReplyIs204) {
  auto res = flow_response(outcome(Outcome::kNoReply), "rid-7", 11);
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_TRUE(res.body().empty());
}

TEST(FlowResponseTest, FailuresMapByClassAndHideTheirMessage) {
  struct Case {
    Error error;
    int status;
    bool retry_after;
  };
  const Case cases[] = {
      {Error::invalid("pipeline[0].map: [string]:1: secret.lua"), 422, false},
      {Error::permanent("postgres at 10.0.0.5 refused"), 500, false},
      {Error::transient("redis 10.0.0.6 timed out"), 503, true},
      {Error::overloaded("queue full"), 503, true},
      {Error::unauthorized("token for x"), 401, false},
      {Error::forbidden("tenant y"), 403, false},
  };
  for (const auto& c : cases) {
    auto res = flow_response(outcome(Outcome::kFailed, c.error), "rid-7", 11);
    EXPECT_EQ(res.result_int(), c.status) << c.error.message();
    EXPECT_EQ(res.count(bhttp::field::retry_after), c.retry_after ? 1u : 0u);
    std::string detail(problem(res)["detail"].as_string());
    EXPECT_EQ(res.body().find(c.error.message()), std::string::npos) << res.body();
    EXPECT_FALSE(detail.empty());
  }
}

TEST(FlowResponseTest, TimeoutBusyAndUnavailable) {
  auto timed_out = flow_response(outcome(Outcome::kTimedOut), "rid-7", 11);
  EXPECT_EQ(timed_out.result_int(), 504);
  problem(timed_out);
  for (Outcome o : {Outcome::kBusy, Outcome::kUnavailable}) {
    auto res = flow_response(outcome(o), "rid-7", 11);
    EXPECT_EQ(res.result_int(), 503);
    EXPECT_EQ(res[bhttp::field::retry_after], "1");
    problem(res);
  }
}

// Answers every call with a reply naming what it got.
class RecordingEndpoint final : public FlowEndpoint {
 public:
  asio::awaitable<FlowAnswer> call(FlowCall call) override {
    ++calls;
    body = call.request.body();
    consumer = std::string(call.consumer);
    params = call.params;
    timeout = call.timeout;
    co_return reply("{}", {{"http_status", "202"}});
  }
  int calls = 0;
  std::string body;
  std::string consumer;
  std::vector<std::pair<std::string, std::string>> params;
  Duration timeout{};
};

TEST(FlowTargetsTest, OneEndpointPerFlowAndOnlyItsOwnerRemovesIt) {
  FlowTargets targets;
  auto a = std::make_shared<RecordingEndpoint>();
  auto b = std::make_shared<RecordingEndpoint>();
  EXPECT_EQ(targets.find("quote"), nullptr);
  EXPECT_TRUE(targets.add("quote", a));
  EXPECT_FALSE(targets.add("quote", b));
  EXPECT_EQ(targets.find("quote"), a);
  targets.remove("quote", b.get());  // not b's to remove
  EXPECT_EQ(targets.find("quote"), a);
  targets.remove("quote", a.get());
  EXPECT_EQ(targets.find("quote"), nullptr);
}

class GatewayFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_.host = "127.0.0.1";
    spec_.api_keys.emplace();
    spec_.api_keys->keys = "ops:ops-key-0123";
    spec::GatewayRouteSpec r;
    r.path = "/quotes/{id}";
    r.require.auth = spec::AuthMode::kApiKey;
    r.to.flow = spec::FlowTargetSpec{"quote", std::chrono::seconds(5), {}};
    spec_.routes.push_back(r);
  }

  http::Response post(std::string target, std::string body) {
    if (!gateway_) {
      auto g = Gateway::create(spec_, {}, io_.ctx.get_executor(), metrics_, nullptr, targets_);
      EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message());
      gateway_ = std::move(*g);
    }
    http::Request req{bhttp::verb::post, target, 11};
    req.set("X-Api-Key", "ops-key-0123");
    req.body() = std::move(body);
    http::RequestInfo info;
    info.request_id = "rid-7";
    return io_.run(gateway_->handle(req, info));
  }

  void TearDown() override {
    io_.run([this]() -> asio::awaitable<void> {
      gateway_.reset();
      co_return;
    }());
  }

  http::testing::IoThread io_;
  observe::Registry metrics_;
  spec::GatewaySpec spec_;
  std::shared_ptr<FlowTargets> targets_ = std::make_shared<FlowTargets>();
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(GatewayFlowTest, TheRequestReachesTheFlowWithParamsAndCaller) {
  auto endpoint = std::make_shared<RecordingEndpoint>();
  ASSERT_TRUE(targets_->add("quote", endpoint));
  auto res = post("/quotes/q-9?x=1", R"({"qty":3})");
  EXPECT_EQ(res.result_int(), 202);
  EXPECT_EQ(endpoint->calls, 1);
  EXPECT_EQ(endpoint->body, R"({"qty":3})");
  EXPECT_EQ(endpoint->consumer, "ops");
  ASSERT_EQ(endpoint->params.size(), 1u);
  EXPECT_EQ(endpoint->params[0], (std::pair<std::string, std::string>{"id", "q-9"}));
  EXPECT_EQ(endpoint->timeout, std::chrono::seconds(5));
}

TEST_F(GatewayFlowTest, AFlowThatIsNotRunningIs503) {
  auto res = post("/quotes/1", "{}");
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(res[bhttp::field::retry_after], "1");
}

TEST_F(GatewayFlowTest, FlowRoutesNeedTheDirectory) {
  targets_.reset();
  auto g = Gateway::create(spec_, {}, io_.ctx.get_executor(), metrics_, nullptr, nullptr);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message().find("flow targets"), std::string::npos);
}

}  // namespace
}  // namespace junction::gateway
