#include "connectors/mqtt/output.h"

#include <spdlog/spdlog.h>

#include <boost/asio/this_coro.hpp>

#include "connectors/common/codec.h"
#include "connectors/mqtt/publisher.h"
#include "connectors/mqtt/topic_template.h"
#include "fmt/format.h"

namespace junction::connectors::mqtt {
namespace {

struct OutputOptions {
  ConnectionOptions connection;
  TopicTemplate topic;
  Publisher::Options publish;
  Codec codec = Codec::json();
};

// Publishes each message; written only once the broker has it (QoS 1:
// PUBACK) or the bytes are on the socket (QoS 0).
class MqttOutput final : public flow::Output {
 public:
  MqttOutput(OutputOptions o, flow::ComponentContext& ctx)
      : o_(std::move(o)), metrics_(ctx, "mqtt"), pool_(ctx.blocking), flow_(ctx.flow) {}

  asio::awaitable<Status> open() override {
    if (!pool_) co_return Error::permanent("the mqtt output needs the blocking pool");
    publisher_ = std::make_unique<Publisher>(o_.publish, metrics_);
    auto ex = co_await asio::this_coro::executor;
    if (auto st = publisher_->init(o_.connection, ex, *pool_); !st) co_return st;
    publisher_->start();
    spdlog::info("flow {}: publishing to {} (qos {})", flow_, o_.connection.address(),
                 o_.publish.qos);
    co_return ok_status();
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    // Everything before the first message that cannot be published goes out;
    // that one fails `invalid` (dead letter) once the prefix is through.
    std::vector<Publication> out;
    out.reserve(batch.size());
    std::optional<Error> bad;
    for (const Message& m : batch) {
      auto topic = o_.topic.render(m);
      if (!topic) {
        bad = std::move(topic).error();
        break;
      }
      auto payload = o_.codec.encode(m.payload.view());
      if (!payload) {
        bad = std::move(payload).error();
        break;
      }
      out.push_back({std::move(topic).value(), std::move(payload).value(), {}});
    }
    if (out.empty()) {
      metrics_.error();
      co_return flow::WriteResult{0, std::move(*bad)};
    }
    flow::WriteResult r = co_await publisher_->publish(out);
    if (r.written == out.size() && bad) {
      metrics_.error();
      r.status = std::move(*bad);
    }
    co_return r;
  }

  asio::awaitable<void> close() override {
    if (publisher_) co_await publisher_->stop();
    metrics_.closed();
  }

 private:
  OutputOptions o_;
  ConnectorMetrics metrics_;
  BlockingPool* pool_;
  std::string flow_;
  std::unique_ptr<Publisher> publisher_;
};

}  // namespace

void register_mqtt_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "mqtt";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Publishes each message to an MQTT topic; QoS 1 counts it written on PUBACK.";
  info.doc =
      "The topic may take placeholders from the message: `{{key}}`, `{{id}}`, "
      "`{{header.NAME}}` (e.g. `{{header.x-junction-mqtt-topic}}` to bridge brokers). At QoS 1 "
      "a message is reported written only once the broker acknowledged it (PUBACK); at QoS 0 "
      "once it is written to the socket. When the connection drops, QoS 1 messages in flight are "
      "sent again after the reconnect (the broker may then see a duplicate); if no PUBACK comes "
      "within `timeout`, the rest of the batch fails `transient` and the flow retries it. A topic "
      "that cannot be rendered, or a payload that does not match `format`, fails `invalid` "
      "(dead letter).\n"
      "Example: `output: { mqtt: \"devices/{{key}}/commands\", host: broker, qos: 1 }`.";
  info.schema.primary = "topic";
  info.schema.fields = {
      {"topic", spec::FieldType::kString, "", "Topic to publish to; may hold placeholders.", true},
      {"qos", spec::FieldType::kInt, "1", "0 (at most once) or 1 (at least once)."},
      {"retain", spec::FieldType::kBool, "false", "Ask the broker to retain the last message."},
      {"timeout", spec::FieldType::kDuration, "30s",
       "How long a batch may wait for the connection and its acknowledgements."},
  };
  for (auto& f : connection_fields()) info.schema.fields.push_back(std::move(f));
  for (auto& f : Codec::fields(false)) info.schema.fields.push_back(std::move(f));
  info.make_output = [](const spec::Config& c,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    OutputOptions o;
    auto conn = parse_connection(c, ctx, fmt::format("junction-{}-{}", ctx.flow, ctx.step));
    if (!conn) return std::move(conn).error();
    o.connection = std::move(conn).value();
    // Nothing to keep at the broker for a publisher: QoS 1 messages in
    // flight live in libmosquitto and are resent on the reconnect.
    o.connection.clean_session = true;
    auto topic = TopicTemplate::parse(c.str("topic"));
    if (!topic) return std::move(topic).error();
    o.topic = std::move(topic).value();
    const int64_t qos = c.integer("qos");
    if (qos != 0 && qos != 1) return Error::invalid("qos must be 0 or 1");
    o.publish.qos = static_cast<int>(qos);
    o.publish.retain = c.boolean("retain");
    o.publish.timeout = c.duration("timeout");
    if (o.publish.timeout.count() <= 0) return Error::invalid("timeout must be above zero");
    auto codec = Codec::from_config(c, ctx);
    if (!codec) return std::move(codec).error();
    o.codec = std::move(codec).value();
    return std::unique_ptr<flow::Output>(std::make_unique<MqttOutput>(std::move(o), ctx));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::mqtt
