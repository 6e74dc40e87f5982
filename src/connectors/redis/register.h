#pragma once

#include "flow/registry.h"

namespace junction::connectors {

// The Redis components: the `redis_stream` input and the `redis` output.
void register_redis(flow::ComponentRegistry& registry);

}  // namespace junction::connectors
