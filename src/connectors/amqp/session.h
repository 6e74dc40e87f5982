#pragma once

#include <amqp.h>

#include <memory>
#include <string>

#include "connectors/amqp/address.h"
#include "core/error.h"
#include "core/units.h"

namespace junction::connectors::amqp {

// The channel every session uses: one connection, one channel.
inline constexpr amqp_channel_t kChannel = 1;

struct SessionOptions {
  Duration connect_timeout = std::chrono::seconds(10);
  // Bounds every synchronous method (login, declare, qos, close): a broker
  // that stops answering cannot hang the connection's thread.
  Duration rpc_timeout = std::chrono::seconds(10);
  int heartbeat_s = 30;
};

// One open AMQP connection with channel 1, owned by one thread: librabbitmq
// is not thread-safe, so every call on a session happens on the thread of the
// component that opened it. Destroying it closes the channel and the
// connection politely (bounded by rpc_timeout) and frees the socket.
class Session {
 public:
  static Result<std::unique_ptr<Session>> open(const Address& address, const SessionOptions& o);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  amqp_connection_state_t conn() const { return conn_; }
  int fd() const { return amqp_get_sockfd(conn_); }
  // After a failed call the connection is unusable: skip the polite close.
  void mark_broken() { broken_ = true; }

 private:
  explicit Session(amqp_connection_state_t conn) : conn_(conn) {}
  amqp_connection_state_t conn_;
  bool broken_ = false;
};

// The failure behind a synchronous method's reply, or ok. A broker refusal
// (connection.close / channel.close) carries its reply code and text.
Status reply_status(const amqp_rpc_reply_t& reply, std::string_view what);
// The class of an AMQP reply code: 403 access refused is unauthorized,
// 404 / 406 (no such exchange, precondition failed) are permanent, the rest
// (320 connection forced by a broker shutdown, ...) transient.
ErrorClass reply_code_class(int code);
// A library status code (AMQP_STATUS_*) as an error.
Error library_error(int status, std::string_view what);

}  // namespace junction::connectors::amqp
