// Lua values -> boost::json::value, for Engine::eval_json.
//
// Same mapping as the JSON text encoder (lua_to_json.cc), built directly so
// numbers keep their exact value. Only Lua calls that cannot raise are used
// (raw reads, lua_next over keys it returned, lua_checkstack), which lets
// this run outside lua_pcall with ordinary C++ objects and exceptions.

#include <boost/json/value.hpp>
#include <cmath>
#include <exception>

#include "script/runtime.h"

namespace junction::script {
namespace {

struct Converter {
  lua_State* L;
  const Runtime* rt;
  EncodeError* err;
  int depth;
};

bool convert(Converter& c, int idx, boost::json::value& out);

bool fail(Converter& c, EncodeError::Kind kind, int type = LUA_TNONE) {
  c.err->kind = kind;
  c.err->lua_type = type;
  return false;
}

bool convert_array(Converter& c, int idx, lua_Unsigned n, boost::json::value& out) {
  auto& array = out.emplace_array();
  array.reserve(n);
  for (lua_Unsigned i = 1; i <= n; ++i) {
    lua_rawgeti(c.L, idx, static_cast<lua_Integer>(i));
    bool ok = convert(c, lua_gettop(c.L), array.emplace_back(nullptr));
    lua_pop(c.L, 1);
    if (!ok) return false;
  }
  return true;
}

struct ObjectBuilder {
  Converter& c;
  boost::json::object& object;
  std::exception_ptr thrown;  // from boost::json, rethrown past the visit
};

bool convert_member(void* ctx, int key_index, int value_index) noexcept {
  auto& b = *static_cast<ObjectBuilder*>(ctx);
  lua_State* L = b.c.L;
  int kt = lua_type(L, key_index);
  std::string_view key;
  char buf[kNumberBufferSize];
  if (kt == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L, key_index, &len);
    key = std::string_view(s, len);
  } else if (kt == LUA_TNUMBER) {
    size_t len = format_number(L, key_index, buf);
    if (len == 0) return fail(b.c, EncodeError::kNonFinite);
    key = std::string_view(buf, len);
  } else {
    return fail(b.c, EncodeError::kKeyType, kt);
  }
  try {
    return convert(b.c, value_index, b.object[key]);
  } catch (...) {
    b.thrown = std::current_exception();
    return false;
  }
}

bool convert_object(Converter& c, int idx, boost::json::value& out) {
  ObjectBuilder builder{c, out.emplace_object(), nullptr};
  bool ok = c.rt->key_order.for_each_member(c.L, idx, convert_member, &builder);
  if (builder.thrown) std::rethrow_exception(builder.thrown);
  return ok;
}

bool convert(Converter& c, int idx, boost::json::value& out) {
  lua_State* L = c.L;
  int type = lua_type(L, idx);
  switch (type) {
    case LUA_TNIL:
      out = nullptr;
      return true;
    case LUA_TBOOLEAN:
      out = lua_toboolean(L, idx) != 0;
      return true;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        out = static_cast<int64_t>(lua_tointeger(L, idx));
      } else {
        double x = lua_tonumber(L, idx);
        if (!std::isfinite(x)) return fail(c, EncodeError::kNonFinite);
        if (x == std::floor(x) && std::fabs(x) < 9.2e18) {
          out = static_cast<int64_t>(x);  // integral like in JSON text
        } else {
          out = x;
        }
      }
      return true;
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, idx, &len);
      out = std::string_view(s, len);
      return true;
    }
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) != &kJsonNull) return fail(c, EncodeError::kType, type);
      out = nullptr;
      return true;
    case LUA_TTABLE: {
      if (++c.depth > kMaxJsonDepth || !lua_checkstack(L, 4)) return fail(c, EncodeError::kTooDeep);
      lua_Unsigned n = 0;
      bool ok = table_is_array(L, c.rt, idx, &n) ? convert_array(c, idx, n, out)
                                                 : convert_object(c, idx, out);
      --c.depth;
      return ok;
    }
    default:
      return fail(c, EncodeError::kType, type);
  }
}

}  // namespace

bool to_json_value(lua_State* L, const Runtime* rt, int idx, boost::json::value* out,
                   EncodeError* err) {
  Converter c{L, rt, err, 0};
  int top = lua_gettop(L);
  bool ok = convert(c, lua_absindex(L, idx), *out);
  lua_settop(L, top);
  return ok;
}

}  // namespace junction::script
