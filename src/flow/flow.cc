#include "flow/flow.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "flow/wait_group.h"
#include "observe/metrics.h"
#include "resilience/backoff.h"

namespace junction::flow {
namespace {

using Channel = asio::experimental::channel<void(boost::system::error_code, MessageBatch)>;
using Clock = std::chrono::steady_clock;

// Headers a dead-lettered message carries, saying why it is there.
constexpr const char* kErrorClassHeader = "x-junction-error-class";
constexpr const char* kErrorHeader = "x-junction-error";
constexpr const char* kFlowHeader = "x-junction-flow";
constexpr const char* kStepHeader = "x-junction-step";
constexpr const char* kAttemptsHeader = "x-junction-attempts";
constexpr const char* kFailedAtHeader = "x-junction-failed-at";

asio::awaitable<void> sleep_for(Duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// An output failure that retries did not fix: the messages from `from` on.
// A message an output did not take, and why.
struct Rejected {
  size_t index;  // into the batch given to write_with_retry
  Error error;
  int attempts;
};

}  // namespace

struct Flow::State : Emitter, std::enable_shared_from_this<Flow::State> {
  State(FlowParts p, asio::any_io_executor ex, observe::Registry& m)
      : parts(std::move(p)),
        executor(ex),
        queue(ex, static_cast<size_t>(parts.queue_depth)),
        flush_timer(ex),
        backoff(parts.retry.base, parts.retry.max),
        received(m.counter("junction_flow_received_total", "Messages taken from the input",
                           {{"flow", parts.name}})),
        filtered(m.counter("junction_flow_filtered_total",
                           "Messages a processor dropped on purpose", {{"flow", parts.name}})),
        dead_lettered(m.counter("junction_flow_dead_lettered_total",
                                "Messages written to the dead-letter output",
                                {{"flow", parts.name}})),
        failed(m.counter("junction_flow_failed_total",
                         "Messages settled as failed back to their input", {{"flow", parts.name}})),
        retries(m.counter("junction_flow_retries_total", "Retried processor or output attempts",
                          {{"flow", parts.name}})),
        latency(m.histogram("junction_flow_latency_seconds",
                            "Time from a batch entering the pipeline to being settled",
                            {{"flow", parts.name}})),
        metrics(m) {
    for (const auto& sink : parts.sinks) {
      delivered.push_back(&m.counter("junction_flow_delivered_total",
                                     "Messages an output durably accepted",
                                     {{"flow", parts.name}, {"output", sink.name}}));
    }
  }

  // Emitter
  asio::awaitable<Status> emit(MessageBatch batch) override {
    if (stopping_ || batch.empty()) {
      if (!batch.empty()) co_return Error::overloaded("flow is stopping");
      co_return ok_status();
    }
    // Every message gets an id: outputs send it as an idempotency key and
    // dead letters carry it, so a redelivery can be recognised downstream.
    for (auto& m : batch) {
      if (m.id.empty()) m.id = new_message_id();
    }
    boost::system::error_code ec;
    co_await queue.async_send(boost::system::error_code{}, std::move(batch),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Error::overloaded("flow is stopping");
    co_return ok_status();
  }
  bool stopping() const override { return stopping_; }

  void count_error(const std::string& step, const Error& e) {
    metrics
        .counter("junction_flow_errors_total", "Processor and output failures by step and class",
                 {{"flow", parts.name}, {"step", step}, {"class", std::string(to_string(e.cls()))}})
        .inc();
  }

  // Writes a copy of `msg` to the dead-letter output with headers that say
  // why. Fails when there is no dead-letter output or it failed too; the
  // caller then settles the message as failed so the input redelivers it.
  asio::awaitable<Status> dead_letter(const Message& msg, const std::string& step,
                                      const Error& error, int attempts) {
    spdlog::warn("flow {}: {} failed after {} attempt(s): {} ({})", parts.name, step, attempts,
                 error.message(), to_string(error.cls()));
    // Waiting senders (every part's, for a merged message) learn the outcome
    // even when the dead letter is written and the Ack therefore settles ok.
    msg.reply.fail(error);
    if (!parts.dead_letter) co_return error.wrap(step);
    Message dl = msg.copy();
    dl.headers.set(kErrorClassHeader, to_string(error.cls()));
    dl.headers.set(kErrorHeader, error.message());
    dl.headers.set(kFlowHeader, parts.name);
    dl.headers.set(kStepHeader, step);
    dl.headers.set(kAttemptsHeader, std::to_string(attempts));
    dl.headers.set(kFailedAtHeader, std::to_string(now_ms()));
    for (int attempt = 1;; ++attempt) {
      WriteResult r = co_await parts.dead_letter->write(std::span<const Message>(&dl, 1));
      if (r.status.ok() && r.written == 1) {
        dead_lettered.inc();
        co_return ok_status();
      }
      Error e =
          r.status.ok() ? Error::transient("dead-letter output took nothing") : r.status.error();
      if (!e.retryable() || attempt >= parts.retry.attempts) {
        spdlog::error("flow {}: dead-letter output failed: {}", parts.name, e.message());
        co_return e.wrap("dead letter");
      }
      retries.inc();
      co_await sleep_for(backoff.delay(attempt));
    }
  }

  // Runs one processor over a message, retrying what may succeed later.
  asio::awaitable<void> process_one(FlowStep& step, Message& msg, MessageBatch& next) {
    size_t before = next.size();
    // Only I/O-bound processors pay for a coroutine frame per message.
    const bool async = step.processor->is_async();
    Status s = ok_status();
    if (async) {
      s = co_await step.processor->process_async(msg, next);
    } else {
      s = step.processor->process(msg, next);
    }
    int attempt = 1;
    while (!s.ok() && s.error().retryable() && attempt < parts.retry.attempts) {
      count_error(step.name, s.error());
      next.resize(before);
      retries.inc();
      co_await sleep_for(backoff.delay(attempt));
      ++attempt;
      if (async) {
        s = co_await step.processor->process_async(msg, next);
      } else {
        s = step.processor->process(msg, next);
      }
    }
    if (s.ok()) {
      if (next.size() == before && msg.ack.empty()) filtered.inc();
      co_return;
    }
    count_error(step.name, s.error());
    next.resize(before);
    Status d = co_await dead_letter(msg, step.name, s.error(), attempt);
    if (d.ok()) {
      msg.ack.ok();
    } else {
      failed.inc();
      msg.ack.settle(std::move(d).error());
    }
  }

  // Runs steps [from, end) over `batch`, then delivers what remains.
  asio::awaitable<void> run_steps(size_t from, MessageBatch batch) {
    for (size_t i = from; i < parts.steps.size() && !batch.empty(); ++i) {
      MessageBatch next;
      next.reserve(batch.size());
      for (auto& msg : batch) co_await process_one(parts.steps[i], msg, next);
      batch = std::move(next);
    }
    if (!batch.empty()) co_await deliver(batch);
  }

  // Writes to one output, retrying the part it did not take.
  // Returns the messages it gave up on, in order.
  asio::awaitable<std::vector<Rejected>> write_with_retry(FlowSink& sink,
                                                          std::span<const Message> msgs) {
    std::vector<Rejected> rejected;
    size_t done = 0;
    int attempt = 1;
    while (done < msgs.size()) {
      WriteResult r = co_await sink.output->write(msgs.subspan(done));
      done += std::min(r.written, msgs.size() - done);
      if (done == msgs.size()) break;
      Error e = r.status.ok() ? Error::transient("output accepted only part of the batch")
                              : r.status.error();
      count_error(sink.name, e);
      if (r.only_next && !r.status.ok() && !e.retryable()) {
        // One message refused for itself: it alone is given up on, and the
        // rest of the batch is written on.
        rejected.push_back({done, std::move(e), attempt});
        ++done;
        attempt = 1;
        continue;
      }
      if (!e.retryable() || attempt >= parts.retry.attempts) {
        for (size_t i = done; i < msgs.size(); ++i) rejected.push_back({i, e, attempt});
        break;
      }
      retries.inc();
      co_await sleep_for(backoff.delay(attempt));
      ++attempt;
    }
    co_return rejected;
  }

  asio::awaitable<void> deliver(MessageBatch& batch) {
    std::vector<std::optional<Error>> outcome(batch.size());
    std::vector<bool> routed(batch.size(), false);
    for (size_t s = 0; s < parts.sinks.size(); ++s) {
      auto& sink = parts.sinks[s];
      // Index of each message bound for this sink; the common case (no
      // routing) writes the batch as it is, without copies.
      std::vector<size_t> idx;
      bool everything = true;
      for (size_t i = 0; i < batch.size(); ++i) {
        const auto& routes = batch[i].routes;
        bool mine =
            routes.empty() || std::find(routes.begin(), routes.end(), sink.name) != routes.end();
        if (mine) {
          idx.push_back(i);
          routed[i] = true;
        } else {
          everything = false;
        }
      }
      if (idx.empty()) continue;
      std::vector<Rejected> rejected;
      if (everything) {
        rejected = co_await write_with_retry(sink, batch);
      } else {
        MessageBatch subset;
        subset.reserve(idx.size());
        for (size_t i : idx) subset.push_back(batch[i].copy());
        rejected = co_await write_with_retry(sink, subset);
      }
      delivered[s]->inc(idx.size() - rejected.size());
      for (const auto& r : rejected) {
        size_t i = idx[r.index];
        Status d = co_await dead_letter(batch[i], sink.name, r.error, r.attempts);
        if (!d.ok() && !outcome[i]) outcome[i] = std::move(d).error();
      }
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!routed[i]) filtered.inc();
      if (outcome[i]) {
        failed.inc();
        batch[i].ack.settle(std::move(*outcome[i]));
      } else {
        batch[i].ack.ok();
      }
    }
  }

  asio::awaitable<void> worker(WaitGroup& wg) {
    for (;;) {
      boost::system::error_code ec;
      MessageBatch batch =
          co_await queue.async_receive(asio::redirect_error(asio::use_awaitable, ec));
      if (ec || batch.empty()) break;  // the input is done and the queue drained
      auto start = Clock::now();
      received.inc(batch.size());
      co_await run_steps(0, std::move(batch));
      latency.observe(std::chrono::duration<double>(Clock::now() - start).count());
    }
    wg.done();
  }

  // Flushes processors that hold messages back (batch), on their period.
  asio::awaitable<void> flusher() {
    std::optional<Duration> period;
    for (const auto& step : parts.steps) {
      auto p = step.processor->flush_interval();
      if (p && (!period || *p < *period)) period = p;
    }
    if (!period) co_return;
    while (!flusher_done_) {
      flush_timer.expires_after(*period);
      boost::system::error_code ec;
      co_await flush_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (flusher_done_) break;
      co_await flush_all();
    }
  }

  asio::awaitable<void> flush_all() {
    for (size_t i = 0; i < parts.steps.size(); ++i) {
      if (!parts.steps[i].processor->flush_interval()) continue;
      MessageBatch out;
      parts.steps[i].processor->flush(out);
      if (!out.empty()) co_await run_steps(i + 1, std::move(out));
    }
  }

  asio::awaitable<Status> open_all() {
    for (auto& sink : parts.sinks) {
      Status s = co_await sink.output->open();
      if (!s.ok()) co_return s.error().wrap("output " + sink.name);
    }
    if (parts.dead_letter) {
      Status s = co_await parts.dead_letter->open();
      if (!s.ok()) co_return s.error().wrap("dead-letter output");
    }
    Status s = co_await parts.input->open();
    if (!s.ok()) co_return s.error().wrap("input");
    co_return ok_status();
  }

  asio::awaitable<Status> run() {
    Status opened = co_await open_all();
    if (!opened.ok()) co_return opened;
    set_phase("running");
    spdlog::info("flow {}: running", parts.name);

    WaitGroup workers(executor);
    auto self = shared_from_this();
    for (int i = 0; i < parts.max_in_flight; ++i) {
      workers.add();
      asio::co_spawn(
          executor, [self, &workers]() { return self->worker(workers); }, asio::detached);
    }
    WaitGroup flushing(executor);
    flushing.add();
    asio::co_spawn(
        executor,
        [self, &flushing]() -> asio::awaitable<void> {
          co_await self->flusher();
          flushing.done();
        },
        asio::detached);

    Status result = co_await parts.input->run(*this);
    if (!result.ok())
      spdlog::error("flow {}: input failed: {}", parts.name, result.error().message());
    stopping_ = true;
    set_phase("draining in-flight messages");
    // An empty batch tells a worker to finish. Closing the channel instead
    // would strand what is still buffered in it.
    for (int i = 0; i < parts.max_in_flight; ++i) {
      boost::system::error_code ec;
      co_await queue.async_send(boost::system::error_code{}, MessageBatch{},
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    co_await workers.wait();
    set_phase("flushing batching processors");
    flusher_done_ = true;
    flush_timer.cancel();
    co_await flushing.wait();
    co_await flush_all();

    set_phase("closing its input");
    co_await parts.input->close();
    for (auto& sink : parts.sinks) {
      set_phase("closing output " + sink.name);
      co_await sink.output->close();
    }
    set_phase("closing its dead-letter output");
    if (parts.dead_letter) co_await parts.dead_letter->close();
    set_phase("stopped");
    spdlog::info("flow {}: stopped", parts.name);
    co_return result;
  }

  void set_phase(std::string phase) {
    std::lock_guard lock(phase_mu);
    phase_text = std::move(phase);
  }
  std::string phase() const {
    std::lock_guard lock(phase_mu);
    return phase_text;
  }

  FlowParts parts;
  asio::any_io_executor executor;
  Channel queue;
  asio::steady_timer flush_timer;
  resilience::Backoff backoff;
  observe::Counter& received;
  observe::Counter& filtered;
  observe::Counter& dead_lettered;
  observe::Counter& failed;
  observe::Counter& retries;
  observe::Histogram& latency;
  std::vector<observe::Counter*> delivered;
  observe::Registry& metrics;
  bool stopping_ = false;
  bool flusher_done_ = false;
  mutable std::mutex phase_mu;
  std::string phase_text = "opening";
};

Flow::Flow(FlowParts parts, asio::any_io_executor executor, observe::Registry& metrics)
    : state_(std::make_shared<State>(std::move(parts), executor, metrics)) {}

Flow::~Flow() = default;

const std::string& Flow::name() const {
  return state_->parts.name;
}

std::string Flow::phase() const {
  return state_->phase();
}

asio::awaitable<Status> Flow::run() {
  return state_->run();
}

void Flow::stop() {
  asio::post(state_->executor, [s = state_] {
    if (s->stopping_) return;
    s->stopping_ = true;
    s->parts.input->stop();
  });
}

}  // namespace junction::flow
