#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/units.h"
#include "flow/registry.h"
#include "spec/schema.h"

namespace junction::connectors::mqtt {

// How to reach a broker and who we are to it; shared by the input, the
// output and the input's dead-letter publisher.
struct ConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;
  std::string username;
  std::string password;  // never logged
  int keepalive_s = 30;
  // false: the broker keeps the session (subscriptions and unacknowledged
  // QoS 1 messages) while we are away, keyed by client_id.
  bool clean_session = false;
  std::string cafile;
  std::string certfile;
  std::string keyfile;
  bool tls_insecure = false;  // skip the host name check (test brokers only)
  Duration reconnect_min = std::chrono::milliseconds(100);
  Duration reconnect_max = std::chrono::seconds(10);
  // MQTT 5 (user properties on the dead letter); else 3.1.1.
  bool mqtt5 = false;

  bool tls() const { return !cafile.empty(); }
  // "host:port" for logs and readiness reasons.
  std::string address() const;
};

// The connection fields every MQTT component has.
std::vector<spec::Field> connection_fields();

// Reads them; `default_client_id` applies when none is set (it must be stable
// across restarts for a persistent session to be found again).
Result<ConnectionOptions> parse_connection(const spec::Config& c, const flow::ComponentContext& ctx,
                                           const std::string& default_client_id);

// A subscription filter per MQTT 3.1.1 section 4.7: '+' and '#' only as whole
// levels, '#' only last. Returns the reason it is not one.
Status check_filter(const std::string& filter);

}  // namespace junction::connectors::mqtt
