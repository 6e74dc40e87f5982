#pragma once

#include "flow/registry.h"

namespace junction::components {

void register_topic_input(flow::ComponentRegistry& registry);

}  // namespace junction::components
