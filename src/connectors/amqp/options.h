#pragma once

#include <vector>

#include "connectors/amqp/session.h"
#include "core/error.h"
#include "spec/schema.h"

namespace junction::connectors::amqp {

// The connection fields both components share: url, heartbeat,
// connect_timeout, reconnect_max.
std::vector<spec::Field> connection_fields();

struct ConnectionOptions {
  Address address;
  SessionOptions session;
  Duration reconnect_max;
};

// Reads connection_fields(); invalid for a bad url or out-of-range values.
Result<ConnectionOptions> connection_options(const spec::Config& c);

}  // namespace junction::connectors::amqp
