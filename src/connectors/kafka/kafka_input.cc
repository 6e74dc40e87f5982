#include "connectors/kafka/kafka_input.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "components/common/blocking_call.h"
#include "components/common/waker.h"
#include "connectors/kafka/kafka_consumer.h"
#include "connectors/kafka/settings.h"

namespace junction::connectors::kafka {
namespace {

using Clock = std::chrono::steady_clock;

struct InputOptions {
  ConsumerOptions consumer;
  size_t max_in_flight = 1000;
  size_t batch_size = 100;
  int max_deliveries = 5;
};

// Reached by the consumer thread and ack callbacks; wakes run() while it runs.
struct Target {
  components::Waker* waker = nullptr;
};

// Executor side of the input: takes records from the consumer thread's
// hand-off (and redeliveries from the ledger) while fewer than max_in_flight
// are unsettled, and emits them with acks that settle them in the ledger.
class KafkaInput final : public flow::Input {
 public:
  KafkaInput(InputOptions o, Codec codec, std::shared_ptr<ConnectorMetrics> metrics,
             BlockingPool* blocking)
      : o_(std::move(o)),
        codec_(std::move(codec)),
        metrics_(std::move(metrics)),
        blocking_(blocking),
        state_(std::make_shared<ConsumerState>(o_.max_deliveries)) {}

  asio::awaitable<Status> open() override {
    ex_ = co_await asio::this_coro::executor;
    {
      std::lock_guard lock(state_->mu);
      state_->wake_input = [target = target_, ex = ex_] {
        asio::post(ex, [target] {
          if (target->waker) target->waker->wake();
        });
      };
    }
    consumer_ = std::make_unique<KafkaConsumer>(o_.consumer, codec_, state_, metrics_);
    if (auto st = consumer_->start(); !st) co_return st;
    spdlog::info("flow {}: consuming kafka topic(s) {} as group {}", o_.consumer.flow,
                 fmt::join(o_.consumer.topics, ","), o_.consumer.group);
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    waker_.emplace(ex_);
    target_->waker = &*waker_;
    while (!stopped_ && !emitter.stopping()) {
      std::optional<Clock::time_point> due;
      MessageBatch batch = take(&due);
      if (batch.empty()) {
        // Woken by a record in the hand-off, a settlement, or stop().
        auto deadline = Clock::now() + std::chrono::seconds(1);
        if (due) deadline = std::min(deadline, *due);
        co_await waker_->sleep_until(deadline);
        continue;
      }
      if (!(co_await emitter.emit(std::move(batch))).ok()) break;
    }
    target_->waker = nullptr;
    co_return ok_status();
  }

  void stop() override {
    stopped_ = true;
    if (waker_) waker_->wake();
  }

  asio::awaitable<void> close() override {
    {
      std::lock_guard lock(state_->mu);
      state_->wake_input = nullptr;
    }
    if (consumer_) {
      // Settlements are in the ledger already (acks write it directly): the
      // thread commits them, writes pending dead letters, leaves the group.
      consumer_->request_stop();
      KafkaConsumer* consumer = consumer_.get();
      auto join = [consumer] { consumer->join(); };
      co_await components::blocking_call(*blocking_, join);
      consumer_.reset();
    }
    metrics_->closed();
  }

 private:
  // Redeliveries first (they hold the commit position back), then new
  // records, up to batch_size and while the in-flight window has room.
  MessageBatch take(std::optional<Clock::time_point>* due) {
    MessageBatch batch;
    std::lock_guard lock(state_->mu);
    auto& ledger = state_->ledger;
    for (auto& r : ledger.take_due(Clock::now(), o_.batch_size)) {
      r.message.headers.set("x-junction-attempts", std::to_string(r.attempt));
      r.message.ack = make_ack(r.ref);
      batch.push_back(std::move(r.message));
    }
    while (batch.size() < o_.batch_size && !state_->ready.empty() &&
           ledger.in_flight() < o_.max_in_flight) {
      Polled p = std::move(state_->ready.front());
      state_->ready.pop_front();
      Message m = p.record.message.copy();
      if (!ledger.take(p.ref, std::move(p.record))) continue;  // revoked since read
      m.ack = make_ack(p.ref);
      batch.push_back(std::move(m));
    }
    *due = ledger.next_due();
    state_->room.notify_one();
    return batch;
  }

  Ack make_ack(const RecordRef& ref) {
    return Ack([state = state_, ref](Status s) {
      std::function<void()> wake;
      {
        std::lock_guard lock(state->mu);
        if (s.ok()) {
          state->ledger.settled_ok(ref);
        } else {
          std::optional<PartitionLedger::DeadLetter> dl;
          state->ledger.settled_failed(ref, s.error().message(), Clock::now(), &dl);
          if (dl) state->dead_letters.push_back(std::move(*dl));
        }
        wake = state->wake_input;
      }
      if (wake) wake();
    });
  }

  InputOptions o_;
  Codec codec_;
  std::shared_ptr<ConnectorMetrics> metrics_;
  BlockingPool* blocking_;
  std::shared_ptr<ConsumerState> state_;
  std::unique_ptr<KafkaConsumer> consumer_;
  asio::any_io_executor ex_;
  std::shared_ptr<Target> target_ = std::make_shared<Target>();
  std::optional<components::Waker> waker_;
  bool stopped_ = false;
};

}  // namespace

void register_kafka_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "kafka";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Consumes Kafka topics as a member of a consumer group; commits settled records.";
  info.doc =
      "Each record becomes a message with the record's key, headers and timestamp, and "
      "`x-junction-kafka-topic` / `-partition` / `-offset` headers. Offsets are committed by "
      "the connector only (auto commit is off): each partition's committed offset is its lowest "
      "record the flow has not settled ok, so a restart or a rebalance redelivers what was in "
      "flight and never skips. On a rebalance the revoked partitions' settled progress is "
      "committed at once and their unsettled records are left to the new owner.\n"
      "A failed message is redelivered with backoff (`x-junction-attempts` header); after "
      "`max_deliveries` it is written to the dead-letter topic (`<topic>.dlq` unless "
      "`dead_letter` is set) with the reason in `x-junction-error`, and committed once the "
      "broker acked the dead letter. Bytes the `format` cannot decode are dead-lettered at once. "
      "`options` passes librdkafka properties through (SASL, SSL), values never logged.\n"
      "Example: `input: { kafka: { brokers: \"k1:9092\", topics: [orders], group: billing } }`.";
  info.schema.fields = {
      {"brokers", spec::FieldType::kString, "", "Bootstrap servers: host:port[,host:port...].",
       true},
      {"topics", spec::FieldType::kStringList, "", "Topics to consume.", true},
      {"group", spec::FieldType::kString, "", "Consumer group id; default: the flow's name."},
      {"start",
       spec::FieldType::kString,
       "earliest",
       "Where a group without committed offsets starts.",
       false,
       {"earliest", "latest"}},
      {"max_in_flight", spec::FieldType::kInt, "1000", "Records emitted and not settled, at most."},
      {"batch_size", spec::FieldType::kInt, "100", "Records per batch handed to the flow."},
      {"max_deliveries", spec::FieldType::kInt, "5",
       "Deliveries of a failing record before it is dead-lettered."},
      {"dead_letter", spec::FieldType::kString, "",
       "Dead-letter topic; default: <topic>.dlq of the record's topic."},
      {"commit_interval", spec::FieldType::kDuration, "1s",
       "How often settled progress is committed."},
      {"close_timeout", spec::FieldType::kDuration, "10s",
       "Bound on close: dead letters in flight, final commit, leaving the group."},
      options_field(),
  };
  for (auto& f : Codec::fields(true)) info.schema.fields.push_back(std::move(f));
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    InputOptions o;
    auto& co = o.consumer;
    co.flow = ctx.flow;
    co.brokers = c.str("brokers");
    if (auto st = check_brokers(co.brokers); !st) return st.error();
    co.topics = c.strings("topics");
    if (co.topics.empty()) return Error::invalid("topics must name at least one topic");
    for (const auto& t : co.topics) {
      if (t.empty()) return Error::invalid("topics: a topic name must not be empty");
    }
    co.group = c.has("group") ? c.str("group") : ctx.flow;
    if (co.group.empty()) return Error::invalid("group must not be empty");
    co.start = c.str("start");
    co.dead_letter = c.str("dead_letter");
    const int64_t in_flight = c.integer("max_in_flight");
    const int64_t batch = c.integer("batch_size");
    const int64_t deliveries = c.integer("max_deliveries");
    if (in_flight < 1 || in_flight > 1'000'000) {
      return Error::invalid("max_in_flight must be 1..1000000");
    }
    if (batch < 1 || batch > 10'000) return Error::invalid("batch_size must be 1..10000");
    if (deliveries < 1 || deliveries > 1000)
      return Error::invalid("max_deliveries must be 1..1000");
    o.max_in_flight = static_cast<size_t>(in_flight);
    o.batch_size = static_cast<size_t>(batch);
    o.max_deliveries = static_cast<int>(deliveries);
    co.handoff = 2 * o.batch_size;
    co.commit_interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(c.duration("commit_interval"));
    co.close_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(c.duration("close_timeout"));
    if (co.commit_interval.count() <= 0 || co.close_timeout.count() <= 0) {
      return Error::invalid("commit_interval and close_timeout must be above zero");
    }
    auto options = read_options(c.node("options"));
    if (!options) return options.error();
    co.options = std::move(*options);
    // Checks every property now (no socket): a typo fails `junction validate`.
    if (auto conf = make_conf(co.options); !conf) return conf.error();
    auto codec = Codec::from_config(c, ctx);
    if (!codec) return codec.error();
    auto metrics = std::make_shared<ConnectorMetrics>(ctx, "kafka");
    return std::unique_ptr<flow::Input>(
        std::make_unique<KafkaInput>(std::move(o), std::move(*codec), metrics, ctx.blocking));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::kafka
