#include "connectors/amqp/session.h"

#include <amqp_tcp_socket.h>
#include <fmt/format.h>
#include <sys/time.h>

namespace junction::connectors::amqp {
namespace {

timeval to_timeval(Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

std::string bytes_str(amqp_bytes_t b) {
  return std::string(static_cast<const char*>(b.bytes), b.len);
}

}  // namespace

ErrorClass reply_code_class(int code) {
  switch (code) {
    case 403:
      return ErrorClass::kUnauthorized;
    case 404:
    case 406:
      return ErrorClass::kPermanent;
    default:
      return ErrorClass::kTransient;
  }
}

Error library_error(int status, std::string_view what) {
  return Error::transient(fmt::format("{}: {}", what, amqp_error_string2(status)));
}

Status reply_status(const amqp_rpc_reply_t& reply, std::string_view what) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return ok_status();
    case AMQP_RESPONSE_NONE:
      return Error::transient(fmt::format("{}: no reply", what));
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return library_error(reply.library_error, what);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      break;
  }
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
    return Error(reply_code_class(m->reply_code),
                 fmt::format("{}: broker closed the connection: {} {}", what, m->reply_code,
                             bytes_str(m->reply_text)));
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* m = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
    return Error(reply_code_class(m->reply_code),
                 fmt::format("{}: broker closed the channel: {} {}", what, m->reply_code,
                             bytes_str(m->reply_text)));
  }
  return Error::transient(fmt::format("{}: unexpected method {:#x}", what, reply.reply.id));
}

Result<std::unique_ptr<Session>> Session::open(const Address& a, const SessionOptions& o) {
  amqp_connection_state_t conn = amqp_new_connection();
  if (!conn) return Error::transient("amqp: out of memory");
  std::unique_ptr<Session> s(new Session(conn));
  amqp_socket_t* socket = amqp_tcp_socket_new(conn);
  if (!socket) return Error::transient("amqp: cannot create a socket");
  const timeval rpc = to_timeval(o.rpc_timeout);
  amqp_set_rpc_timeout(conn, &rpc);
  amqp_set_handshake_timeout(conn, &rpc);
  timeval connect = to_timeval(o.connect_timeout);
  if (int rc = amqp_socket_open_noblock(socket, a.host.c_str(), a.port, &connect);
      rc != AMQP_STATUS_OK) {
    s->broken_ = true;
    return library_error(rc, "connect");
  }
  amqp_rpc_reply_t r = amqp_login(conn, a.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, o.heartbeat_s,
                                  AMQP_SASL_METHOD_PLAIN, a.user.c_str(), a.password.c_str());
  if (auto st = reply_status(r, "login"); !st) {
    s->broken_ = true;
    return st.error();
  }
  amqp_channel_open(conn, kChannel);
  if (auto st = reply_status(amqp_get_rpc_reply(conn), "channel.open"); !st) {
    s->broken_ = true;
    return st.error();
  }
  return s;
}

Session::~Session() {
  if (!broken_) {
    amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(conn_);
}

}  // namespace junction::connectors::amqp
