#include "connectors/register.h"

#include "connectors/postgres/register.h"

namespace junction::connectors {

void register_connectors(flow::ComponentRegistry& registry) {
  register_postgres(registry);
}

}  // namespace junction::connectors
