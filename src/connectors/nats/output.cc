#include "connectors/nats/output.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "components/common/blocking_call.h"
#include "connectors/common/codec.h"
#include "connectors/common/connector_metrics.h"
#include "connectors/nats/config.h"
#include "connectors/nats/connection.h"
#include "connectors/nats/headers.h"
#include "connectors/nats/subject.h"
#include "core/cpu_affinity.h"

namespace junction::connectors::nats {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// How long after its last message went to the library a publication may
// wait for its acks, in publish timeouts. The library's own timeout
// (MaxWait) should answer first; this backstop covers an answer it never
// gives: libnats drops its timeout notice when the reply subscription is
// over its pending limits, and the ack handler is then never called.
constexpr int kAckBackstopTimeouts = 2;

// One write() call: its messages, and what JetStream answered for each.
// Completed from the library's ack thread; the writer waits on `timer`,
// which the completion cancels on the writer's executor. The publisher arms
// the timer once every message went to the library (the backstop above).
struct Publication {
  explicit Publication(const asio::any_io_executor& executor) : ex(executor), timer(executor) {}
  asio::any_io_executor ex;  // the writer's; never changes
  std::vector<natsMsg*> msgs;
  // By index, under the publisher's mutex: what was answered, and how.
  std::vector<std::optional<Error>> failures;
  std::vector<char> answered;
  size_t remaining = 0;  // under the publisher's mutex
  bool expired = false;  // under the publisher's mutex: later answers are ignored
  Clock::time_point started;
  asio::steady_timer timer;  // touched on the executor only
  bool done = false;         // touched on the executor only
};

// Publishes on a thread of its own and matches JetStream's acks, which
// arrive on the library's thread, to the publication each message belongs
// to. js_PublishMsgAsync may stall (max_pending reached) and write to the
// socket: never on the flow's executor.
class Publisher {
 public:
  Publisher(const OutputOptions& o, Connection& connection, ConnectorMetrics& metrics)
      : o_(o), connection_(connection), metrics_(metrics) {}
  ~Publisher() { stop(); }

  Status start() {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = ms(o_.connection.timeout);
    jo.PublishAsync.MaxPending = o_.max_pending;
    jo.PublishAsync.StallWait = ms(o_.publish_timeout);
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = this;
    thread_ = cpu::unpinned_thread([this, jo]() mutable { run(jo); });
    return ok_status();
  }

  // The writer's executor, once the backstop passed and `p` is not done:
  // what has no answer yet fails as transient (the flow retries it, and
  // JetStream drops the copies it already stored by their message id).
  // False when every answer came meanwhile (the completion is on its way).
  bool expire(const std::shared_ptr<Publication>& p) {
    std::lock_guard lock(mu_);
    if (p->remaining == 0) return false;
    p->expired = true;
    p->remaining = 0;
    for (size_t i = 0; i < p->failures.size(); ++i) {
      if (!p->answered[i]) {
        p->failures[i] = Error::transient(fmt::format(
            "no JetStream ack within {} ms", ms(o_.publish_timeout) * kAckBackstopTimeouts));
      }
    }
    std::erase_if(pending_, [&](const auto& entry) { return entry.second.publication == p; });
    return true;
  }

  void submit(std::shared_ptr<Publication> p) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(p));
    cv_.notify_one();
  }

  // Fails what is queued or awaiting acks, then joins. The flow drained
  // before close(), so normally nothing is.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

  // After the connection closed: acks that will never come fail their
  // publications (transient, so a flow still waiting retries elsewhere).
  void abandon() {
    std::unordered_map<natsMsg*, Pending> left;
    {
      std::lock_guard lock(mu_);
      left.swap(pending_);
    }
    for (auto& [msg, pending] : left) {
      std::shared_ptr<Publication> done;
      {
        std::lock_guard lock(mu_);
        done = record(pending.publication, pending.index, Error::transient("nats output closed"));
      }
      if (done) complete(done);
    }
  }

 private:
  void run(jsOptions jo) {
    Status ready = connection_.open(&jo);
    bool stream_ready = false;
    while (true) {
      std::shared_ptr<Publication> p;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) break;
        p = std::move(queue_.front());
        queue_.pop_front();
      }
      if (ready && !stream_ready) {
        // Tried again with the next batch: the server may be starting.
        Status st = connection_.ensure_stream(o_.stream);
        if (!st) {
          fail_all(p, st.error());
          continue;
        }
        stream_ready = true;
      }
      if (!ready) {
        fail_all(p, ready.error());
        continue;
      }
      publish(p);
    }
    std::deque<std::shared_ptr<Publication>> left;
    {
      std::lock_guard lock(mu_);
      left.swap(queue_);
    }
    for (auto& p : left) fail_all(p, Error::transient("nats output closed"));
    // Acks still owed are abandoned with the connection (see close()).
  }

  void publish(const std::shared_ptr<Publication>& p) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = ms(o_.publish_timeout);
    for (size_t i = 0; i < p->msgs.size(); ++i) {
      natsMsg* m = p->msgs[i];
      p->msgs[i] = nullptr;
      {
        // Before the publish: its ack may arrive before the call returns.
        std::lock_guard lock(mu_);
        pending_.emplace(m, Pending{p, i});
      }
      natsMsg* owned = m;
      const natsStatus s = js_PublishMsgAsync(connection_.js(), &owned, &po);
      if (s != NATS_OK) {
        // Not taken: the library handed the message back.
        std::shared_ptr<Publication> done;
        {
          std::lock_guard lock(mu_);
          pending_.erase(m);
          done = record(p, i, status_error(s, static_cast<jsErrCode>(0), "publish"));
        }
        natsMsg_Destroy(owned);
        if (done) complete(done);
      }
    }
    arm_backstop(p);
  }

  void arm_backstop(const std::shared_ptr<Publication>& p) {
    const auto backstop = o_.publish_timeout * kAckBackstopTimeouts;
    asio::post(p->ex, [p, backstop] {
      // Re-arming cancels the writer's wait, which then waits again.
      if (!p->done) p->timer.expires_after(backstop);
    });
  }

  struct Pending {
    std::shared_ptr<Publication> publication;
    size_t index;
  };

  // Under mu_. The publication when this was its last answer.
  std::shared_ptr<Publication> record(const std::shared_ptr<Publication>& p, size_t i,
                                      std::optional<Error> failure) {
    if (p->expired) return nullptr;
    p->failures[i] = std::move(failure);
    p->answered[i] = 1;
    return --p->remaining == 0 ? p : nullptr;
  }

  void fail_all(const std::shared_ptr<Publication>& p, const Error& e) {
    for (natsMsg*& m : p->msgs) {
      natsMsg_Destroy(m);
      m = nullptr;
    }
    {
      std::lock_guard lock(mu_);
      for (auto& f : p->failures) f = e;
      p->remaining = 0;
    }
    complete(p);
  }

  static void complete(const std::shared_ptr<Publication>& p) {
    asio::post(p->ex, [p] {
      p->done = true;
      p->timer.cancel();
    });
  }

  // The library's thread, once per published message.
  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* err, void* closure) {
    auto* self = static_cast<Publisher*>(closure);
    std::optional<Error> failure;
    if (err != nullptr) {
      // Not status_error: the thread's last error is not this publish's.
      failure = Error(classify(err->Err, err->ErrCode),
                      fmt::format("nats publish: {} (JetStream error {})",
                                  err->ErrText ? err->ErrText : natsStatus_GetText(err->Err),
                                  static_cast<int>(err->ErrCode)));
    }
    std::shared_ptr<Publication> done;
    {
      std::lock_guard lock(self->mu_);
      auto it = self->pending_.find(msg);
      if (it != self->pending_.end()) {
        done = self->record(it->second.publication, it->second.index, std::move(failure));
        self->pending_.erase(it);
      }
    }
    natsMsg_Destroy(msg);
    if (done) complete(done);
  }

  const OutputOptions& o_;
  Connection& connection_;
  ConnectorMetrics& metrics_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Publication>> queue_;
  std::unordered_map<natsMsg*, Pending> pending_;
  bool stopping_ = false;
};

// Publishes each message to its subject and reports it written once
// JetStream acked it (stored by the stream that captures the subject).
class NatsOutput final : public flow::Output {
 public:
  NatsOutput(OutputOptions o, SubjectSource subject, Codec codec, const flow::ComponentContext& ctx)
      : o_(std::move(o)),
        subject_(std::move(subject)),
        codec_(std::move(codec)),
        metrics_(ctx, "nats"),
        blocking_(ctx.blocking),
        connection_(o_.connection, metrics_),
        publisher_(o_, connection_, metrics_) {}

  ~NatsOutput() override { shutdown(); }

  asio::awaitable<Status> open() override {
    if (!blocking_) co_return Error::permanent("the nats output needs the blocking pool");
    // write() builds messages before the publisher thread may have
    // connected, which is what initialises libnats otherwise.
    natsStatus opened;
    {
      cpu::Unpinned unpinned;  // libnats starts its library threads here
      opened = nats_Open(-1);
    }
    if (opened != NATS_OK) co_return status_error(opened, static_cast<jsErrCode>(0), "library");
    metrics_.connecting();
    co_return publisher_.start();
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    if (batch.empty()) co_return flow::WriteResult::all(0);
    auto ex = co_await asio::this_coro::executor;
    auto p = std::make_shared<Publication>(ex);
    p->msgs.reserve(batch.size());
    size_t bytes = 0;
    std::optional<Error> invalid;  // a message that cannot be published at all
    for (const auto& m : batch) {
      auto nm = to_nats(m);
      if (!nm) {
        invalid = nm.error();
        break;
      }
      bytes += static_cast<size_t>(natsMsg_GetDataLength(*nm));
      p->msgs.push_back(*nm);
    }
    const size_t count = p->msgs.size();
    if (count > 0) {
      p->failures.resize(count);
      p->answered.resize(count);
      p->remaining = count;
      p->started = Clock::now();
      p->timer.expires_at(Clock::time_point::max());
      publisher_.submit(p);
      while (!p->done) {
        boost::system::error_code ec;
        co_await p->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        // No error: the backstop passed (completions and re-arming cancel).
        if (!ec && !p->done) {
          if (publisher_.expire(p)) {
            p->done = true;
          } else {
            p->timer.expires_at(Clock::time_point::max());  // its completion is on its way
          }
        }
      }
      metrics_.latency(Clock::now() - p->started);
    }
    // The flow retries from the first failure; later messages that were
    // stored anyway are dropped then by JetStream's de-duplication (same
    // Nats-Msg-Id) within the stream's duplicate window.
    for (size_t i = 0; i < count; ++i) {
      if (p->failures[i]) {
        metrics_.error();
        metrics_.sent(i, 0);
        co_return flow::WriteResult{i,
                                    p->failures[i]->wrap(fmt::format("nats {}", subject_.label()))};
      }
    }
    metrics_.sent(count, bytes);
    if (invalid) {
      // That message alone is refused (the flow dead-letters it); the ones
      // after it were not tried and are written again.
      metrics_.error();
      co_return flow::WriteResult{count, invalid->wrap(fmt::format("nats {}", subject_.label())),
                                  true};
    }
    co_return flow::WriteResult::all(count);
  }

  asio::awaitable<void> close() override {
    auto join = [this] { shutdown(); };
    co_await components::blocking_call(*blocking_, join);
    metrics_.closed();
  }

 private:
  Result<natsMsg*> to_nats(const Message& m) {
    auto subject = subject_.subject_for(m);
    if (!subject) return subject.error();
    auto wire = codec_.encode(m.payload.view());
    if (!wire) return wire.error();
    natsMsg* nm = nullptr;
    natsStatus s = natsMsg_Create(&nm, subject->c_str(), nullptr, wire->data(),
                                  static_cast<int>(wire->size()));
    if (s != NATS_OK) return status_error(s, static_cast<jsErrCode>(0), "message");
    Status st = write_headers(m.headers, nm);
    // The message id makes a retried publish a duplicate JetStream drops.
    if (st && !m.id.empty()) {
      if (natsMsgHeader_Set(nm, kMsgIdHeader, m.id.c_str()) != NATS_OK) {
        st = Error::invalid("message id could not be set");
      }
    }
    if (!st) {
      natsMsg_Destroy(nm);
      return st.error();
    }
    return nm;
  }

  void shutdown() {
    publisher_.stop();
    connection_.close();
    publisher_.abandon();
  }

  OutputOptions o_;
  SubjectSource subject_;
  Codec codec_;
  ConnectorMetrics metrics_;
  BlockingPool* blocking_;
  Connection connection_;
  Publisher publisher_;
};

}  // namespace

void register_nats_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "nats";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Publishes to a NATS JetStream subject; written once JetStream acked it.";
  info.doc =
      "Each message is published to `subject`, or to the subject `subject_expression` (Lua, "
      "over `msg` and `meta`) gives it, with its headers (except `Nats-*` ones, which "
      "are JetStream instructions) and its id as `Nats-Msg-Id`, so that a publish retried "
      "after a lost ack is dropped by the stream's de-duplication. A batch is reported "
      "written only once JetStream acked each message, that is once the stream that "
      "captures the subject stored it; up to `max_pending` publishes await their ack at "
      "once. A timeout, no responders (no stream, or JetStream restarting) or a lost "
      "connection is transient (retried by the flow); a rejected message (too large, bad "
      "header, a subject per message that is empty or has whitespace or a wildcard) is "
      "invalid: the flow dead-letters that message and writes the others. While the server "
      "is away the output reconnects every `reconnect_wait` for ever and is not ready.\n"
      "Example: `output: { nats: { url: nats://127.0.0.1:4222, subject_expression: "
      "'\"orders.\" .. msg.region' } }`.";
  info.schema.fields = output_fields();
  info.make_output = [](const spec::Config& c,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    auto subject = SubjectSource::from_config(c, ctx);
    if (!subject) return subject.error();
    auto o = parse_output(c, fmt::format("junction/{}/{}", ctx.flow, ctx.step), subject->fixed());
    if (!o) return o.error();
    auto codec = Codec::from_config(c, ctx);
    if (!codec) return codec.error();
    return std::unique_ptr<flow::Output>(
        std::make_unique<NatsOutput>(std::move(*o), std::move(*subject), std::move(*codec), ctx));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::nats
