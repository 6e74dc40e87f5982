#include "connectors/redis/command.h"

#include <fmt/format.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace junction::connectors::redis {
namespace {

constexpr std::array<std::pair<std::string_view, CommandKind>, 5> kNames = {{
    {"xadd", CommandKind::kXadd},
    {"publish", CommandKind::kPublish},
    {"set", CommandKind::kSet},
    {"hset", CommandKind::kHset},
    {"lpush", CommandKind::kLpush},
}};

Result<Command> hset(std::string key, std::string_view payload) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(payload, ec);
  if (ec || !v.is_object()) return Error::invalid("hset needs a JSON object payload");
  const auto& obj = v.as_object();
  if (obj.empty()) return Error::invalid("hset needs a JSON object with at least one field");
  Command cmd{"HSET", std::move(key)};
  cmd.reserve(2 + 2 * obj.size());
  for (const auto& [k, val] : obj) {
    cmd.emplace_back(k);
    cmd.push_back(val.is_string() ? std::string(val.as_string()) : boost::json::serialize(val));
  }
  return cmd;
}

}  // namespace

std::optional<CommandKind> command_kind(std::string_view name) {
  for (const auto& [n, k] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string_view to_string(CommandKind kind) {
  for (const auto& [n, k] : kNames) {
    if (k == kind) return n;
  }
  return "?";
}

Result<Command> build_command(const CommandOptions& o, std::string key, std::string_view payload) {
  if (key.empty()) return Error::invalid("redis: the key is empty");
  switch (o.kind) {
    case CommandKind::kXadd: {
      Command cmd{"XADD", std::move(key)};
      if (o.maxlen > 0) cmd.insert(cmd.end(), {"MAXLEN", "~", std::to_string(o.maxlen)});
      cmd.insert(cmd.end(), {"*", o.field, std::string(payload)});
      return cmd;
    }
    case CommandKind::kPublish:
      return Command{"PUBLISH", std::move(key), std::string(payload)};
    case CommandKind::kSet: {
      Command cmd{"SET", std::move(key), std::string(payload)};
      if (o.ttl > Duration::zero()) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(o.ttl).count();
        cmd.insert(cmd.end(), {"PX", std::to_string(std::max<int64_t>(ms, 1))});
      }
      return cmd;
    }
    case CommandKind::kHset:
      return hset(std::move(key), payload);
    case CommandKind::kLpush:
      return Command{"LPUSH", std::move(key), std::string(payload)};
  }
  return Error::permanent("redis: unknown command");
}

Status check_reply(CommandKind kind, const Reply& reply) {
  if (reply.is_error()) return classify_error_reply(reply.str);
  bool ok = false;
  switch (kind) {
    case CommandKind::kXadd:
      ok = reply.type == Reply::Type::kString;  // the new entry's id
      break;
    case CommandKind::kSet:
      ok = reply.type == Reply::Type::kStatus && reply.str == "OK";
      break;
    case CommandKind::kPublish:  // receivers reached: informational, 0 is fine
    case CommandKind::kHset:
    case CommandKind::kLpush:
      ok = reply.type == Reply::Type::kInteger;
      break;
  }
  if (!ok) {
    return Error::permanent(fmt::format("redis: unexpected reply to {}", to_string(kind)));
  }
  return ok_status();
}

}  // namespace junction::connectors::redis
