#pragma once

#include "flow/registry.h"

namespace junction::connectors {

// The `mqtt` input and output.
void register_mqtt(flow::ComponentRegistry& registry);

}  // namespace junction::connectors
