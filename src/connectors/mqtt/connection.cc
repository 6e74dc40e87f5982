#include "connectors/mqtt/connection.h"

#include <mosquitto.h>

#include "fmt/format.h"

namespace junction::connectors::mqtt {

std::string ConnectionOptions::address() const {
  return fmt::format("{}:{}", host, port);
}

std::vector<spec::Field> connection_fields() {
  return {
      {"host", spec::FieldType::kString, "127.0.0.1", "Broker host name or address."},
      {"port", spec::FieldType::kInt, "1883", "Broker port (8883 is the usual TLS port)."},
      {"client_id", spec::FieldType::kString, "",
       "MQTT client id; default: junction-<flow>-<step>. Keep it stable: a persistent session "
       "is found again by it."},
      {"username", spec::FieldType::kString, "", "User name."},
      {"password", spec::FieldType::kString, "", "Password.", false, {}, true},
      {"keepalive", spec::FieldType::kDuration, "30s",
       "Keepalive interval (whole seconds, 5s..65535s); a dead connection is noticed within 1.5x."},
      {"cafile", spec::FieldType::kString, "", "PEM CA file: enables TLS."},
      {"certfile", spec::FieldType::kString, "", "PEM client certificate (mutual TLS)."},
      {"keyfile", spec::FieldType::kString, "", "PEM client key (mutual TLS).", false, {}, true},
      {"tls_insecure", spec::FieldType::kBool, "false",
       "Skip the server host name check (never in production)."},
      {"reconnect_min", spec::FieldType::kDuration, "100ms", "First reconnect delay ceiling."},
      {"reconnect_max", spec::FieldType::kDuration, "10s", "Largest reconnect delay."},
  };
}

Result<ConnectionOptions> parse_connection(const spec::Config& c, const flow::ComponentContext& ctx,
                                           const std::string& default_client_id) {
  ConnectionOptions o;
  o.host = c.str("host");
  if (o.host.empty()) return Error::invalid("host must not be empty");
  const int64_t port = c.integer("port");
  if (port < 1 || port > 65535) return Error::invalid("port must be 1..65535");
  o.port = static_cast<int>(port);
  o.client_id = c.has("client_id") ? c.str("client_id") : default_client_id;
  // MQTT 3.1.1 guarantees ids of 1..23 characters; brokers accept longer ones
  // in practice (mosquitto does), but never an empty one with a session.
  if (o.client_id.empty()) return Error::invalid("client_id must not be empty");
  if (o.client_id.size() > 65535) return Error::invalid("client_id is longer than 65535 bytes");
  o.username = c.str("username");
  o.password = c.str("password");
  if (!o.password.empty() && o.username.empty()) {
    return Error::invalid("password needs a username");
  }
  const auto keepalive = std::chrono::duration_cast<std::chrono::seconds>(c.duration("keepalive"));
  if (keepalive.count() < 5 || keepalive.count() > 65535) {
    return Error::invalid("keepalive must be 5s..65535s");
  }
  o.keepalive_s = static_cast<int>(keepalive.count());
  if (c.has("cafile")) o.cafile = ctx.resolve(c.str("cafile")).string();
  if (c.has("certfile")) o.certfile = ctx.resolve(c.str("certfile")).string();
  if (c.has("keyfile")) o.keyfile = ctx.resolve(c.str("keyfile")).string();
  if (o.certfile.empty() != o.keyfile.empty()) {
    return Error::invalid("certfile and keyfile go together");
  }
  if (!o.certfile.empty() && o.cafile.empty()) {
    return Error::invalid("certfile needs cafile (TLS is enabled by cafile)");
  }
  o.tls_insecure = c.boolean("tls_insecure");
  o.reconnect_min = c.duration("reconnect_min");
  o.reconnect_max = c.duration("reconnect_max");
  if (o.reconnect_min.count() <= 0 || o.reconnect_max < o.reconnect_min) {
    return Error::invalid("reconnect_min must be above zero and at most reconnect_max");
  }
  return o;
}

Status check_filter(const std::string& filter) {
  if (filter.empty()) return Error::invalid("an empty topic filter");
  // libmosquitto's own check is pure (no connection): the broker's rules.
  if (mosquitto_sub_topic_check(filter.c_str()) != MOSQ_ERR_SUCCESS) {
    return Error::invalid(fmt::format(
        "'{}' is not a topic filter: '+' and '#' must be whole levels, '#' only last", filter));
  }
  return ok_status();
}

}  // namespace junction::connectors::mqtt
