#include "connectors/nats/input.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "components/common/blocking_call.h"
#include "components/common/waker.h"
#include "connectors/common/codec.h"
#include "connectors/common/connector_metrics.h"
#include "connectors/nats/config.h"
#include "connectors/nats/connection.h"
#include "connectors/nats/credit.h"
#include "connectors/nats/headers.h"
#include "connectors/nats/pull.h"
#include "connectors/nats/settler.h"
#include "core/cpu_affinity.h"
#include "resilience/backoff.h"

namespace junction::connectors::nats {
namespace {

using Clock = std::chrono::steady_clock;

// Fetched batches on their way from the fetch thread to the flow's
// executor. Bounded by the in-flight credit: the fetch thread asks for no
// more than max_in_flight minus what is unsettled.
struct Inbox {
  std::mutex mu;
  std::deque<std::vector<natsMsg*>> batches;
  std::optional<Error> fatal;  // the consumer cannot be set up: stops the flow
};

// Reached from the fetch thread through posts to the executor.
struct Target {
  components::Waker* waker = nullptr;  // set while run() runs
};

// A JetStream durable pull consumer. A thread of the input's own runs the
// blocking fetches (and sets the consumer up, again after errors); fetched
// messages are posted to the flow's executor and emitted there. Each
// message's Ack hands it to the Settler's thread: ack after the flow settled
// it ok, nak with a growing delay on a transient failure, dead letter and
// term otherwise. Nothing is acked before the flow is done with it.
class NatsInput final : public flow::Input {
 public:
  NatsInput(InputOptions o, Codec codec, const flow::ComponentContext& ctx)
      : o_(std::move(o)),
        codec_(std::move(codec)),
        metrics_(ctx, "nats"),
        blocking_(ctx.blocking),
        connection_(o_.connection, metrics_),
        credit_(o_.max_in_flight, o_.batch),
        settler_(o_, connection_, metrics_, [this](int n) { credit_.give_back(n); }) {}

  ~NatsInput() override { shutdown(); }

  asio::awaitable<Status> open() override {
    if (!blocking_) co_return Error::permanent("the nats input needs the blocking pool");
    ex_ = co_await asio::this_coro::executor;
    metrics_.connecting();
    settler_.start();
    fetcher_ = cpu::unpinned_thread([this] { fetch_loop(); });
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    waker_.emplace(ex_);
    target_->waker = &*waker_;
    Status result = ok_status();
    while (!stopped_ && !emitter.stopping()) {
      std::vector<natsMsg*> fetched;
      {
        std::lock_guard lock(inbox_->mu);
        if (inbox_->fatal) {
          result = *inbox_->fatal;
          break;
        }
        if (!inbox_->batches.empty()) {
          fetched = std::move(inbox_->batches.front());
          inbox_->batches.pop_front();
        }
      }
      if (fetched.empty()) {
        co_await waker_->sleep_until(Clock::now() + std::chrono::seconds(1));
        continue;
      }
      MessageBatch batch = to_messages(fetched);
      if (batch.empty()) continue;
      Status emitted = co_await emitter.emit(std::move(batch));
      if (!emitted.ok()) break;
    }
    target_->waker = nullptr;
    co_return result;
  }

  void stop() override {
    stopped_ = true;
    if (waker_) waker_->wake();
  }

  asio::awaitable<void> close() override {
    // Joining threads waits for a fetch to time out: not on the executor.
    auto join = [this] { shutdown(); };
    co_await components::blocking_call(*blocking_, join);
    metrics_.closed();
  }

 private:
  // Messages, from fetched NATS messages. One that cannot be decoded is
  // settled as invalid at once (dead letter, term) and not emitted.
  MessageBatch to_messages(std::vector<natsMsg*>& fetched) {
    MessageBatch batch;
    batch.reserve(fetched.size());
    const auto& queue = settler_.queue();
    for (natsMsg* m : fetched) {
      const int size = natsMsg_GetDataLength(m);
      metrics_.received(1, static_cast<size_t>(size));
      auto payload = codec_.decode(std::string_view(natsMsg_GetData(m), static_cast<size_t>(size)));
      if (!payload) {
        queue->push(m, payload.error().wrap(fmt::format("nats {}", natsMsg_GetSubject(m))));
        continue;
      }
      Message msg;
      msg.payload = std::move(*payload);
      read_headers(m, msg.headers);
      msg.headers.set(kSubjectHeader, natsMsg_GetSubject(m));
      const char* reply = natsMsg_GetReply(m);
      if (auto d = parse_ack_subject(reply ? reply : "")) {
        msg.timestamp_ms = d->timestamp_ns / 1'000'000;
        msg.id = fmt::format("{}-{}", d->stream, d->stream_seq);
      } else {
        msg.timestamp_ms = now_ms();
      }
      // The publisher's id when it gave one, so JetStream de-duplication
      // holds across a Junction bridge; else the stream position, which is
      // as stable across redeliveries.
      if (auto id = msg.headers.get(kMsgIdHeader)) msg.id = std::string(*id);
      if (msg.id.empty()) msg.id = new_message_id();
      msg.ack = Ack([queue, m](Status s) { queue->push(m, std::move(s)); });
      batch.push_back(std::move(msg));
    }
    return batch;
  }

  // --- the fetch thread ---

  void fetch_loop() {
    if (Status st = connection_.open(); !st) return fail(st.error());
    resilience::Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(5));
    int failures = 0;
    bool subscribed_once = false;
    auto pause = [&] { credit_.wait_stopped_for(backoff.delay(++failures)); };
    while (!credit_.stopped()) {
      if (!pull_.subscribed()) {
        Status st = subscribe();
        if (!st) {
          // A spec mistake (no such stream, a filter outside it) stops the
          // flow, but only before the consumer ever worked: later, a server
          // that is still starting answers oddly for a while.
          if (st.error().cls() == ErrorClass::kInvalid && !subscribed_once) {
            return fail(st.error());
          }
          if (failures == 0) spdlog::warn("{}", st.error().message());
          metrics_.error();
          pause();
          continue;
        }
        failures = 0;
        subscribed_once = true;
      }
      const int n = credit_.take();
      if (n == 0) break;
      auto fetched = pull_.fetch(n, o_.fetch_wait);
      if (fetched) {
        failures = 0;
        hand_off(std::move(*fetched), n);
        continue;
      }
      credit_.give_back(n);
      if (failures == 0) spdlog::warn("{}: {}", o_.stream.name, fetched.error().message());
      metrics_.error();
      pull_.reset();  // set the consumer up again: it may have been deleted
      pause();
    }
  }

  // Creates (or updates) the durable consumer and the inbox its pull
  // requests are answered on. The consumer is created explicitly so that it
  // outlives the input (a durable is the group's position).
  Status subscribe() {
    if (Status st = connection_.ensure_stream(o_.stream); !st) return st;
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = o_.durable.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = o_.ack_wait.count();
    cc.MaxDeliver = o_.max_deliver;
    cc.FilterSubject = o_.subject.c_str();
    cc.MaxAckPending = o_.max_in_flight;
    jsConsumerInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s =
        js_AddConsumer(&info, connection_.js(), o_.stream.name.c_str(), &cc, nullptr, &code);
    if (s != NATS_OK && code == JSConsumerNameExistErr) {
      // It exists with other settings (ack_wait changed in the spec).
      code = static_cast<jsErrCode>(0);
      s = js_UpdateConsumer(&info, connection_.js(), o_.stream.name.c_str(), &cc, nullptr, &code);
    }
    jsConsumerInfo_Destroy(info);
    if (s != NATS_OK) {
      return status_error(s, code,
                          fmt::format("consumer {} on stream {}", o_.durable, o_.stream.name));
    }
    if (Status st = pull_.subscribe(connection_.nc(), o_.stream.name, o_.durable); !st) return st;
    spdlog::info("nats: consuming {} ({}) as durable {}", o_.stream.name, o_.subject, o_.durable);
    return ok_status();
  }

  void hand_off(std::vector<natsMsg*> msgs, int asked) {
    // Late messages of an earlier request can make it more than asked.
    credit_.give_back(asked - static_cast<int>(msgs.size()));
    if (msgs.empty()) return;
    {
      std::lock_guard lock(inbox_->mu);
      inbox_->batches.push_back(std::move(msgs));
    }
    wake();
  }

  void fail(const Error& e) {
    spdlog::error("{}", e.message());
    {
      std::lock_guard lock(inbox_->mu);
      inbox_->fatal = e;
    }
    wake();
  }

  void wake() {
    asio::post(ex_, [target = target_] {
      if (target->waker) target->waker->wake();
    });
  }

  // Stops the threads and lets go of the server. Fetched messages the flow
  // never got are naked for immediate redelivery; settlements already queued
  // are carried out first. Idempotent; blocks (a fetch in progress ends by
  // fetch_wait, a dead letter by timeout).
  void shutdown() {
    credit_.stop();
    if (fetcher_.joinable()) fetcher_.join();
    std::deque<std::vector<natsMsg*>> unsent;
    {
      std::lock_guard lock(inbox_->mu);
      unsent.swap(inbox_->batches);
    }
    for (auto& msgs : unsent) {
      for (natsMsg* m : msgs) {
        (void)nak(connection_.nc(), m, Duration::zero());
        natsMsg_Destroy(m);
      }
    }
    settler_.stop();
    pull_.reset();
    connection_.close();
  }

  InputOptions o_;
  Codec codec_;
  ConnectorMetrics metrics_;
  BlockingPool* blocking_;
  Connection connection_;
  InFlightCredit credit_;
  Settler settler_;
  asio::any_io_executor ex_;
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
  std::shared_ptr<Target> target_ = std::make_shared<Target>();
  std::optional<components::Waker> waker_;
  bool stopped_ = false;

  std::thread fetcher_;
  PullConsumer pull_;  // the fetch thread's until it is joined
};

}  // namespace

void register_nats_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "nats";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Consumes a NATS JetStream stream through a durable pull consumer.";
  info.doc =
      "Fetches batches from the durable consumer `durable` (created, or updated, with explicit "
      "acks, `ack_wait`, `max_deliver` and `subject` as its filter) on a thread of its own. "
      "Each message carries its NATS headers, its subject in `x-junction-nats-subject`, its "
      "id from `Nats-Msg-Id` (else `<stream>-<sequence>`) and the stream's timestamp.\n"
      "A message is acked only after the flow settled it ok. A transient failure naks it with "
      "a delay of `nak_delay` doubling per delivery (up to `nak_delay_max`); a permanent or "
      "invalid failure, or the failure of its last delivery (`max_deliver`), publishes it to "
      "`dead_letter` when set (with `x-junction-error` and the other dead-letter headers, "
      "waiting for the JetStream ack) and then terminates it. An unacked message is "
      "redelivered by the server after `ack_wait`. While the server is away the input "
      "reconnects every `reconnect_wait` for ever and is not ready; fetches resume after.\n"
      "Example: `input: { nats: { url: nats://127.0.0.1:4222, stream: ORDERS, subject: "
      "orders.>, durable: billing, dead_letter: dlq.orders } }`.";
  info.schema.fields = input_fields();
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    auto o = parse_input(c, fmt::format("junction/{}/{}", ctx.flow, ctx.step), ctx.flow);
    if (!o) return o.error();
    auto codec = Codec::from_config(c, ctx);
    if (!codec) return codec.error();
    return std::unique_ptr<flow::Input>(
        std::make_unique<NatsInput>(std::move(*o), std::move(*codec), ctx));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::nats
