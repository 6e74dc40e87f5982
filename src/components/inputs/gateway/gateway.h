#pragma once

#include "flow/registry.h"

namespace junction::components {

void register_gateway_input(flow::ComponentRegistry& registry);

}  // namespace junction::components
