#pragma once

#include "flow/registry.h"

namespace junction::components {

void register_validate_processor(flow::ComponentRegistry& registry);

}  // namespace junction::components
