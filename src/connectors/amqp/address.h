#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::connectors::amqp {

// Where a broker is and who we are to it, from an AMQP URI:
//   amqp://user:password@host:port/vhost
// Defaults follow the RabbitMQ URI spec: guest:guest, localhost, 5672, vhost
// "/". Percent-escapes are decoded (a vhost "/" is written %2f).
struct Address {
  std::string host;
  int port = 5672;
  std::string user;
  std::string password;
  std::string vhost;

  // Invalid for a malformed URI and for amqps:// (TLS is not supported).
  static Result<Address> parse(std::string_view url);

  // host:port/vhost, without the credentials: what logs and errors show.
  std::string display() const;
};

}  // namespace junction::connectors::amqp
