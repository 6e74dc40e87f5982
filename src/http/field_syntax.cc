#include "http/field_syntax.h"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cstring>

namespace junction::http::syntax {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr std::array<bool, 256> make_token_chars() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kTokenChars = make_token_chars();

constexpr std::array<bool, 256> make_text_chars() {
  std::array<bool, 256> t{};
  t['\t'] = true;
  for (int c = 0x20; c <= 0xff; ++c) t[c] = c != 0x7f;
  return t;
}
constexpr auto kTextChars = make_text_chars();

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

bool is_token_char(char c) {
  return kTokenChars[static_cast<unsigned char>(c)];
}

// Sixteen bytes at a time, the tail padded to a block: a block with no byte
// below 0x20 and none equal to 0x7f is all text; only a block with one (a
// tab, or a bad byte) is looked at byte by byte. Field values are most of a head's bytes
// (a bearer token alone is about 180). The 16-byte step is GCC's portable
// vector type: SSE2 on x86-64, NEON on ARM.
bool all_text(std::string_view s) {
  using Bytes16 = unsigned char __attribute__((vector_size(16)));
  using Words2 = uint64_t __attribute__((vector_size(16)));
  const auto bytes_ok = [](const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (!kTextChars[static_cast<unsigned char>(p[i])]) return false;
    }
    return true;
  };
  const char* p = s.data();
  size_t n = s.size();
  // Whether a block has no byte below 0x20 and none equal to 0x7f.
  const auto block_ok = [](const char* block) {
    Bytes16 v;
    std::memcpy(&v, block, 16);
    const Bytes16 bad = (v < 0x20) | (v == 0x7f);
    Words2 w;
    std::memcpy(&w, &bad, 16);
    return (w[0] | w[1]) == 0;
  };
  for (; n >= 16; p += 16, n -= 16) {
    if (!block_ok(p) && !bytes_ok(p, 16)) return false;
  }
  if (n == 0) return true;
  // The tail as one more block, padded with a letter: byte by byte, the
  // tails of a head's values were most of this function's cost.
  char tail[16];
  std::memset(tail, 'a', sizeof tail);
  std::memcpy(tail, p, n);
  return block_ok(tail) || bytes_ok(p, n);
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

error_code split_field(std::string_view line, std::string_view& name, std::string_view& value) {
  size_t colon = 0;
  while (colon < line.size() && kTokenChars[static_cast<unsigned char>(line[colon])]) ++colon;
  if (colon == 0 || colon == line.size() || line[colon] != ':') return bhttp::error::bad_field;
  name = line.substr(0, colon);
  value = trim(line.substr(colon + 1));
  if (!all_text(value)) return bhttp::error::bad_value;
  return {};
}

std::optional<uint64_t> parse_length(std::string_view value) {
  if (value.empty() || value.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::optional<unsigned> parse_version(std::string_view text) {
  if (text == "HTTP/1.1") return 11;
  if (text == "HTTP/1.0") return 10;
  return std::nullopt;
}

size_t HeadEnd::find(std::string_view in, uint32_t limit, error_code& ec) {
  // From where the last call stopped, less what may be a split "\r\n\r".
  const size_t from = scanned_ > 3 ? scanned_ - 3 : 0;
  const size_t end = in.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    if (in.size() >= limit) ec = bhttp::error::header_limit;
    scanned_ = in.size();
    return 0;
  }
  scanned_ = 0;
  const size_t size = end + 4;
  if (size > limit) {
    ec = bhttp::error::header_limit;
    return 0;
  }
  return size;
}

error_code FramingFields::content_length(std::string_view value) {
  const auto parsed = parse_length(value);
  if (!parsed || (has_length && *parsed != length)) return bhttp::error::bad_content_length;
  has_length = true;
  length = *parsed;
  return {};
}

error_code FramingFields::transfer_encoding(std::string_view value) {
  bool any = false;
  bool bad = false;
  for_each_element(value, [&](std::string_view coding) {
    // Chunked must be the last coding applied (RFC 9112 6.1).
    const std::string_view name = trim(coding.substr(0, coding.find(';')));
    if (chunked || !is_token(name)) bad = true;
    chunked = boost::beast::iequals(name, "chunked");
    any = true;
    return !bad;
  });
  if (bad || !any) return bhttp::error::bad_transfer_encoding;
  has_transfer_encoding = true;
  return {};
}

error_code FramingFields::connection(std::string_view value) {
  // What nearly every HTTP/1.1 peer sends, said without parsing a list. (A
  // value passed all_text(): none of its bytes but a capital letter turns
  // into a letter or '-' under token_is().)
  if (token_is(value, "keep-alive")) {
    says_keep_alive = true;
    return {};
  }
  bool bad = false;
  for_each_element(value, [&](std::string_view option) {
    if (!is_token(option)) {
      bad = true;
    } else if (boost::beast::iequals(option, "close")) {
      says_close = true;
      connection_says_more = true;
    } else if (boost::beast::iequals(option, "keep-alive")) {
      says_keep_alive = true;
    } else {
      connection_says_more = true;
      connection_names_fields = true;
    }
    return !bad;
  });
  return bad ? error_code{bhttp::error::bad_value} : error_code{};
}

}  // namespace junction::http::syntax
