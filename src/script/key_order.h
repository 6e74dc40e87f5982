#pragma once

// JSON objects keep their member order through a script: a Lua table has no
// order of its own, so the decoder records, per object table it makes, the
// keys in the order the text had them, and the encoders walk a table's
// members in that order (then any members a script added, in Lua's order).
//
// A table is known by its address. If the script drops a decoded table and a
// new one reuses the address, the recorded keys only reorder the new table's
// matching members: every member is still visited exactly once.

#include <cstddef>
#include <cstdint>
#include <lua.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace junction::script {

class KeyOrder {
 public:
  // Forgets every table; called at the start of each invocation.
  void clear() noexcept {
    text_.clear();
    pending_.clear();
    keys_.clear();
    objects_.clear();
    by_table_.clear();
    by_table_stale_ = false;
  }

  // Decoder side: an object's keys go between open() and close().
  // Nested objects may open and close in between.
  size_t open() const noexcept { return pending_.size(); }
  // Inline: the decoder calls it for every key of every payload.
  void add_key(const char* s, size_t n) {
    pending_.push_back({static_cast<uint32_t>(text_.size()), static_cast<uint32_t>(n)});
    text_.append(s, n);
  }
  void close(size_t mark, const void* table);

  // Calls visit(ctx, key_index, value_index) for every member of the table at
  // `idx` (an absolute index): recorded keys first in their order, then the
  // rest. Stops and returns false when visit does. Uses only Lua calls that
  // cannot raise, so it is safe outside lua_pcall too.
  using Visit = bool (*)(void* ctx, int key, int value) noexcept;
  bool for_each_member(lua_State* L, int idx, Visit visit, void* ctx) const noexcept;

 private:
  struct Span {
    uint32_t offset;
    uint32_t size;
  };
  struct Object {
    const void* table;
    uint32_t first;  // into keys_
    uint32_t count;
  };

  const Object* find(const void* table) const noexcept;
  std::string_view key(const Span& s) const noexcept { return {text_.data() + s.offset, s.size}; }
  bool visit_in_order(lua_State* L, const Object& order, int base, int pairs, Visit visit,
                      void* ctx) const noexcept;

  std::string text_;           // key bytes
  std::vector<Span> pending_;  // keys of the objects being decoded
  std::vector<Span> keys_;     // keys of finished objects, contiguous per object
  std::vector<Object> objects_;
  // Lazily sorted by table address once there are too many to scan.
  mutable std::vector<Object> by_table_;
  mutable bool by_table_stale_ = false;
  // Index of a large table's string keys, stacked by nesting depth.
  mutable std::vector<std::pair<std::string_view, int>> index_;
};

}  // namespace junction::script
