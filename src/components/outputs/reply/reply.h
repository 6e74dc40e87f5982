#pragma once

#include "flow/registry.h"

namespace junction::components {

void register_reply_output(flow::ComponentRegistry& registry);

}  // namespace junction::components
