#include "components/inputs/topic/topic.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "components/common/log_bridge.h"
#include "components/common/waker.h"
#include "fmt/format.h"
#include "log/consumer.h"

namespace junction::components {
namespace {

using Clock = std::chrono::steady_clock;

// Reached by ack callbacks and log notifications from any thread; they post
// to the input's executor and act only while the input still runs.
struct Target {
  log::Consumer* consumer = nullptr;  // set from open() to close()
  Waker* waker = nullptr;             // set while run() runs
};

struct TopicInputOptions {
  std::string flow;
  log::ConsumerOptions consumer;
  size_t batch_size = 100;
};

// Consumes a topic as a member of a consumer group. Each record becomes a
// message whose ack settles the record: ok acks it (the group's committed
// offset moves past it once every earlier record is acked too), a failure
// nacks it for redelivery, and after the topic's max_deliveries it goes to
// the topic's dead-letter topic.
class TopicInput final : public flow::Input {
 public:
  TopicInput(TopicInputOptions o, log::Store* store) : o_(std::move(o)), store_(store) {}

  asio::awaitable<Status> open() override {
    if (!store_) co_return Error::permanent("the topic input needs the embedded log");
    ex_ = co_await asio::this_coro::executor;
    auto wake = [target = target_, ex = ex_] {
      asio::post(ex, [target] {
        if (target->waker) target->waker->wake();
      });
    };
    consumer_ = std::make_unique<log::Consumer>(*store_, o_.consumer, wake);
    if (auto st = consumer_->start(); !st) co_return st;
    target_->consumer = consumer_.get();
    spdlog::info("flow {}: consuming topic {} as group {}", o_.flow, o_.consumer.topic,
                 o_.consumer.group);
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    waker_.emplace(ex_);
    target_->waker = &*waker_;
    Status result = co_await loop(emitter);
    target_->waker = nullptr;
    co_return result;
  }

  void stop() override {
    stopped_ = true;
    if (waker_) waker_->wake();
  }

  asio::awaitable<void> close() override {
    // Let acks that were posted while the flow drained reach the consumer.
    co_await asio::post(ex_, asio::use_awaitable);
    // Dead-letter appends in flight: once durable, the commit may pass those
    // records; otherwise a restart would dead-letter them a second time.
    if (consumer_) {
      asio::steady_timer pause(ex_);
      const auto give_up = Clock::now() + std::chrono::seconds(5);
      while (consumer_->dead_letters_pending() > 0 && Clock::now() < give_up) {
        pause.expires_after(std::chrono::milliseconds(10));
        boost::system::error_code ec;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        (void)consumer_->poll(0);  // takes in the completed dead-letter writes
      }
    }
    target_->consumer = nullptr;
    if (consumer_) consumer_->stop();
    consumer_.reset();
  }

 private:
  asio::awaitable<Status> loop(flow::Emitter& emitter) {
    while (!stopped_ && !emitter.stopping()) {
      auto got = consumer_->poll(o_.batch_size);
      if (!got) {
        co_return got.error().wrap(fmt::format("topic {}", o_.consumer.topic));
      }
      if (got->empty()) {
        consumer_->arm();
        auto deadline = Clock::now() + o_.consumer.commit_interval;
        if (auto due = consumer_->next_deadline()) deadline = std::min(deadline, *due);
        co_await waker_->sleep_until(deadline);
        continue;
      }
      MessageBatch batch;
      batch.reserve(got->size());
      for (auto& d : *got) {
        Message m = to_message(d);
        m.ack = Ack(
            [target = target_, ex = ex_, part = d.partition, offset = d.record.offset](Status s) {
              asio::post(ex, [target, part, offset, s = std::move(s)] {
                if (!target->consumer) return;  // closed: the group redelivers it
                if (s.ok()) {
                  target->consumer->ack(part, offset);
                } else {
                  target->consumer->nack(part, offset, s.error().message());
                }
                if (target->waker) target->waker->wake();
              });
            });
        batch.push_back(std::move(m));
      }
      Status s = co_await emitter.emit(std::move(batch));
      if (!s.ok()) break;
    }
    co_return ok_status();
  }

  TopicInputOptions o_;
  log::Store* store_;
  asio::any_io_executor ex_;
  std::shared_ptr<Target> target_ = std::make_shared<Target>();
  std::unique_ptr<log::Consumer> consumer_;
  std::optional<Waker> waker_;
  bool stopped_ = false;
};

}  // namespace

void register_topic_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "topic";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Consumes a topic of the embedded log as a member of a consumer group.";
  info.doc =
      "The flows (or processes' flows) that use the same `group` on a topic share its "
      "partitions; order is kept per partition. Each record becomes a message with the "
      "record's key, headers and timestamp, its original id (from `x-junction-id`), and "
      "`x-junction-topic-partition` / `x-junction-topic-offset` headers.\n"
      "When the flow settles a message ok, the record is acked; the group's committed offset "
      "is the lowest unacked offset of each partition, so a restart redelivers what was in "
      "flight and never skips. A failure, or no ack within `ack_timeout`, redelivers the "
      "record with an `x-junction-attempts` header; after the topic's `max_deliveries` it "
      "goes to the topic's dead-letter topic (`<topic>.dlq` unless `dead_letter` is set) with "
      "the reason in `x-junction-error`.\n"
      "`start` applies only when the group has no committed offset: earliest, latest, "
      "offset:<n>, time:<ms> or an RFC 3339 UTC time. To replay, use `junction topic replay`.\n"
      "Example: `input: { topic: orders.events, group: billing }`.";
  info.schema.primary = "topic";
  info.schema.fields = {
      {"topic", spec::FieldType::kString, "", "Topic to consume (declared under `topics:`).", true},
      {"group", spec::FieldType::kString, "", "Consumer group; default: the flow's name."},
      {"start", spec::FieldType::kString, "earliest",
       "Where a new group starts: earliest, latest, offset:<n>, time:<ms>, RFC 3339 time."},
      {"max_in_flight", spec::FieldType::kInt, "1000", "Delivered, unacked records at most."},
      {"batch_size", spec::FieldType::kInt, "100", "Records per batch handed to the flow."},
      {"ack_timeout", spec::FieldType::kDuration, "30s", "Redeliver a record unacked this long."},
      {"commit_interval", spec::FieldType::kDuration, "1s",
       "How often acked progress is committed."},
  };
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    TopicInputOptions o;
    o.flow = ctx.flow;
    o.consumer.topic = c.str("topic");
    if (!ctx.find_topic(o.consumer.topic)) {
      return Error::invalid(
          fmt::format("topic '{}' is not declared; add it under `topics:`", o.consumer.topic));
    }
    o.consumer.group = c.has("group") ? c.str("group") : ctx.flow;
    if (o.consumer.group.empty()) return Error::invalid("group must not be empty");
    auto start = log::StartPosition::parse(c.str("start"));
    if (!start) return start.error();
    o.consumer.start = *start;
    const int64_t in_flight = c.integer("max_in_flight");
    const int64_t batch = c.integer("batch_size");
    if (in_flight < 1 || in_flight > 1'000'000)
      return Error::invalid("max_in_flight must be 1..1000000");
    if (batch < 1 || batch > 10'000) return Error::invalid("batch_size must be 1..10000");
    o.consumer.max_in_flight = static_cast<size_t>(in_flight);
    o.batch_size = static_cast<size_t>(batch);
    o.consumer.ack_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(c.duration("ack_timeout"));
    o.consumer.commit_interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(c.duration("commit_interval"));
    if (o.consumer.ack_timeout.count() <= 0 || o.consumer.commit_interval.count() <= 0) {
      return Error::invalid("ack_timeout and commit_interval must be above zero");
    }
    return std::unique_ptr<flow::Input>(std::make_unique<TopicInput>(std::move(o), ctx.store));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
