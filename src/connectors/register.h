#pragma once

#include "flow/registry.h"

namespace junction::connectors {

// Adds every connector's inputs, processors and outputs to the registry.
void register_connectors(flow::ComponentRegistry& registry);

}  // namespace junction::connectors
