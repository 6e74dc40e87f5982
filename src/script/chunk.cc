// Protected helpers around compiled chunks: registering one, resetting its
// globals, and reading the error object of a failed invocation.

#include "script/runtime.h"

namespace junction::script {

Chunk* chunk_of_env(Runtime* rt, const void* env) noexcept {
  if (rt->cur_chunk >= 0 && rt->chunks[static_cast<size_t>(rt->cur_chunk)].env == env) {
    return &rt->chunks[static_cast<size_t>(rt->cur_chunk)];
  }
  for (auto& chunk : rt->chunks) {
    if (chunk.env == env) return &chunk;
  }
  return nullptr;
}

int setup_chunk(lua_State* L) noexcept {
  Runtime* rt = runtime_of(L);
  Chunk& chunk = rt->chunks.back();
  push_new_env(L, rt);
  chunk.env = lua_topointer(L, -1);
  lua_pushvalue(L, 2);
  if (lua_setupvalue(L, 1, 1) == nullptr) lua_pop(L, 1);
  chunk.env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  chunk.fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int reset_chunk_env(lua_State* L) noexcept {
  Runtime* rt = runtime_of(L);
  Chunk& chunk = rt->chunks[static_cast<size_t>(rt->cur_chunk)];
  push_new_env(L, rt);
  chunk.env = lua_topointer(L, -1);
  chunk.dirty = 0;
  lua_rawseti(L, LUA_REGISTRYINDEX, chunk.env_ref);
  return 0;
}

int extract_error(lua_State* L) noexcept {
  Runtime* rt = runtime_of(L);
  rt->err_class = ErrorClass::kInvalid;
  int type = lua_type(L, 1);
  if (type == LUA_TTABLE) {
    // error({class = "transient", message = "..."}) picks the class.
    lua_pushliteral(L, "class");
    if (lua_rawget(L, 1) == LUA_TSTRING) {
      auto cls = error_class_from_string(lua_tostring(L, -1));
      if (cls) rt->err_class = *cls;
    }
    lua_settop(L, 1);
    lua_pushliteral(L, "message");
    lua_rawget(L, 1);
    lua_replace(L, 1);
    type = lua_type(L, 1);
  }
  if (type == LUA_TSTRING || type == LUA_TNUMBER) {
    size_t len = 0;
    const char* s = lua_tolstring(L, 1, &len);
    rt->err_message.assign(s, len);
  } else {
    rt->err_message.assign("script raised an error value of type ");
    rt->err_message.append(luaL_typename(L, 1));
  }
  return 0;
}

}  // namespace junction::script
