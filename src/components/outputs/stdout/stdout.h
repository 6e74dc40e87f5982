#pragma once

#include "flow/registry.h"

namespace junction::components {

void register_stdout_output(flow::ComponentRegistry& registry);

}  // namespace junction::components
