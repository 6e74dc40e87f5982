#pragma once

#include "flow/registry.h"

namespace junction::connectors::nats {

void register_nats_output(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::nats
