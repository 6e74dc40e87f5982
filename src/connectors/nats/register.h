#pragma once

#include "flow/registry.h"

namespace junction::connectors {

// The `nats` input (JetStream pull consumer) and output (JetStream publish).
void register_nats(flow::ComponentRegistry& registry);

}  // namespace junction::connectors
