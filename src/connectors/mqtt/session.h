#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>
#include <optional>
#include <string>

#include "components/common/waker.h"
#include "connectors/common/connector_metrics.h"
#include "connectors/mqtt/connection.h"
#include "core/executor.h"
#include "resilience/backoff.h"

struct mosquitto;
struct mosquitto_message;

namespace junction::connectors::mqtt {

// What a session tells its owner. Every call comes on the session's executor
// (libmosquitto calls back from inside the loop calls the session makes).
class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  virtual void on_connected(bool /*session_present*/) {}
  virtual void on_connection_lost() {}
  virtual void on_message(const mosquitto_message& /*msg*/) {}
  // A QoS 1 publish was acknowledged (PUBACK), or a QoS 0 one was written.
  virtual void on_published(int /*mid*/) {}
  // Whether packets queued in libmosquitto may be written now. The input
  // answers false while messages whose PUBACKs are queued are unsettled.
  virtual bool may_write() const { return true; }
  // Whether to read more now (the owner's queue has room).
  virtual bool may_read() const { return true; }
};

// One MQTT connection driven by the flow's executor: libmosquitto in its
// "threaded" mode (nothing written from inside its calls) with the socket
// watched by Asio, so the session decides when queued packets go out. That
// is what lets the input hold back PUBACKs until the flow settled the
// messages; libmosquitto 2.0 has no manual acknowledgement API.
//
// The connect itself (DNS, TCP, TLS) is blocking in libmosquitto and runs on
// the blocking pool; reconnects follow resilience::Backoff. While down, the
// ConnectorMetrics readiness is false with the reason.
class Session : public std::enable_shared_from_this<Session> {
 public:
  static Result<std::shared_ptr<Session>> create(ConnectionOptions options,
                                                 asio::any_io_executor ex, BlockingPool& pool,
                                                 ConnectorMetrics& metrics,
                                                 SessionHandler& handler);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects (and reconnects) in the background until stop().
  void start();
  // Writes what may be written, says DISCONNECT when allowed, and returns once
  // the background work ended. The handler is not called afterwards.
  asio::awaitable<void> stop();
  // Ends the connection at once without writing anything more (queued
  // PUBACKs die with it, so the broker redelivers); then reconnects.
  void drop(const std::string& reason);
  // Something was queued to write, or the handler's gates changed.
  void kick() { waker_.wake(); }

  bool connected() const { return connected_; }
  // Counts connections: a settlement for an older one is moot.
  uint64_t connection() const { return connection_; }
  mosquitto* handle() const { return mosq_; }
  const ConnectionOptions& options() const { return options_; }

 private:
  Session(ConnectionOptions options, asio::any_io_executor ex, BlockingPool& pool,
          ConnectorMetrics& metrics, SessionHandler& handler);
  Status configure();
  asio::awaitable<void> run();
  // Serves one connection until it ends; returns why.
  asio::awaitable<std::string> pump();
  void arm(bool read, bool write);
  void lost(std::string reason);
  void close_socket();

  static void on_connect(mosquitto* m, void* self, int rc, int flags);
  static void on_message(mosquitto* m, void* self, const mosquitto_message* msg);
  static void on_publish(mosquitto* m, void* self, int mid);

  ConnectionOptions options_;
  asio::any_io_executor ex_;
  BlockingPool& pool_;
  ConnectorMetrics& metrics_;
  SessionHandler* handler_;
  mosquitto* mosq_ = nullptr;
  resilience::Backoff backoff_;
  components::Waker waker_;
  asio::posix::stream_descriptor watch_;  // a dup of libmosquitto's socket
  uint64_t watch_epoch_ = 0;              // ignores waits armed for an older socket
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool connected_ = false;
  uint64_t connection_ = 0;
  std::optional<std::string> refused_;  // CONNACK refusal reason
  std::optional<std::string> drop_;     // why drop() was asked
  bool stopping_ = false;
  bool running_ = false;
  components::Waker done_;
};

}  // namespace junction::connectors::mqtt
