#pragma once

#include "flow/registry.h"

namespace junction::connectors::amqp {

// The `amqp` output: publishes with publisher confirms.
void register_amqp_output(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::amqp
