#include "connectors/amqp/address.h"

#include <amqp.h>
#include <fmt/format.h>

namespace junction::connectors::amqp {

Result<Address> Address::parse(std::string_view url) {
  if (url.starts_with("amqps://")) {
    return Error::invalid("amqps:// (TLS) is not supported; use amqp://");
  }
  // amqp_parse_url writes into its argument and points into it.
  std::string buf(url);
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buf.data(), &info) != AMQP_STATUS_OK) {
    return Error::invalid("url must look like amqp://user:password@host:5672/vhost");
  }
  Address a;
  a.host = info.host;
  a.port = info.port;
  a.user = info.user;
  a.password = info.password;
  // "amqp://host/" parses to the empty vhost, which no broker has; people
  // who write it mean the default one.
  a.vhost = *info.vhost ? info.vhost : "/";
  if (a.host.empty()) return Error::invalid("url has no host");
  return a;
}

std::string Address::display() const {
  if (vhost == "/") return fmt::format("{}:{}", host, port);
  return fmt::format("{}:{}/{}", host, port, vhost);
}

}  // namespace junction::connectors::amqp
