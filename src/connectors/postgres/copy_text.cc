#include "connectors/postgres/copy_text.h"

#include <array>

namespace junction::connectors::postgres {
namespace {

// The letter that follows the backslash for each byte COPY must escape; 0
// for the bytes that go through as they are.
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> table{};
  table['\\'] = '\\';
  table['\t'] = 't';
  table['\n'] = 'n';
  table['\r'] = 'r';
  return table;
}();

}  // namespace

void append_copy_field(const Param& value, std::string& out) {
  if (!value) {
    out += "\\N";
    return;
  }
  // Copy runs of plain bytes at once: most values need no escape at all.
  const std::string& v = *value;
  size_t plain = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const char escaped = kEscapes[static_cast<unsigned char>(v[i])];
    if (escaped == 0) continue;
    out.append(v, plain, i - plain);
    out.push_back('\\');
    out.push_back(escaped);
    plain = i + 1;
  }
  out.append(v, plain, v.size() - plain);
}

std::string copy_text(std::span<const Param> values, size_t width, bool ordinals) {
  std::string out;
  if (width == 0) return out;
  size_t bytes = 0;
  for (const auto& v : values) bytes += v ? v->size() + 1 : 3;
  out.reserve(bytes + (ordinals ? values.size() / width * 8 : 0));
  const size_t rows = values.size() / width;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < width; ++c) {
      if (c) out.push_back('\t');
      append_copy_field(values[r * width + c], out);
    }
    if (ordinals) {
      out.push_back('\t');
      out += std::to_string(r);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace junction::connectors::postgres
