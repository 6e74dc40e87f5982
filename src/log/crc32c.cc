#include "log/crc32c.h"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#include <wmmintrin.h>
#endif

namespace junction::log {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // reflected Castagnoli

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = make_tables();

uint32_t portable(uint32_t crc, const unsigned char* p, size_t n) {
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // little-endian hosts only, as is every target we build for
    word ^= crc;
    crc = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
          kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
          kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
          kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xFF];
  return crc;
}

#if defined(__x86_64__)

// One crc32 instruction per 8 bytes, each waiting for the last: about three
// cycles a word. Fine for short buffers.
__attribute__((target("sse4.2"))) uint32_t serial(uint32_t crc, const unsigned char* p, size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

// Three streams at once (the approach of Intel's crc_pcl and Linux's
// crc32c-pcl-intel): the crc32 instruction takes three cycles but can start
// one every cycle, so three independent streams over consecutive thirds of a
// buffer cost about what one did. The CRC register is linear, so the thirds'
// registers combine exactly: crc(A ++ B) = crc(A) * x^(8|B|) ^ crc0(B), where
// crc0(B) starts from zero and "* x^n" is modulo the polynomial. The shift is
// one carry-less multiply by a precomputed x^(8|B| - 33) and one crc32 of the
// 64-bit product, which reduces it (the 33 makes up for the crc32's own x^32
// and the product's one-bit offset in reflected order).
constexpr size_t kMaxStreamWords = 256;         // longest third: 2 KiB
constexpr size_t kMinInterleaveBytes = 3 * 32;  // shorter buffers gain nothing

// x^n mod P, bit-reflected (bit 31 is x^0).
constexpr uint32_t times_x(uint32_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) v = (v & 1) ? (v >> 1) ^ kPolynomial : v >> 1;
  return v;
}

// kShift[w] multiplies a register by x^(64w) (a stream of w words), for w >= 1.
using ShiftTable = std::array<uint32_t, kMaxStreamWords + 1>;
constexpr ShiftTable make_shift_table() {
  ShiftTable t{};
  uint32_t v = times_x(0x80000000u, 64 - 33);
  for (size_t w = 1; w <= kMaxStreamWords; ++w) {
    t[w] = v;
    v = times_x(v, 64);
  }
  return t;
}
constexpr ShiftTable kShift = make_shift_table();

__attribute__((target("sse4.2,pclmul"))) uint32_t shift(uint32_t crc, size_t words) {
  const __m128i product =
      _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(crc)),
                           _mm_cvtsi32_si128(static_cast<int>(kShift[words])), 0x00);
  return static_cast<uint32_t>(_mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(product))));
}

__attribute__((target("sse4.2,pclmul"))) uint32_t interleaved(uint32_t crc, const unsigned char* p,
                                                              size_t n) {
  while (n >= kMinInterleaveBytes) {
    const size_t words = std::min(n / 24, kMaxStreamWords);
    const size_t third = words * 8;
    const unsigned char* a = p;
    const unsigned char* b = p + third;
    const unsigned char* c = p + 2 * third;
    uint64_t ca = crc, cb = 0, cc = 0;
    for (size_t i = 0; i < third; i += 8) {
      uint64_t wa, wb, wc;
      std::memcpy(&wa, a + i, 8);
      std::memcpy(&wb, b + i, 8);
      std::memcpy(&wc, c + i, 8);
      ca = _mm_crc32_u64(ca, wa);
      cb = _mm_crc32_u64(cb, wb);
      cc = _mm_crc32_u64(cc, wc);
    }
    crc = shift(static_cast<uint32_t>(ca), words) ^ static_cast<uint32_t>(cb);
    crc = shift(crc, words) ^ static_cast<uint32_t>(cc);
    p += 3 * third;
    n -= 3 * third;
  }
  return serial(crc, p, n);
}

struct Cpu {
  bool sse42 = false;
  bool pclmul = false;
};

Cpu detect_cpu() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return {};
  return {(ecx & bit_SSE4_2) != 0, (ecx & bit_PCLMUL) != 0};
}

const Cpu kCpu = detect_cpu();
#endif

}  // namespace

uint32_t crc32c(uint32_t crc, std::span<const std::byte> data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  crc = ~crc;
#if defined(__x86_64__)
  if (kCpu.sse42 && kCpu.pclmul) return ~interleaved(crc, p, data.size());
  if (kCpu.sse42) return ~serial(crc, p, data.size());
#endif
  return ~portable(crc, p, data.size());
}

uint32_t crc32c_portable(uint32_t crc, std::span<const std::byte> data) {
  return ~portable(~crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

}  // namespace junction::log
