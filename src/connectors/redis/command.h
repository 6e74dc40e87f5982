#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "connectors/redis/connection.h"
#include "connectors/redis/reply.h"
#include "core/units.h"

namespace junction::connectors::redis {

// What the `redis` output does with each message.
enum class CommandKind { kXadd, kPublish, kSet, kHset, kLpush };

std::optional<CommandKind> command_kind(std::string_view name);
std::string_view to_string(CommandKind kind);

struct CommandOptions {
  CommandKind kind = CommandKind::kXadd;
  std::string field = "payload";  // xadd: the entry's field
  int64_t maxlen = 0;             // xadd: trim to about this many entries; 0 = never
  Duration ttl{};                 // set: expire after; 0 = never
};

// The command for one message:
//   xadd     XADD key [MAXLEN ~ n] * field payload
//   publish  PUBLISH key payload
//   set      SET key payload [PX ttl]
//   hset     HSET key f1 v1 ... from a JSON object payload (strings as they
//            are, other values as JSON text); anything else is invalid
//   lpush    LPUSH key payload
Result<Command> build_command(const CommandOptions& o, std::string key, std::string_view payload);

// Whether the reply means the target took the message. An error reply is
// classified by its code (WRONGTYPE is invalid, LOADING transient, ...).
Status check_reply(CommandKind kind, const Reply& reply);

}  // namespace junction::connectors::redis
