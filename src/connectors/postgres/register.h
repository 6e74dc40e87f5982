#pragma once

#include "flow/registry.h"

namespace junction::connectors {

// The postgres input, output and postgres_lookup processor.
void register_postgres(flow::ComponentRegistry& registry);

}  // namespace junction::connectors
