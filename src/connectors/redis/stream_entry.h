#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/common/codec.h"
#include "connectors/redis/connection.h"
#include "connectors/redis/reply.h"
#include "core/message.h"

namespace junction::connectors::redis {

// Headers a message read from a stream carries.
inline constexpr const char* kIdHeader = "x-junction-redis-id";
inline constexpr const char* kStreamHeader = "x-junction-redis-stream";
inline constexpr const char* kDeliveriesHeader = "x-junction-redis-deliveries";

struct StreamEntry {
  std::string id;  // "1700000000000-0"
  std::vector<std::pair<std::string, std::string>> fields;
};

// One row of XPENDING's extended form.
struct PendingEntry {
  std::string id;
  std::string consumer;
  int64_t idle_ms = 0;
  int64_t deliveries = 0;
};

// [[id, [field, value, ...]], ...] (XRANGE, XCLAIM). Nil rows, which older
// servers return for entries deleted while pending, are skipped.
Result<std::vector<StreamEntry>> parse_entries(const Reply& reply);
// XREADGROUP: [[stream, entries]], or nil when BLOCK timed out.
Result<std::vector<StreamEntry>> parse_read(const Reply& reply);
// XPENDING <stream> <group> <start> <end> <count> [consumer].
Result<std::vector<PendingEntry>> parse_pending(const Reply& reply);

// How an entry becomes a payload: the value of `payload_field` when the
// entry has that field (decoded by `codec`; any other fields become
// headers), else the whole entry as a JSON object of strings.
struct EntryFormat {
  std::string payload_field = "payload";
  Codec codec = Codec::json();
};

// The message for an entry delivered for the `deliveries`-th time. An
// undecodable payload is `invalid`: the entry goes to the dead-letter stream.
Result<Message> to_message(const StreamEntry& entry, std::string_view stream, int64_t deliveries,
                           const EntryFormat& format);

// Milliseconds since the epoch of an entry id ("<ms>-<seq>"); 0 if malformed.
int64_t entry_time_ms(std::string_view id);

// The exclusive lower bound for paging after `id` ("(id", Redis 6.2+).
inline std::string after(std::string_view id) {
  return "(" + std::string(id);
}

// XADD of a dead letter: the entry's fields plus `reason`, `source_stream`,
// `source_id` and `deliveries`.
Command dead_letter_command(std::string_view dead_letter_stream, std::string_view stream,
                            const StreamEntry& entry, std::string_view reason, int64_t deliveries);

}  // namespace junction::connectors::redis
