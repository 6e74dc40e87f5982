#include "connectors/register.h"

#include "connectors/kafka/register.h"

namespace junction::connectors {

void register_connectors(flow::ComponentRegistry& registry) {
  register_kafka(registry);
}

}  // namespace junction::connectors
