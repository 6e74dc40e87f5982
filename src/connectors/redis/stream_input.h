#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "connectors/redis/endpoint.h"
#include "connectors/redis/stream_entry.h"
#include "core/units.h"
#include "flow/registry.h"

namespace junction::connectors::redis {

struct StreamInputOptions {
  Endpoint endpoint;
  std::string stream;
  std::string group;
  std::string consumer;
  bool create_group = true;
  std::string start_id = "0";  // where a group created here starts
  size_t batch = 100;
  Duration block = std::chrono::seconds(1);
  size_t max_in_flight = 1000;
  Duration claim_idle{};  // 0 = never take over other consumers' entries
  int64_t max_deliveries = 5;
  std::string dead_letter;  // stream
  EntryFormat format;
};

// The schema fields and their reading, apart from the component (unit tested).
std::vector<spec::Field> stream_input_fields();
Result<StreamInputOptions> stream_input_options(const spec::Config& c,
                                                const flow::ComponentContext& ctx);

// The component, from checked options (stream_input.cc).
std::unique_ptr<flow::Input> make_stream_input(StreamInputOptions o,
                                               const flow::ComponentContext& ctx);

// Its schema, documentation and factory (stream_input_config.cc).
void register_stream_input(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::redis
