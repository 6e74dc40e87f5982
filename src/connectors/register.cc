#include "connectors/register.h"

#include "connectors/amqp/register.h"
#include "connectors/kafka/register.h"
#include "connectors/mqtt/register.h"
#include "connectors/nats/register.h"
#include "connectors/postgres/register.h"
#include "connectors/redis/register.h"

namespace junction::connectors {

void register_connectors(flow::ComponentRegistry& registry) {
  register_amqp(registry);
  register_kafka(registry);
  register_mqtt(registry);
  register_nats(registry);
  register_postgres(registry);
  register_redis(registry);
}

}  // namespace junction::connectors
