#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/message.h"

namespace junction::script {

// Resource bounds of one Engine. Zero disables a bound.
struct Limits {
  uint64_t max_instructions = 1'000'000;       // Lua VM instructions per invocation
  size_t max_memory_bytes = 32 * 1024 * 1024;  // all memory of the engine's Lua state
};

struct Runtime;  // internal state (script/runtime.h)

// A sandboxed Lua 5.4 interpreter for message transformations and expressions.
//
// One per flow worker: not thread-safe. Compiled chunks live as long as the
// engine and are named by the int that compile_* returns.
//
// Scripts see a restricted global environment (script/sandbox.cc): safe base
// functions, string (no dump), table, math, utf8, os.time/clock/date and a
// `json` table (encode, decode, null, array). Each chunk has its own global
// table; `msg`, `meta`, `key` and `out` are reset before every invocation.
// Other globals a script writes persist across the messages it processes
// (handy for lookup tables built once) until the chunk hits a resource limit,
// which resets its globals.
//
// Payload mapping: a payload that parses as JSON becomes the matching Lua
// value (objects and arrays are tables; arrays carry a metatable so they
// encode back as arrays even when empty; JSON null is `json.null`), any other
// payload is a Lua string. Object key order is not preserved.
//
// Every function reports failures as Error; none throws.
class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(Limits limits = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A map script: runs with globals `msg` (decoded payload), `meta` (headers as
  // a name -> value table, writable), `key` (string, writable) and `out`
  // (initially the same value as `msg`). Its result is the chunk's return
  // value if non-nil, else the global `out`; nil there drops the message.
  // `name` names the chunk in error messages ("<name>:<line>: ...").
  Result<int> compile_map(std::string_view source, std::string_view name);

  // An expression such as `msg.total > 1000`, compiled as `return (<expr>)`.
  // Expressions see `msg`, `meta` and `key` (read-only).
  Result<int> compile_expression(std::string_view expr, std::string_view name);

  // Runs a compiled chunk as a map over `msg` in place: the payload becomes
  // the encoded result (a string result is the raw payload bytes, anything
  // else is JSON), `key` and `meta` are written back when the script touched
  // them. Returns false when the script dropped the message (msg untouched).
  Result<bool> run_map(int chunk, Message& msg);

  // One step of run_chain: a map, or a filter (an expression whose falsy
  // result drops the message).
  struct Step {
    int chunk;
    bool filter = false;
  };

  // Runs maps and filters in order over one decoded value, as a fused form
  // of run_map / eval_bool for consecutive script steps of a flow: the
  // payload is decoded once and encoded once, and between steps the value
  // stays a Lua value (no JSON round trip: 2.0 stays a float, aliasing is
  // kept). `key` and `meta` changes carry from step to step; a chain of
  // filters only leaves the payload bytes as they were. Returns false when a
  // map dropped the message or a filter rejected it (msg untouched).
  Result<bool> run_chain(std::span<const Step> steps, Message& msg);

  // The chunk's result under Lua truthiness (nil and false are false).
  Result<bool> eval_bool(int chunk, const Message& msg);
  // A string result as is; numbers, booleans and tables as JSON text
  // (integral numbers without ".0"). nil is an error.
  Result<std::string> eval_string(int chunk, const Message& msg);
  // The result converted to JSON (nil is null).
  Result<boost::json::value> eval_json(int chunk, const Message& msg);

  // Bytes currently allocated by the Lua state.
  size_t memory_used() const;

 private:
  explicit Engine(std::unique_ptr<Runtime> rt);
  std::unique_ptr<Runtime> rt_;
};

}  // namespace junction::script
