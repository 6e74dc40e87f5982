// JSON text -> Lua values, pushed straight onto the Lua stack without an
// intermediate document.
//
// Containers collect their members on the stack first, then become a table
// of the exact size. Integers that fit int64 become Lua integers, other
// numbers floats; null becomes json.null; arrays get the array metatable.
// Each object's key order is recorded (script/key_order.h) for the encoders.
// Strings are not checked for valid UTF-8.

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "script/runtime.h"

namespace junction::script {
namespace {

struct Decoder {
  lua_State* L;
  Runtime* rt;
  const char* begin;
  const char* p;
  const char* end;
  int depth;
  bool too_deep;
};

bool parse_value(Decoder& d) noexcept;

inline void skip_ws(Decoder& d) noexcept {
  while (d.p < d.end && (*d.p == ' ' || *d.p == '\n' || *d.p == '\r' || *d.p == '\t')) ++d.p;
}

inline bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

int hex4(const char* s) noexcept {
  int v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v |= c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v |= c - 'A' + 10;
    } else {
      return -1;
    }
  }
  return v;
}

void append_utf8(std::string& s, uint32_t cp) noexcept {
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A string with escapes, from the first backslash on; `start` is its first
// byte. Lone surrogates are kept as their 3-byte encoding.
bool parse_escaped(Decoder& d, const char* start) noexcept {
  std::string& s = d.rt->decode_scratch;
  s.assign(start, d.p);
  while (d.p < d.end) {
    unsigned char c = static_cast<unsigned char>(*d.p);
    if (c == '"') {
      ++d.p;
      lua_pushlstring(d.L, s.data(), s.size());
      return true;
    }
    if (c < 0x20) return false;
    if (c != '\\') {
      s.push_back(static_cast<char>(c));
      ++d.p;
      continue;
    }
    if (++d.p == d.end) return false;
    char e = *d.p++;
    switch (e) {
      case '"':
        s.push_back('"');
        break;
      case '\\':
        s.push_back('\\');
        break;
      case '/':
        s.push_back('/');
        break;
      case 'b':
        s.push_back('\b');
        break;
      case 'f':
        s.push_back('\f');
        break;
      case 'n':
        s.push_back('\n');
        break;
      case 'r':
        s.push_back('\r');
        break;
      case 't':
        s.push_back('\t');
        break;
      case 'u': {
        if (d.end - d.p < 4) return false;
        int cp = hex4(d.p);
        if (cp < 0) return false;
        d.p += 4;
        uint32_t code = static_cast<uint32_t>(cp);
        if (cp >= 0xD800 && cp < 0xDC00 && d.end - d.p >= 6 && d.p[0] == '\\' && d.p[1] == 'u') {
          int lo = hex4(d.p + 2);
          if (lo >= 0xDC00 && lo < 0xE000) {
            code = 0x10000 + ((code - 0xD800) << 10) + static_cast<uint32_t>(lo - 0xDC00);
            d.p += 6;
          }
        }
        append_utf8(s, code);
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

bool parse_string(Decoder& d) noexcept {
  const char* start = ++d.p;  // past the quote
  while (d.p < d.end) {
    unsigned char c = static_cast<unsigned char>(*d.p);
    if (c == '"') {
      lua_pushlstring(d.L, start, static_cast<size_t>(d.p - start));
      ++d.p;
      return true;
    }
    if (c == '\\') return parse_escaped(d, start);
    if (c < 0x20) return false;
    ++d.p;
  }
  return false;
}

bool parse_number(Decoder& d) noexcept {
  const char* start = d.p;
  bool neg = false;
  if (*d.p == '-') {
    neg = true;
    if (++d.p == d.end) return false;
  }
  const char* digits = d.p;
  if (*d.p == '0') {
    ++d.p;
  } else if (is_digit(*d.p)) {
    while (d.p < d.end && is_digit(*d.p)) ++d.p;
  } else {
    return false;
  }
  const char* int_end = d.p;
  bool integral = true;
  if (d.p < d.end && *d.p == '.') {
    integral = false;
    if (++d.p == d.end || !is_digit(*d.p)) return false;
    while (d.p < d.end && is_digit(*d.p)) ++d.p;
  }
  if (d.p < d.end && (*d.p == 'e' || *d.p == 'E')) {
    integral = false;
    if (++d.p < d.end && (*d.p == '+' || *d.p == '-')) ++d.p;
    if (d.p == d.end || !is_digit(*d.p)) return false;
    while (d.p < d.end && is_digit(*d.p)) ++d.p;
  }
  if (integral) {
    // Accumulate negatively so INT64_MIN fits.
    int64_t v = 0;
    bool overflow = false;
    for (const char* q = digits; q < int_end; ++q) {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_sub_overflow(v, *q - '0', &v)) {
        overflow = true;
        break;
      }
    }
    if (!overflow && (neg || v != INT64_MIN)) {
      lua_pushinteger(d.L, neg ? v : -v);
      return true;
    }
  }
  double x = 0;
  auto [ptr, ec] = std::from_chars(start, d.p, x);
  if (ec == std::errc::result_out_of_range) {
    char buf[64];  // rare: let strtod pick infinity or zero
    size_t n = static_cast<size_t>(d.p - start);
    if (n >= sizeof buf) n = sizeof buf - 1;
    std::memcpy(buf, start, n);
    buf[n] = '\0';
    x = std::strtod(buf, nullptr);
  } else if (ec != std::errc() || ptr != d.p) {
    return false;
  }
  lua_pushnumber(d.L, x);
  return true;
}

bool parse_literal(Decoder& d, const char* word, size_t len) noexcept {
  if (static_cast<size_t>(d.end - d.p) < len || std::memcmp(d.p, word, len) != 0) return false;
  d.p += len;
  return true;
}

// Containers stage their first members on the stack, so small ones become
// a table of the exact size in one go. Past kStaged members the table is
// made and later members go straight into it, bounding the stack.
constexpr int kStaged = 32;

// Moves the n key, value pairs staged from `base` into a new table that
// takes base's place. In order: a repeated key keeps its last value.
void flush_object(lua_State* L, int base, int n, int size) noexcept {
  lua_createtable(L, 0, size);
  int t = lua_gettop(L);
  for (int i = 0; i < n; ++i) {
    lua_pushvalue(L, base + 2 * i);
    lua_pushvalue(L, base + 2 * i + 1);
    lua_rawset(L, t);
  }
  if (t != base) lua_replace(L, base);  // t == base when empty
  lua_settop(L, base);
}

void flush_array(lua_State* L, Runtime* rt, int base, int n, int size) noexcept {
  lua_createtable(L, size, 0);
  int t = lua_gettop(L);
  for (int i = n; i >= 1; --i) {
    lua_pushvalue(L, base + i - 1);
    lua_rawseti(L, t, i);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->array_mt_ref);
  lua_setmetatable(L, t);
  if (t != base) lua_replace(L, base);
  lua_settop(L, base);
}

// After a member: true to parse another, false at the end (`close`) or on
// a syntax error (*ok = false).
bool next_member(Decoder& d, char close, bool* ok) noexcept {
  skip_ws(d);
  if (d.p != d.end && *d.p == ',') {
    ++d.p;
    skip_ws(d);
    return true;
  }
  *ok = d.p != d.end && *d.p == close;
  if (*ok) ++d.p;
  return false;
}

bool parse_object(Decoder& d) noexcept {
  ++d.p;
  int base = lua_gettop(d.L) + 1;
  size_t keys = d.rt->key_order.open();
  int n = 0;
  bool flushed = false;
  bool ok = true;
  skip_ws(d);
  if (d.p < d.end && *d.p == '}') {
    ++d.p;
  } else {
    do {
      if (!lua_checkstack(d.L, 4)) return false;
      if (d.p == d.end || *d.p != '"' || !parse_string(d)) return false;
      size_t key_len = 0;
      const char* key = lua_tolstring(d.L, -1, &key_len);
      d.rt->key_order.add_key(key, key_len);
      skip_ws(d);
      if (d.p == d.end || *d.p != ':') return false;
      ++d.p;
      skip_ws(d);
      if (!parse_value(d)) return false;
      ++n;
      if (flushed) {
        lua_rawset(d.L, base);
      } else if (n == kStaged) {
        flush_object(d.L, base, n, 2 * n);
        flushed = true;
      }
    } while (next_member(d, '}', &ok));
  }
  // Two spare slots: maps commonly add a field, and growing rehashes.
  if (ok && !flushed) flush_object(d.L, base, n, n + 2);
  if (ok) d.rt->key_order.close(keys, lua_topointer(d.L, base));
  return ok;
}

bool parse_array(Decoder& d) noexcept {
  ++d.p;
  int base = lua_gettop(d.L) + 1;
  int n = 0;
  bool flushed = false;
  bool ok = true;
  skip_ws(d);
  if (d.p < d.end && *d.p == ']') {
    ++d.p;
  } else {
    do {
      if (!lua_checkstack(d.L, 3)) return false;
      if (!parse_value(d)) return false;
      ++n;
      if (flushed) {
        lua_rawseti(d.L, base, n);
      } else if (n == kStaged) {
        flush_array(d.L, d.rt, base, n, 4 * n);
        flushed = true;
      }
    } while (next_member(d, ']', &ok));
  }
  if (ok && !flushed) flush_array(d.L, d.rt, base, n, n);
  return ok;
}

bool parse_value(Decoder& d) noexcept {
  if (d.p == d.end) return false;
  switch (*d.p) {
    case '{':
    case '[': {
      if (++d.depth > kMaxJsonDepth) {
        d.too_deep = true;
        return false;
      }
      bool ok = *d.p == '{' ? parse_object(d) : parse_array(d);
      --d.depth;
      return ok;
    }
    case '"':
      return parse_string(d);
    case 't':
      if (!parse_literal(d, "true", 4)) return false;
      lua_pushboolean(d.L, 1);
      return true;
    case 'f':
      if (!parse_literal(d, "false", 5)) return false;
      lua_pushboolean(d.L, 0);
      return true;
    case 'n':
      if (!parse_literal(d, "null", 4)) return false;
      lua_pushlightuserdata(d.L, const_cast<char*>(&kJsonNull));
      return true;
    default:
      return parse_number(d);
  }
}

}  // namespace

JsonStatus push_json(lua_State* L, Runtime* rt, std::string_view text,
                     size_t* error_offset) noexcept {
  int top = lua_gettop(L);
  Decoder d{L, rt, text.data(), text.data(), text.data() + text.size(), 0, false};
  skip_ws(d);
  bool ok = lua_checkstack(L, 4) && parse_value(d);
  if (ok) {
    skip_ws(d);
    ok = d.p == d.end;
  }
  if (!ok) {
    lua_settop(L, top);
    if (error_offset) *error_offset = static_cast<size_t>(d.p - d.begin);
    return d.too_deep ? JsonStatus::kTooDeep : JsonStatus::kInvalid;
  }
  return JsonStatus::kOk;
}

}  // namespace junction::script
