#include "connectors/amqp/options.h"

namespace junction::connectors::amqp {

std::vector<spec::Field> connection_fields() {
  std::vector<spec::Field> f = {
      {"url", spec::FieldType::kString, "",
       "Broker URI: amqp://user:password@host:5672/vhost (vhost / is %2f or left out).", true},
      {"heartbeat", spec::FieldType::kDuration, "30s",
       "AMQP heartbeat interval (whole seconds; 0s turns heartbeats off)."},
      {"connect_timeout", spec::FieldType::kDuration, "10s",
       "Bounds connecting and every synchronous AMQP method."},
      {"reconnect_max", spec::FieldType::kDuration, "5s",
       "Longest wait between reconnect attempts (exponential backoff from 100ms, jittered)."},
  };
  f[0].secret = true;
  return f;
}

Result<ConnectionOptions> connection_options(const spec::Config& c) {
  auto address = Address::parse(c.str("url"));
  if (!address) return address.error();
  ConnectionOptions o{std::move(*address), {}, c.duration("reconnect_max")};
  const auto heartbeat = std::chrono::duration_cast<std::chrono::seconds>(c.duration("heartbeat"));
  if (heartbeat.count() < 0 || heartbeat.count() > 65535) {
    return Error::invalid("heartbeat must be 0s..65535s");
  }
  o.session.heartbeat_s = static_cast<int>(heartbeat.count());
  o.session.connect_timeout = c.duration("connect_timeout");
  o.session.rpc_timeout = o.session.connect_timeout;
  if (o.session.connect_timeout < std::chrono::milliseconds(1)) {
    return Error::invalid("connect_timeout must be at least 1ms");
  }
  if (o.reconnect_max < std::chrono::milliseconds(100)) {
    return Error::invalid("reconnect_max must be at least 100ms");
  }
  return o;
}

}  // namespace junction::connectors::amqp
