#include "connectors/amqp/register.h"

#include "connectors/amqp/input.h"
#include "connectors/amqp/output.h"

namespace junction::connectors {

void register_amqp(flow::ComponentRegistry& registry) {
  amqp::register_amqp_input(registry);
  amqp::register_amqp_output(registry);
}

}  // namespace junction::connectors
