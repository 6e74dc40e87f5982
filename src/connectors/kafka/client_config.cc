#include "connectors/kafka/client_config.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace junction::connectors::kafka {
namespace {

// The connector sets these; letting `options` change them would silently
// break at-least-once (auto commit) or ordering and durability (acks).
constexpr std::array<std::string_view, 10> kReserved = {
    "bootstrap.servers",        "metadata.broker.list", "group.id", "enable.auto.commit",
    "enable.auto.offset.store", "enable.idempotence",   "acks",     "request.required.acks",
    "transactional.id",         "auto.offset.reset"};

}  // namespace

Result<Properties> read_options(const spec::Node& node) {
  Properties props;
  if (node.is_null()) return props;
  if (!node.is_map()) return Error::invalid("options must be a mapping of librdkafka properties");
  for (const auto& [k, v] : node.entries()) {
    if (!k.is_scalar() || !v.is_scalar()) {
      return Error::invalid("options: each librdkafka property maps to one scalar value");
    }
    const std::string& name = k.raw();
    for (auto reserved : kReserved) {
      if (name == reserved) {
        return Error::invalid(
            fmt::format("options.{} is set by the connector (see the component's fields)", name));
      }
    }
    props[name] = v.raw();
  }
  return props;
}

Result<ConfPtr> make_conf(const Properties& props) {
  ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  for (const auto& [name, value] : props) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      // librdkafka's message may quote the value (a password): keep it out.
      std::string_view why(errstr);
      if (!value.empty() && why.find(value) != std::string_view::npos) why = "invalid value";
      return Error::invalid(fmt::format("kafka property {}: {}", name, why));
    }
  }
  return conf;
}

ErrorClass classify(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return ErrorClass::kInvalid;
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return ErrorClass::kUnauthorized;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      return ErrorClass::kForbidden;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
      return ErrorClass::kOverloaded;
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
      return ErrorClass::kPermanent;
    default:
      // Timeouts, leader changes, broker transport failures, unknown
      // partitions while a topic is created, a fatal producer error (the
      // output replaces that producer): a later attempt may succeed.
      return ErrorClass::kTransient;
  }
}

bool is_connection_error(rd_kafka_resp_err_t err) {
  switch (err) {
    // Not __TRANSPORT: one broker dropping a connection is routine.
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
      return true;
    default:
      return false;
  }
}

}  // namespace junction::connectors::kafka
