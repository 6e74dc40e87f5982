#include "connectors/kafka/kafka_output.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/this_coro.hpp>

#include "components/common/blocking_call.h"
#include "connectors/common/codec.h"
#include "connectors/kafka/kafka_producer.h"
#include "connectors/kafka/record_mapping.h"
#include "connectors/kafka/settings.h"
#include "script/engine.h"

namespace junction::connectors::kafka {
namespace {

using Clock = std::chrono::steady_clock;

struct OutputOptions {
  std::string flow;
  std::string brokers;
  std::string topic;
  int key_chunk = -1;  // a Lua expression for the key, or -1: the message's key
  Properties props;
  std::chrono::milliseconds close_timeout{10000};
};

// Produces each message of a batch and reports the batch only from delivery
// reports: written = the leading messages the brokers acked (acks=all,
// idempotent, so a retried batch neither reorders nor duplicates within a
// producer session), the first failure classified for the flow.
class KafkaOutput final : public flow::Output {
 public:
  KafkaOutput(OutputOptions o, Codec codec, std::shared_ptr<ConnectorMetrics> metrics,
              BlockingPool* blocking, script::Engine* scripts)
      : o_(std::move(o)),
        codec_(std::move(codec)),
        metrics_(std::move(metrics)),
        blocking_(blocking),
        scripts_(scripts) {}

  asio::awaitable<Status> open() override {
    ex_ = co_await asio::this_coro::executor;
    producer_ =
        std::make_unique<KafkaProducer>(o_.flow, o_.brokers, o_.props, metrics_, o_.close_timeout);
    co_return producer_->start();
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    if (batch.empty()) co_return flow::WriteResult::all(0);
    if (rd_kafka_fatal_error(producer_->handle(), nullptr, 0)) {
      // An idempotent producer that lost its sequence (a fatal error) takes
      // no more messages: replace it; the failed batch is retried on the new one.
      if (auto st = co_await replace_producer(); !st) co_return flow::WriteResult{0, st.error()};
    }
    const auto started = Clock::now();
    auto deliveries = std::make_shared<Deliveries>(ex_, batch.size());
    size_t produced = 0;
    std::vector<size_t> sizes;
    sizes.reserve(batch.size());
    std::optional<Error> refused;  // why message `produced` was not produced
    for (; produced < batch.size(); ++produced) {
      auto value = codec_.encode(batch[produced].payload.view());
      if (!value) {
        refused = value.error();
        break;
      }
      auto key = key_for(batch[produced]);
      if (!key) {
        refused = key.error();
        break;
      }
      rd_kafka_resp_err_t err;
      while ((err = produce(batch[produced], *value, *key, deliveries, produced)) ==
             RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        // The local queue (max_in_flight) is full: wait for reports to free it.
        co_await deliveries->waker.sleep_until(Clock::now() + std::chrono::milliseconds(100));
      }
      if (err) {
        refused =
            Error(classify(err), fmt::format("kafka {}: {}", o_.topic, rd_kafka_err2str(err)));
        break;
      }
      ++deliveries->outstanding;
      sizes.push_back(value->size());
    }
    // Every produced message gets exactly one report, by delivery.timeout at
    // the latest: the batch is settled only from them.
    while (deliveries->outstanding > 0) {
      co_await deliveries->waker.sleep_until(Clock::now() + std::chrono::seconds(1));
    }
    size_t written = 0;
    while (written < produced && deliveries->errors[written] == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++written;
    }
    metrics_->latency(Clock::now() - started);
    if (written > 0) {
      size_t bytes = 0;
      for (size_t i = 0; i < written; ++i) bytes += sizes[i];
      metrics_->sent(written, bytes);
    }
    if (written == batch.size()) co_return flow::WriteResult::all(written);
    metrics_->error();
    if (written < produced) {
      const auto err = deliveries->errors[written];
      co_return flow::WriteResult{
          written,
          Error(classify(err), fmt::format("kafka {}: {}", o_.topic, rd_kafka_err2str(err)))};
    }
    co_return flow::WriteResult{written, std::move(*refused)};
  }

  asio::awaitable<void> close() override {
    if (producer_) {
      KafkaProducer* producer = producer_.get();
      auto close = [producer] { producer->close(); };
      co_await components::blocking_call(*blocking_, close);
      producer_.reset();
    }
    metrics_->closed();
  }

 private:
  asio::awaitable<Status> replace_producer() {
    char reason[512];
    rd_kafka_fatal_error(producer_->handle(), reason, sizeof reason);
    spdlog::error("flow {}: kafka producer fatal error, replacing it: {}", o_.flow, reason);
    KafkaProducer* old = producer_.get();
    auto close = [old] { old->close(); };
    co_await components::blocking_call(*blocking_, close);
    producer_ =
        std::make_unique<KafkaProducer>(o_.flow, o_.brokers, o_.props, metrics_, o_.close_timeout);
    co_return producer_->start();
  }

  Result<std::string> key_for(const Message& m) {
    if (o_.key_chunk < 0) return m.key;
    auto key = scripts_->eval_string(o_.key_chunk, m);
    if (!key) return key.error().wrap("key expression");
    return std::move(*key);
  }

  // Queues one message; its report goes to `deliveries` at `index`.
  rd_kafka_resp_err_t produce(const Message& m, const std::string& value, const std::string& key,
                              const std::shared_ptr<Deliveries>& deliveries, size_t index) {
    auto ticket = std::make_unique<DeliveryTicket>(DeliveryTicket{deliveries, index, ex_});
    rd_kafka_headers_t* headers = to_kafka_headers(m.headers);
    // The id travels with the record, as through a topic, so a consumer
    // (another Junction's kafka input) keeps it and can deduplicate on it.
    if (!m.id.empty() && !m.headers.get("x-junction-id")) {
      rd_kafka_header_add(headers, "x-junction-id", -1, m.id.data(),
                          static_cast<ssize_t>(m.id.size()));
    }
    auto err = rd_kafka_producev(producer_->handle(), RD_KAFKA_V_TOPIC(o_.topic.c_str()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                 RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
                                 RD_KAFKA_V_TIMESTAMP(m.timestamp_ms), RD_KAFKA_V_HEADERS(headers),
                                 RD_KAFKA_V_OPAQUE(ticket.get()), RD_KAFKA_V_END);
    if (err) {
      rd_kafka_headers_destroy(headers);  // not queued: still ours
      return err;
    }
    (void)ticket.release();  // the delivery report owns it now
    return RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  OutputOptions o_;
  Codec codec_;
  std::shared_ptr<ConnectorMetrics> metrics_;
  BlockingPool* blocking_;
  script::Engine* scripts_;
  asio::any_io_executor ex_;
  std::unique_ptr<KafkaProducer> producer_;
};

std::string millis(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

void register_kafka_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "kafka";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Produces messages to a Kafka topic; written once every in-sync replica acked.";
  info.doc =
      "An idempotent producer (enable.idempotence, acks=all). Each message becomes a record: "
      "the payload per `format`, the key (the `key` expression if set, else the message's key), "
      "its headers (except the x-junction-kafka-* headers of a consumed record), its id in "
      "`x-junction-id` and its timestamp. A batch is reported written only from the brokers' "
      "delivery reports: all of "
      "it, or the leading messages delivered before the first failure. A retriable failure "
      "(broker down, timeout, leader change) is transient and retried by the flow; a message "
      "too large or refused as invalid is dead-lettered at once. At most `max_in_flight` "
      "messages wait in the producer; close flushes for up to `close_timeout`.\n"
      "Example: `output: { kafka: { brokers: \"k1:9092\", topic: orders.out, key: msg.id } }`.";
  info.schema.fields = {
      {"brokers", spec::FieldType::kString, "", "Bootstrap servers: host:port[,host:port...].",
       true},
      {"topic", spec::FieldType::kString, "", "Topic to produce to.", true},
      {"key", spec::FieldType::kString, "",
       "Lua expression for the record key, e.g. msg.customer.id; default: the message's key."},
      {"max_in_flight", spec::FieldType::kInt, "10000",
       "Messages queued in the producer, not yet acked, at most."},
      {"linger", spec::FieldType::kDuration, "5ms", "How long the producer waits to fill a batch."},
      {"delivery_timeout", spec::FieldType::kDuration, "30s",
       "A message not acked in this time fails (transient: the flow retries it)."},
      {"close_timeout", spec::FieldType::kDuration, "10s", "Bound on the flush at close."},
      options_field(),
  };
  for (auto& f : Codec::fields(true)) info.schema.fields.push_back(std::move(f));
  info.make_output = [](const spec::Config& c,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    OutputOptions o;
    o.flow = ctx.flow;
    o.brokers = c.str("brokers");
    if (auto st = check_brokers(o.brokers); !st) return st.error();
    o.topic = c.str("topic");
    if (o.topic.empty()) return Error::invalid("topic must not be empty");
    if (c.has("key") && !c.str("key").empty()) {
      auto chunk = ctx.scripts->compile_expression(c.str("key"), ctx.step + ".key");
      if (!chunk) return chunk.error();
      o.key_chunk = *chunk;
    }
    const int64_t in_flight = c.integer("max_in_flight");
    if (in_flight < 1 || in_flight > 10'000'000) {
      return Error::invalid("max_in_flight must be 1..10000000");
    }
    const auto linger = c.duration("linger");
    const auto delivery = c.duration("delivery_timeout");
    const auto close = c.duration("close_timeout");
    if (linger.count() < 0 || delivery.count() <= 0 || close.count() <= 0) {
      return Error::invalid("delivery_timeout and close_timeout must be above zero");
    }
    o.close_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(close);
    auto options = read_options(c.node("options"));
    if (!options) return options.error();
    o.props = std::move(*options);
    o.props["queue.buffering.max.messages"] = std::to_string(in_flight);
    o.props["linger.ms"] = millis(linger);
    o.props["message.timeout.ms"] = millis(delivery);
    if (auto conf = make_conf(o.props); !conf) return conf.error();
    auto codec = Codec::from_config(c, ctx);
    if (!codec) return codec.error();
    auto metrics = std::make_shared<ConnectorMetrics>(ctx, "kafka");
    return std::unique_ptr<flow::Output>(std::make_unique<KafkaOutput>(
        std::move(o), std::move(*codec), metrics, ctx.blocking, ctx.scripts));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::kafka
