#include "connectors/mqtt/register.h"

#include "connectors/mqtt/input.h"
#include "connectors/mqtt/output.h"

namespace junction::connectors {

void register_mqtt(flow::ComponentRegistry& registry) {
  mqtt::register_mqtt_input(registry);
  mqtt::register_mqtt_output(registry);
}

}  // namespace junction::connectors
