#include "connectors/register.h"

#include "connectors/amqp/register.h"

namespace junction::connectors {

void register_connectors(flow::ComponentRegistry& registry) {
  register_amqp(registry);
}

}  // namespace junction::connectors
