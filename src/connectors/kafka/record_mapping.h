#pragma once

#include <librdkafka/rdkafka.h>

#include <string_view>

#include "core/buffer.h"
#include "core/message.h"

namespace junction::connectors::kafka {

// Headers the input adds to say where a record came from.
inline constexpr std::string_view kTopicHeader = "x-junction-kafka-topic";
inline constexpr std::string_view kPartitionHeader = "x-junction-kafka-partition";
inline constexpr std::string_view kOffsetHeader = "x-junction-kafka-offset";

// A consumed record as a message: `payload` (the decoded value), the record's
// key, headers (a header without a value becomes empty) and timestamp (now,
// when the record has none), its id from `x-junction-id` or a new one, and
// the x-junction-kafka-topic / -partition / -offset headers.
Message to_message(const rd_kafka_message_t& record, std::string_view topic, Buffer payload);

// The Kafka headers for a message: its headers, without the
// x-junction-kafka-* ones, which describe the record it was read from, not
// the one being written. Ownership passes to the caller.
rd_kafka_headers_t* to_kafka_headers(const Headers& headers);

// True for the headers to_kafka_headers() leaves out.
bool is_source_header(std::string_view name);

}  // namespace junction::connectors::kafka
