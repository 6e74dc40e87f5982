#pragma once

#include "flow/registry.h"

namespace junction::connectors::mqtt {

void register_mqtt_input(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::mqtt
