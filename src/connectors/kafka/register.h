#pragma once

#include "flow/registry.h"

namespace junction::connectors {

// The `kafka` input and output.
void register_kafka(flow::ComponentRegistry& registry);

}  // namespace junction::connectors
