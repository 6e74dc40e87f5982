#pragma once

// The pieces of HTTP/1.1 syntax (RFC 9110, RFC 9112) that Junction's own
// message parsers share: field lines, tokens, lengths, versions.

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace junction::http::syntax {

inline constexpr std::string_view kCrlf = "\r\n";

// RFC 9110 5.6.2: a character of a field name, method or other token.
bool is_token_char(char c);
bool is_token(std::string_view s);
// Whether every byte may be in a field value, reason phrase or chunk
// extension: HTAB, space, visible ASCII and obs-text. A CR or LF would split
// the line, any other control character is refused too.
bool all_text(std::string_view s);
// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);

// Whether `token` (a field name or other token, already checked) is `lower`
// without case, where `lower` holds only lowercase letters, digits and '-'.
// Eight bytes at a time: setting bit 5 lowercases a letter and leaves digits
// and '-' alone, and it turns no other token character into one of those.
// A byte-wise case-insensitive compare cost ten instructions a character.
inline bool token_is(std::string_view token, std::string_view lower) {
  const size_t n = lower.size();
  if (token.size() != n) return false;
  constexpr uint64_t kCaseBits = 0x2020202020202020ULL;
  const auto word = [](const char* p) {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
  };
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      if ((token[i] | 0x20) != lower[i]) return false;
    }
    return true;
  }
  for (size_t i = 0; i + 8 <= n; i += 8) {
    if ((word(token.data() + i) | kCaseBits) != word(lower.data() + i)) return false;
  }
  // The tail, as the last eight bytes (overlapping what was compared).
  return (word(token.data() + n - 8) | kCaseBits) == word(lower.data() + n - 8);
}

// "Name: value", the value trimmed. No name, a space before the colon, or a
// folded line (which starts with a space) is http::error::bad_field, as RFC
// 9112 5.1-5.2 tell a recipient; a control character in the value is
// bad_value.
boost::system::error_code split_field(std::string_view line, std::string_view& name,
                                      std::string_view& value);

// A Content-Length value: one decimal number of at most 19 digits (a list,
// even of equal numbers, a sign or spaces inside are refused).
std::optional<uint64_t> parse_length(std::string_view value);

// "HTTP/1.0" -> 10, "HTTP/1.1" -> 11; anything else is not spoken here.
std::optional<unsigned> parse_version(std::string_view text);

// Calls each(element) on the non-empty elements of a comma-separated list,
// trimmed; stops early when it returns false.
template <class Each>
void for_each_element(std::string_view list, Each each) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view element = trim(list.substr(0, comma));
    if (!element.empty() && !each(element)) return;
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// Finds where a head ends ("\r\n\r\n") in the bytes so far, looking only
// at what earlier calls did not, so that a head arriving in many reads is
// scanned once.
class HeadEnd {
 public:
  // The head's size, its empty line included, once it is all in; 0 before,
  // with ec set to http::error::header_limit once it cannot fit `limit`.
  size_t find(std::string_view in, uint32_t limit, boost::system::error_code& ec);

 private:
  size_t scanned_ = 0;  // bytes known to hold no end
};

// Calls each(line) on every line of `lines` (without its CRLF) until it
// returns false; returns whether all returned true.
template <class Each>
bool for_each_line(std::string_view lines, Each each) {
  while (!lines.empty()) {
    const size_t eol = lines.find(kCrlf);
    if (!each(lines.substr(0, eol))) return false;
    if (eol == std::string_view::npos) return true;
    lines.remove_prefix(eol + kCrlf.size());
  }
  return true;
}

// What a head's framing and connection fields say, gathered field by field.
struct FramingFields {
  bool has_length = false;
  uint64_t length = 0;
  bool has_transfer_encoding = false;
  bool chunked = false;  // the last coding is chunked
  bool says_close = false;
  bool says_keep_alive = false;
  bool connection_says_more = false;     // a token other than keep-alive
  bool connection_names_fields = false;  // a token other than keep-alive and close

  // Takes a Content-Length, Transfer-Encoding or Connection value. Errors:
  // bad_content_length (not a number, or unlike an earlier one),
  // bad_transfer_encoding (chunked not last, no coding, or one that is no
  // token), bad_value (a Connection option that is no token).
  boost::system::error_code content_length(std::string_view value);
  boost::system::error_code transfer_encoding(std::string_view value);
  boost::system::error_code connection(std::string_view value);

  // Whether the connection may carry another message after this one.
  bool keep_alive(unsigned version) const {
    return version >= 11 ? !says_close : says_keep_alive && !says_close;
  }
};

}  // namespace junction::http::syntax
