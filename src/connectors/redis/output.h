#pragma once

#include "flow/registry.h"

namespace junction::connectors::redis {

// The `redis` output.
void register_output(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::redis
