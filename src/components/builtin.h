#pragma once

#include "flow/registry.h"

namespace junction::components {

// Registers every built-in input, processor and output. Adding a component
// means one folder under components/ and one line in builtin.cc.
void register_builtin(flow::ComponentRegistry& registry);

}  // namespace junction::components
