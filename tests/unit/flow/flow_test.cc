#include "flow/flow.h"

#include <gtest/gtest.h>

#include "flow_test_support.h"

namespace junction::flow {
namespace {

using namespace testing;
using namespace std::chrono_literals;

FlowParts basic_parts(std::unique_ptr<Input> input, std::vector<FlowSink> sinks) {
  FlowParts p;
  p.name = "test";
  p.input = std::move(input);
  p.sinks = std::move(sinks);
  p.retry.attempts = 3;
  p.retry.base = 1ms;
  p.retry.max = 2ms;
  return p;
}

using Rec = std::shared_ptr<Recorded>;

FlowSink sink(const std::string& name, Rec& out) {
  out = std::make_shared<Recorded>();
  return {name, std::make_unique<RecordingOutput>(out)};
}

std::unique_ptr<Output> dead_letter_output(Rec& out) {
  out = std::make_shared<Recorded>();
  return std::make_unique<RecordingOutput>(out);
}

TEST(FlowTest, DeliversInOrderToEveryOutputThenAcks) {
  AckLog log;
  Rec a, b;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("a", a));
  sinks.push_back(sink("b", b));
  auto parts =
      basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"1", "2", "3"}, log, 2),
                  std::move(sinks));
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  EXPECT_EQ(a->written, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(b->written, (std::vector<std::string>{"1", "2", "3"}));
  ASSERT_EQ(log.settled.size(), 3u);
  for (const auto& [p, s] : log.settled) EXPECT_TRUE(s.ok()) << p;
  EXPECT_EQ(log.settle_calls, 3);
}

TEST(FlowTest, TransientOutputFailureIsRetriedFromWhereItStopped) {
  AckLog log;
  Rec out;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("out", out));
  out->plan.push_back(fail_with(Error::transient("connection reset"), 1));
  auto parts =
      basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"a", "b", "c"}, log, 3),
                  std::move(sinks));
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  // "a" was taken by the first call; the retry sends only "b" and "c".
  EXPECT_EQ(out->written, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(out->calls, 2);
  for (const auto& [p, s] : log.settled) EXPECT_TRUE(s.ok()) << p;
  EXPECT_EQ(metrics.counter("junction_flow_retries_total", "", {{"flow", "test"}}).value(), 1u);
}

TEST(FlowTest, ExhaustedRetriesGoToDeadLetterWithReasonHeaders) {
  AckLog log;
  Rec out;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("out", out));
  for (int i = 0; i < 3; ++i) out->plan.push_back(fail_with(Error::transient("upstream 503")));
  Rec dlq_ptr;
  auto dlq = dead_letter_output(dlq_ptr);
  auto parts = basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"x"}, log),
                           std::move(sinks));
  parts.dead_letter = std::move(dlq);
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  EXPECT_EQ(out->calls, 3);  // attempts: 3
  ASSERT_EQ(dlq_ptr->written, (std::vector<std::string>{"x"}));
  auto& h = dlq_ptr->headers[0];
  EXPECT_EQ(h["x-junction-error-class"], "transient");
  EXPECT_EQ(h["x-junction-error"], "upstream 503");
  EXPECT_EQ(h["x-junction-flow"], "test");
  EXPECT_EQ(h["x-junction-step"], "out");
  EXPECT_EQ(h["x-junction-attempts"], "3");
  EXPECT_FALSE(h["x-junction-failed-at"].empty());
  EXPECT_TRUE(log.settled.at("x").ok());  // dead-lettered counts as handled
}

TEST(FlowTest, PermanentFailureSkipsRetries) {
  AckLog log;
  Rec out;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("out", out));
  out->plan.push_back(fail_with(Error::invalid("bad record")));
  Rec dlq_ptr;
  auto dlq = dead_letter_output(dlq_ptr);
  auto parts = basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"x"}, log),
                           std::move(sinks));
  parts.dead_letter = std::move(dlq);
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  EXPECT_EQ(out->calls, 1);
  EXPECT_EQ(dlq_ptr->headers.at(0).at("x-junction-attempts"), "1");
  EXPECT_EQ(dlq_ptr->headers.at(0).at("x-junction-error-class"), "invalid");
}

TEST(FlowTest, AFailureOfOneMessageAloneDeadLettersOnlyItAndWritesTheRest) {
  AckLog log;
  Rec out;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("out", out));
  // "a" is written, "b" is refused for itself (a row a database rejects).
  out->plan.push_back([](size_t) {
    return WriteResult{1, Status(Error::invalid("row b rejected")), true};
  });
  Rec dlq_ptr;
  auto dlq = dead_letter_output(dlq_ptr);
  auto parts =
      basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"a", "b", "c", "d"}, log, 4),
                  std::move(sinks));
  parts.dead_letter = std::move(dlq);
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  EXPECT_EQ(out->written, (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(out->calls, 2);
  ASSERT_EQ(dlq_ptr->written, (std::vector<std::string>{"b"}));
  EXPECT_EQ(dlq_ptr->headers[0]["x-junction-error"], "row b rejected");
  for (const auto& [p, s] : log.settled) EXPECT_TRUE(s.ok()) << p;
}

TEST(FlowTest, WithoutDeadLetterTheInputIsToldOfTheFailure) {
  AckLog log;
  Rec out;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("out", out));
  out->plan.push_back(fail_with(Error::permanent("rejected")));
  auto parts = basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"x"}, log),
                           std::move(sinks));
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  ASSERT_FALSE(log.settled.at("x").ok());
  EXPECT_EQ(log.settled.at("x").error().cls(), ErrorClass::kPermanent);
}

TEST(FlowTest, FailingDeadLetterLeavesTheMessageUnacknowledged) {
  AckLog log;
  Rec out;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("out", out));
  out->plan.push_back(fail_with(Error::invalid("bad")));
  Rec dlq_rec;
  auto dlq = dead_letter_output(dlq_rec);
  dlq_rec->plan.push_back(fail_with(Error::permanent("dlq disk gone")));
  auto parts = basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"x"}, log),
                           std::move(sinks));
  parts.dead_letter = std::move(dlq);
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  EXPECT_FALSE(log.settled.at("x").ok());
}

// Drops odd numbers, doubles the rest into two messages.
class OddDropper : public Processor {
 public:
  Status process(Message& msg, MessageBatch& out) override {
    int v = std::stoi(msg.payload.str());
    if (v < 0) return Error::invalid("negative");
    if (v % 2) {
      msg.ack.ok();
      return ok_status();
    }
    auto acks = Ack::split(std::move(msg.ack), 2);
    for (auto& a : acks) {
      Message m = msg.copy();
      m.ack = std::move(a);
      out.push_back(std::move(m));
    }
    return ok_status();
  }
};

TEST(FlowTest, ProcessorsFilterSplitAndFail) {
  AckLog log;
  Rec out;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("out", out));
  Rec dlq_ptr;
  auto dlq = dead_letter_output(dlq_ptr);
  auto parts =
      basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"1", "2", "-3"}, log, 3),
                  std::move(sinks));
  parts.steps.push_back({"pipeline[0].odd", std::make_unique<OddDropper>()});
  parts.dead_letter = std::move(dlq);
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  EXPECT_EQ(out->written, (std::vector<std::string>{"2", "2"}));
  EXPECT_EQ(dlq_ptr->written, (std::vector<std::string>{"-3"}));
  EXPECT_EQ(dlq_ptr->headers[0]["x-junction-step"], "pipeline[0].odd");
  EXPECT_EQ(log.settle_calls, 3);
  for (const auto& [p, s] : log.settled) EXPECT_TRUE(s.ok()) << p;
  EXPECT_EQ(metrics.counter("junction_flow_filtered_total", "", {{"flow", "test"}}).value(), 1u);
}

// Sends payloads starting with "r" to output "review" only.
class Router : public Processor {
 public:
  Status process(Message& msg, MessageBatch& out) override {
    if (msg.payload.view().starts_with("r")) msg.routes = {"review"};
    out.push_back(std::move(msg));
    return ok_status();
  }
};

TEST(FlowTest, RoutedMessagesReachOnlyTheirOutputs) {
  AckLog log;
  Rec main, review;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("main", main));
  sinks.push_back(sink("review", review));
  auto parts =
      basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"a", "r1", "b"}, log, 3),
                  std::move(sinks));
  parts.steps.push_back({"pipeline[0].router", std::make_unique<Router>()});
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  EXPECT_EQ(main->written, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(review->written, (std::vector<std::string>{"a", "r1", "b"}));
}

// Holds messages and releases them joined, on flush.
class Holder : public Processor {
 public:
  Status process(Message& msg, MessageBatch&) override {
    held_.push_back(std::move(msg));
    return ok_status();
  }
  std::optional<Duration> flush_interval() const override { return std::chrono::hours(1); }
  void flush(MessageBatch& out) override {
    if (held_.empty()) return;
    std::vector<Ack> acks;
    std::string joined;
    for (auto& m : held_) {
      joined += m.payload.str();
      acks.push_back(std::move(m.ack));
    }
    held_.clear();
    Message m;
    m.payload = Buffer(joined);
    m.ack = Ack::join(std::move(acks));
    out.push_back(std::move(m));
  }

 private:
  MessageBatch held_;
};

TEST(FlowTest, DrainFlushesHeldMessages) {
  AckLog log;
  Rec out;
  std::vector<FlowSink> sinks;
  sinks.push_back(sink("out", out));
  auto parts =
      basic_parts(std::make_unique<ListInput>(std::vector<std::string>{"a", "b", "c"}, log, 1),
                  std::move(sinks));
  parts.steps.push_back({"pipeline[0].hold", std::make_unique<Holder>()});
  observe::Registry metrics;
  ASSERT_TRUE(run_flow(std::move(parts), metrics).ok());
  EXPECT_EQ(out->written, (std::vector<std::string>{"abc"}));
  EXPECT_EQ(log.settle_calls, 3);
}

}  // namespace
}  // namespace junction::flow
