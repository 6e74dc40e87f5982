#include "connectors/amqp/consumer.h"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "connectors/amqp/properties.h"
#include "core/cpu_affinity.h"
#include "resilience/backoff.h"

namespace junction::connectors::amqp {
namespace {

// How long the thread sleeps with nothing to do. It wakes at least this
// often so that librabbitmq sends heartbeats, which it does only inside calls.
constexpr Duration kIdleWake = std::chrono::seconds(1);

std::string_view view(amqp_bytes_t b) {
  return {static_cast<const char*>(b.bytes), b.len};
}

amqp_bytes_t bytes(const std::string& s) {
  return {s.size(), const_cast<char*>(s.data())};
}

}  // namespace

Consumer::Consumer(ConsumerOptions o, ConnectorMetrics& metrics, std::function<void()> on_ready)
    : o_(std::move(o)), metrics_(metrics), on_ready_(std::move(on_ready)) {}

Consumer::~Consumer() {
  if (thread_.joinable()) {
    stop();
    thread_.join();
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status Consumer::start() {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Error::permanent("amqp: eventfd failed");
  thread_ = cpu::unpinned_thread([this] { run(); });
  return ok_status();
}

std::vector<Delivery> Consumer::take(size_t max) {
  std::vector<Delivery> out;
  std::lock_guard lock(mu_);
  while (!ready_.empty() && out.size() < max) {
    out.push_back(std::move(ready_.front()));
    ready_.pop_front();
  }
  return out;
}

void Consumer::settle(uint64_t generation, uint64_t tag, Settle how) {
  {
    std::lock_guard lock(mu_);
    if (stop_ || generation != generation_) return;
    settlements_.push_back({generation, tag, how});
  }
  wake();
}

void Consumer::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake();
}

void Consumer::join() {
  if (thread_.joinable()) thread_.join();
}

bool Consumer::stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

void Consumer::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void Consumer::wait(int fd, Duration timeout) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  ::poll(fds, fd >= 0 ? 2 : 1, static_cast<int>(std::max<int64_t>(ms, 0)));
  uint64_t count;
  [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
}

void Consumer::run() {
  resilience::Backoff backoff(std::chrono::milliseconds(100), o_.reconnect_max);
  int failures = 0;
  const std::string where = o_.address.display();
  while (!stopping()) {
    uint64_t generation;
    {
      std::lock_guard lock(mu_);
      generation = generation_;
    }
    auto session = Session::open(o_.address, o_.session);
    Status st = session ? setup(**session) : Status(session.error());
    if (st) {
      metrics_.connected();
      failures = 0;
      spdlog::info("flow {}: amqp consuming queue {} at {}", o_.flow, o_.queue, where);
      st = consume(**session, generation);
    }
    if (session) {
      if (!st) (*session)->mark_broken();
      session->reset();  // on stop: closes politely, the broker requeues the unacked
    }
    if (stopping()) break;
    metrics_.disconnected(st.error().message());
    // Loud once per outage; each further failed attempt only at debug level.
    const auto level = failures == 0 ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(level, "flow {}: amqp {}: {}; reconnecting", o_.flow, where, st.error().message());
    next_generation();
    wait(-1, backoff.delay(++failures));
  }
}

Status Consumer::setup(Session& s) {
  amqp_connection_state_t c = s.conn();
  if (o_.declare) {
    amqp_table_entry_t entries[2];
    int n = 0;
    auto arg = [&](const char* key, const std::string& value) {
      entries[n].key = amqp_cstring_bytes(key);
      entries[n].value.kind = AMQP_FIELD_KIND_UTF8;
      entries[n].value.value.bytes = bytes(value);
      ++n;
    };
    if (o_.dead_letter_exchange) arg("x-dead-letter-exchange", *o_.dead_letter_exchange);
    if (!o_.dead_letter_routing_key.empty()) {
      arg("x-dead-letter-routing-key", o_.dead_letter_routing_key);
    }
    const amqp_table_t args{n, entries};
    amqp_queue_declare(c, kChannel, bytes(o_.queue), /*passive=*/0, /*durable=*/1,
                       /*exclusive=*/0, /*auto_delete=*/0, args);
    if (auto st = reply_status(amqp_get_rpc_reply(c), "queue.declare " + o_.queue); !st) return st;
  }
  amqp_basic_qos(c, kChannel, 0, o_.prefetch, 0);
  if (auto st = reply_status(amqp_get_rpc_reply(c), "basic.qos"); !st) return st;
  amqp_basic_consume(c, kChannel, bytes(o_.queue), amqp_empty_bytes, /*no_local=*/0,
                     /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  return reply_status(amqp_get_rpc_reply(c), "basic.consume " + o_.queue);
}

Status Consumer::consume(Session& s, uint64_t generation) {
  amqp_connection_state_t c = s.conn();
  requeues_.clear();
  for (;;) {
    // Settlements made before stop() are applied before the connection closes.
    const bool stop = stopping();
    if (auto st = apply_settlements(s, generation); !st) return st;
    if (stop) return ok_status();
    if (!amqp_frames_enqueued(c) && !amqp_data_in_buffer(c)) {
      Duration timeout = kIdleWake;
      if (!requeues_.empty()) {
        timeout = std::min<Duration>(timeout, requeues_.begin()->first - Clock::now());
      }
      wait(s.fd(), timeout);
    }
    // Take in what arrived, without waiting for more.
    for (;;) {
      amqp_maybe_release_buffers(c);
      amqp_envelope_t env;
      timeval now{0, 0};
      amqp_rpc_reply_t r = amqp_consume_message(c, &env, &now, 0);
      if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        handle_delivery(s, generation, env);
        amqp_destroy_envelope(&env);
        continue;
      }
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          r.library_error == AMQP_STATUS_TIMEOUT) {
        break;
      }
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        if (auto st = handle_other_frame(s); !st) return st;
        continue;
      }
      return reply_status(r, "basic.consume");
    }
  }
}

Status Consumer::handle_other_frame(Session& s) {
  amqp_connection_state_t c = s.conn();
  amqp_frame_t frame;
  if (int rc = amqp_simple_wait_frame(c, &frame); rc != AMQP_STATUS_OK) {
    return library_error(rc, "read");
  }
  if (frame.frame_type != AMQP_FRAME_METHOD) return ok_status();
  switch (frame.payload.method.id) {
    case AMQP_CHANNEL_CLOSE_METHOD: {
      amqp_channel_close_ok_t ok{};
      amqp_send_method(c, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      amqp_rpc_reply_t r{AMQP_RESPONSE_SERVER_EXCEPTION, frame.payload.method, 0};
      return reply_status(r, "consume");
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
      amqp_connection_close_ok_t ok{};
      amqp_send_method(c, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      amqp_rpc_reply_t r{AMQP_RESPONSE_SERVER_EXCEPTION, frame.payload.method, 0};
      return reply_status(r, "consume");
    }
    case AMQP_BASIC_CANCEL_METHOD:
      // The queue was deleted: consume again once it is back.
      return Error::transient(fmt::format("the broker cancelled the consumer of {}", o_.queue));
    default:
      return ok_status();
  }
}

void Consumer::handle_delivery(Session& s, uint64_t generation, const amqp_envelope_t& env) {
  const std::string_view body = view(env.message.body);
  metrics_.received(1, body.size());
  auto payload = o_.codec.decode(body);
  if (!payload) {
    // Undecodable bytes will never succeed: straight to the dead-letter exchange.
    spdlog::warn("flow {}: amqp queue {}: rejecting delivery: {}", o_.flow, o_.queue,
                 payload.error().message());
    metrics_.error();
    amqp_basic_reject(s.conn(), kChannel, env.delivery_tag, /*requeue=*/0);
    return;
  }
  Message m;
  m.payload = std::move(*payload);
  apply_properties(env.message.properties, m);
  add_delivery_headers(view(env.exchange), view(env.routing_key), env.redelivered != 0, m);
  if (m.id.empty()) m.id = new_message_id();
  if (m.timestamp_ms == 0) m.timestamp_ms = now_ms();
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    was_empty = ready_.empty();
    ready_.push_back({generation, env.delivery_tag, std::move(m)});
  }
  if (was_empty) on_ready_();
}

Status Consumer::apply_settlements(Session& s, uint64_t generation) {
  std::vector<Settlement> todo;
  {
    std::lock_guard lock(mu_);
    todo.swap(settlements_);
  }
  amqp_connection_state_t c = s.conn();
  const auto now = Clock::now();
  for (const Settlement& p : todo) {
    if (p.generation != generation) continue;  // see next_generation()
    int rc = AMQP_STATUS_OK;
    switch (p.how) {
      case Settle::kAck:
        rc = amqp_basic_ack(c, kChannel, p.tag, 0);
        break;
      case Settle::kDeadLetter:
        rc = amqp_basic_reject(c, kChannel, p.tag, /*requeue=*/0);
        break;
      case Settle::kRequeue:
        requeues_.emplace(now + o_.requeue_delay, p.tag);
        break;
    }
    if (rc != AMQP_STATUS_OK) return library_error(rc, "basic.ack");
  }
  while (!requeues_.empty() && requeues_.begin()->first <= now) {
    const uint64_t tag = requeues_.begin()->second;
    requeues_.erase(requeues_.begin());
    if (int rc = amqp_basic_nack(c, kChannel, tag, 0, /*requeue=*/1); rc != AMQP_STATUS_OK) {
      return library_error(rc, "basic.nack");
    }
  }
  return ok_status();
}

void Consumer::next_generation() {
  std::lock_guard lock(mu_);
  ++generation_;
  ready_.clear();
  settlements_.clear();
}

}  // namespace junction::connectors::amqp
