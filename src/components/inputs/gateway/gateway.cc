#include "components/inputs/gateway/gateway.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "components/common/request_message.h"
#include "core/reply_slot.h"
#include "gateway/flow_target.h"
#include "observe/metrics.h"

namespace junction::components {
namespace {

using gateway::FlowAnswer;
using Outcome = FlowAnswer::Outcome;

// Where a request waits for its message's Ack: on the caller's executor,
// which the Ack (settled on the flow's thread) posts back to.
struct Pending {
  explicit Pending(const asio::any_io_executor& ex) : executor(ex), timer(ex) {}
  asio::any_io_executor executor;
  asio::steady_timer timer;
  std::optional<Status> outcome;
};

FlowAnswer answer(Outcome outcome) {
  FlowAnswer a;
  a.outcome = outcome;
  return a;
}

FlowAnswer failed(Error e) {
  FlowAnswer a = answer(Outcome::kFailed);
  a.error = std::move(e);
  return a;
}

// The flow as the gateway's routes reach it, registered in the process's
// FlowTargets while the flow runs. Shared by the input and the directory,
// and kept alive by every request in it, so it outlives whichever goes
// first. The emitter is touched only on the flow's executor; the rest is
// atomic.
class GatewayEndpoint final : public gateway::FlowEndpoint,
                              public std::enable_shared_from_this<GatewayEndpoint> {
 public:
  GatewayEndpoint(asio::any_io_executor flow_executor, int64_t max_in_flight,
                  observe::Gauge& in_flight, observe::Counter& refused)
      : flow_executor_(std::move(flow_executor)),
        max_in_flight_(max_in_flight),
        in_flight_gauge_(in_flight),
        refused_(refused) {}

  // Flow executor only.
  void attach(flow::Emitter& emitter) {
    emitter_ = &emitter;
    accepting_ = true;
  }
  void stop_accepting() { accepting_ = false; }
  void detach() {
    accepting_ = false;
    emitter_ = nullptr;
  }

  asio::awaitable<FlowAnswer> call(gateway::FlowCall call) override {
    if (!accepting_.load()) co_return answer(Outcome::kUnavailable);
    if (in_flight_.fetch_add(1) >= max_in_flight_) {
      in_flight_.fetch_sub(1);
      refused_.inc();
      co_return answer(Outcome::kBusy);
    }
    in_flight_gauge_.add(1);

    auto ex = co_await asio::this_coro::executor;
    auto pending = std::make_shared<Pending>(ex);
    pending->timer.expires_after(call.timeout);
    auto slot = std::make_shared<ReplySlot>();
    Message msg = to_message(call);
    msg.reply = ReplySlots(slot);
    // Counted out when the flow is done with the message, not when the
    // caller stops waiting: max_in_flight bounds what is in the flow.
    msg.ack = Ack([self = shared_from_this(), pending](Status s) {
      self->in_flight_.fetch_sub(1);
      self->in_flight_gauge_.add(-1);
      asio::post(pending->executor, [pending, s = std::move(s)]() mutable {
        pending->outcome = std::move(s);
        pending->timer.cancel();
      });
    });
    MessageBatch batch;
    batch.push_back(std::move(msg));
    asio::co_spawn(flow_executor_, emit(shared_from_this(), std::move(batch)), asio::detached);

    boost::system::error_code ec;
    while (!pending->outcome) {
      co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) break;  // the timer expired rather than being cancelled by the Ack
    }
    if (!pending->outcome) co_return answer(Outcome::kTimedOut);
    if (!pending->outcome->ok()) co_return failed(pending->outcome->error());
    ReplySlot::Contents contents = slot->contents();
    if (contents.failure) co_return failed(std::move(*contents.failure));
    if (!contents.payload) co_return answer(Outcome::kNoReply);
    FlowAnswer a = answer(Outcome::kReplied);
    a.payload = std::move(*contents.payload);
    a.headers = std::move(contents.headers);
    co_return a;
  }

 private:
  static Message to_message(const gateway::FlowCall& call) {
    Message msg = request_message(call.request, call.info, Buffer::copy_of(call.request.body()));
    for (const auto& [name, value] : call.params) msg.headers.set("http-param-" + name, value);
    if (!call.consumer.empty()) msg.headers.set("http-consumer", call.consumer);
    return msg;
  }

  // Runs on the flow's executor, where the emitter lives. A batch that
  // cannot be emitted is dropped, which settles its Ack as failed: the
  // caller answers 503.
  static asio::awaitable<void> emit(std::shared_ptr<GatewayEndpoint> self, MessageBatch batch) {
    if (!self->emitter_ || self->emitter_->stopping()) co_return;
    Status s = co_await self->emitter_->emit(std::move(batch));
    (void)s;  // a failed emit settled the batch as failed
  }

  asio::any_io_executor flow_executor_;
  const int64_t max_in_flight_;
  observe::Gauge& in_flight_gauge_;
  observe::Counter& refused_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> accepting_{false};
  flow::Emitter* emitter_ = nullptr;
};

// Takes requests from the gateway's routes whose target is this flow. It
// reads nothing itself: it registers the flow in the process's FlowTargets
// while it runs, and each request comes in through GatewayEndpoint::call.
class GatewayInput final : public flow::Input {
 public:
  GatewayInput(std::string flow, int64_t max_in_flight, gateway::FlowTargets* targets,
               observe::Registry& metrics)
      : flow_(std::move(flow)),
        max_in_flight_(max_in_flight),
        targets_(targets),
        in_flight_(metrics.gauge("junction_gateway_flow_in_flight",
                                 "gateway requests in a flow, by flow", {{"flow", flow_}})),
        refused_(metrics.counter("junction_gateway_flow_refused_total",
                                 "gateway requests refused because max_in_flight were in the flow",
                                 {{"flow", flow_}})) {}

  asio::awaitable<Status> open() override {
    if (!targets_) {
      co_return Error::permanent("the gateway input needs a `gateway:` section in the spec");
    }
    auto ex = co_await asio::this_coro::executor;
    endpoint_ = std::make_shared<GatewayEndpoint>(ex, max_in_flight_, in_flight_, refused_);
    if (!targets_->add(flow_, endpoint_)) {
      endpoint_.reset();
      co_return Error::permanent("flow '" + flow_ + "' is already served to the gateway");
    }
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    stop_timer_.emplace(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    endpoint_->attach(emitter);
    boost::system::error_code ec;
    while (!stopped_ && !emitter.stopping()) {
      co_await stop_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    endpoint_->detach();
    co_return ok_status();
  }

  void stop() override {
    stopped_ = true;
    if (endpoint_) endpoint_->stop_accepting();
    if (stop_timer_) stop_timer_->cancel();
  }

  asio::awaitable<void> close() override {
    if (endpoint_) targets_->remove(flow_, endpoint_.get());
    endpoint_.reset();
    co_return;
  }

 private:
  std::string flow_;
  int64_t max_in_flight_;
  gateway::FlowTargets* targets_;
  observe::Gauge& in_flight_;
  observe::Counter& refused_;
  std::shared_ptr<GatewayEndpoint> endpoint_;
  std::optional<asio::steady_timer> stop_timer_;
  bool stopped_ = false;
};

}  // namespace

void register_gateway_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "gateway";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Takes requests from gateway routes with `to: { flow: NAME }` (request/reply).";
  info.doc =
      "A route of the spec's `gateway:` section whose target is `{ flow: NAME }` sends each "
      "request into flow NAME as one message, and answers with what the flow's `reply` output "
      "got (see docs/gateway.md, Flow targets). The message's payload is the request body, its "
      "id the request id; request headers become metadata (except credentials, hop-by-hop "
      "headers and names starting with `http-` or `http_`), with `http-method`, `http-target` "
      "(path and query), `http-param-<name>` for each path parameter of the route, "
      "`http-consumer` for an authenticated caller and `client-subject` with mTLS. "
      "At most `max_in_flight` requests are in the flow at once; beyond that the route answers "
      "503 with Retry-After. When the flow stops, requests not yet in it are answered 503.\n"
      "Example: `input: { gateway: {} }`.";
  info.schema.fields = {
      {"max_in_flight", spec::FieldType::kInt, "1024",
       "Requests in the flow at once; beyond it 503."},
  };
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    int64_t max = c.integer("max_in_flight");
    if (max < 1 || max > 1000000) {
      return Error::invalid("max_in_flight must be between 1 and 1000000");
    }
    return std::unique_ptr<flow::Input>(
        std::make_unique<GatewayInput>(ctx.flow, max, ctx.flow_targets, *ctx.metrics));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
