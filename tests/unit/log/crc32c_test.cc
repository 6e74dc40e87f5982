#include "log/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

namespace junction::log {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

TEST(Crc32c, MatchesKafkaClients) {
  // Kafka's Crc32CTest.testValue.
  EXPECT_EQ(crc32c(0, bytes_of("Some String")), 608512271u);
  EXPECT_EQ(crc32c_portable(0, bytes_of("Some String")), 608512271u);
}

TEST(Crc32c, PortableMatchesKnownVectors) {
  // RFC 3720 appendix B.4, so the reference below is itself checked.
  EXPECT_EQ(crc32c_portable(0, bytes_of(std::string(32, '\0'))), 0x8A9136AAu);
  EXPECT_EQ(crc32c_portable(0, bytes_of(std::string(32, '\xff'))), 0x62A8AB43u);
  EXPECT_EQ(crc32c_portable(0, bytes_of("123456789")), 0xE3069283u);
}

// The hardware paths split a buffer into three streams by its length (any
// multiple of 8 bytes up to 2 KiB each, then a serial tail), so every length
// and misalignment around those boundaries, and long buffers that take
// several rounds, must agree with the table-driven reference.
TEST(Crc32c, MatchesPortableOnEveryLengthAndAlignment) {
  std::mt19937_64 rng(20261126);
  std::string buffer(3 * 2048 * 3 + 64, '\0');
  for (auto& c : buffer) c = static_cast<char>(rng());
  const std::string_view all(buffer);
  for (size_t length = 0; length <= 1200; ++length) {
    for (size_t align = 0; align < 8; ++align) {
      const auto piece = bytes_of(all.substr(align, length));
      ASSERT_EQ(crc32c(0, piece), crc32c_portable(0, piece))
          << "length " << length << " at +" << align;
    }
  }
  std::uniform_int_distribution<size_t> length(1200, buffer.size() - 8);
  for (int i = 0; i < 2000; ++i) {
    const size_t n = length(rng);
    const size_t align = rng() % 8;
    const auto piece = bytes_of(all.substr(align, n));
    ASSERT_EQ(crc32c(0, piece), crc32c_portable(0, piece)) << "length " << n << " at +" << align;
  }
}

TEST(Crc32c, ChainsOverLongBuffers) {
  std::mt19937_64 rng(7);
  std::string buffer(50000, '\0');
  for (auto& c : buffer) c = static_cast<char>(rng());
  const std::string_view all(buffer);
  const uint32_t whole = crc32c(0, bytes_of(all));
  EXPECT_EQ(whole, crc32c_portable(0, bytes_of(all)));
  for (size_t cut : {1u, 95u, 96u, 1000u, 6144u, 6145u, 30000u, 49999u}) {
    const uint32_t first = crc32c(0, bytes_of(all.substr(0, cut)));
    EXPECT_EQ(crc32c(first, bytes_of(all.substr(cut))), whole) << "cut at " << cut;
  }
}

TEST(Crc32c, DetectsASingleFlippedBit) {
  std::string data(4096, 'a');
  const uint32_t clean = crc32c(0, bytes_of(data));
  for (size_t bit : {0u, 7u, 1365u * 8, 2731u * 8 + 3, 4095u * 8 + 7}) {
    std::string flipped = data;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_NE(crc32c(0, bytes_of(flipped)), clean) << "bit " << bit;
  }
}

}  // namespace
}  // namespace junction::log
