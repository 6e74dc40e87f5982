// The request/reply pair: the `gateway` input (a request in, the flow's
// answer out) and the `reply` output (what the answer is).

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include "components/inputs/gateway/gateway.h"
#include "components/outputs/reply/reply.h"
#include "components/processors/batch/batch.h"
#include "core/reply_slot.h"
#include "gateway/flow_target.h"
#include "observe/metrics.h"
#include "unit/components/file_io_harness.h"

namespace junction::components {
namespace {

namespace bhttp = boost::beast::http;
using gateway::FlowAnswer;
using Outcome = FlowAnswer::Outcome;

class GatewayReplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_gateway_input(registry_);
    register_reply_output(registry_);
    register_batch_processor(registry_);
    h_.ctx.metrics = &metrics_;
    h_.ctx.flow_targets = &targets_;
    request_.method(bhttp::verb::post);
    request_.target("/quotes/q-1?debug=1");
    request_.set("Content-Type", "application/json");
    request_.set("Authorization", "Bearer secret-token");
    request_.set("http_status", "299");                // a client posing as the flow
    request_.set("http-consumer", "someone-else");     // or as the gateway
    request_.set("http_header_Set-Cookie", "evil=1");  // or smuggling a header
    request_.set("X-Trace", "t-1");
    request_.body() = R"({"qty":3})";
    info_.request_id = "rid-1";
  }

  std::unique_ptr<flow::Input> input(const std::string& yaml = "{}") {
    auto in = h_.build<flow::Input>(registry_, spec::ComponentKind::kInput, "gateway", yaml);
    EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.error().message());
    return std::move(*in);
  }

  // Opens and runs the input; returns its endpoint.
  std::shared_ptr<gateway::FlowEndpoint> start(flow::Input& in) {
    EXPECT_TRUE(h_.await(in.open()).ok());
    running_ = test::start_run(h_.io, in, emitter_);
    h_.drain(std::chrono::milliseconds(10));
    auto endpoint = targets_.find("test-flow");
    EXPECT_NE(endpoint, nullptr);
    return endpoint;
  }

  // Starts a call; the answer lands in the returned optional.
  std::shared_ptr<std::optional<FlowAnswer>> call(gateway::FlowEndpoint& endpoint,
                                                  Duration timeout = std::chrono::seconds(30)) {
    auto answer = std::make_shared<std::optional<FlowAnswer>>();
    gateway::FlowCall c{request_, info_, "ops", {{"id", "q-1"}}, timeout};
    asio::co_spawn(
        h_.io,
        [&endpoint, c, answer]() -> asio::awaitable<void> {
          answer->emplace(co_await endpoint.call(c));
        },
        asio::detached);
    return answer;
  }

  // Calls the endpoint once per body, each body's message emitted before the
  // next call, so messages_[i] is bodies[i]'s.
  std::vector<std::shared_ptr<std::optional<FlowAnswer>>> calls(
      gateway::FlowEndpoint& endpoint, const std::vector<std::string>& bodies,
      Duration timeout = std::chrono::seconds(30)) {
    std::vector<std::shared_ptr<std::optional<FlowAnswer>>> answers;
    for (const auto& body : bodies) {
      size_t before = emitter_.messages.size();
      request_.body() = body;
      answers.push_back(call(endpoint, timeout));
      EXPECT_TRUE(h_.run_until([&] { return emitter_.messages.size() == before + 1; }));
    }
    return answers;
  }

  // The emitted messages [from, end) through a `batch` processor of that
  // many: the one merged message.
  Message batched(size_t from) {
    auto p = h_.build<flow::Processor>(
        registry_, spec::ComponentKind::kProcessor, "batch",
        "{ count: " + std::to_string(emitter_.messages.size() - from) + " }");
    EXPECT_TRUE(p.ok());
    MessageBatch out;
    for (size_t i = from; i < emitter_.messages.size(); ++i) {
      EXPECT_TRUE((*p)->process(emitter_.messages[i], out).ok());
    }
    EXPECT_EQ(out.size(), 1u);
    return std::move(out.at(0));
  }

  // What the `reply` output does with a message.
  void reply(const Message& msg) {
    auto out = h_.build<flow::Output>(registry_, spec::ComponentKind::kOutput, "reply", "{}");
    ASSERT_TRUE(out.ok());
    auto written = h_.await((*out)->write(std::span<const Message>(&msg, 1)));
    EXPECT_EQ(written.written, 1u);
  }

  void stop(flow::Input& in) {
    in.stop();
    EXPECT_TRUE(h_.run_until([&] { return running_->done; }));
    h_.await(in.close());
  }

  test::IoHarness h_;
  flow::ComponentRegistry registry_;
  observe::Registry metrics_;
  gateway::FlowTargets targets_;
  test::CollectingEmitter emitter_;
  std::shared_ptr<test::RunningInput> running_;
  http::Request request_;
  http::RequestInfo info_;
};

TEST_F(GatewayReplyTest, ARequestBecomesAMessageAndItsReplyTheAnswer) {
  auto in = input();
  auto endpoint = start(*in);
  auto answer = call(*endpoint);
  ASSERT_TRUE(h_.run_until([&] { return emitter_.messages.size() == 1; }));
  Message& msg = emitter_.messages[0];
  EXPECT_EQ(msg.payload.view(), R"({"qty":3})");
  EXPECT_EQ(msg.id, "rid-1");
  EXPECT_EQ(emitter_.header(0, "http-method"), "POST");
  EXPECT_EQ(emitter_.header(0, "http-target"), "/quotes/q-1?debug=1");
  EXPECT_EQ(emitter_.header(0, "http-param-id"), "q-1");
  EXPECT_EQ(emitter_.header(0, "http-consumer"), "ops");
  EXPECT_EQ(emitter_.header(0, "x-trace"), "t-1");
  EXPECT_FALSE(msg.headers.get("authorization"));
  EXPECT_FALSE(msg.headers.get("http_status"));
  EXPECT_FALSE(msg.headers.get("http_header_Set-Cookie"));
  ASSERT_EQ(msg.reply.slots().size(), 1u);

  // The flow's last step: the reply output, then the Ack.
  auto out = h_.build<flow::Output>(registry_, spec::ComponentKind::kOutput, "reply", "{}");
  ASSERT_TRUE(out.ok());
  msg.payload = Buffer(std::string(R"({"price":42})"));
  msg.headers.set("http_status", "201");
  auto written = h_.await((*out)->write(std::span<const Message>(&msg, 1)));
  EXPECT_EQ(written.written, 1u);
  EXPECT_FALSE(answer->has_value());  // the answer waits for the Ack
  msg.ack.ok();
  ASSERT_TRUE(h_.run_until([&] { return answer->has_value(); }));
  EXPECT_EQ((*answer)->outcome, Outcome::kReplied);
  EXPECT_EQ((*answer)->payload.view(), R"({"price":42})");
  EXPECT_EQ((*answer)->headers.get("http_status"), "201");
  stop(*in);
}

TEST_F(GatewayReplyTest, AnAckWithoutReplyIsNoReplyAndAFailureKeepsItsClass) {
  auto in = input();
  auto endpoint = start(*in);
  auto filtered = call(*endpoint);
  auto failed = call(*endpoint);
  auto dead_lettered = call(*endpoint);
  ASSERT_TRUE(h_.run_until([&] { return emitter_.messages.size() == 3; }));
  emitter_.messages[0].ack.ok();
  emitter_.messages[1].ack.settle(Error::transient("redis down"));
  // Dead-lettered: the flow fails the slot, and the Ack settles ok.
  emitter_.messages[2].reply.answer(Buffer(std::string("partial")), {});
  emitter_.messages[2].reply.fail(Error::invalid("qty must be positive"));
  emitter_.messages[2].ack.ok();
  ASSERT_TRUE(h_.run_until([&] { return dead_lettered->has_value(); }));
  ASSERT_TRUE(h_.run_until([&] { return filtered->has_value() && failed->has_value(); }));
  EXPECT_EQ((*filtered)->outcome, Outcome::kNoReply);
  EXPECT_EQ((*failed)->outcome, Outcome::kFailed);
  EXPECT_EQ((*failed)->error->cls(), ErrorClass::kTransient);
  EXPECT_EQ((*dead_lettered)->outcome, Outcome::kFailed);
  EXPECT_EQ((*dead_lettered)->error->cls(), ErrorClass::kInvalid);
  stop(*in);
}

TEST_F(GatewayReplyTest, MaxInFlightCountsMessagesInTheFlowEvenAfterATimeout) {
  auto in = input("{ max_in_flight: 1 }");
  auto endpoint = start(*in);
  auto first = call(*endpoint, std::chrono::milliseconds(20));
  ASSERT_TRUE(h_.run_until([&] { return emitter_.messages.size() == 1; }));
  auto second = call(*endpoint);
  ASSERT_TRUE(h_.run_until([&] { return second->has_value(); }));
  EXPECT_EQ((*second)->outcome, Outcome::kBusy);
  ASSERT_TRUE(h_.run_until([&] { return first->has_value(); }));
  EXPECT_EQ((*first)->outcome, Outcome::kTimedOut);

  // Timed out, the message is still in the flow: still busy.
  auto third = call(*endpoint);
  ASSERT_TRUE(h_.run_until([&] { return third->has_value(); }));
  EXPECT_EQ((*third)->outcome, Outcome::kBusy);
  EXPECT_EQ(metrics_.gauge("junction_gateway_flow_in_flight", "", {{"flow", "test-flow"}}).value(),
            1);

  emitter_.messages[0].ack.ok();  // the flow finished it, nobody listens
  h_.drain();
  auto fourth = call(*endpoint);
  ASSERT_TRUE(h_.run_until([&] { return emitter_.messages.size() == 2; }));
  emitter_.messages[1].ack.ok();
  ASSERT_TRUE(h_.run_until([&] { return fourth->has_value(); }));
  EXPECT_EQ((*fourth)->outcome, Outcome::kNoReply);
  stop(*in);
}

TEST_F(GatewayReplyTest, ABatchsReplyAnswersEveryRequestInItOnceTheBatchIsSettled) {
  auto in = input();
  auto endpoint = start(*in);
  auto answers = calls(*endpoint, {R"({"qty":1})", R"({"qty":2})", R"({"qty":3})"});
  Message batch = batched(0);
  batch.headers.set("http_status", "201");
  reply(batch);
  h_.drain();
  for (const auto& a : answers) EXPECT_FALSE(a->has_value());  // they wait for the Ack
  batch.ack.ok();
  for (const auto& a : answers) {
    ASSERT_TRUE(h_.run_until([&] { return a->has_value(); }));
    EXPECT_EQ((*a)->outcome, Outcome::kReplied);
    EXPECT_EQ((*a)->payload.view(), R"([{"qty":1},{"qty":2},{"qty":3}])");
    EXPECT_EQ((*a)->headers.get("http_status"), "201");
  }
  stop(*in);
}

TEST_F(GatewayReplyTest, AFailedFilteredOrDeadLetteredBatchAnswersEachRequestInIt) {
  auto in = input();
  auto endpoint = start(*in);
  auto failed = calls(*endpoint, {"1", "2"});
  Message failed_batch = batched(0);
  auto dead_lettered = calls(*endpoint, {"3", "4"});
  Message dead_lettered_batch = batched(2);
  auto filtered = calls(*endpoint, {"5", "6"});
  Message filtered_batch = batched(4);

  failed_batch.ack.settle(Error::overloaded("downstream full"));
  dead_lettered_batch.reply.fail(Error::forbidden("tenant closed"));  // as the flow does
  dead_lettered_batch.ack.ok();
  filtered_batch.ack.ok();
  for (const auto& group : {failed, dead_lettered, filtered}) {
    for (const auto& a : group) ASSERT_TRUE(h_.run_until([&] { return a->has_value(); }));
  }
  for (const auto& a : failed) {
    EXPECT_EQ((*a)->outcome, Outcome::kFailed);
    EXPECT_EQ((*a)->error->cls(), ErrorClass::kOverloaded);
  }
  for (const auto& a : dead_lettered) {
    EXPECT_EQ((*a)->outcome, Outcome::kFailed);
    EXPECT_EQ((*a)->error->cls(), ErrorClass::kForbidden);
  }
  for (const auto& a : filtered) EXPECT_EQ((*a)->outcome, Outcome::kNoReply);
  stop(*in);
}

TEST_F(GatewayReplyTest, ARequestThatTimedOutInABatchKeepsItsTimeoutAndTheOthersGetTheReply) {
  auto in = input();
  auto endpoint = start(*in);
  auto early = calls(*endpoint, {"1"}, std::chrono::milliseconds(20));
  ASSERT_TRUE(h_.run_until([&] { return early[0]->has_value(); }));
  EXPECT_EQ((*early[0])->outcome, Outcome::kTimedOut);
  auto later = calls(*endpoint, {"2", "3"});
  Message batch = batched(0);
  reply(batch);  // reaches the timed-out request's slot too: nobody reads it
  batch.ack.ok();
  for (const auto& a : later) {
    ASSERT_TRUE(h_.run_until([&] { return a->has_value(); }));
    EXPECT_EQ((*a)->outcome, Outcome::kReplied);
    EXPECT_EQ((*a)->payload.view(), "[1,2,3]");
  }
  EXPECT_EQ((*early[0])->outcome, Outcome::kTimedOut);
  h_.drain();
  EXPECT_EQ(metrics_.gauge("junction_gateway_flow_in_flight", "", {{"flow", "test-flow"}}).value(),
            0);
  stop(*in);
}

TEST_F(GatewayReplyTest, AStoppedFlowIsUnavailableAndLeavesTheDirectory) {
  auto in = input();
  auto endpoint = start(*in);
  in->stop();
  auto late = call(*endpoint);
  ASSERT_TRUE(h_.run_until([&] { return late->has_value(); }));
  EXPECT_EQ((*late)->outcome, Outcome::kUnavailable);
  EXPECT_TRUE(h_.run_until([&] { return running_->done; }));
  h_.await(in->close());
  EXPECT_EQ(targets_.find("test-flow"), nullptr);
  EXPECT_TRUE(emitter_.messages.empty());
}

TEST_F(GatewayReplyTest, WithoutAGatewayTheInputDoesNotOpen) {
  h_.ctx.flow_targets = nullptr;  // as when the spec has no `gateway:`
  auto in = input();
  auto opened = h_.await(in->open());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("gateway:"), std::string::npos);
}

TEST_F(GatewayReplyTest, OneFlowIsServedOnce) {
  auto a = input();
  auto b = input();
  ASSERT_TRUE(h_.await(a->open()).ok());
  EXPECT_FALSE(h_.await(b->open()).ok());
  h_.await(a->close());
}

TEST_F(GatewayReplyTest, MaxInFlightMustBePositive) {
  auto in = h_.build<flow::Input>(registry_, spec::ComponentKind::kInput, "gateway",
                                  "{ max_in_flight: 0 }");
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message().find("max_in_flight"), std::string::npos);
}

TEST_F(GatewayReplyTest, TheReplyOutputAnswersOncePerMessageAndAcceptsStrayMessages) {
  auto out = h_.build<flow::Output>(registry_, spec::ComponentKind::kOutput, "reply", "{}");
  ASSERT_TRUE(out.ok());
  std::vector<Message> batch(3);
  auto slot = std::make_shared<ReplySlot>();
  batch[0].payload = Buffer(std::string("one"));
  batch[0].headers.set("http_content_type", "text/plain");
  batch[0].reply = ReplySlots(slot);
  batch[1].payload = Buffer(std::string("split part two"));
  batch[1].reply = ReplySlots(slot);
  batch[2].payload = Buffer(std::string("not from a request"));
  auto written = h_.await((*out)->write(batch));
  EXPECT_EQ(written.written, 3u);
  EXPECT_TRUE(written.status.ok());
  auto c = slot->contents();
  ASSERT_TRUE(c.payload);
  EXPECT_EQ(c.payload->view(), "one");
  EXPECT_EQ(c.headers.get("http_content_type"), "text/plain");
  EXPECT_EQ(
      metrics_.counter("junction_reply_unanswerable_total", "", {{"flow", "test-flow"}}).value(),
      1u);
}

}  // namespace
}  // namespace junction::components
