#pragma once

#include "flow/registry.h"

namespace junction::components {

void register_dedupe_processor(flow::ComponentRegistry& registry);

}  // namespace junction::components
