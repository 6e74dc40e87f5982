#include "gateway/access_log.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/sized_writer.h"
#include "observe/json_escape.h"

namespace junction::gateway {
namespace {

constexpr size_t kMaxLoggedPath = 512;
// The most one byte of a value becomes once escaped (\u00XX).
constexpr size_t kMaxEscapedBytesPerByte = 6;

// Sixteen bytes at a time (GCC's portable vector type: SSE2 on x86-64): a
// line's values are about 100 bytes, and byte by byte this check was a
// third of the line's cost.
bool needs_escape(std::string_view s) {
  using Bytes16 = unsigned char __attribute__((vector_size(16)));
  using Words2 = uint64_t __attribute__((vector_size(16)));
  const auto special = [](const char* block) {
    Bytes16 v;
    std::memcpy(&v, block, 16);
    const Bytes16 found = (v < 0x20) | (v >= 0x80) | (v == '"') | (v == '\\');
    Words2 w;
    std::memcpy(&w, &found, 16);
    return (w[0] | w[1]) != 0;
  };
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 16; p += 16, n -= 16) {
    if (special(p)) return true;
  }
  if (n == 0) return false;
  // The tail as one more block, padded with a letter: byte by byte, the
  // tails of a line's seven values cost more than all the rest of it.
  char tail[16];
  std::memset(tail, 'a', sizeof tail);
  std::memcpy(tail, p, n);
  return special(tail);
}

// The line's JSON pieces, written through a SizedWriter sized for the
// worst case up front.
class LineWriter {
 public:
  LineWriter(std::string& out, size_t most) : w_(out, most) {}

  void raw(std::string_view s) { w_.text(s); }
  void string(std::string_view key, std::string_view value) {
    w_.text(key);
    if (!needs_escape(value)) {
      w_.text(value);
    } else {
      std::string escaped;
      observe::detail::append_json_escaped(escaped, value);
      w_.text(escaped);
    }
    w_.put('"');
  }
  void number(std::string_view key, uint64_t value) { w_.text(key).number(value); }
  // Fixed-point milliseconds with three decimals: a JSON library would
  // write 0.037 as 3.7E-2, and printf-style formatting costs more than the
  // request.
  void millis(std::string_view key, double ms) {
    uint64_t micros = ms > 0 ? static_cast<uint64_t>(std::llround(ms * 1000)) : 0;
    number(key, micros / 1000);
    w_.put('.')
        .put(static_cast<char>('0' + micros / 100 % 10))
        .put(static_cast<char>('0' + micros / 10 % 10))
        .put(static_cast<char>('0' + micros % 10));
  }

 private:
  SizedWriter w_;
};

}  // namespace

void append_access_line(const AccessEntry& e, std::string& out) {
  char path[kMaxLoggedPath];
  const std::string_view target = e.target.substr(0, std::min(e.target.find('?'), kMaxLoggedPath));
  for (size_t i = 0; i < target.size(); ++i) {
    auto c = static_cast<unsigned char>(target[i]);
    path[i] = c < 0x20 || c >= 0x7f ? '?' : target[i];
  }
  const std::string_view strings[] = {e.request_id, e.method, target,    e.route,
                                      e.upstream,   e.client, e.identity};
  size_t bound = 256;  // the keys, numbers and punctuation
  for (auto v : strings) bound += v.size() * kMaxEscapedBytesPerByte;

  LineWriter w(out, bound);
  w.raw("{\"type\":\"access\"");
  w.string(",\"request_id\":\"", e.request_id);
  w.string(",\"method\":\"", e.method);
  w.string(",\"path\":\"", std::string_view(path, target.size()));
  w.string(",\"route\":\"", e.route);
  w.number(",\"status\":", e.status);
  w.string(",\"upstream\":\"", e.upstream);
  w.number(",\"attempts\":", static_cast<uint64_t>(std::max(e.attempts, 0)));
  w.number(",\"bytes_in\":", e.bytes_in);
  w.number(",\"bytes_out\":", e.bytes_out);
  w.string(",\"client\":\"", e.client);
  w.string(",\"identity\":\"", e.identity);
  w.millis(",\"latency_ms\":", e.latency_ms);
  w.raw("}");
}

std::string format_access_line(const AccessEntry& e) {
  std::string out;
  append_access_line(e, out);
  return out;
}

}  // namespace junction::gateway
