// The `json` table scripts see: encode, decode, null and array.

#include "script/runtime.h"

namespace junction::script {

const char kJsonNull = 0;

namespace {

// json.encode(value) -> string
int json_encode(lua_State* L) noexcept {
  Runtime* rt = runtime_of(L);
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  ByteBuffer& buf = rt->encode_scratch;
  buf.clear();
  EncodeError err;
  if (!encode_json(L, rt, 1, buf, &err)) {
    char what[96];
    return luaL_error(L, "json.encode: cannot encode %s", describe(err, what, sizeof what));
  }
  lua_pushlstring(L, buf.view().data(), buf.size());
  buf.trim(1 << 20);
  return 1;
}

// json.decode(string) -> value
int json_decode(lua_State* L) noexcept {
  Runtime* rt = runtime_of(L);
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  size_t offset = 0;
  switch (push_json(L, rt, std::string_view(s, len), &offset)) {
    case JsonStatus::kOk:
      break;
    case JsonStatus::kInvalid:
      return luaL_error(L, "json.decode: invalid JSON at offset %I",
                        static_cast<lua_Integer>(offset));
    case JsonStatus::kTooDeep:
      return luaL_error(L, "json.decode: nested deeper than %d levels", kMaxJsonDepth);
  }
  return 1;
}

// json.array([table]) -> the table (or a new one), marked as a JSON array so
// it encodes as [] even when empty.
int json_array(lua_State* L) noexcept {
  Runtime* rt = runtime_of(L);
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->array_mt_ref);
  lua_setmetatable(L, 1);
  return 1;
}

}  // namespace

void push_json_lib(lua_State* L) noexcept {
  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, json_encode);
  lua_setfield(L, -2, "encode");
  lua_pushcfunction(L, json_decode);
  lua_setfield(L, -2, "decode");
  lua_pushcfunction(L, json_array);
  lua_setfield(L, -2, "array");
  lua_pushlightuserdata(L, const_cast<char*>(&kJsonNull));
  lua_setfield(L, -2, "null");
}

}  // namespace junction::script
