#include "components/builtin.h"

#include "components/inputs/generate/generate.h"
#include "components/inputs/http_server/http_server.h"
#include "components/outputs/drop/drop.h"
#include "components/processors/filter/filter.h"
#include "components/processors/map/map.h"
#include "components/processors/switch/switch.h"

namespace junction::components {

void register_builtin(flow::ComponentRegistry& registry) {
  // inputs
  register_generate_input(registry);
  register_http_server_input(registry);
  // processors
  register_filter_processor(registry);
  register_map_processor(registry);
  register_switch_processor(registry);
  // outputs
  register_drop_output(registry);
}

}  // namespace junction::components
