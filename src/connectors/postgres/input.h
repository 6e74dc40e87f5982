#pragma once

#include "flow/registry.h"

namespace junction::connectors::postgres {

void register_postgres_input(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::postgres
