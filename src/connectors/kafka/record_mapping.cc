#include "connectors/kafka/record_mapping.h"

#include <string>

namespace junction::connectors::kafka {

Message to_message(const rd_kafka_message_t& record, std::string_view topic, Buffer payload) {
  Message m;
  m.payload = std::move(payload);
  if (record.key) m.key.assign(static_cast<const char*>(record.key), record.key_len);
  rd_kafka_headers_t* hdrs = nullptr;
  // The const_cast: librdkafka parses headers lazily into the message.
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(&record), &hdrs) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      m.headers.add(name, value ? std::string_view(static_cast<const char*>(value), size)
                                : std::string_view());
    }
  }
  rd_kafka_timestamp_type_t type;
  const int64_t ts = rd_kafka_message_timestamp(&record, &type);
  m.timestamp_ms = ts >= 0 ? ts : now_ms();
  if (auto id = m.headers.get("x-junction-id")) {
    m.id = std::string(*id);
  } else {
    m.id = new_message_id();
  }
  m.headers.set(kTopicHeader, topic);
  m.headers.set(kPartitionHeader, std::to_string(record.partition));
  m.headers.set(kOffsetHeader, std::to_string(record.offset));
  return m;
}

bool is_source_header(std::string_view name) {
  return iequals(name, kTopicHeader) || iequals(name, kPartitionHeader) ||
         iequals(name, kOffsetHeader);
}

rd_kafka_headers_t* to_kafka_headers(const Headers& headers) {
  rd_kafka_headers_t* out = rd_kafka_headers_new(headers.size());
  for (const auto& [name, value] : headers) {
    if (is_source_header(name)) continue;
    rd_kafka_header_add(out, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  return out;
}

}  // namespace junction::connectors::kafka
