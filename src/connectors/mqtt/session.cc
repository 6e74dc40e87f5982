#include "connectors/mqtt/session.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "components/common/blocking_call.h"
#include "fmt/format.h"

namespace junction::connectors::mqtt {
namespace {

using Clock = std::chrono::steady_clock;

// libmosquitto's housekeeping (keepalive PINGREQ, its own keepalive timeout)
// needs a call about once a second.
constexpr auto kMiscPeriod = std::chrono::seconds(1);
// How long a graceful stop may spend writing the last PUBACKs and DISCONNECT.
constexpr auto kStopGrace = std::chrono::seconds(2);
// Packets read in one turn before other work on the executor gets a go.
constexpr int kReadsPerTurn = 64;

// Level-triggered readiness without blocking: Asio's epoll waits are edge
// triggered, so data left in the socket after a read would not wake a new wait.
bool ready(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (events | POLLERR | POLLHUP)) != 0;
}

std::string describe(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  return mosquitto_strerror(rc);
}

// The blocking part of a (re)connect: resolve, TCP, TLS handshake, CONNECT
// queued. Trivially destructible for blocking_call.
struct ConnectCall {
  mosquitto* mosq;
  const ConnectionOptions* o;
  struct Outcome {
    int rc;
    int err;
  };
  Outcome operator()() const {
    int rc = mosquitto_connect(mosq, o->host.c_str(), o->port, o->keepalive_s);
    return {rc, rc == MOSQ_ERR_ERRNO ? errno : 0};
  }
};

}  // namespace

Result<std::shared_ptr<Session>> Session::create(ConnectionOptions options,
                                                 asio::any_io_executor ex, BlockingPool& pool,
                                                 ConnectorMetrics& metrics,
                                                 SessionHandler& handler) {
  static std::once_flag init;
  std::call_once(init, [] { mosquitto_lib_init(); });
  std::shared_ptr<Session> s(new Session(std::move(options), ex, pool, metrics, handler));
  if (auto st = s->configure(); !st) return std::move(st).error();
  return s;
}

Session::Session(ConnectionOptions options, asio::any_io_executor ex, BlockingPool& pool,
                 ConnectorMetrics& metrics, SessionHandler& handler)
    : options_(std::move(options)),
      ex_(ex),
      pool_(pool),
      metrics_(metrics),
      handler_(&handler),
      backoff_(options_.reconnect_min, options_.reconnect_max),
      waker_(ex),
      watch_(ex),
      done_(ex) {}

Session::~Session() {
  close_socket();
  if (mosq_) mosquitto_destroy(mosq_);
}

Status Session::configure() {
  mosq_ = mosquitto_new(options_.client_id.c_str(), options_.clean_session, this);
  if (!mosq_) return Error::permanent("mosquitto_new failed: " + describe(MOSQ_ERR_ERRNO));
  // "Threaded": libmosquitto then only queues packets from inside its calls,
  // and the socket is written when this session calls mosquitto_loop_write.
  mosquitto_threaded_set(mosq_, true);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION,
                       options_.mqtt5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  if (!options_.username.empty()) {
    int rc =
        mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                                  options_.password.empty() ? nullptr : options_.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) return Error::invalid("username/password: " + describe(rc));
  }
  if (options_.tls()) {
    int rc =
        mosquitto_tls_set(mosq_, options_.cafile.c_str(), nullptr,
                          options_.certfile.empty() ? nullptr : options_.certfile.c_str(),
                          options_.keyfile.empty() ? nullptr : options_.keyfile.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return Error::invalid("TLS files: " + describe(rc));
    if (options_.tls_insecure) mosquitto_tls_insecure_set(mosq_, true);
  }
  mosquitto_connect_with_flags_callback_set(mosq_, &Session::on_connect);
  mosquitto_message_callback_set(mosq_, &Session::on_message);
  mosquitto_publish_callback_set(mosq_, &Session::on_publish);
  return ok_status();
}

void Session::start() {
  running_ = true;
  metrics_.connecting();
  asio::co_spawn(ex_, run(), [self = shared_from_this()](std::exception_ptr e) {
    if (e) spdlog::error("mqtt {}: session ended by an exception", self->options_.address());
    self->running_ = false;
    self->done_.wake();
  });
}

asio::awaitable<void> Session::stop() {
  stopping_ = true;
  waker_.wake();
  while (running_) co_await done_.sleep_until(Clock::now() + std::chrono::seconds(1));
  handler_ = nullptr;
}

void Session::drop(const std::string& reason) {
  if (!drop_) drop_ = reason;
  waker_.wake();
}

asio::awaitable<void> Session::run() {
  int failures = 0;
  while (!stopping_) {
    if (failures > 0) {
      co_await waker_.sleep_until(Clock::now() + backoff_.delay(failures));
      if (stopping_) break;
    }
    ConnectCall call{mosq_, &options_};
    ConnectCall::Outcome out = co_await components::blocking_call(pool_, call);
    if (out.rc != MOSQ_ERR_SUCCESS) {
      ++failures;
      errno = out.err;
      std::string reason = fmt::format("connect to {}: {}", options_.address(), describe(out.rc));
      if (failures == 1 || failures % 50 == 0) spdlog::warn("mqtt: {}", reason);
      metrics_.error();
      metrics_.disconnected(reason);
      continue;
    }
    std::string reason = co_await pump();
    const bool was_up = connected_;
    lost(reason);
    // A connection that came up starts the backoff again; a refused or
    // failed handshake keeps growing it.
    failures = was_up ? 1 : failures + 1;
    if (!stopping_) spdlog::warn("mqtt {}: connection lost: {}", options_.address(), reason);
  }
  close_socket();
}

asio::awaitable<std::string> Session::pump() {
  refused_.reset();
  drop_.reset();
  const int fd = ::dup(mosquitto_socket(mosq_));
  if (fd < 0) co_return "dup: " + std::string(std::strerror(errno));
  watch_.assign(fd);
  ++watch_epoch_;
  read_armed_ = write_armed_ = false;
  auto next_misc = Clock::now() + kMiscPeriod;
  auto stop_deadline = Clock::time_point::max();
  bool disconnect_sent = false;

  for (;;) {
    if (drop_) {
      // Nothing more may be written: shut the socket so that libmosquitto
      // notices, closes it and discards its queue (PUBACKs included).
      ::shutdown(mosquitto_socket(mosq_), SHUT_RDWR);
      (void)mosquitto_loop_read(mosq_, 1);
      co_return "dropped: " + *drop_;
    }
    if (stopping_ && !disconnect_sent) {
      disconnect_sent = true;
      stop_deadline = Clock::now() + kStopGrace;
      // A DISCONNECT goes out behind whatever is queued; when the handler
      // holds the queue back, the connection is dropped instead.
      if (!connected_ || !handler_->may_write()) {
        drop_ = "stopping";
        continue;
      }
      mosquitto_disconnect(mosq_);
    }
    if (Clock::now() >= stop_deadline) {
      drop_ = "stopping: gave up flushing";
      continue;
    }
    if (mosquitto_socket(mosq_) < 0) co_return disconnect_sent ? "stopped" : "closed";

    // Read while there is something and room for it.
    for (int i = 0; i < kReadsPerTurn && handler_->may_read() && !drop_; ++i) {
      if (!ready(fd, POLLIN)) break;
      int rc = mosquitto_loop_read(mosq_, 1);
      if (refused_) co_return *refused_;
      if (rc != MOSQ_ERR_SUCCESS) co_return "read: " + describe(rc);
      if (mosquitto_socket(mosq_) < 0) co_return "closed by the broker";
    }
    if (drop_) continue;
    // Write speculatively: an edge-triggered wait would miss a socket that
    // stayed writable while the handler held the queue back.
    if (mosquitto_want_write(mosq_) && handler_->may_write()) {
      int rc = mosquitto_loop_write(mosq_, 1);
      if (rc != MOSQ_ERR_SUCCESS) co_return "write: " + describe(rc);
      if (mosquitto_socket(mosq_) < 0) co_return disconnect_sent ? "stopped" : "closed";
    }
    if (Clock::now() >= next_misc) {
      int rc = mosquitto_loop_misc(mosq_);
      if (rc != MOSQ_ERR_SUCCESS) co_return "keepalive: " + describe(rc);
      next_misc = Clock::now() + kMiscPeriod;
      continue;  // it may have queued a PINGREQ
    }
    if (handler_->may_read() && ready(fd, POLLIN)) {
      co_await asio::post(ex_, asio::use_awaitable);  // let others run, then read on
      continue;
    }
    arm(handler_->may_read(), mosquitto_want_write(mosq_) && handler_->may_write());
    co_await waker_.sleep_until(std::min(next_misc, stop_deadline));
  }
}

void Session::arm(bool read, bool write) {
  auto self = shared_from_this();
  const uint64_t epoch = watch_epoch_;
  if (read && !read_armed_) {
    read_armed_ = true;
    watch_.async_wait(asio::posix::descriptor_base::wait_read,
                      [self, epoch](const boost::system::error_code&) {
                        if (epoch != self->watch_epoch_) return;
                        self->read_armed_ = false;
                        self->waker_.wake();
                      });
  }
  if (write && !write_armed_) {
    write_armed_ = true;
    watch_.async_wait(asio::posix::descriptor_base::wait_write,
                      [self, epoch](const boost::system::error_code&) {
                        if (epoch != self->watch_epoch_) return;
                        self->write_armed_ = false;
                        self->waker_.wake();
                      });
  }
}

void Session::lost(std::string reason) {
  close_socket();
  if (!stopping_) metrics_.error();
  metrics_.disconnected(reason);
  if (connected_) {
    connected_ = false;
    if (handler_) handler_->on_connection_lost();
  }
}

void Session::close_socket() {
  ++watch_epoch_;
  read_armed_ = write_armed_ = false;
  if (watch_.is_open()) {
    boost::system::error_code ec;
    watch_.close(ec);  // our dup only; libmosquitto closes its own
  }
}

void Session::on_connect(mosquitto* /*m*/, void* self_ptr, int rc, int flags) {
  auto* self = static_cast<Session*>(self_ptr);
  if (rc != 0) {
    self->refused_ = fmt::format("broker refused the connection: {}", mosquitto_connack_string(rc));
    return;
  }
  self->connected_ = true;
  ++self->connection_;
  self->metrics_.connected();
  spdlog::info("mqtt {}: connected as {}", self->options_.address(), self->options_.client_id);
  if (self->handler_) self->handler_->on_connected((flags & 1) != 0);
  self->waker_.wake();
}

void Session::on_message(mosquitto* /*m*/, void* self_ptr, const mosquitto_message* msg) {
  auto* self = static_cast<Session*>(self_ptr);
  if (self->handler_) self->handler_->on_message(*msg);
}

void Session::on_publish(mosquitto* /*m*/, void* self_ptr, int mid) {
  auto* self = static_cast<Session*>(self_ptr);
  if (self->handler_) self->handler_->on_published(mid);
}

}  // namespace junction::connectors::mqtt
