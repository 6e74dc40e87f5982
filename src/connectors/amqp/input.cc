#include "connectors/amqp/input.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "components/common/blocking_call.h"
#include "components/common/waker.h"
#include "connectors/amqp/consumer.h"
#include "connectors/amqp/options.h"

namespace junction::connectors::amqp {
namespace {

// Reached from the consumer's thread; set on the input's executor only.
struct WakeTarget {
  components::Waker* waker = nullptr;
};

class AmqpInput final : public flow::Input {
 public:
  AmqpInput(ConsumerOptions o, size_t batch_size, const flow::ComponentContext& ctx)
      : o_(std::move(o)), batch_size_(batch_size), blocking_(ctx.blocking), metrics_(ctx, "amqp") {}

  ~AmqpInput() override {
    // close() joined the thread; this covers a flow that failed before it,
    // since the thread uses metrics_.
    if (consumer_) {
      consumer_->stop();
      consumer_->join();
    }
  }

  asio::awaitable<Status> open() override {
    ex_ = co_await asio::this_coro::executor;
    metrics_.connecting();
    auto on_ready = [target = target_, ex = ex_] {
      asio::post(ex, [target] {
        if (target->waker) target->waker->wake();
      });
    };
    consumer_ = std::make_shared<Consumer>(o_, metrics_, on_ready);
    co_return consumer_->start();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    waker_.emplace(ex_);
    target_->waker = &*waker_;
    while (!stopped_ && !emitter.stopping()) {
      std::vector<Delivery> got = consumer_->take(batch_size_);
      if (got.empty()) {
        co_await waker_->sleep_until(components::Waker::Clock::now() + std::chrono::seconds(1));
        continue;
      }
      MessageBatch batch;
      batch.reserve(got.size());
      for (Delivery& d : got) {
        d.message.ack = Ack([consumer = consumer_, gen = d.generation, tag = d.tag](Status s) {
          consumer->settle(gen, tag, settle_for(s));
        });
        batch.push_back(std::move(d.message));
      }
      if (Status s = co_await emitter.emit(std::move(batch)); !s) break;
    }
    target_->waker = nullptr;
    co_return ok_status();
  }

  void stop() override {
    stopped_ = true;
    if (waker_) waker_->wake();
  }

  asio::awaitable<void> close() override {
    if (!consumer_) co_return;
    consumer_->stop();
    // Joining waits for the polite connection close, bounded by connect_timeout.
    Consumer* consumer = consumer_.get();
    auto join = [consumer] { consumer->join(); };
    co_await components::blocking_call(*blocking_, join);
    metrics_.closed();
  }

 private:
  ConsumerOptions o_;
  size_t batch_size_;
  BlockingPool* blocking_;
  ConnectorMetrics metrics_;
  asio::any_io_executor ex_;
  std::shared_ptr<WakeTarget> target_ = std::make_shared<WakeTarget>();
  // Shared with the acks, which may outlive the input.
  std::shared_ptr<Consumer> consumer_;
  std::optional<components::Waker> waker_;
  bool stopped_ = false;
};

Result<std::unique_ptr<flow::Input>> make_input(const spec::Config& c,
                                                flow::ComponentContext& ctx) {
  auto conn = connection_options(c);
  if (!conn) return conn.error();
  auto codec = Codec::from_config(c, ctx);
  if (!codec) return codec.error();
  ConsumerOptions o;
  o.flow = ctx.flow;
  o.address = std::move(conn->address);
  o.session = conn->session;
  o.reconnect_max = conn->reconnect_max;
  o.codec = std::move(*codec);
  o.queue = c.str("queue");
  if (o.queue.empty()) return Error::invalid("queue must not be empty");
  const int64_t prefetch = c.integer("prefetch");
  if (prefetch < 1 || prefetch > 65535) return Error::invalid("prefetch must be 1..65535");
  o.prefetch = static_cast<uint16_t>(prefetch);
  const int64_t batch = c.integer("batch_size");
  if (batch < 1 || batch > 10'000) return Error::invalid("batch_size must be 1..10000");
  o.declare = c.boolean("declare");
  if (c.has("dead_letter_exchange")) o.dead_letter_exchange = c.str("dead_letter_exchange");
  o.dead_letter_routing_key = c.str("dead_letter_routing_key");
  if (!o.declare && (c.has("dead_letter_exchange") || c.has("dead_letter_routing_key"))) {
    return Error::invalid(
        "dead_letter_exchange and dead_letter_routing_key take effect only with declare: true");
  }
  o.requeue_delay = c.duration("requeue_delay");
  if (o.requeue_delay.count() < 0) return Error::invalid("requeue_delay must not be negative");
  return std::unique_ptr<flow::Input>(
      std::make_unique<AmqpInput>(std::move(o), static_cast<size_t>(batch), ctx));
}

}  // namespace

void register_amqp_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "amqp";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Consumes an AMQP 0-9-1 queue (RabbitMQ); acks once the flow settled a message.";
  info.doc =
      "Each delivery becomes a message: the body (per `format`) as payload, the message-id "
      "property as id, content-type, correlation-id, reply-to, type, app-id and the headers "
      "table as headers, plus `x-junction-amqp-routing-key`, `x-junction-amqp-exchange` and "
      "`x-junction-amqp-redelivered`.\n"
      "Acknowledgement is manual: basic.ack only once the flow settled the message ok. A "
      "transient failure is nacked with requeue after `requeue_delay`; an invalid or "
      "permanent one (and a body that does not decode) is rejected without requeue, so the "
      "broker routes it to the queue's dead-letter exchange (or drops it if the queue has "
      "none). At most `prefetch` deliveries are unacked at once (basic.qos). When the "
      "connection drops, readiness goes false and the input reconnects with backoff; the "
      "broker redelivers what was unacked, and late acks for the old connection are dropped "
      "(at-least-once).\n"
      "Example: `input: { amqp: { url: \"${AMQP_URL}\", queue: orders, declare: true, "
      "dead_letter_exchange: orders.dlx } }`.";
  info.schema.fields = connection_fields();
  std::vector<spec::Field> own = {
      {"queue", spec::FieldType::kString, "", "Queue to consume.", true},
      {"prefetch", spec::FieldType::kInt, "100", "Unacked deliveries at most (basic.qos)."},
      {"batch_size", spec::FieldType::kInt, "100", "Messages per batch handed to the flow."},
      {"declare", spec::FieldType::kBool, "false",
       "Declare the queue (durable) before consuming; otherwise it must exist."},
      {"dead_letter_exchange", spec::FieldType::kString, "",
       "With declare: the queue's x-dead-letter-exchange, where rejected messages go "
       "(\"\" is the default exchange: set dead_letter_routing_key to the dead-letter queue)."},
      {"dead_letter_routing_key", spec::FieldType::kString, "",
       "With declare: the queue's x-dead-letter-routing-key (default: the original key)."},
      {"requeue_delay", spec::FieldType::kDuration, "1s",
       "Wait before requeueing a message that failed transiently."},
  };
  info.schema.fields.insert(info.schema.fields.end(), own.begin(), own.end());
  for (auto& f : Codec::fields(false)) info.schema.fields.push_back(std::move(f));
  info.make_input = make_input;
  registry.add(std::move(info));
}

}  // namespace junction::connectors::amqp
