#include "connectors/postgres/register.h"

#include "connectors/postgres/input.h"
#include "connectors/postgres/lookup.h"
#include "connectors/postgres/output.h"

namespace junction::connectors {

void register_postgres(flow::ComponentRegistry& registry) {
  postgres::register_postgres_input(registry);
  postgres::register_postgres_lookup(registry);
  postgres::register_postgres_output(registry);
}

}  // namespace junction::connectors
