#include "connectors/redis/stream_input.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <unordered_map>

#include "components/common/inflight.h"
#include "components/common/waker.h"
#include "connectors/common/connector_metrics.h"
#include "connectors/redis/link.h"
#include "connectors/redis/recovery_plan.h"
#include "connectors/redis/stream_acker.h"
#include "resilience/backoff.h"

namespace junction::connectors::redis {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using components::Waker;

constexpr int kMaxAutoclaimPages = 10;  // XAUTOCLAIM calls per recovery pass

// Reached by ack callbacks from any thread: they post to the input's
// executor and act only while the input is open.
class StreamInput;
struct Target {
  StreamInput* input = nullptr;
};

bool is_nogroup(const Reply& r) {
  return r.is_error() && r.str.rfind("NOGROUP", 0) == 0;
}

// Consumes a Redis stream as a member of a consumer group.
//
// Two connections, each on a thread of its own: the reader (XREADGROUP
// BLOCK, and the recovery of pending entries) and the acker (XACK), so that
// acks are not held behind a blocked read. An entry is XACKed only after the
// flow settled its message ok. A failed entry stays in this consumer's
// pending entries list (PEL); a recovery pass, run at start, after a
// reconnect and after failures, reads the PEL (XPENDING) and claims the
// entries not in flight (XCLAIM, which counts a delivery), or, once they
// were delivered max_deliveries times, moves them to the dead-letter stream
// and XACKs them in one MULTI/EXEC.
class StreamInput final : public flow::Input {
 public:
  StreamInput(StreamInputOptions o, const flow::ComponentContext& ctx)
      : o_(std::move(o)),
        flow_(ctx.flow),
        metrics_(ctx, "redis"),
        status_(metrics_, flow_, "redis " + o_.endpoint.display()),
        acker_(o_.endpoint, o_.stream, o_.group, status_) {}

  asio::awaitable<Status> open() override {
    ex_ = co_await asio::this_coro::executor;
    reader_ = std::make_unique<Link>(o_.endpoint);
    reader_waker_.emplace(ex_);
    target_->input = this;
    metrics_.connecting();
    // The acker runs until close(): acks keep coming while the flow drains.
    acker_.start(ex_);
    spdlog::info("flow {}: consuming redis stream {} at {} as {}/{}", flow_, o_.stream,
                 o_.endpoint.display(), o_.group, o_.consumer);
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    resilience::Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(5));
    int failures = 0;
    while (!stopped_ && !emitter.stopping()) {
      Status s = co_await step(emitter);
      if (s.ok()) {
        failures = 0;
        continue;
      }
      if (!s.error().retryable()) {
        co_return s.error().wrap(fmt::format("redis stream {}", o_.stream));
      }
      status_.down(s.error().message());
      recover_ = true;  // what was read before the loss is pending: read it again
      cursor_ = "-";
      co_await reader_waker_->sleep_until(Clock::now() + backoff.delay(++failures));
    }
    co_return ok_status();
  }

  void stop() override {
    stopped_ = true;
    if (reader_waker_) reader_waker_->wake();
  }

  asio::awaitable<void> close() override {
    // Let acks posted while the flow drained arrive, then XACK them once.
    co_await asio::post(ex_, asio::use_awaitable);
    co_await acker_.close();
    target_->input = nullptr;
    reader_.reset();  // joins its thread: a call is bounded by timeouts
    metrics_.closed();
  }

  // An ack callback, on the executor.
  void settled(const std::string& id, const Status& s) {
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;
    const int64_t deliveries = it->second;
    in_flight_.erase(it);
    if (s.ok()) {
      failures_.erase(id);
      acker_.ack(id);
    } else {
      // It stays pending; a recovery pass redelivers or dead-letters it.
      failures_[id] = s.error().message();
      const auto due = Clock::now() + components::InflightTracker::backoff(
                                          static_cast<int>(std::min<int64_t>(deliveries, 30)));
      if (!recover_ || due < recover_at_) recover_at_ = due;
      recover_ = true;
      ++failure_epoch_;
    }
    reader_waker_->wake();
  }

 private:
  // One round of the reader: create the group, recover pending entries, or
  // read new ones.
  asio::awaitable<Status> step(flow::Emitter& emitter) {
    if (!group_ready_) {
      Status s = co_await ensure_group();
      if (!s.ok()) co_return s;
    }
    const auto now = Clock::now();
    if (in_flight_.size() >= o_.max_in_flight) {
      // Full: wait for an ack to make room.
      co_await reader_waker_->sleep_until(now + std::chrono::seconds(1));
      co_return ok_status();
    }
    const bool claim_due = o_.claim_idle > Duration::zero() && now >= next_claim_;
    if ((recover_ && now >= recover_at_) || claim_due) co_return co_await recover(emitter);
    co_return co_await read_new(emitter);
  }

  asio::awaitable<Status> ensure_group() {
    if (o_.create_group) {
      std::vector<Command> cmds = {
          {"XGROUP", "CREATE", o_.stream, o_.group, o_.start_id, "MKSTREAM"}};
      PipelineResult r = co_await reader_->run(&cmds);
      if (!r.transport.ok()) co_return r.transport;
      status_.up();
      const Reply& reply = r.replies[0];
      if (reply.is_error() && reply.str.rfind("BUSYGROUP", 0) != 0) {
        co_return classify_error_reply(reply.str).wrap("XGROUP CREATE");
      }
      if (!reply.is_error()) {
        spdlog::info("flow {}: created group {} on stream {} at {}", flow_, o_.group, o_.stream,
                     o_.start_id);
      }
    }
    group_ready_ = true;
    co_return ok_status();
  }

  asio::awaitable<Status> read_new(flow::Emitter& emitter) {
    const size_t room = o_.max_in_flight - in_flight_.size();
    const auto block_ms = std::chrono::duration_cast<std::chrono::milliseconds>(o_.block);
    std::vector<Command> cmds = {{"XREADGROUP", "GROUP", o_.group, o_.consumer, "COUNT",
                                  std::to_string(std::min(o_.batch, room)), "BLOCK",
                                  std::to_string(block_ms.count()), "STREAMS", o_.stream, ">"}};
    PipelineResult r = co_await reader_->run(&cmds, o_.block);
    if (!r.transport.ok()) co_return r.transport;
    status_.up();
    Status s = group_error(r.replies[0]);
    if (!s.ok() || r.replies[0].is_error()) co_return s;
    auto entries = parse_read(r.replies[0]);
    if (!entries) co_return entries.error();
    std::vector<Delivery> batch;
    batch.reserve(entries->size());
    for (auto& e : *entries) batch.push_back({std::move(e), 1});
    co_return co_await deliver(emitter, std::move(batch));
  }

  // A missing group (deleted, or the server lost its data) is created again
  // when create_group is on; the PEL went with it, and so did what it knew.
  Status group_error(const Reply& reply) {
    if (!reply.is_error()) return ok_status();
    if (is_nogroup(reply) && o_.create_group) {
      spdlog::warn("flow {}: group {} of stream {} is gone; creating it again", flow_, o_.group,
                   o_.stream);
      group_ready_ = false;
      return ok_status();
    }
    return classify_error_reply(reply.str);
  }

  struct Delivery {
    StreamEntry entry;
    int64_t deliveries;
  };

  // Hands entries to the flow; an entry whose payload cannot be decoded goes
  // to the dead-letter stream at once (a retry would fail the same way).
  asio::awaitable<Status> deliver(flow::Emitter& emitter, std::vector<Delivery> batch) {
    MessageBatch messages;
    std::vector<int64_t> deliveries;
    std::vector<DeadLetter> rejects;
    size_t bytes = 0;
    for (auto& d : batch) {
      auto m = to_message(d.entry, o_.stream, d.deliveries, o_.format);
      if (!m) {
        rejects.push_back({std::move(d.entry), m.error().message(), d.deliveries});
        continue;
      }
      bytes += m->payload.size();
      messages.push_back(std::move(*m));
      deliveries.push_back(d.deliveries);
    }
    // When this fails the good entries stay pending too (nothing is in
    // flight yet), and the recovery after the reconnect delivers them.
    if (!rejects.empty()) {
      Status s = co_await dead_letter(std::move(rejects));
      if (!s.ok()) co_return s;
    }
    if (messages.empty()) co_return ok_status();
    for (size_t i = 0; i < messages.size(); ++i) {
      std::string id(*messages[i].headers.get(kIdHeader));
      messages[i].ack = Ack([target = target_, ex = ex_, id](Status s) {
        asio::post(ex, [target, id, s = std::move(s)] {
          if (target->input) target->input->settled(id, s);
        });
      });
      in_flight_.emplace(std::move(id), deliveries[i]);
    }
    metrics_.received(messages.size(), bytes);
    Status s = co_await emitter.emit(std::move(messages));
    // Refused while stopping: the messages were settled as failed and stay
    // pending for the next start.
    (void)s;
    co_return ok_status();
  }

  // Reads this consumer's PEL from the cursor on and redelivers or
  // dead-letters what is not in flight; first, when claim_idle is set, takes
  // over entries other consumers left idle that long.
  asio::awaitable<Status> recover(flow::Emitter& emitter) {
    if (o_.claim_idle > Duration::zero() && Clock::now() >= next_claim_) {
      Status s = co_await claim_abandoned();
      if (!s.ok()) co_return s;
      next_claim_ = Clock::now() + o_.claim_idle;
      recover_ = true;
      recover_at_ = Clock::now();
    }
    if (cursor_ == "-") pass_epoch_ = failure_epoch_;
    const size_t room = o_.max_in_flight - in_flight_.size();
    const size_t count = std::max<size_t>(o_.batch, 1);
    std::vector<Command> cmds = {
        {"XPENDING", o_.stream, o_.group, cursor_, "+", std::to_string(count), o_.consumer}};
    PipelineResult r = co_await reader_->run(&cmds);
    if (!r.transport.ok()) co_return r.transport;
    status_.up();
    Status gs = group_error(r.replies[0]);
    if (!gs.ok() || r.replies[0].is_error()) co_return gs;
    auto pending = parse_pending(r.replies[0]);
    if (!pending) co_return pending.error();

    auto busy = [this](const std::string& id) {
      return in_flight_.contains(id) || acker_.unsent(id);
    };
    RecoveryPlan plan = plan_recovery(std::move(*pending), count, room, o_.max_deliveries, busy);
    if (!plan.expired.empty()) {
      Status s = co_await expire(plan.expired);
      if (!s.ok()) co_return s;
    }
    if (!plan.redeliver.empty()) {
      Status s = co_await claim_and_deliver(emitter, plan.redeliver);
      if (!s.ok()) co_return s;
    }
    if (plan.out_of_room) co_return ok_status();
    if (plan.last_page) {
      // Done, unless an entry failed during the pass (perhaps behind the cursor).
      cursor_ = "-";
      recover_ = failure_epoch_ != pass_epoch_;
    } else {
      cursor_ = plan.next_cursor;
    }
    co_return ok_status();
  }

  // XCLAIM with min-idle 0 on our own entries: returns them and counts the
  // delivery. Entries deleted from the stream meanwhile are dropped from the
  // PEL by the server (Redis 7) and not returned.
  asio::awaitable<Status> claim_and_deliver(flow::Emitter& emitter,
                                            const std::vector<PendingEntry>& pending) {
    std::vector<Command> cmds(1);
    Command& claim = cmds[0];
    claim = {"XCLAIM", o_.stream, o_.group, o_.consumer, "0"};
    for (const auto& p : pending) claim.push_back(p.id);
    PipelineResult r = co_await reader_->run(&cmds);
    if (!r.transport.ok()) co_return r.transport;
    Status gs = group_error(r.replies[0]);
    if (!gs.ok() || r.replies[0].is_error()) co_return gs;
    auto entries = parse_entries(r.replies[0]);
    if (!entries) co_return entries.error();
    std::unordered_map<std::string, int64_t> deliveries;
    for (const auto& p : pending) deliveries[p.id] = p.deliveries + 1;
    std::vector<Delivery> batch;
    batch.reserve(entries->size());
    for (auto& e : *entries) {
      auto it = deliveries.find(e.id);
      if (it == deliveries.end()) continue;
      const int64_t n = it->second;
      deliveries.erase(it);
      batch.push_back({std::move(e), n});
    }
    if (!deliveries.empty()) {
      // XCLAIM with min-idle 0 skips only ids that are not pending or not in
      // the stream any more. Not pending: the acker's XACK landed after
      // XPENDING listed them; this XACK does nothing to them. Deleted while
      // pending: nothing to deliver; Redis 7 drops them from the PEL itself,
      // older servers keep them, and without this XACK every pass would stop
      // at them again.
      cmds[0] = {"XACK", o_.stream, o_.group};
      for (const auto& [id, n] : deliveries) cmds[0].push_back(id);
      PipelineResult acked = co_await reader_->run(&cmds);
      if (!acked.transport.ok()) co_return acked.transport;
    }
    if (!batch.empty()) {
      spdlog::info("flow {}: redelivering {} pending entr{} of stream {}", flow_, batch.size(),
                   batch.size() == 1 ? "y" : "ies", o_.stream);
    }
    co_return co_await deliver(emitter, std::move(batch));
  }

  // XAUTOCLAIM ... JUSTID: moves entries idle for claim_idle to this
  // consumer without counting a delivery; the PEL pass then delivers them.
  asio::awaitable<Status> claim_abandoned() {
    const auto idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(o_.claim_idle);
    std::string start = "0-0";
    for (int page = 0; page < kMaxAutoclaimPages; ++page) {
      std::vector<Command> cmds = {{"XAUTOCLAIM", o_.stream, o_.group, o_.consumer,
                                    std::to_string(idle_ms.count()), start, "COUNT",
                                    std::to_string(o_.batch), "JUSTID"}};
      PipelineResult r = co_await reader_->run(&cmds);
      if (!r.transport.ok()) co_return r.transport;
      const Reply& reply = r.replies[0];
      Status gs = group_error(reply);
      if (!gs.ok() || reply.is_error()) co_return gs;
      if (!reply.is_array() || reply.elements.size() < 2) {
        co_return Error::permanent("redis: unexpected reply shape for XAUTOCLAIM");
      }
      start = reply.elements[0].str;
      if (!reply.elements[1].elements.empty()) {
        spdlog::info("flow {}: took over {} idle entr{} of stream {}", flow_,
                     reply.elements[1].elements.size(),
                     reply.elements[1].elements.size() == 1 ? "y" : "ies", o_.stream);
      }
      if (start == "0-0") break;
    }
    co_return ok_status();
  }

  struct DeadLetter {
    StreamEntry entry;
    std::string reason;
    int64_t deliveries;
  };

  // Entries delivered max_deliveries times: read them (XRANGE) and move them.
  asio::awaitable<Status> expire(const std::vector<PendingEntry>& expired) {
    std::vector<Command> cmds;
    cmds.reserve(expired.size());
    for (const auto& p : expired) cmds.push_back({"XRANGE", o_.stream, p.id, p.id});
    PipelineResult r = co_await reader_->run(&cmds);
    if (!r.transport.ok()) co_return r.transport;
    std::vector<DeadLetter> letters;
    for (size_t i = 0; i < expired.size(); ++i) {
      if (r.replies[i].is_error()) co_return classify_error_reply(r.replies[i].str);
      auto entries = parse_entries(r.replies[i]);
      if (!entries) co_return entries.error();
      StreamEntry e;
      e.id = expired[i].id;
      // An entry deleted from the stream while pending (XRANGE finds nothing)
      // is dead-lettered all the same: its id and reason, without fields.
      if (!entries->empty()) e = std::move(entries->front());
      auto known = failures_.find(e.id);
      std::string reason = known != failures_.end() ? known->second
                                                    : fmt::format("not settled after {} deliveries",
                                                                  expired[i].deliveries);
      letters.push_back({std::move(e), std::move(reason), expired[i].deliveries});
    }
    co_return co_await dead_letter(std::move(letters));
  }

  // XADD to the dead-letter stream and XACK in one MULTI/EXEC, so that an
  // entry is never both dead-lettered and still pending (which would
  // dead-letter it twice).
  asio::awaitable<Status> dead_letter(std::vector<DeadLetter> letters) {
    std::vector<Command> cmds;
    for (const auto& l : letters) {
      cmds.push_back({"MULTI"});
      cmds.push_back(
          dead_letter_command(o_.dead_letter, o_.stream, l.entry, l.reason, l.deliveries));
      cmds.push_back({"XACK", o_.stream, o_.group, l.entry.id});
      cmds.push_back({"EXEC"});
    }
    PipelineResult r = co_await reader_->run(&cmds);
    if (!r.transport.ok()) co_return r.transport;
    for (const auto& reply : r.replies) {
      // EXEC answers with the array of the queued commands' replies.
      if (reply.is_error()) co_return classify_error_reply(reply.str).wrap("dead letter");
      if (reply.is_array()) {
        for (const auto& inner : reply.elements) {
          if (inner.is_error()) co_return classify_error_reply(inner.str).wrap("dead letter");
        }
      }
    }
    for (const auto& l : letters) {
      failures_.erase(l.entry.id);
      spdlog::warn("flow {}: entry {} of stream {} dead-lettered to {} after {} deliveries: {}",
                   flow_, l.entry.id, o_.stream, o_.dead_letter, l.deliveries, l.reason);
    }
    co_return ok_status();
  }

  StreamInputOptions o_;
  std::string flow_;
  ConnectorMetrics metrics_;
  LinkStatus status_;
  asio::any_io_executor ex_;
  std::shared_ptr<Target> target_ = std::make_shared<Target>();
  std::unique_ptr<Link> reader_;
  StreamAcker acker_;
  std::optional<Waker> reader_waker_;

  std::unordered_map<std::string, int64_t> in_flight_;     // emitted, not settled: deliveries
  std::unordered_map<std::string, std::string> failures_;  // id -> last reason

  uint64_t failure_epoch_ = 0;  // failures settled so far
  uint64_t pass_epoch_ = 0;     // failure_epoch_ when the current PEL pass began
  bool group_ready_ = false;
  bool recover_ = true;  // at start: what a previous run left pending
  Clock::time_point recover_at_{};
  Clock::time_point next_claim_{};
  std::string cursor_ = "-";  // where the next PEL page starts
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<flow::Input> make_stream_input(StreamInputOptions o,
                                               const flow::ComponentContext& ctx) {
  return std::make_unique<StreamInput>(std::move(o), ctx);
}

}  // namespace junction::connectors::redis
