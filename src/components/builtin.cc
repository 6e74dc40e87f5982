#include "components/builtin.h"

#include "components/inputs/file/file.h"
#include "components/inputs/gateway/gateway.h"
#include "components/inputs/generate/generate.h"
#include "components/inputs/http_server/http_server.h"
#include "components/inputs/stdin/stdin.h"
#include "components/inputs/topic/topic.h"
#include "components/outputs/drop/drop.h"
#include "components/outputs/file/file.h"
#include "components/outputs/http_client/http_client.h"
#include "components/outputs/reply/reply.h"
#include "components/outputs/stdout/stdout.h"
#include "components/outputs/topic/topic.h"
#include "components/processors/batch/batch.h"
#include "components/processors/dedupe/dedupe.h"
#include "components/processors/filter/filter.h"
#include "components/processors/log/log.h"
#include "components/processors/map/map.h"
#include "components/processors/split/split.h"
#include "components/processors/switch/switch.h"
#include "components/processors/validate/validate.h"

namespace junction::components {

void register_builtin(flow::ComponentRegistry& registry) {
  // inputs
  register_file_input(registry);
  register_gateway_input(registry);
  register_generate_input(registry);
  register_http_server_input(registry);
  register_stdin_input(registry);
  register_topic_input(registry);
  // processors
  register_batch_processor(registry);
  register_dedupe_processor(registry);
  register_filter_processor(registry);
  register_log_processor(registry);
  register_map_processor(registry);
  register_split_processor(registry);
  register_switch_processor(registry);
  register_validate_processor(registry);
  // outputs
  register_drop_output(registry);
  register_file_output(registry);
  register_http_client_output(registry);
  register_reply_output(registry);
  register_stdout_output(registry);
  register_topic_output(registry);
}

}  // namespace junction::components
