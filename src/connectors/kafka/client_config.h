#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "core/error.h"
#include "spec/node.h"

namespace junction::connectors::kafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// librdkafka properties by name, as strings.
using Properties = std::map<std::string, std::string>;

// Reads the `options` mapping (extra librdkafka properties: SASL, SSL,
// tuning). Rejects the properties the connector's guarantee rests on
// (enable.auto.commit, enable.idempotence, acks, ...): those are not options.
Result<Properties> read_options(const spec::Node& node);

// A librdkafka configuration with `props` set. Checks every property without
// opening a socket, so `junction validate` reports a bad one. Error messages
// name the property, never its value: options carry passwords.
Result<ConfPtr> make_conf(const Properties& props);

// How the flow should treat a failed produce or commit.
ErrorClass classify(rd_kafka_resp_err_t err);

// A failure that says the brokers cannot be reached (not: a record was bad).
bool is_connection_error(rd_kafka_resp_err_t err);

}  // namespace junction::connectors::kafka
