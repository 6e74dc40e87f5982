#include "connectors/amqp/output.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <optional>

#include "components/common/blocking_call.h"
#include "components/common/waker.h"
#include "connectors/amqp/options.h"
#include "connectors/amqp/publisher.h"
#include "connectors/common/codec.h"
#include "script/engine.h"

namespace junction::connectors::amqp {
namespace {

struct OutputOptions {
  PublisherOptions publisher;
  std::string routing_key;
  int routing_key_chunk = -1;  // a Lua expression, or -1 for the fixed key
  bool persistent = true;
  std::string content_type;
  Codec codec = Codec::json();
};

// A write() waiting for its job: the publisher's thread posts here.
struct Completion {
  explicit Completion(const asio::any_io_executor& ex) : waker(ex) {}
  components::Waker waker;
  bool done = false;
};

class AmqpOutput final : public flow::Output {
 public:
  AmqpOutput(OutputOptions o, const flow::ComponentContext& ctx)
      : o_(std::move(o)), blocking_(ctx.blocking), scripts_(ctx.scripts), metrics_(ctx, "amqp") {}

  ~AmqpOutput() override {
    if (publisher_) {
      publisher_->stop();
      publisher_->join();
    }
  }

  asio::awaitable<Status> open() override {
    ex_ = co_await asio::this_coro::executor;
    metrics_.connecting();
    publisher_ = std::make_unique<Publisher>(o_.publisher, metrics_);
    publisher_->start();
    co_return ok_status();
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    if (batch.empty()) co_return flow::WriteResult::all(0);
    auto job = std::make_shared<PublishJob>();
    // A message that cannot be encoded ends the batch there: the ones before
    // it are published, it fails as invalid.
    std::optional<Error> bad;
    for (const Message& m : batch) {
      auto out = prepare(m);
      if (!out) {
        bad = out.error();
        break;
      }
      job->messages.push_back(std::move(*out));
    }
    if (job->messages.empty()) co_return flow::WriteResult{0, *bad};

    auto completion = std::make_shared<Completion>(ex_);
    job->done = [completion, ex = ex_] {
      asio::post(ex, [completion] {
        completion->done = true;
        completion->waker.wake();
      });
    };
    publisher_->submit(job);
    while (!completion->done) {
      co_await completion->waker.sleep_until(components::Waker::Clock::now() +
                                             std::chrono::hours(1));
    }
    flow::WriteResult result = std::move(job->result);
    if (result.status && bad) result.status = *bad;
    co_return result;
  }

  asio::awaitable<void> close() override {
    if (!publisher_) co_return;
    publisher_->stop();
    Publisher* publisher = publisher_.get();
    auto join = [publisher] { publisher->join(); };
    co_await components::blocking_call(*blocking_, join);
    publisher_.reset();
    metrics_.closed();
  }

 private:
  Result<std::unique_ptr<Outgoing>> prepare(const Message& m) {
    auto body = o_.codec.encode(m.payload.view());
    if (!body) return body.error();
    std::string key = o_.routing_key;
    if (o_.routing_key_chunk >= 0) {
      auto k = scripts_->eval_string(o_.routing_key_chunk, m);
      if (!k) return k.error().wrap("routing_key_expr");
      key = std::move(*k);
    }
    if (key.size() > 255) return Error::invalid("routing key longer than 255 bytes");
    return std::make_unique<Outgoing>(m, std::move(*body), std::move(key), o_.content_type,
                                      o_.persistent);
  }

  OutputOptions o_;
  BlockingPool* blocking_;
  script::Engine* scripts_;
  ConnectorMetrics metrics_;
  asio::any_io_executor ex_;
  std::unique_ptr<Publisher> publisher_;
};

std::string default_content_type(const Codec& codec) {
  return codec.format() == Codec::Format::kJson ? "application/json" : "";
}

Result<std::unique_ptr<flow::Output>> make_output(const spec::Config& c,
                                                  flow::ComponentContext& ctx) {
  auto conn = connection_options(c);
  if (!conn) return conn.error();
  auto codec = Codec::from_config(c, ctx);
  if (!codec) return codec.error();
  OutputOptions o;
  o.publisher.flow = ctx.flow;
  o.publisher.address = std::move(conn->address);
  o.publisher.session = conn->session;
  o.publisher.reconnect_max = conn->reconnect_max;
  o.publisher.exchange = c.str("exchange");
  o.publisher.mandatory = c.boolean("mandatory");
  o.publisher.confirm_timeout = c.duration("confirm_timeout");
  if (o.publisher.confirm_timeout < std::chrono::milliseconds(1)) {
    return Error::invalid("confirm_timeout must be at least 1ms");
  }
  o.routing_key = c.str("routing_key");
  if (o.routing_key.size() > 255) return Error::invalid("routing_key is longer than 255 bytes");
  if (c.has("routing_key_expr")) {
    if (c.has("routing_key")) {
      return Error::invalid("set routing_key or routing_key_expr, not both");
    }
    auto chunk =
        ctx.scripts->compile_expression(c.str("routing_key_expr"), ctx.step + ".routing_key_expr");
    if (!chunk) return chunk.error();
    o.routing_key_chunk = *chunk;
  }
  o.persistent = c.boolean("persistent");
  o.content_type = c.has("content_type") ? c.str("content_type") : default_content_type(*codec);
  o.codec = std::move(*codec);
  return std::unique_ptr<flow::Output>(std::make_unique<AmqpOutput>(std::move(o), ctx));
}

}  // namespace

void register_amqp_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "amqp";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Publishes to an AMQP 0-9-1 exchange (RabbitMQ) with publisher confirms.";
  info.doc =
      "Each message is published to `exchange` with the routing key `routing_key` (or the Lua "
      "expression `routing_key_expr`), its id as message-id, its timestamp, its content-type "
      "header (else `content_type`) and its other headers in the headers table; delivery "
      "mode 2 (persistent) unless `persistent: false`.\n"
      "The channel is in confirm mode: a batch counts as written only once the broker acked "
      "each publish (for a durable queue: after it is on disk). A nack, a timeout "
      "(`confirm_timeout`) or a lost connection is transient (the flow retries); with "
      "`mandatory` (the default) a message no queue takes comes back and is invalid (dead "
      "letter) instead of vanishing. While the broker is down, readiness is false, writes "
      "fail as transient and the output reconnects with backoff. Retries may publish a "
      "message twice (at-least-once).\n"
      "Example: `output: { amqp: { url: \"${AMQP_URL}\", exchange: orders, "
      "routing_key_expr: \"'orders.' .. msg.region\" } }`.";
  info.schema.fields = connection_fields();
  std::vector<spec::Field> own = {
      {"exchange", spec::FieldType::kString, "",
       "Exchange to publish to; empty: the default exchange (routing key = queue name)."},
      {"routing_key", spec::FieldType::kString, "", "Routing key for every message."},
      {"routing_key_expr", spec::FieldType::kString, "",
       "Lua expression for a per-message routing key, e.g. 'orders.' .. msg.region."},
      {"persistent", spec::FieldType::kBool, "true", "Delivery mode 2: kept across restarts."},
      {"mandatory", spec::FieldType::kBool, "true",
       "Unroutable messages come back and fail as invalid instead of being dropped."},
      {"confirm_timeout", spec::FieldType::kDuration, "30s",
       "How long a batch waits for publisher confirms before failing (transient)."},
      {"content_type", spec::FieldType::kString, "",
       "content-type for messages without that header; default: application/json for json."},
  };
  info.schema.fields.insert(info.schema.fields.end(), own.begin(), own.end());
  for (auto& f : Codec::fields(false)) info.schema.fields.push_back(std::move(f));
  info.make_output = make_output;
  registry.add(std::move(info));
}

}  // namespace junction::connectors::amqp
