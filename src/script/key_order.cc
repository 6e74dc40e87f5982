#include "script/key_order.h"

#include <algorithm>
#include <cstring>

namespace junction::script {
namespace {

// Up to this many members a linear scan beats sorting an index.
constexpr int kScanLimit = 16;
// Up to this many decoded objects a linear search finds a table.
constexpr size_t kFindScanLimit = 8;

bool same_key(lua_State* L, int slot, std::string_view key) noexcept {
  if (lua_type(L, slot) != LUA_TSTRING) return false;  // also skips visited (nil) slots
  size_t len = 0;
  const char* s = lua_tolstring(L, slot, &len);
  return len == key.size() && std::memcmp(s, key.data(), len) == 0;
}

}  // namespace

void KeyOrder::close(size_t mark, const void* table) {
  size_t count = pending_.size() - mark;
  if (count == 0) return;
  objects_.push_back({table, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(count)});
  keys_.insert(keys_.end(), pending_.begin() + static_cast<ptrdiff_t>(mark), pending_.end());
  pending_.resize(mark);
  by_table_stale_ = true;
}

const KeyOrder::Object* KeyOrder::find(const void* table) const noexcept {
  if (objects_.size() <= kFindScanLimit) {
    for (const auto& o : objects_) {
      if (o.table == table) return &o;
    }
    return nullptr;
  }
  auto less = [](const Object& a, const Object& b) { return a.table < b.table; };
  if (by_table_stale_) {
    by_table_ = objects_;
    std::stable_sort(by_table_.begin(), by_table_.end(), less);
    by_table_stale_ = false;
  }
  auto it = std::lower_bound(by_table_.begin(), by_table_.end(), Object{table, 0, 0}, less);
  return it != by_table_.end() && it->table == table ? &*it : nullptr;
}

bool KeyOrder::for_each_member(lua_State* L, int idx, Visit visit, void* ctx) const noexcept {
  const Object* order = objects_.empty() ? nullptr : find(lua_topointer(L, idx));
  int top = lua_gettop(L);
  if (order != nullptr) {
    // Stage every pair on the stack (key, value) so members can be visited in
    // any order; a key slot is set to nil once visited.
    int pairs = 0;
    bool staged = true;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
      if (!lua_checkstack(L, 3)) {
        staged = false;
        break;
      }
      lua_pushvalue(L, -2);
      ++pairs;
    }
    if (staged) {
      bool ok = visit_in_order(L, *order, top + 1, pairs, visit, ctx);
      lua_settop(L, top);
      return ok;
    }
    lua_settop(L, top);  // too big to stage: Lua's order
  }
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (!visit(ctx, lua_gettop(L) - 1, lua_gettop(L))) return false;
    lua_pop(L, 1);
  }
  return true;
}

bool KeyOrder::visit_in_order(lua_State* L, const Object& order, int base, int pairs, Visit visit,
                              void* ctx) const noexcept {
  auto visit_pair = [&](int i) {
    int slot = base + 2 * i;
    if (!visit(ctx, slot, slot + 1)) return false;
    lua_pushnil(L);
    lua_replace(L, slot);
    return true;
  };
  if (pairs <= kScanLimit) {
    for (uint32_t k = order.first; k < order.first + order.count; ++k) {
      std::string_view want = key(keys_[k]);
      for (int i = 0; i < pairs; ++i) {
        if (!same_key(L, base + 2 * i, want)) continue;
        if (!visit_pair(i)) return false;
        break;
      }
    }
  } else {
    // The table's string keys stay alive (the table holds them) while the
    // index points into them.
    size_t mark = index_.size();
    for (int i = 0; i < pairs; ++i) {
      int slot = base + 2 * i;
      if (lua_type(L, slot) != LUA_TSTRING) continue;
      size_t len = 0;
      const char* s = lua_tolstring(L, slot, &len);
      index_.emplace_back(std::string_view(s, len), i);
    }
    auto begin = index_.begin() + static_cast<ptrdiff_t>(mark);
    std::sort(begin, index_.end());
    for (uint32_t k = order.first; k < order.first + order.count; ++k) {
      std::string_view want = key(keys_[k]);
      // Nested visits may grow index_: look it up afresh each time.
      auto first = index_.begin() + static_cast<ptrdiff_t>(mark);
      auto it = std::lower_bound(first, index_.end(), std::make_pair(want, 0));
      if (it == index_.end() || it->first != want) continue;
      int i = it->second;
      if (lua_isnil(L, base + 2 * i)) continue;  // a repeated key in the text
      if (!visit_pair(i)) {
        index_.resize(mark);
        return false;
      }
    }
    index_.resize(mark);
  }
  for (int i = 0; i < pairs; ++i) {
    int slot = base + 2 * i;
    if (lua_isnil(L, slot)) continue;
    if (!visit(ctx, slot, slot + 1)) return false;
  }
  return true;
}

}  // namespace junction::script
