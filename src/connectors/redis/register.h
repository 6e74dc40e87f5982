#pragma once

#include "flow/registry.h"

namespace junction::connectors {

// The Redis components: the `redis_stream` input, the `redis` output and
// the `redis_lookup` processor.
void register_redis(flow::ComponentRegistry& registry);

}  // namespace junction::connectors
