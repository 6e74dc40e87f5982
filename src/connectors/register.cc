#include "connectors/register.h"

namespace junction::connectors {

void register_connectors(flow::ComponentRegistry& /*registry*/) {}

}  // namespace junction::connectors
