#include "connectors/redis/register.h"

#include "connectors/redis/lookup.h"
#include "connectors/redis/output.h"
#include "connectors/redis/stream_input.h"

namespace junction::connectors {

void register_redis(flow::ComponentRegistry& registry) {
  redis::register_stream_input(registry);
  redis::register_output(registry);
  redis::register_lookup(registry);
}

}  // namespace junction::connectors
