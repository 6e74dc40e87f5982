#include "connectors/register.h"

#include "connectors/nats/register.h"

namespace junction::connectors {

void register_connectors(flow::ComponentRegistry& registry) {
  register_nats(registry);
}

}  // namespace junction::connectors
