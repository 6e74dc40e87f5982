#include "connectors/kafka/register.h"

#include "connectors/kafka/kafka_input.h"
#include "connectors/kafka/kafka_output.h"

namespace junction::connectors {

void register_kafka(flow::ComponentRegistry& registry) {
  kafka::register_kafka_input(registry);
  kafka::register_kafka_output(registry);
}

}  // namespace junction::connectors
