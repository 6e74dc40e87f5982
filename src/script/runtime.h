#pragma once

// Internal state of a script Engine, shared by the C functions registered with
// Lua. Not part of the public API.
//
// Lua errors longjmp (Debian's liblua5.4 is built as C). Every function that
// Lua may unwind through keeps only trivially destructible locals and is
// noexcept (a C++ exception there would terminate instead of crossing C
// frames). C++ objects that outlive a call are members of Runtime.

#include <boost/json/fwd.hpp>
#include <cstddef>
#include <cstdint>
#include <lua.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/buffer.h"
#include "core/error.h"
#include "core/headers.h"
#include "core/message.h"
#include "script/byte_buffer.h"
#include "script/engine.h"
#include "script/key_order.h"

namespace junction::script {

enum class Mode { kChain, kBool, kString, kJson };

// What a successful protected invocation produced.
enum class Outcome { kValue, kDropped, kNil, kEncodeError, kMetaError };

// Bits of Chunk::dirty: per-message globals that may hold a value in the
// chunk's env, so have to be cleared or read back. Tracked (by the env's
// __index / __newindex and the invoker) so that untouched ones cost nothing.
enum : unsigned { kDirtyOut = 1, kDirtyKey = 2, kDirtyMeta = 4 };

struct Chunk {
  std::string name;
  int fn_ref = LUA_NOREF;     // the compiled function, in the registry
  int env_ref = LUA_NOREF;    // its global table, in the registry
  const void* env = nullptr;  // identity of that table
  unsigned dirty = 0;
};

// Why the encoder refused a value.
struct EncodeError {
  enum Kind { kNone, kType, kNonFinite, kKeyType, kTooDeep } kind = kNone;
  int lua_type = LUA_TNONE;
};

struct AllocState {
  size_t used = 0;
  size_t limit = 0;  // 0 = unlimited
  bool refused = false;
};

struct Runtime {
  lua_State* L = nullptr;
  AllocState alloc;

  // Instruction budget of the current invocation (script/limits.cc).
  uint64_t max_instructions = 0;
  uint64_t budget_left = 0;
  int hook_step = 0;
  bool budget_exceeded = false;

  // Registry references made at setup.
  int template_ref = LUA_NOREF;  // safe library, copied into every chunk env
  int env_mt_ref = LUA_NOREF;    // metatable of chunk envs (lazy meta/key)
  int array_mt_ref = LUA_NOREF;  // metatable marking JSON arrays
  const void* array_mt = nullptr;
  // Interned global names, pushed with lua_rawgeti instead of re-hashing.
  enum Name { kMsg, kOut, kMeta, kKey, kNameCount };
  int name_refs[kNameCount] = {};

  std::vector<Chunk> chunks;

  // The current invocation: steps[0] alone for evaluations.
  Mode mode = Mode::kChain;
  const Engine::Step* steps = nullptr;
  size_t step_count = 0;
  int cur_chunk = -1;                // the chunk running (or failed)
  const Message* cur_msg = nullptr;  // non-null only while a chunk runs

  // Its results, committed by the Engine after a successful pcall.
  Outcome outcome = Outcome::kValue;
  bool bool_result = false;
  ByteBuffer out;  // encoded result (reused across invocations)
  Buffer payload;  // map result
  bool key_changed = false;
  std::string new_key;
  bool headers_changed = false;
  Headers new_headers;
  EncodeError encode_error;
  const char* meta_error = nullptr;

  // A failed invocation's error object, read by extract_error().
  std::string err_message;
  ErrorClass err_class = ErrorClass::kInvalid;

  // Member order of the JSON objects decoded in this invocation.
  KeyOrder key_order;

  // Scratch space.
  std::string decode_scratch;  // unescaped JSON strings
  ByteBuffer encode_scratch;   // json.encode

  ~Runtime();
};

inline Runtime* runtime_of(lua_State* L) {
  return *static_cast<Runtime**>(lua_getextraspace(L));
}

// limits.cc
void* limited_alloc(void* ud, void* ptr, size_t osize, size_t nsize) noexcept;
void start_budget(Runtime* rt) noexcept;
void stop_budget(Runtime* rt) noexcept;

// chunk.cc: the chunk whose global table is `env`, or null.
Chunk* chunk_of_env(Runtime* rt, const void* env) noexcept;

// sandbox.cc: protected setup of a fresh state; pushes nothing.
int setup_state(lua_State* L) noexcept;
// Pushes a new global table for a chunk (copy of the safe library).
void push_new_env(lua_State* L, Runtime* rt) noexcept;

// json_lib.cc: pushes the `json` library table.
void push_json_lib(lua_State* L) noexcept;
extern const char kJsonNull;  // its address is the json.null light userdata

// Containers nested deeper than this are refused by the JSON conversions.
constexpr int kMaxJsonDepth = 128;

// json_to_lua.cc: parses `text` as one JSON value and pushes it; on
// failure pushes nothing and sets *error_offset (if given). Raises only Lua
// memory errors.
enum class JsonStatus { kOk, kInvalid, kTooDeep };
JsonStatus push_json(lua_State* L, Runtime* rt, std::string_view text,
                     size_t* error_offset) noexcept;

// lua_to_json.cc: appends the JSON text of the value at `idx` to `out`.
// Returns false and fills *err for values JSON cannot represent.
bool encode_json(lua_State* L, Runtime* rt, int idx, ByteBuffer& out, EncodeError* err) noexcept;
// Whether the table at idx converts to a JSON array (it has the array
// metatable or is a non-empty sequence 1..n), and its length.
bool table_is_array(lua_State* L, const Runtime* rt, int idx, lua_Unsigned* n) noexcept;
// lua_to_value.cc: the value at idx as a boost::json::value. Uses no Lua
// call that can raise, so it runs outside lua_pcall (and may throw
// std::bad_alloc). Returns false and fills *err when not representable.
bool to_json_value(lua_State* L, const Runtime* rt, int idx, boost::json::value* out,
                   EncodeError* err);
// Appends a number formatted like JSON (integral values without ".0").
// Returns false for NaN and infinities.
bool append_number(lua_State* L, int idx, ByteBuffer& out) noexcept;
constexpr size_t kNumberBufferSize = 32;
// Writes the JSON text of the number at `idx` into buf (kNumberBufferSize);
// returns its length, or 0 for NaN and infinities.
size_t format_number(lua_State* L, int idx, char* buf) noexcept;
// "a function value", "a non-finite number", ... written into buf.
const char* describe(const EncodeError& err, char* buf, size_t size) noexcept;

// writeback.cc: validate `key` / `meta` at idx into rt->new_key /
// rt->new_headers; false (with rt->meta_error) when they are malformed.
bool collect_key(lua_State* L, Runtime* rt, int idx) noexcept;
bool collect_meta(lua_State* L, Runtime* rt, int idx) noexcept;

// Protected entry points, called through lua_pcall.
// invoke.cc: runs rt->steps in rt->mode; in kJson mode returns the result.
int run_protected(lua_State* L) noexcept;
int extract_error(lua_State* L) noexcept;    // chunk.cc: reads the error object at 1
int setup_chunk(lua_State* L) noexcept;      // chunk.cc: function at 1 -> rt->chunks.back()
int reset_chunk_env(lua_State* L) noexcept;  // chunk.cc: fresh globals for rt->cur_chunk

}  // namespace junction::script
