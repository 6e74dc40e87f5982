#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

struct redisReply;

namespace junction::connectors::redis {

// One Redis reply, owned: hiredis frees its redisReply on the client thread,
// and this copy crosses to the flow's executor.
struct Reply {
  enum class Type { kString, kArray, kInteger, kNil, kStatus, kError };

  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<Reply> elements;  // kArray

  static Reply from(const redisReply& r);
  static Reply string(std::string s) { return {Type::kString, std::move(s), 0, {}}; }
  static Reply array(std::vector<Reply> e) { return {Type::kArray, {}, 0, std::move(e)}; }

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
};

// The class of an error reply, by its code (the first word): a wrong type or
// syntax will not pass on a retry (invalid); a server loading its data,
// failing over or out of memory may (transient / overloaded).
Error classify_error_reply(std::string_view message);

// A transport failure (refused, reset, timed out): always transient.
Error transport_error(std::string_view what);

}  // namespace junction::connectors::redis
