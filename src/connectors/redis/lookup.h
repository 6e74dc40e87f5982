#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "connectors/redis/reply.h"
#include "core/message.h"
#include "flow/registry.h"

namespace junction::connectors::redis {

enum class LookupKind { kGet, kHget, kHgetall };

// A lookup's reply as JSON text: a string that is JSON as that JSON, any
// other string as a JSON string, HGETALL's pairs as an object of strings.
// nullopt: no such key (nil, or an empty HGETALL).
Result<std::optional<std::string>> lookup_value(LookupKind kind, const Reply& reply);

// Sets `into` of the message's JSON object payload to `json` (JSON null for
// nullopt). A payload that is not a JSON object is invalid.
Status merge_into(Message& msg, std::string_view into, const std::optional<std::string>& json);

// The `redis_lookup` processor.
void register_lookup(flow::ComponentRegistry& registry);

}  // namespace junction::connectors::redis
