#pragma once

#include "flow/registry.h"

namespace junction::connectors {

// The `amqp` input and output (AMQP 0-9-1 through librabbitmq).
void register_amqp(flow::ComponentRegistry& registry);

}  // namespace junction::connectors
