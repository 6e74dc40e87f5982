#include "connectors/register.h"

#include "connectors/redis/register.h"

namespace junction::connectors {

void register_connectors(flow::ComponentRegistry& registry) {
  register_redis(registry);
}

}  // namespace junction::connectors
