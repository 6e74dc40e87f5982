// The protected half of an invocation: everything that touches the Lua
// state runs inside lua_pcall through run_protected, so Lua errors
// (including memory errors) never escape to C++ frames.
//
// The payload is decoded once; a chain of steps then runs over that one Lua
// value (each map replaces it, each filter may stop the chain) and the
// result is encoded once.

#include "script/runtime.h"

namespace junction::script {
namespace {

// Stack slots of run_protected.
constexpr int kValue = 1;   // the current value (`msg`)
constexpr int kKey = 2;     // `key` as left by the last map, nil if untouched
constexpr int kMeta = 3;    // `meta` likewise
constexpr int kEnv = 4;     // globals of the running chunk
constexpr int kFn = 5;      // the running chunk
constexpr int kResult = 6;  // its result

void push_name(lua_State* L, Runtime* rt, Runtime::Name name) noexcept {
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->name_refs[name]);
}

// env[name] = the value at slot (0 for nil).
void env_set(lua_State* L, Runtime* rt, Runtime::Name name, int slot) noexcept {
  push_name(L, rt, name);
  if (slot == 0) {
    lua_pushnil(L);
  } else {
    lua_pushvalue(L, slot);
  }
  lua_rawset(L, kEnv);
}

// Pushes env[name]; returns whether it is non-nil.
bool env_get(lua_State* L, Runtime* rt, Runtime::Name name) noexcept {
  push_name(L, rt, name);
  return lua_rawget(L, kEnv) != LUA_TNIL;
}

// env[name] = the value at slot if that is non-nil (slot 0: nil), else
// clears env[name] if it may hold something (Chunk::dirty).
void set_or_clear(lua_State* L, Runtime* rt, Chunk& chunk, Runtime::Name name, int slot,
                  unsigned bit) noexcept {
  if (slot != 0 && !lua_isnil(L, slot)) {
    env_set(L, rt, name, slot);
    chunk.dirty |= bit;
  } else if ((chunk.dirty & bit) != 0) {
    env_set(L, rt, name, 0);
    chunk.dirty &= ~bit;
  }
}

// Runs one chunk over the current value; leaves its result at kResult.
void run_chunk(lua_State* L, Runtime* rt, int chunk_index, bool map) noexcept {
  rt->cur_chunk = chunk_index;
  Chunk& chunk = rt->chunks[static_cast<size_t>(chunk_index)];
  lua_settop(L, kMeta);
  lua_rawgeti(L, LUA_REGISTRYINDEX, chunk.env_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, chunk.fn_ref);
  env_set(L, rt, Runtime::kMsg, kValue);
  set_or_clear(L, rt, chunk, Runtime::kOut, map ? kValue : 0, kDirtyOut);
  // Unless an earlier step left them, `key` and `meta` stay absent and are
  // materialised on first use (sandbox.cc).
  set_or_clear(L, rt, chunk, Runtime::kKey, kKey, kDirtyKey);
  set_or_clear(L, rt, chunk, Runtime::kMeta, kMeta, kDirtyMeta);
  lua_pushvalue(L, kEnv);  // in case the script assigned _ENV last time
  lua_setupvalue(L, kFn, 1);

  lua_pushvalue(L, kFn);
  start_budget(rt);
  lua_call(L, 0, 1);
  stop_budget(rt);
}

// After a map: its result becomes the value; returns false if it is nil.
bool take_map_result(lua_State* L, Runtime* rt) noexcept {
  if (lua_isnil(L, kResult)) {
    lua_settop(L, kFn);
    env_get(L, rt, Runtime::kOut);
    if (lua_isnil(L, kResult)) return false;
  }
  lua_copy(L, kResult, kValue);
  unsigned dirty = rt->chunks[static_cast<size_t>(rt->cur_chunk)].dirty;
  if ((dirty & kDirtyKey) != 0 && env_get(L, rt, Runtime::kKey)) lua_copy(L, -1, kKey);
  if ((dirty & kDirtyMeta) != 0 && env_get(L, rt, Runtime::kMeta)) lua_copy(L, -1, kMeta);
  lua_settop(L, kResult);
  return true;
}

bool encode_to_out(lua_State* L, Runtime* rt, int idx) noexcept {
  rt->out.clear();
  if (encode_json(L, rt, idx, rt->out, &rt->encode_error)) return true;
  rt->outcome = Outcome::kEncodeError;
  return false;
}

// The final value becomes the payload: strings as raw bytes, else JSON.
void finish_chain(lua_State* L, Runtime* rt) noexcept {
  if (lua_type(L, kValue) == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L, kValue, &len);
    rt->payload = Buffer(std::string(s, len));
  } else {
    if (!encode_to_out(L, rt, kValue)) return;
    rt->payload = Buffer(std::string(rt->out.view()));
  }
  if ((!lua_isnil(L, kKey) && !collect_key(L, rt, kKey)) ||
      (!lua_isnil(L, kMeta) && !collect_meta(L, rt, kMeta))) {
    rt->outcome = Outcome::kMetaError;
  }
}

void run_chain(lua_State* L, Runtime* rt) noexcept {
  int last_map = -1;
  for (size_t i = 0; i < rt->step_count; ++i) {
    const Engine::Step& step = rt->steps[i];
    run_chunk(L, rt, step.chunk, !step.filter);
    bool keep = step.filter ? lua_toboolean(L, kResult) != 0 : take_map_result(L, rt);
    if (!keep) {
      rt->outcome = Outcome::kDropped;
      return;
    }
    if (!step.filter) last_map = step.chunk;
  }
  if (last_map < 0) {  // filters only: the payload stays as it was
    rt->payload = rt->cur_msg->payload;
    return;
  }
  rt->cur_chunk = last_map;  // names the chunk in encoding errors
  finish_chain(L, rt);
}

void run_eval(lua_State* L, Runtime* rt) noexcept {
  run_chunk(L, rt, rt->steps[0].chunk, false);
  switch (rt->mode) {
    case Mode::kBool:
      rt->bool_result = lua_toboolean(L, kResult) != 0;
      break;
    case Mode::kString:
      if (lua_isnil(L, kResult)) {
        rt->outcome = Outcome::kNil;
      } else if (lua_type(L, kResult) == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(L, kResult, &len);
        rt->out.clear();
        rt->out.append(s, len);
      } else {
        encode_to_out(L, rt, kResult);
      }
      break;
    case Mode::kJson:  // converted by the Engine, outside the pcall
      lua_settop(L, kResult);
      break;
    case Mode::kChain:
      break;
  }
}

}  // namespace

int run_protected(lua_State* L) noexcept {
  Runtime* rt = runtime_of(L);
  lua_settop(L, 0);
  rt->key_order.clear();
  std::string_view payload = rt->cur_msg->payload.view();
  switch (push_json(L, rt, payload, nullptr)) {
    case JsonStatus::kOk:
      break;
    case JsonStatus::kInvalid:  // not JSON: the raw bytes
      lua_pushlstring(L, payload.data(), payload.size());
      break;
    case JsonStatus::kTooDeep:
      return luaL_error(L, "payload JSON is nested deeper than %d levels", kMaxJsonDepth);
  }
  lua_settop(L, kMeta);  // key and meta start untouched
  if (rt->mode == Mode::kChain) {
    run_chain(L, rt);
    return 0;
  }
  run_eval(L, rt);
  return rt->mode == Mode::kJson ? 1 : 0;
}

}  // namespace junction::script
