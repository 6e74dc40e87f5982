#pragma once

#include "flow/registry.h"

namespace junction::components {

void register_http_client_output(flow::ComponentRegistry& registry);

}  // namespace junction::components
