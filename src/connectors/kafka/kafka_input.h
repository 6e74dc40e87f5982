#pragma once

#include "flow/registry.h"

namespace junction::connectors::kafka {

// The `kafka` input: a consumer-group member committing only settled records.
void register_kafka_input(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::kafka
