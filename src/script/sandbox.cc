// The sandbox: which parts of the Lua standard library scripts can reach, and
// the per-chunk global tables.
//
// Scripts never see the state's real global table. Every chunk gets its own
// table built from a template holding only safe functions; library tables
// (string, table, ...) are copied per chunk so one script cannot patch them
// for another. Not reachable: io, os (but time/clock/date), require/package,
// load/loadstring/loadfile/dofile, debug, print, string.dump, and
// collectgarbage (but "count"). setmetatable refuses __gc metamethods so no
// script code can run from the garbage collector, outside the instruction
// budget.

#include <cstring>

#include "script/runtime.h"

namespace junction::script {
namespace {

constexpr const char* kBaseFunctions[] = {"assert", "error",   "getmetatable", "ipairs",   "next",
                                          "pairs",  "pcall",   "rawequal",     "rawget",   "rawlen",
                                          "rawset", "select",  "tonumber",     "tostring", "type",
                                          "xpcall", "_VERSION"};

constexpr const char* kOsFunctions[] = {"time", "clock", "date"};

// setmetatable without __gc (finalizers would run user code at arbitrary
// points, outside the budget) and honouring protected metatables.
int safe_setmetatable(lua_State* L) noexcept {
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "__gc metamethods are not allowed");
    lua_pop(L, 1);
  }
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) {
    return luaL_error(L, "cannot change a protected metatable");
  }
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

// collectgarbage("count") only.
int gc_count(lua_State* L) noexcept {
  const char* opt = luaL_optstring(L, 1, "count");
  if (std::strcmp(opt, "count") != 0) {
    return luaL_error(L, "collectgarbage: only \"count\" is allowed");
  }
  int kb = lua_gc(L, LUA_GCCOUNT, 0);
  int b = lua_gc(L, LUA_GCCOUNTB, 0);
  lua_pushnumber(L, static_cast<lua_Number>(kb) + static_cast<lua_Number>(b) / 1024);
  return 1;
}

// The Chunk::dirty bit of a global name (out, key, meta), else 0.
unsigned dirty_bit(lua_State* L, int idx) noexcept {
  if (lua_type(L, idx) != LUA_TSTRING) return 0;
  size_t n = 0;
  const char* s = lua_tolstring(L, idx, &n);
  if (n == 3 && std::memcmp(s, "out", 3) == 0) return kDirtyOut;
  if (n == 3 && std::memcmp(s, "key", 3) == 0) return kDirtyKey;
  if (n == 4 && std::memcmp(s, "meta", 4) == 0) return kDirtyMeta;
  return 0;
}

void mark_dirty(lua_State* L, Runtime* rt, int env, unsigned bit) noexcept {
  if (bit == 0) return;
  Chunk* chunk = chunk_of_env(rt, lua_topointer(L, env));
  if (chunk != nullptr) chunk->dirty |= bit;
}

// Pushes the current message's headers as a name -> value table. For
// repeated names the first value wins.
void push_meta(lua_State* L, const Headers& headers) noexcept {
  lua_createtable(L, 0, static_cast<int>(headers.size()));
  for (const auto& entry : headers) {
    lua_pushlstring(L, entry.first.data(), entry.first.size());
    bool seen = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 1);
    if (seen) continue;
    lua_pushlstring(L, entry.first.data(), entry.first.size());
    lua_pushlstring(L, entry.second.data(), entry.second.size());
    lua_rawset(L, -3);
  }
}

// __index of chunk envs: materialises `meta` and `key` on first use, so
// scripts that never read them cost nothing. Other missing globals are nil.
int env_index(lua_State* L) noexcept {
  Runtime* rt = runtime_of(L);
  if (rt->cur_msg == nullptr) return 0;
  unsigned bit = dirty_bit(L, 2);
  if (bit == kDirtyMeta) {
    push_meta(L, rt->cur_msg->headers);
  } else if (bit == kDirtyKey) {
    lua_pushlstring(L, rt->cur_msg->key.data(), rt->cur_msg->key.size());
  } else {
    return 0;
  }
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);
  mark_dirty(L, rt, 1, bit);
  return 1;
}

// __newindex of chunk envs (assignments to absent globals): notes when a
// script sets `out`, `key` or `meta`.
int env_newindex(lua_State* L) noexcept {
  mark_dirty(L, runtime_of(L), 1, dirty_bit(L, 2));
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 0;
}

void copy_table(lua_State* L, int src) noexcept {
  lua_createtable(L, 0, 32);
  lua_pushnil(L);
  while (lua_next(L, src) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

void set_field(lua_State* L, int table, const char* name) noexcept {
  lua_pushstring(L, name);
  lua_insert(L, -2);
  lua_rawset(L, table);
}

void build_template(lua_State* L, Runtime* rt) noexcept {
  lua_createtable(L, 0, 32);
  int tpl = lua_gettop(L);
  lua_pushglobaltable(L);
  int g = tpl + 1;
  for (const char* name : kBaseFunctions) {
    lua_getfield(L, g, name);
    set_field(L, tpl, name);
  }
  lua_pushcfunction(L, safe_setmetatable);
  set_field(L, tpl, "setmetatable");
  lua_pushcfunction(L, gc_count);
  set_field(L, tpl, "collectgarbage");
  for (const char* lib : {"string", "table", "math", "utf8"}) {
    lua_getfield(L, g, lib);
    set_field(L, tpl, lib);
  }
  lua_createtable(L, 0, 3);
  lua_getfield(L, g, "os");
  for (const char* name : kOsFunctions) {
    lua_getfield(L, -1, name);
    set_field(L, tpl + 2, name);
  }
  lua_pop(L, 1);
  set_field(L, tpl, "os");
  push_json_lib(L);
  set_field(L, tpl, "json");
  lua_pop(L, 1);  // global table
  rt->template_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

}  // namespace

int setup_state(lua_State* L) noexcept {
  Runtime* rt = runtime_of(L);
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
  lua_settop(L, 0);

  // Strings index the real string table through their metatable: take
  // dump out of it and hide the metatable from getmetatable.
  lua_pushglobaltable(L);
  lua_getfield(L, 1, "string");
  lua_pushnil(L);
  lua_setfield(L, 2, "dump");
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_settop(L, 0);

  // Marks tables decoded from (or meant as) JSON arrays.
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "json.array");
  lua_setfield(L, -2, "__metatable");
  rt->array_mt = lua_topointer(L, -1);
  rt->array_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);

  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, env_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, env_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  rt->env_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);

  build_template(L, rt);
  const char* names[Runtime::kNameCount] = {"msg", "out", "meta", "key"};
  for (int i = 0; i < Runtime::kNameCount; ++i) {
    lua_pushstring(L, names[i]);
    rt->name_refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

void push_new_env(lua_State* L, Runtime* rt) noexcept {
  lua_createtable(L, 0, 32);
  int env = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->template_ref);
  int tpl = env + 1;
  lua_pushnil(L);
  while (lua_next(L, tpl) != 0) {
    if (lua_type(L, -1) == LUA_TTABLE) {
      copy_table(L, lua_gettop(L));
      lua_replace(L, -2);
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, env);
  }
  lua_pop(L, 1);
  lua_pushliteral(L, "_G");
  lua_pushvalue(L, env);
  lua_rawset(L, env);
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->env_mt_ref);
  lua_setmetatable(L, env);
}

}  // namespace junction::script
