#include "connectors/mqtt/input.h"

#include <mosquitto.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <optional>

#include "components/common/waker.h"
#include "connectors/common/codec.h"
#include "connectors/mqtt/publisher.h"
#include "connectors/mqtt/session.h"
#include "connectors/mqtt/topic_template.h"
#include "fmt/format.h"
#include "fmt/ranges.h"

namespace junction::connectors::mqtt {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kTopicHeader = "x-junction-mqtt-topic";

struct InputOptions {
  ConnectionOptions connection;
  std::vector<std::string> topics;
  int qos = 1;
  Codec codec = Codec::json();
  size_t batch_size = 100;
  size_t max_pending = 1000;
  std::string dead_letter;  // empty: none
  Duration dead_letter_timeout = std::chrono::seconds(10);
};

class MqttInput;

// Reached by ack callbacks from any thread; they post to the input's executor
// and act only while the input is open.
struct Target {
  MqttInput* input = nullptr;
};

// Subscribes to topic filters; each MQTT message becomes a flow message.
//
// libmosquitto 2.0 queues a QoS 1 message's PUBACK before it hands the
// message over and has no manual acknowledgement, so the session holds the
// whole outgoing queue back while any QoS 1 message of the connection is
// unsettled: PUBACKs leave only once every message received so far settled
// ok. A failure (with no dead_letter, or the dead letter failing) drops the
// connection without writing, so the broker keeps those messages and sends
// them again on the reconnect (persistent session: clean_session false).
class MqttInput final : public flow::Input, public SessionHandler {
 public:
  MqttInput(InputOptions o, flow::ComponentContext& ctx)
      : o_(std::move(o)), metrics_(ctx, "mqtt"), pool_(ctx.blocking), flow_(ctx.flow) {
    if (!o_.dead_letter.empty()) {
      // Its own connection, so its own readiness and metrics.
      flow::ComponentContext dl = ctx;
      dl.step += ".dead_letter";
      dead_letter_metrics_.emplace(dl, "mqtt");
    }
  }

  asio::awaitable<Status> open() override {
    if (!pool_) co_return Error::permanent("the mqtt input needs the blocking pool");
    ex_ = co_await asio::this_coro::executor;
    waker_.emplace(ex_);
    auto s = Session::create(o_.connection, ex_, *pool_, metrics_, *this);
    if (!s) co_return std::move(s).error();
    session_ = std::move(s).value();
    if (!o_.dead_letter.empty()) {
      dead_letters_ = std::make_unique<Publisher>(
          Publisher::Options{1, false, o_.dead_letter_timeout}, *dead_letter_metrics_);
      ConnectionOptions dl = o_.connection;
      dl.client_id += "-dlq";
      dl.clean_session = true;
      dl.mqtt5 = true;  // user properties carry the reason
      if (auto st = dead_letters_->init(std::move(dl), ex_, *pool_); !st) co_return st;
      dead_letters_->start();
    }
    target_->input = this;
    session_->start();
    spdlog::info("flow {}: subscribing to {} on {} (qos {})", flow_, fmt::join(o_.topics, ", "),
                 o_.connection.address(), o_.qos);
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    while (!stopped_ && !emitter.stopping()) {
      if (queue_.empty()) {
        co_await waker_->sleep_until(Clock::now() + std::chrono::seconds(1));
        continue;
      }
      MessageBatch batch;
      while (!queue_.empty() && batch.size() < o_.batch_size) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      session_->kick();  // the queue has room again
      Status s = co_await emitter.emit(std::move(batch));
      if (!s.ok()) break;
    }
    co_return ok_status();
  }

  void stop() override {
    // From here on a failure may be the shutdown itself (a batch the flow
    // could not take): it is left to the broker's redelivery, not dead-lettered.
    stopped_ = true;
    if (waker_) waker_->wake();
  }

  asio::awaitable<void> close() override {
    // Messages never handed to the flow are not settled: they fail, which
    // keeps their PUBACKs (and those queued behind them) from going out.
    queue_.clear();
    // Let acks posted while the flow drained arrive, so that a clean stop
    // sends the PUBACKs of everything that settled ok.
    co_await asio::post(ex_, asio::use_awaitable);
    // Dead letters in flight end by their own timeout at the latest.
    while (dead_letters_in_flight_ > 0) {
      co_await waker_->sleep_until(Clock::now() + std::chrono::milliseconds(100));
    }
    if (session_) co_await session_->stop();
    if (dead_letters_) co_await dead_letters_->stop();
    target_->input = nullptr;
    metrics_.closed();
    if (dead_letter_metrics_) dead_letter_metrics_->closed();
  }

  // SessionHandler, on the executor.
  void on_connected(bool session_present) override {
    unsettled_ = 0;
    failed_ = false;
    std::vector<char*> filters;
    for (auto& t : o_.topics) filters.push_back(t.data());
    int rc =
        mosquitto_subscribe_multiple(session_->handle(), nullptr, static_cast<int>(filters.size()),
                                     filters.data(), o_.qos, 0, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      session_->drop(fmt::format("subscribe: {}", mosquitto_strerror(rc)));
      return;
    }
    spdlog::info("flow {}: subscribed (session {})", flow_, session_present ? "resumed" : "new");
  }

  void on_connection_lost() override {
    // Whatever was not acked stays with the broker and comes again; what
    // still waits here would be a second copy.
    queue_.clear();
    unsettled_ = 0;
    failed_ = false;
  }

  void on_message(const mosquitto_message& m) override {
    std::string_view wire(static_cast<const char*>(m.payload),
                          static_cast<size_t>(std::max(m.payloadlen, 0)));
    metrics_.received(1, wire.size());
    Message msg;
    msg.id = new_message_id();
    msg.timestamp_ms = now_ms();
    msg.headers.set(kTopicHeader, m.topic);
    if (m.retain) msg.headers.set("x-junction-mqtt-retain", "true");
    auto payload = o_.codec.decode(wire);
    if (m.qos == 0) {
      if (!payload) {
        metrics_.error();
        spdlog::warn("flow {}: dropped a QoS 0 message on '{}': {}", flow_, m.topic,
                     payload.error().message());
        return;
      }
      msg.payload = std::move(payload).value();
      queue_.push_back(std::move(msg));
      waker_->wake();
      return;
    }
    ++unsettled_;
    const uint64_t conn = session_->connection();
    Buffer raw = o_.dead_letter.empty() ? Buffer() : Buffer::copy_of(wire);
    Ack ack([target = target_, ex = ex_, conn, topic = std::string(m.topic),
             raw = std::move(raw)](Status s) {
      asio::post(ex, [target, conn, topic, raw, s = std::move(s)] {
        if (target->input) target->input->settle(conn, topic, raw, s);
      });
    });
    if (!payload) {
      ack.settle(std::move(payload).error());  // never reaches the flow
      return;
    }
    msg.payload = std::move(payload).value();
    msg.ack = std::move(ack);
    queue_.push_back(std::move(msg));
    waker_->wake();
  }

  bool may_write() const override { return unsettled_ == 0 && !failed_; }
  bool may_read() const override { return queue_.size() < o_.max_pending; }

  // An ack callback's verdict, on the executor.
  void settle(uint64_t conn, const std::string& topic, const Buffer& raw, const Status& s) {
    if (conn != session_->connection() || !session_->connected()) return;  // comes again
    if (s.ok()) {
      settled_ok();
      return;
    }
    metrics_.error();
    if (!dead_letters_ || stopped_) {
      fail(topic, s.error().message());
      return;
    }
    ++dead_letters_in_flight_;
    asio::co_spawn(ex_, dead_letter(conn, topic, raw, s.error()), asio::detached);
  }

 private:
  void settled_ok() {
    if (--unsettled_ == 0) session_->kick();  // the PUBACKs may go
  }

  void fail(const std::string& topic, const std::string& reason) {
    if (failed_) return;
    failed_ = true;
    if (stopped_) return;  // close() drops the connection; the broker keeps the message
    spdlog::warn(
        "flow {}: a message on '{}' failed ({}); reconnecting without acknowledging, so the "
        "broker redelivers it",
        flow_, topic, reason);
    session_->drop("a message failed");
  }

  asio::awaitable<void> dead_letter(uint64_t conn, std::string topic, Buffer raw, Error error) {
    std::vector<Publication> one(1);
    one[0].topic = o_.dead_letter;
    one[0].payload = raw.str();
    one[0].properties = {{"x-junction-error", error.message()},
                         {"x-junction-error-class", std::string(to_string(error.cls()))},
                         {"x-junction-flow", flow_},
                         {std::string(kTopicHeader), topic}};
    flow::WriteResult r = co_await dead_letters_->publish(one);
    --dead_letters_in_flight_;
    if (waker_) waker_->wake();
    if (!target_->input || conn != session_->connection() || !session_->connected()) co_return;
    if (r.written == 1) {
      spdlog::warn("flow {}: a message on '{}' failed ({}); published to dead letter '{}'", flow_,
                   topic, error.message(), o_.dead_letter);
      settled_ok();
    } else {
      fail(topic, error.message() + "; dead letter failed: " + r.status.error().message());
    }
  }

  InputOptions o_;
  ConnectorMetrics metrics_;
  std::optional<ConnectorMetrics> dead_letter_metrics_;
  BlockingPool* pool_;
  std::string flow_;
  asio::any_io_executor ex_;
  std::optional<components::Waker> waker_;
  std::shared_ptr<Session> session_;
  std::unique_ptr<Publisher> dead_letters_;
  std::shared_ptr<Target> target_ = std::make_shared<Target>();
  std::deque<Message> queue_;  // received, not yet handed to the flow
  size_t unsettled_ = 0;       // QoS 1 messages of this connection not settled ok
  bool failed_ = false;        // one failed: this connection's PUBACKs never go
  size_t dead_letters_in_flight_ = 0;
  bool stopped_ = false;
};

}  // namespace

void register_mqtt_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "mqtt";
  info.kind = spec::ComponentKind::kInput;
  info.summary =
      "Subscribes to MQTT topic filters; QoS 1 messages are acknowledged after the flow.";
  info.doc =
      "Each MQTT message becomes a message with its payload decoded per `format` and its topic in "
      "the `x-junction-mqtt-topic` header (`x-junction-mqtt-retain: true` on retained ones).\n"
      "QoS 1: the PUBACK goes to the broker only once the flow settled the message ok; "
      "libmosquitto has no per-message acknowledgement, so the acknowledgements of a connection "
      "go out together, when every message received so far is settled (the broker's in-flight "
      "window, `max_inflight_messages`, 20 by default in mosquitto, bounds how many wait). When "
      "a message fails, the connection is dropped without acknowledging and the broker sends "
      "every unacknowledged message again on the reconnect (at least once: messages settled ok "
      "since the last acknowledgement come twice); a message that keeps failing holds the "
      "subscription up until it passes. With `dead_letter` set, a failed message is "
      "published there (QoS 1, with the reason as MQTT 5 user properties) and then acknowledged. "
      "`clean_session: false` (the default) keeps the subscription and the unacknowledged messages "
      "at the broker while Junction is down. QoS 0 messages are fire and forget.\n"
      "Example: `input: { mqtt: [sensors/+/temperature], host: broker, qos: 1, dead_letter: "
      "junction/dead }`.";
  info.schema.primary = "topics";
  info.schema.fields = {
      {"topics", spec::FieldType::kStringList, "",
       "Topic filters to subscribe to ('+' one level, '#' the rest).", true},
      {"qos", spec::FieldType::kInt, "1",
       "Subscription QoS: 0 (at most once) or 1 (at least once)."},
      {"clean_session", spec::FieldType::kBool, "false",
       "Start a fresh session on each connect (the broker then drops what it kept)."},
      {"batch_size", spec::FieldType::kInt, "100", "Messages per batch handed to the flow."},
      {"max_pending", spec::FieldType::kInt, "1000",
       "Messages received and not yet handed to the flow; reading pauses at this bound."},
      {"dead_letter", spec::FieldType::kString, "",
       "Topic that failed messages are published to before they are acknowledged."},
      {"dead_letter_timeout", spec::FieldType::kDuration, "10s",
       "How long a dead-letter publish may take before the message counts as failed."},
  };
  for (auto& f : connection_fields()) info.schema.fields.push_back(std::move(f));
  for (auto& f : Codec::fields(false)) info.schema.fields.push_back(std::move(f));
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    InputOptions o;
    auto conn = parse_connection(c, ctx, fmt::format("junction-{}-{}", ctx.flow, ctx.step));
    if (!conn) return std::move(conn).error();
    o.connection = std::move(conn).value();
    o.connection.clean_session = c.boolean("clean_session");
    o.topics = c.strings("topics");
    if (o.topics.empty()) return Error::invalid("topics: at least one topic filter");
    for (const auto& t : o.topics) {
      if (auto st = check_filter(t); !st) return std::move(st).error().wrap("topics");
    }
    const int64_t qos = c.integer("qos");
    if (qos != 0 && qos != 1) return Error::invalid("qos must be 0 or 1");
    o.qos = static_cast<int>(qos);
    const int64_t batch = c.integer("batch_size");
    const int64_t pending = c.integer("max_pending");
    if (batch < 1 || batch > 10'000) return Error::invalid("batch_size must be 1..10000");
    if (pending < 1 || pending > 1'000'000) return Error::invalid("max_pending must be 1..1000000");
    o.batch_size = static_cast<size_t>(batch);
    o.max_pending = static_cast<size_t>(pending);
    o.dead_letter = c.str("dead_letter");
    if (!o.dead_letter.empty()) {
      if (auto st = check_topic_name(o.dead_letter); !st) {
        return std::move(st).error().wrap("dead_letter");
      }
    }
    o.dead_letter_timeout = c.duration("dead_letter_timeout");
    if (o.dead_letter_timeout.count() <= 0) {
      return Error::invalid("dead_letter_timeout must be above zero");
    }
    auto codec = Codec::from_config(c, ctx);
    if (!codec) return std::move(codec).error();
    o.codec = std::move(codec).value();
    return std::unique_ptr<flow::Input>(std::make_unique<MqttInput>(std::move(o), ctx));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::mqtt
