#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/headers.h"

namespace junction {
namespace {

bool reference(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

TEST(IequalsTest, NamesWithoutCase) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("X-REQUEST-ID", "x-request-id"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Host", "Hosts"));
  EXPECT_FALSE(iequals("Authorization", "Authorizatiom"));
  // Only ASCII letters have a case: '@' and '`', '[' and '{', '^' and '~'
  // differ by the case bit alone and are still different.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("a[b", "a{b"));
  EXPECT_FALSE(iequals("X^Y-long-enough", "X~Y-long-enough"));
  EXPECT_FALSE(iequals("\xc1", "\xe1"));  // not Latin-1 aware, by design
}

TEST(IequalsTest, AgreesWithByteByByteOnEveryByteAndLength) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200000; ++round) {
    const size_t n = rng() % 24;
    std::string a(n, '\0');
    for (auto& c : a) c = static_cast<char>(rng() % 256);
    std::string b = a;
    // Flip the case bit, or change a byte, here and there.
    for (auto& c : b) {
      const unsigned r = rng() % 8;
      if (r == 0) c = static_cast<char>(c ^ 0x20);
      if (r == 1) c = static_cast<char>(rng() % 256);
    }
    ASSERT_EQ(iequals(a, b), reference(a, b)) << round;
  }
}

}  // namespace
}  // namespace junction
