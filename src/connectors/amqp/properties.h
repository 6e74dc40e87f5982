#pragma once

#include <amqp.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"

namespace junction::connectors::amqp {

// Headers the input adds to every message, naming where it came from.
inline constexpr std::string_view kRoutingKeyHeader = "x-junction-amqp-routing-key";
inline constexpr std::string_view kExchangeHeader = "x-junction-amqp-exchange";
inline constexpr std::string_view kRedeliveredHeader = "x-junction-amqp-redelivered";

// AMQP basic properties -> message fields, on the way in:
//   content-type, content-encoding, correlation-id, reply-to, type, app-id
//     -> headers of those names
//   message-id -> the message id;  timestamp (seconds) -> timestamp_ms
//   the headers table -> headers (strings as they are; numbers, booleans and
//     decimals as text; nested tables and arrays are skipped)
void apply_properties(const amqp_basic_properties_t& p, Message& m);

// The routing facts of a delivery as headers (kRoutingKeyHeader, ...).
void add_delivery_headers(std::string_view exchange, std::string_view routing_key, bool redelivered,
                          Message& m);

// Message fields -> AMQP basic properties, on the way out. Owns the strings
// the properties point into, so it must stay put (not be moved or copied)
// while `get()`'s result is in use.
class OutgoingProperties {
 public:
  OutgoingProperties(const Message& m, std::string_view default_content_type, bool persistent);
  OutgoingProperties(const OutgoingProperties&) = delete;
  OutgoingProperties& operator=(const OutgoingProperties&) = delete;

  const amqp_basic_properties_t& get();
  const std::string& message_id() const { return message_id_; }

 private:
  std::string content_type_;
  std::string message_id_;
  int64_t timestamp_ms_;
  bool persistent_;
  // Every other message header, except the input's x-junction-amqp-* ones.
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<amqp_table_entry_t> entries_;
  amqp_basic_properties_t props_{};
};

}  // namespace junction::connectors::amqp
