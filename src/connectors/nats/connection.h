#pragma once

#include <nats/nats.h>

#include <condition_variable>
#include <mutex>
#include <string>

#include "connectors/common/connector_metrics.h"
#include "connectors/nats/config.h"
#include "core/error.h"

namespace junction::connectors::nats {

// A libnats status (and JetStream error code) as a classified Error: lost
// connections, timeouts and "no responders" (no stream, or JetStream
// restarting) are transient; the rest is permanent, bad input invalid.
ErrorClass classify(natsStatus s, jsErrCode code);
// The error for a failed call, with libnats' detail for this thread.
Error status_error(natsStatus s, jsErrCode code, std::string_view what);

// One connection to NATS with a JetStream context, reconnecting for ever.
//
// libnats reconnects by itself (infinite attempts, `reconnect_wait` apart,
// buffering publishes meanwhile); its disconnected/reconnected callbacks,
// which run on the library's own thread, drive ConnectorMetrics and so the
// component's readiness. The first connect does not block either: with
// retry-on-failed-connect the connection object exists at once and comes up
// when the server does. Every call here may block: call it from a thread the
// component owns, never from the flow's executor.
class Connection {
 public:
  Connection(ConnectionOptions options, ConnectorMetrics& metrics);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Creates the connection and the JetStream context. `async_publish` sets
  // the context's async publish ack handler (the output's).
  Status open(jsOptions* js_options = nullptr);
  // Creates the stream when asked to and it is missing.
  Status ensure_stream(const StreamOptions& stream);
  // Closes and waits (bounded) until libnats ran its last callback, so that
  // no callback outlives `metrics`.
  void close();

  natsConnection* nc() { return nc_; }
  jsCtx* js() { return js_; }
  bool connected() const;
  const ConnectionOptions& options() const { return o_; }

 private:
  static void on_connected(natsConnection* nc, void* self);
  static void on_disconnected(natsConnection* nc, void* self);
  static void on_reconnected(natsConnection* nc, void* self);
  static void on_closed(natsConnection* nc, void* self);

  ConnectionOptions o_;
  ConnectorMetrics& metrics_;
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::mutex mu_;
  std::condition_variable closed_cv_;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace junction::connectors::nats
