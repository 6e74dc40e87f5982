#include "connectors/redis/reply.h"

#include <hiredis/hiredis.h>

#include <array>

namespace junction::connectors::redis {

Reply Reply::from(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Type::kArray;
      out.elements.reserve(r.elements);
      for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(from(*r.element[i]));
      break;
    default:
      out.type = Type::kNil;
      break;
  }
  return out;
}

Error classify_error_reply(std::string_view message) {
  const std::string_view code = message.substr(0, message.find(' '));
  const std::string text = "redis: " + std::string(message);
  // Conditions of the server, not of the command: a later attempt may pass.
  static constexpr std::array<std::string_view, 7> kTransient = {
      "LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "NOREPLICAS"};
  for (auto c : kTransient) {
    if (code == c) return Error::transient(text);
  }
  if (code == "OOM") return Error::overloaded(text);
  if (code == "NOAUTH" || code == "WRONGPASS") return Error::unauthorized(text);
  if (code == "NOPERM") return Error::forbidden(text);
  // WRONGTYPE, ERR (syntax, not an integer, ...), NOGROUP, and codes we do
  // not know: the command as sent will fail again.
  return Error::invalid(text);
}

Error transport_error(std::string_view what) {
  return Error::transient("redis: " + std::string(what));
}

}  // namespace junction::connectors::redis
