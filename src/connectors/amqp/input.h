#pragma once

#include "flow/registry.h"

namespace junction::connectors::amqp {

// The `amqp` input: consumes a queue, acks once the flow settled ok.
void register_amqp_input(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::amqp
