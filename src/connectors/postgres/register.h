#pragma once

#include "flow/registry.h"

namespace junction::connectors {

// The postgres input and output.
void register_postgres(flow::ComponentRegistry& registry);

}  // namespace junction::connectors
