#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "core/message.h"
#include "log/consumer.h"
#include "log/record_batch.h"
#include "log/store.h"

namespace junction::components {

// The header that carries a message's id through a topic, so a consumer
// downstream sees the id the message got where it entered the system.
inline constexpr std::string_view kMessageIdHeader = "x-junction-id";

// A message as a log record: payload, key (none when empty), headers,
// timestamp, and its id in a header.
log::Record to_record(const Message& m);
// A delivered record as a message (no Ack: the caller attaches one).
Message to_message(const log::Delivery& d);

// The value at a dotted field path of a JSON payload, as text (strings as
// is, numbers and booleans as JSON); nothing when absent or not JSON.
std::optional<std::string> json_field(std::string_view payload, std::string_view path);

// Appends each group as one batch to its partition, all at once, and
// resumes when every append completed (durable by the topic's policy). The
// results come back in the order of `groups`.
struct PartitionRecords {
  int32_t partition;
  std::vector<log::Record> records;
};
boost::asio::awaitable<std::vector<Result<log::AppendResult>>> produce_all(
    log::Store& store, log::Topic& topic, std::vector<PartitionRecords> groups);

}  // namespace junction::components
