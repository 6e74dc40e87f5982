// Lua values -> JSON text.
//
// A table is an array when it carries the array metatable or is a non-empty
// sequence 1..n, else an object whose keys must be strings or numbers. Only
// raw accesses are used, so no script code runs while encoding. Strings are
// written as bytes (not checked for valid UTF-8).

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "script/runtime.h"

namespace junction::script {
namespace {

struct Encoder {
  lua_State* L;
  Runtime* rt;
  ByteBuffer* out;
  EncodeError* err;
  int depth;
};

bool encode_value(Encoder& e, int idx) noexcept;

bool fail(Encoder& e, EncodeError::Kind kind, int type = LUA_TNONE) noexcept {
  e.err->kind = kind;
  e.err->lua_type = type;
  return false;
}

constexpr auto kNeedsEscape = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<size_t>(c)] = true;
  t['"'] = t['\\'] = true;
  return t;
}();

// Appends s as a JSON string, then `trail` unless it is '\0'.
void append_quoted(ByteBuffer& out, const char* s, size_t n, char trail) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t clean = 0;
  while (clean < n && !kNeedsEscape[static_cast<unsigned char>(s[clean])]) ++clean;
  if (clean == n) {  // the common case: one write
    char* w = out.extend(n + 2 + (trail != 0));
    w[0] = '"';
    std::memcpy(w + 1, s, n);
    w[n + 1] = '"';
    if (trail != 0) w[n + 2] = trail;
    return;
  }
  out.push('"');
  size_t run = 0;
  for (size_t i = clean; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!kNeedsEscape[c]) continue;
    out.append(s + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"", 2);
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(u, sizeof u);
      }
    }
  }
  out.append(s + run, n - run);
  out.push('"');
  if (trail != 0) out.push(trail);
}

bool encode_array(Encoder& e, int idx, lua_Unsigned n) noexcept {
  e.out->push('[');
  for (lua_Unsigned i = 1; i <= n; ++i) {
    if (i > 1) e.out->push(',');
    lua_rawgeti(e.L, idx, static_cast<lua_Integer>(i));
    if (!encode_value(e, lua_gettop(e.L))) return false;
    lua_pop(e.L, 1);
  }
  e.out->push(']');
  return true;
}

struct ObjectWriter {
  Encoder& e;
  bool first = true;
};

bool encode_member(void* ctx, int key, int value) noexcept {
  auto& w = *static_cast<ObjectWriter*>(ctx);
  Encoder& e = w.e;
  if (!w.first) e.out->push(',');
  w.first = false;
  int kt = lua_type(e.L, key);
  if (kt == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(e.L, key, &len);
    append_quoted(*e.out, s, len, ':');
  } else if (kt == LUA_TNUMBER) {
    char buf[32];
    size_t len = format_number(e.L, key, buf);
    if (len == 0) return fail(e, EncodeError::kNonFinite);
    append_quoted(*e.out, buf, len, ':');
  } else {
    return fail(e, EncodeError::kKeyType, kt);
  }
  return encode_value(e, value);
}

bool encode_object(Encoder& e, int idx) noexcept {
  e.out->push('{');
  ObjectWriter writer{e};
  if (!e.rt->key_order.for_each_member(e.L, idx, encode_member, &writer)) return false;
  e.out->push('}');
  return true;
}

bool encode_value(Encoder& e, int idx) noexcept {
  lua_State* L = e.L;
  int type = lua_type(L, idx);
  switch (type) {
    case LUA_TNIL:
      e.out->append("null");
      return true;
    case LUA_TBOOLEAN:
      e.out->append(lua_toboolean(L, idx) ? "true" : "false");
      return true;
    case LUA_TNUMBER:
      if (!append_number(L, idx, *e.out)) return fail(e, EncodeError::kNonFinite);
      return true;
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, idx, &len);
      append_quoted(*e.out, s, len, '\0');
      return true;
    }
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) != &kJsonNull) return fail(e, EncodeError::kType, type);
      e.out->append("null");
      return true;
    case LUA_TTABLE: {
      if (++e.depth > kMaxJsonDepth || !lua_checkstack(L, 4)) return fail(e, EncodeError::kTooDeep);
      lua_Unsigned n = 0;
      bool ok = table_is_array(L, e.rt, idx, &n) ? encode_array(e, idx, n) : encode_object(e, idx);
      --e.depth;
      return ok;
    }
    default:
      return fail(e, EncodeError::kType, type);
  }
}

const char* type_name(int type) noexcept {
  switch (type) {
    case LUA_TNIL:
      return "nil";
    case LUA_TBOOLEAN:
      return "boolean";
    case LUA_TLIGHTUSERDATA:
    case LUA_TUSERDATA:
      return "userdata";
    case LUA_TNUMBER:
      return "number";
    case LUA_TSTRING:
      return "string";
    case LUA_TTABLE:
      return "table";
    case LUA_TFUNCTION:
      return "function";
    case LUA_TTHREAD:
      return "thread";
    default:
      return "unknown";
  }
}

// Fast path for values with a few decimals (2.5, 19.99, -0.125): finds the
// smallest k with x * 10^k integral and y / 10^k == x, then prints y with a
// decimal point. Parsing that text divides the same exact integer by the
// same exact power of ten, correctly rounded, so it yields x again. Returns 0
// when no k <= 6 fits; std::to_chars (shortest round trip) handles the rest.
size_t format_short_decimal(double x, char* buf) noexcept {
  static constexpr double kPow10[] = {1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
  static constexpr uint64_t kIntPow10[] = {10, 100, 1000, 10000, 100000, 1000000};
  for (int k = 0; k < 6; ++k) {
    double y = x * kPow10[k];
    if (!(std::fabs(y) < 9007199254740992.0)) return 0;  // 2^53
    if (y != std::floor(y) || y / kPow10[k] != x) continue;
    auto v = static_cast<int64_t>(y);
    char* w = buf;
    if (v < 0) *w++ = '-';
    uint64_t u = v < 0 ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
    w = std::to_chars(w, w + 20, u / kIntPow10[k]).ptr;
    *w++ = '.';
    uint64_t frac = u % kIntPow10[k];
    for (int i = k; i >= 0; --i) {
      w[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    w += k + 1;
    while (w[-1] == '0') --w;  // 19.99 may only come out as 19990 / 10^3
    return static_cast<size_t>(w - buf);
  }
  return 0;
}

}  // namespace

// Whether the table at idx encodes as an array, and its length.
bool table_is_array(lua_State* L, const Runtime* rt, int idx, lua_Unsigned* n) noexcept {
  if (lua_getmetatable(L, idx)) {
    bool marked = lua_topointer(L, -1) == rt->array_mt;
    lua_pop(L, 1);
    if (marked) {
      *n = lua_rawlen(L, idx);
      return true;
    }
  }
  *n = lua_rawlen(L, idx);
  if (*n == 0) return false;
  lua_Unsigned count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1)) {
      lua_pop(L, 1);
      return false;
    }
    lua_Integer k = lua_tointeger(L, -1);
    if (k < 1 || static_cast<lua_Unsigned>(k) > *n) {
      lua_pop(L, 1);
      return false;
    }
    ++count;
  }
  return count == *n;
}

size_t format_number(lua_State* L, int idx, char* buf) noexcept {
  constexpr size_t kSize = kNumberBufferSize;
  if (lua_isinteger(L, idx)) {
    return static_cast<size_t>(std::to_chars(buf, buf + kSize, lua_tointeger(L, idx)).ptr - buf);
  }
  double x = lua_tonumber(L, idx);
  if (!std::isfinite(x)) return 0;
  if (x == std::floor(x) && std::fabs(x) < 9.2e18) {
    auto i = static_cast<int64_t>(x);
    return static_cast<size_t>(std::to_chars(buf, buf + kSize, i).ptr - buf);
  }
  size_t len = format_short_decimal(x, buf);
  if (len != 0) return len;
  return static_cast<size_t>(std::to_chars(buf, buf + kSize, x).ptr - buf);
}

bool append_number(lua_State* L, int idx, ByteBuffer& out) noexcept {
  char* w = out.extend(kNumberBufferSize);
  size_t len = format_number(L, idx, w);
  out.unextend(kNumberBufferSize - len);
  return len != 0;
}

bool encode_json(lua_State* L, Runtime* rt, int idx, ByteBuffer& out, EncodeError* err) noexcept {
  Encoder e{L, rt, &out, err, 0};
  int top = lua_gettop(L);
  bool ok = encode_value(e, lua_absindex(L, idx));
  lua_settop(L, top);
  return ok;
}

const char* describe(const EncodeError& err, char* buf, size_t size) noexcept {
  switch (err.kind) {
    case EncodeError::kType:
      std::snprintf(buf, size, "a %s value", type_name(err.lua_type));
      break;
    case EncodeError::kNonFinite:
      std::snprintf(buf, size, "a non-finite number");
      break;
    case EncodeError::kKeyType:
      std::snprintf(buf, size, "a table key of type %s", type_name(err.lua_type));
      break;
    case EncodeError::kTooDeep:
      std::snprintf(buf, size, "tables nested deeper than %d levels (a cycle?)", kMaxJsonDepth);
      break;
    case EncodeError::kNone:
      std::snprintf(buf, size, "an unencodable value");
      break;
  }
  return buf;
}

}  // namespace junction::script
