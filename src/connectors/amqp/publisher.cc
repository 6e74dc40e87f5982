#include "connectors/amqp/publisher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connectors/amqp/confirms.h"
#include "core/cpu_affinity.h"

namespace junction::connectors::amqp {
namespace {

using Clock = std::chrono::steady_clock;

// How often an idle thread reads the socket: librabbitmq answers heartbeats
// only inside calls, and a broker that closed the connection shows up here.
constexpr Duration kIdleWake = std::chrono::seconds(1);

std::string_view view(amqp_bytes_t b) {
  return {static_cast<const char*>(b.bytes), b.len};
}

amqp_bytes_t bytes(const std::string& s) {
  return {s.size(), const_cast<char*>(s.data())};
}

timeval to_timeval(Duration d) {
  const auto us =
      std::max<int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count(), 0);
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

Status close_status(const amqp_frame_t& frame) {
  amqp_rpc_reply_t r{AMQP_RESPONSE_SERVER_EXCEPTION, frame.payload.method, 0};
  return reply_status(r, "publish");
}

}  // namespace

Publisher::Publisher(PublisherOptions o, ConnectorMetrics& metrics)
    : o_(std::move(o)),
      metrics_(metrics),
      backoff_(std::chrono::milliseconds(100), o_.reconnect_max) {}

Publisher::~Publisher() {
  if (thread_.joinable()) {
    stop();
    thread_.join();
  }
}

void Publisher::start() {
  thread_ = cpu::unpinned_thread([this] { run(); });
}

void Publisher::submit(std::shared_ptr<PublishJob> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void Publisher::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
}

void Publisher::join() {
  if (thread_.joinable()) thread_.join();
}

void Publisher::run() {
  next_attempt_ = Clock::now();
  for (;;) {
    std::shared_ptr<PublishJob> job;
    {
      std::unique_lock lock(mu_);
      const auto until = session_ ? Clock::now() + kIdleWake : next_attempt_;
      cv_.wait_until(lock, until, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) break;
      if (!jobs_.empty()) {
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
    }
    // A waiting job gets one connect attempt now, whatever the backoff says:
    // the flow's own retry backoff paces it.
    if (!session_ && (job || Clock::now() >= next_attempt_)) connect();
    if (job) {
      job->result =
          session_ ? publish(*job)
                   : flow::WriteResult{0, Error::transient(fmt::format(
                                              "amqp {}: {}", o_.address.display(), down_reason_))};
      finish(std::move(job));
    } else if (session_) {
      pump();
    }
  }
  // Jobs still queued were submitted after the flow drained: none should be.
  std::deque<std::shared_ptr<PublishJob>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(jobs_);
  }
  for (auto& job : left) {
    job->result = {0, Error::transient("amqp output closed")};
    finish(std::move(job));
  }
  session_.reset();
}

void Publisher::finish(std::shared_ptr<PublishJob> job) {
  // `done` holds the writer's completion, whose timer belongs to the flow's
  // executor: take it out of the job and drop it here, right after it posted,
  // so that the last reference always goes on the executor.
  auto done = std::move(job->done);
  job.reset();
  done();
}

void Publisher::connect() {
  auto s = Session::open(o_.address, o_.session);
  Status st = s ? ok_status() : Status(s.error());
  if (st) {
    amqp_confirm_select((*s)->conn(), kChannel);
    st = reply_status(amqp_get_rpc_reply((*s)->conn()), "confirm.select");
    if (!st) (*s)->mark_broken();
  }
  if (!st) {
    down_reason_ = st.error().message();
    metrics_.disconnected(down_reason_);
    // Loud once per outage; each further failed attempt only at debug level.
    const auto level = failures_ == 0 ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(level, "flow {}: amqp {}: {}; reconnecting", o_.flow, o_.address.display(),
                down_reason_);
    next_attempt_ = Clock::now() + backoff_.delay(++failures_);
    return;
  }
  session_ = std::move(*s);
  next_tag_ = 1;
  failures_ = 0;
  metrics_.connected();
  spdlog::info("flow {}: amqp publishing to {} (exchange '{}')", o_.flow, o_.address.display(),
               o_.exchange);
}

void Publisher::disconnect(const Error& why) {
  session_->mark_broken();
  session_.reset();
  down_reason_ = why.message();
  metrics_.disconnected(down_reason_);
  spdlog::warn("flow {}: amqp {}: {}; reconnecting", o_.flow, o_.address.display(), down_reason_);
  failures_ = 1;  // this outage is logged: further attempts at debug level
  next_attempt_ = Clock::now();
}

void Publisher::pump() {
  amqp_connection_state_t c = session_->conn();
  for (;;) {
    amqp_frame_t frame;
    timeval now{0, 0};
    const int rc = amqp_simple_wait_frame_noblock(c, &frame, &now);
    if (rc == AMQP_STATUS_TIMEOUT) break;
    if (rc != AMQP_STATUS_OK) return disconnect(library_error(rc, "read"));
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    const auto id = frame.payload.method.id;
    if (id == AMQP_CHANNEL_CLOSE_METHOD || id == AMQP_CONNECTION_CLOSE_METHOD) {
      return disconnect(close_status(frame).error());
    }
    // Anything else is a late confirm of a batch that timed out: ignored.
  }
  amqp_maybe_release_buffers(c);
}

flow::WriteResult Publisher::publish(PublishJob& job) {
  amqp_connection_state_t c = session_->conn();
  const auto started = Clock::now();
  const amqp_bytes_t exchange = bytes(o_.exchange);
  std::vector<std::string> ids;
  ids.reserve(job.messages.size());
  const uint64_t first_tag = next_tag_;
  for (auto& m : job.messages) {
    const amqp_basic_properties_t& props = m->properties.get();
    const int rc = amqp_basic_publish(c, kChannel, exchange, bytes(m->routing_key),
                                      o_.mandatory ? 1 : 0, 0, &props, bytes(m->body));
    if (rc != AMQP_STATUS_OK) {
      Error e = library_error(rc, "basic.publish");
      disconnect(e);
      metrics_.error();
      return {0, e};
    }
    ++next_tag_;
    ids.push_back(m->properties.message_id());
  }

  ConfirmTracker tracker(first_tag, std::move(ids));
  std::optional<Error> lost;
  const auto deadline = started + o_.confirm_timeout;
  while (!tracker.complete() && !lost) {
    amqp_frame_t frame;
    timeval left = to_timeval(deadline - Clock::now());
    const int rc = amqp_simple_wait_frame_noblock(c, &frame, &left);
    if (rc == AMQP_STATUS_TIMEOUT) break;
    if (rc != AMQP_STATUS_OK) {
      lost = library_error(rc, "waiting for publisher confirms");
      break;
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    switch (frame.payload.method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        const auto* m = static_cast<const amqp_basic_ack_t*>(frame.payload.method.decoded);
        tracker.acked(m->delivery_tag, m->multiple != 0);
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        const auto* m = static_cast<const amqp_basic_nack_t*>(frame.payload.method.decoded);
        tracker.nacked(m->delivery_tag, m->multiple != 0);
        break;
      }
      case AMQP_BASIC_RETURN_METHOD: {
        const auto* m = static_cast<const amqp_basic_return_t*>(frame.payload.method.decoded);
        std::string reason =
            fmt::format("{} {} (exchange '{}', routing key '{}')", m->reply_code,
                        view(m->reply_text), view(m->exchange), view(m->routing_key));
        // The returned message (header and body frames) follows the method.
        amqp_message_t returned;
        amqp_rpc_reply_t r = amqp_read_message(c, frame.channel, &returned, 0);
        if (auto st = reply_status(r, "basic.return"); !st) {
          lost = st.error();
          break;
        }
        if (returned.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
          tracker.returned(view(returned.properties.message_id), std::move(reason));
        }
        amqp_destroy_message(&returned);
        break;
      }
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD:
        lost = close_status(frame).error();
        break;
      default:
        break;
    }
  }
  amqp_maybe_release_buffers(c);
  flow::WriteResult result = tracker.result(lost);
  // A lost channel or a batch left unconfirmed leaves the channel's tags
  // unknowable: start over on a new connection.
  if (lost) {
    disconnect(*lost);
  } else if (!tracker.complete()) {
    disconnect(Error::transient("publisher confirms timed out"));
  }
  metrics_.latency(Clock::now() - started);
  if (result.written > 0) {
    size_t bytes_written = 0;
    for (size_t i = 0; i < result.written; ++i) bytes_written += job.messages[i]->body.size();
    metrics_.sent(result.written, bytes_written);
  }
  if (!result.status) metrics_.error();
  return result;
}

}  // namespace junction::connectors::amqp
