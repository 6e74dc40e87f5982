#pragma once

#include "flow/registry.h"

namespace junction::connectors::kafka {

// The `kafka` output: an idempotent producer; written once the brokers acked.
void register_kafka_output(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::kafka
