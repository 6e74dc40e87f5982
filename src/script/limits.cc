// Resource limits of a Lua state: a counting allocator and an instruction
// budget enforced by a count hook.

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "script/runtime.h"

namespace junction::script {

// Refuses growth past the limit; Lua then runs an emergency collection,
// retries, and finally raises a memory error. Shrinking never fails.
void* limited_alloc(void* ud, void* ptr, size_t osize, size_t nsize) noexcept {
  auto* a = static_cast<AllocState*>(ud);
  size_t old = ptr ? osize : 0;  // for new blocks osize is a type tag
  if (nsize == 0) {
    a->used -= old;
    std::free(ptr);
    return nullptr;
  }
  if (a->limit != 0 && nsize > old && a->used - old + nsize > a->limit) {
    a->refused = true;
    return nullptr;
  }
  void* p = ptr ? std::realloc(ptr, nsize) : std::malloc(nsize);
  if (p == nullptr) return nullptr;
  a->used = a->used - old + nsize;
  return p;
}

namespace {

void count_hook(lua_State* L, lua_Debug* ar) noexcept;

void arm(Runtime* rt, uint64_t step) noexcept {
  rt->hook_step = static_cast<int>(std::min<uint64_t>(step, INT_MAX));
  lua_sethook(rt->L, count_hook, LUA_MASKCOUNT, rt->hook_step);
}

// Fires every hook_step instructions. Once the budget is spent it fires on
// every instruction and raises each time, so a script cannot swallow the
// error with pcall and carry on: the first instruction outside all of its
// pcalls propagates it.
void count_hook(lua_State* L, lua_Debug* /*ar*/) noexcept {
  Runtime* rt = runtime_of(L);
  if (!rt->budget_exceeded) {
    rt->budget_left -= std::min<uint64_t>(rt->budget_left, static_cast<uint64_t>(rt->hook_step));
    if (rt->budget_left > 0) {
      arm(rt, rt->budget_left);
      return;
    }
    rt->budget_exceeded = true;
    arm(rt, 1);
  }
  luaL_error(L, "script exceeded %I instructions", static_cast<lua_Integer>(rt->max_instructions));
}

}  // namespace

void start_budget(Runtime* rt) noexcept {
  rt->budget_exceeded = false;
  if (rt->max_instructions == 0) return;
  rt->budget_left = rt->max_instructions;
  arm(rt, rt->budget_left);
}

void stop_budget(Runtime* rt) noexcept {
  if (rt->max_instructions == 0) return;
  lua_sethook(rt->L, nullptr, 0, 0);
}

}  // namespace junction::script
