#pragma once

#include "flow/registry.h"

namespace junction::connectors::mqtt {

void register_mqtt_output(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::mqtt
