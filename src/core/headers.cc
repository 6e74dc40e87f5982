#include "core/headers.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace junction {

namespace {

constexpr uint64_t kEachByte = 0x0101010101010101ULL;

// Eight bytes with their ASCII capitals made small, other bytes untouched:
// the high bit of each byte marks 'A' <= byte <= 'Z' (sums that cannot carry
// into the next byte), and moved down to bit 5 it is the case bit.
uint64_t lower8(uint64_t x) {
  const uint64_t low7 = x & (0x7f * kEachByte);
  const uint64_t from_a = low7 + (0x80 - 'A') * kEachByte;
  const uint64_t past_z = low7 + (0x80 - 'Z' - 1) * kEachByte;
  const uint64_t capital = from_a & ~past_z & ~x & (0x80 * kEachByte);
  return x | (capital >> 2);
}

uint64_t word_at(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

}  // namespace

// Eight bytes at a time: header names are compared on every request, and
// byte by byte cost ten instructions a character.
bool iequals(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) {
    uint64_t x = 0;
    uint64_t y = 0;
    std::memcpy(&x, a.data(), n);
    std::memcpy(&y, b.data(), n);
    return x == y || lower8(x) == lower8(y);
  }
  const auto same = [](uint64_t x, uint64_t y) { return x == y || lower8(x) == lower8(y); };
  for (size_t i = 0; i + 8 <= n; i += 8) {
    if (!same(word_at(a.data() + i), word_at(b.data() + i))) return false;
  }
  // The tail, as the last eight bytes (overlapping what was compared).
  return same(word_at(a.data() + n - 8), word_at(b.data() + n - 8));
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

void Headers::set(std::string_view name, std::string_view value) {
  erase(name);
  add(name, value);
}

void Headers::add(std::string_view name, std::string_view value) {
  entries_.emplace_back(std::string(name), std::string(value));
}

void Headers::erase(std::string_view name) {
  std::erase_if(entries_, [&](const Entry& e) { return iequals(e.first, name); });
}

}  // namespace junction
