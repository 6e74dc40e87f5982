// Turning what a map left in `key` and `meta` back into the message's key
// and headers (validated; committed by the Engine only on success).

#include "script/runtime.h"

namespace junction::script {
namespace {

// Text of a string, number or boolean (numbers formatted like JSON).
bool scalar_text(lua_State* L, int idx, char* buf, std::string_view* text) noexcept {
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, idx, &len);
      *text = std::string_view(s, len);
      return true;
    }
    case LUA_TNUMBER: {
      size_t len = format_number(L, idx, buf);
      *text = std::string_view(buf, len);
      return len != 0;
    }
    case LUA_TBOOLEAN:
      *text = lua_toboolean(L, idx) ? "true" : "false";
      return true;
    default:
      return false;
  }
}

bool fail(Runtime* rt, const char* what) noexcept {
  rt->meta_error = what;
  return false;
}

}  // namespace

bool collect_key(lua_State* L, Runtime* rt, int idx) noexcept {
  char buf[kNumberBufferSize];
  std::string_view text;
  if (!scalar_text(L, idx, buf, &text)) return fail(rt, "key must be a string");
  if (text != rt->cur_msg->key) {
    rt->new_key.assign(text);
    rt->key_changed = true;
  }
  return true;
}

// Original entries keep their order (and repeats, when unchanged), changed
// ones take the new value, removed ones go, new names are appended.
bool collect_meta(lua_State* L, Runtime* rt, int meta) noexcept {
  if (!lua_istable(L, meta)) return fail(rt, "meta must be a table");
  const Headers& old = rt->cur_msg->headers;
  rt->new_headers = Headers();
  char buf[kNumberBufferSize];
  for (auto it = old.begin(); it != old.end(); ++it) {
    auto first = old.begin();
    while (first->first != it->first) ++first;
    lua_pushlstring(L, it->first.data(), it->first.size());
    if (lua_rawget(L, meta) == LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    std::string_view value;
    if (!scalar_text(L, -1, buf, &value)) return fail(rt, "meta values must be strings");
    if (value == first->second) {
      rt->new_headers.add(it->first, it->second);
    } else if (first == it) {
      rt->new_headers.add(it->first, value);
    }
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  while (lua_next(L, meta) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) return fail(rt, "meta keys must be strings");
    size_t len = 0;
    const char* s = lua_tolstring(L, -2, &len);
    std::string_view name(s, len);
    std::string_view value;
    if (!scalar_text(L, -1, buf, &value)) return fail(rt, "meta values must be strings");
    bool existing = false;
    for (const auto& entry : old) existing = existing || entry.first == name;
    if (!existing) rt->new_headers.set(name, value);
    lua_pop(L, 1);
  }
  rt->headers_changed = true;
  return true;
}

}  // namespace junction::script
