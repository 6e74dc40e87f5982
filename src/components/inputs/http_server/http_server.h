#pragma once

#include "flow/registry.h"

namespace junction::components {

void register_http_server_input(flow::ComponentRegistry& registry);

}  // namespace junction::components
