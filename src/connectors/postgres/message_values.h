#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/postgres/pg_connection.h"
#include "core/error.h"
#include "core/message.h"

namespace junction::connectors::postgres {

// Where a statement parameter (an output column, a lookup parameter) takes
// its value from.
struct ColumnSource {
  enum class Kind {
    kField,        // a field of the JSON payload, by dotted path
    kKey,          // $key: the message key
    kId,           // $id: the message id
    kTimestamp,    // $timestamp: the message time, ISO 8601 UTC (for timestamptz)
    kTimestampMs,  // $timestamp_ms: the message time, milliseconds since the epoch
    kPayload,      // $payload: the whole payload (for json / jsonb / text)
  };
  Kind kind = Kind::kField;
  std::vector<std::string> path;  // kField only: "customer.id" -> {"customer", "id"}
};

// "customer.id", or one of $key $id $timestamp $timestamp_ms $payload.
Result<ColumnSource> column_source(std::string_view spec);

// Appends the message's value for each source, in order, in PostgreSQL's
// text form: strings bare, numbers and booleans as written, objects and
// arrays as JSON; a missing field or JSON null is NULL. Invalid (and nothing
// appended) when a field is wanted and the payload is not a JSON object, or
// when a value holds a NUL byte (PostgreSQL text cannot).
Status append_values(std::span<const ColumnSource> sources, const Message& msg,
                     std::vector<Param>& params);

// 2026-11-26T10:49:58.123Z
std::string iso8601_utc(int64_t ms);

}  // namespace junction::connectors::postgres
