#include "script/engine.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

#include "script/runtime.h"

namespace junction::script {
namespace {

int panic(lua_State* L) noexcept {
  const char* msg = lua_tostring(L, -1);
  std::fprintf(stderr, "junction: unprotected Lua error: %s\n", msg ? msg : "?");
  std::abort();
}

Error memory_error(const Runtime& rt) {
  if (rt.alloc.refused) {
    return Error::permanent("script exceeded memory limit of " + std::to_string(rt.alloc.limit) +
                            " bytes");
  }
  return Error::permanent("script engine out of memory");
}

// Output buffers bigger than this are freed after use.
constexpr size_t kKeepBuffer = 1 << 20;

Error internal_error() {
  return Error::permanent("script engine failed: out of memory");
}

// Calls f(L) with the given number of arguments from the stack, protected.
int pcall(lua_State* L, lua_CFunction f, int nargs, int nresults = 0) {
  lua_pushcfunction(L, f);
  lua_insert(L, -(nargs + 1));
  return lua_pcall(L, nargs, nresults, 0);
}

}  // namespace

Runtime::~Runtime() {
  if (L != nullptr) lua_close(L);
}

Engine::Engine(std::unique_ptr<Runtime> rt) : rt_(std::move(rt)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(Limits limits) {
  try {
    auto rt = std::make_unique<Runtime>();
    rt->alloc.limit = limits.max_memory_bytes;
    rt->max_instructions = limits.max_instructions;
    rt->L = lua_newstate(limited_alloc, &rt->alloc);
    if (rt->L == nullptr) return memory_error(*rt);
    *static_cast<Runtime**>(lua_getextraspace(rt->L)) = rt.get();
    lua_atpanic(rt->L, panic);
    // Generational mode suits the many short-lived per-message tables.
    lua_gc(rt->L, LUA_GCGEN, 0, 0);
    if (pcall(rt->L, setup_state, 0) != LUA_OK) return memory_error(*rt);
    return std::unique_ptr<Engine>(new Engine(std::move(rt)));
  } catch (const std::exception&) {
    return internal_error();
  }
}

size_t Engine::memory_used() const {
  return rt_->alloc.used;
}

Result<int> Engine::compile_map(std::string_view source, std::string_view name) {
  try {
    lua_State* L = rt_->L;
    lua_settop(L, 0);
    rt_->alloc.refused = false;
    std::string chunkname = "=" + std::string(name);
    int status = luaL_loadbufferx(L, source.data(), source.size(), chunkname.c_str(), "t");
    if (status != LUA_OK) {
      Error e = status == LUA_ERRMEM ? memory_error(*rt_) : Error::invalid(lua_tostring(L, -1));
      lua_settop(L, 0);
      return e;
    }
    rt_->chunks.push_back(Chunk{std::string(name)});
    if (pcall(L, setup_chunk, 1) != LUA_OK) {
      rt_->chunks.pop_back();
      lua_settop(L, 0);
      return memory_error(*rt_);
    }
    lua_settop(L, 0);
    return static_cast<int>(rt_->chunks.size() - 1);
  } catch (const std::exception&) {
    return internal_error();
  }
}

Result<int> Engine::compile_expression(std::string_view expr, std::string_view name) {
  try {
    // A comment in the expression would swallow a closing parenthesis on
    // the same line; otherwise keep it there so error lines stay right.
    bool has_comment = expr.find("--") != std::string_view::npos;
    std::string source;
    source.reserve(expr.size() + 12);
    source.append("return (").append(expr).append(has_comment ? "\n)" : ")");
    return compile_map(source, name);
  } catch (const std::exception&) {
    return internal_error();
  }
}

namespace {

// Runs the steps in mode; on success the results are in rt.
Status invoke(Runtime& rt, std::span<const Engine::Step> steps, Mode mode, const Message& msg) {
  for (const auto& step : steps) {
    if (step.chunk < 0 || static_cast<size_t>(step.chunk) >= rt.chunks.size()) {
      return Error::invalid("unknown script chunk " + std::to_string(step.chunk));
    }
  }
  lua_State* L = rt.L;
  lua_settop(L, 0);
  rt.steps = steps.data();
  rt.step_count = steps.size();
  rt.cur_chunk = steps[0].chunk;
  rt.mode = mode;
  rt.cur_msg = &msg;
  rt.outcome = Outcome::kValue;
  rt.key_changed = false;
  rt.headers_changed = false;
  rt.meta_error = nullptr;
  rt.alloc.refused = false;
  int status = pcall(L, run_protected, 0, mode == Mode::kJson ? 1 : 0);
  rt.cur_msg = nullptr;
  if (status == LUA_OK) return ok_status();

  stop_budget(&rt);
  bool over_budget = rt.budget_exceeded;
  bool over_memory = rt.alloc.refused || status == LUA_ERRMEM;
  std::optional<Error> error;
  if (over_budget) {
    error = Error::permanent("script exceeded " + std::to_string(rt.max_instructions) +
                             " instructions");
  } else if (over_memory) {
    error = memory_error(rt);
  } else if (pcall(L, extract_error, 1) == LUA_OK) {
    error = Error(rt.err_class, rt.err_message);
  } else {
    error = Error::invalid("script failed");
  }
  lua_settop(L, 0);
  if (over_budget || over_memory) {
    // The script may have parked its bomb in a global: start it afresh.
    if (pcall(L, reset_chunk_env, 0) != LUA_OK) lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
  }
  return std::move(*error);
}

Error result_error(const Runtime& rt, const char* what) {
  const std::string& name = rt.chunks[static_cast<size_t>(rt.cur_chunk)].name;
  if (rt.outcome == Outcome::kEncodeError) {
    char buf[96];
    return Error::invalid(name + ": " + what + " produced " +
                          describe(rt.encode_error, buf, sizeof buf));
  }
  if (rt.outcome == Outcome::kMetaError) return Error::invalid(name + ": " + rt.meta_error);
  return Error::invalid(name + ": " + what + " produced nil");
}

}  // namespace

Result<bool> Engine::run_map(int chunk, Message& msg) {
  Step step{chunk};
  return run_chain({&step, 1}, msg);
}

Result<bool> Engine::run_chain(std::span<const Step> steps, Message& msg) {
  try {
    if (steps.empty()) return true;
    Status st = invoke(*rt_, steps, Mode::kChain, msg);
    if (!st) return std::move(st).error();
    Runtime& rt = *rt_;
    Buffer payload = std::move(rt.payload);
    rt.payload = Buffer();
    rt.out.trim(kKeepBuffer);
    if (rt.outcome == Outcome::kDropped) return false;
    if (rt.outcome != Outcome::kValue) return result_error(rt, "map");
    msg.payload = std::move(payload);
    if (rt.key_changed) msg.key = std::move(rt.new_key);
    if (rt.headers_changed) msg.headers = std::move(rt.new_headers);
    return true;
  } catch (const std::exception&) {
    return internal_error();
  }
}

Result<bool> Engine::eval_bool(int chunk, const Message& msg) {
  try {
    Step step{chunk};
    Status st = invoke(*rt_, {&step, 1}, Mode::kBool, msg);
    if (!st) return std::move(st).error();
    return rt_->bool_result;
  } catch (const std::exception&) {
    return internal_error();
  }
}

Result<std::string> Engine::eval_string(int chunk, const Message& msg) {
  try {
    Step step{chunk};
    Status st = invoke(*rt_, {&step, 1}, Mode::kString, msg);
    if (!st) return std::move(st).error();
    if (rt_->outcome != Outcome::kValue) return result_error(*rt_, "expression");
    std::string out(rt_->out.view());
    rt_->out.trim(kKeepBuffer);
    return out;
  } catch (const std::exception&) {
    return internal_error();
  }
}

Result<boost::json::value> Engine::eval_json(int chunk, const Message& msg) {
  try {
    Step step{chunk};
    Status st = invoke(*rt_, {&step, 1}, Mode::kJson, msg);
    if (!st) return std::move(st).error();
    boost::json::value v;
    bool ok = to_json_value(rt_->L, rt_.get(), -1, &v, &rt_->encode_error);
    lua_settop(rt_->L, 0);
    if (!ok) {
      rt_->outcome = Outcome::kEncodeError;
      return result_error(*rt_, "expression");
    }
    return v;
  } catch (const std::exception&) {
    lua_settop(rt_->L, 0);
    return internal_error();
  }
}

}  // namespace junction::script
