#include "connectors/nats/register.h"

#include "connectors/nats/input.h"
#include "connectors/nats/output.h"

namespace junction::connectors {

void register_nats(flow::ComponentRegistry& registry) {
  nats::register_nats_input(registry);
  nats::register_nats_output(registry);
}

}  // namespace junction::connectors
