#include "http/client_response_parser.h"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <cstring>

#include "http/hop_by_hop.h"

namespace junction::http {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr std::string_view kCrlf = "\r\n";
// A chunk-size line with its extensions; longer ones are refused.
constexpr size_t kMaxChunkLine = 4096;

// RFC 9110 5.6.2: the characters of a field name or any other token.
constexpr std::array<bool, 256> make_token_chars() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kTokenChars = make_token_chars();

// What a field value, reason phrase or chunk extension may hold: HTAB,
// visible ASCII, space, and obs-text. A CR or LF here would split the line.
constexpr std::array<bool, 256> make_text_chars() {
  std::array<bool, 256> t{};
  t['\t'] = true;
  for (int c = 0x20; c <= 0xff; ++c) t[c] = c != 0x7f;
  return t;
}
constexpr auto kTextChars = make_text_chars();

// Eight bytes at a time: a word with no byte below 0x20 and none equal to
// 0x7f is all text; only a word with one (a tab, or a bad byte) is looked
// at byte by byte. Field values are most of a head's bytes.
bool all_text(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
    const uint64_t x = w ^ (kOnes * 0x7f);
    const uint64_t del = (x - kOnes) & ~x & kHighs;
    if ((below_space | del) == 0) continue;
    for (size_t j = i; j < i + 8; ++j) {
      if (!kTextChars[static_cast<unsigned char>(s[j])]) return false;
    }
  }
  for (; i < s.size(); ++i) {
    if (!kTextChars[static_cast<unsigned char>(s[i])]) return false;
  }
  return true;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Calls each(element) for the non-empty elements of a comma-separated list,
// trimmed; stops early when each returns false.
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

// One decimal number of at most 19 digits, so that it fits.
bool parse_length(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

// "Name: value" with the value trimmed. No name, a space before the colon,
// or a folded line (which starts with a space) is bad_field, as RFC 9112
// 5.1-5.2 tells a recipient; a control character in the value bad_value.
error_code split_field(std::string_view line, std::string_view& name, std::string_view& value) {
  size_t colon = 0;
  while (colon < line.size() && kTokenChars[static_cast<unsigned char>(line[colon])]) ++colon;
  if (colon == 0 || colon == line.size() || line[colon] != ':') return bhttp::error::bad_field;
  name = line.substr(0, colon);
  value = trim(line.substr(colon + 1));
  if (!all_text(value)) return bhttp::error::bad_value;
  return {};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

size_t ClientResponseParser::put(boost::asio::const_buffer bytes, error_code& ec) {
  const std::string_view in(static_cast<const char*>(bytes.data()), bytes.size());
  size_t used = 0;
  ec = {};
  while (state_ != State::kDone) {
    const std::string_view rest = in.substr(used);
    size_t n = 0;
    switch (state_) {
      case State::kHead:
        n = put_head(rest, ec);
        break;
      case State::kLength:
      case State::kChunkData:
        n = static_cast<size_t>(std::min<uint64_t>(rest.size(), remaining_));
        if (!append_body(rest.substr(0, n), ec)) break;
        remaining_ -= n;
        if (remaining_ == 0) state_ = state_ == State::kLength ? State::kDone : State::kChunkEnd;
        break;
      case State::kChunkSize:
        n = put_chunk_size(rest, ec);
        break;
      case State::kChunkEnd:
        if (rest.size() < kCrlf.size()) break;
        if (rest.substr(0, kCrlf.size()) != kCrlf) {
          ec = bhttp::error::bad_chunk;
          break;
        }
        n = kCrlf.size();
        state_ = State::kChunkSize;
        break;
      case State::kTrailers:
        n = put_trailers(rest, ec);
        break;
      case State::kUntilClose:
        n = rest.size();
        append_body(rest, ec);
        break;
      case State::kDone:
        break;
    }
    used += n;
    if (ec) return used;
    if (n == 0 && state_ != State::kDone) {
      ec = bhttp::error::need_more;
      return used;
    }
  }
  return used;
}

void ClientResponseParser::put_eof(error_code& ec) {
  ec = {};
  if (state_ == State::kUntilClose) {
    state_ = State::kDone;
  } else if (state_ != State::kDone) {
    ec = bhttp::error::partial_message;
  }
}

size_t ClientResponseParser::put_head(std::string_view in, error_code& ec) {
  if (in.empty()) return 0;
  got_some_ = true;
  // Where the last call stopped looking, less what may be a split "\r\n\r".
  const size_t from = scanned_ > 3 ? scanned_ - 3 : 0;
  const size_t end = in.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    if (in.size() >= header_limit_) ec = bhttp::error::header_limit;
    scanned_ = in.size();
    return 0;
  }
  const size_t head_size = end + 4;
  if (head_size > header_limit_) {
    ec = bhttp::error::header_limit;
    return 0;
  }
  scanned_ = 0;
  if (!parse_head(in.substr(0, end + kCrlf.size()), ec)) return 0;
  const unsigned status = message_.result_int();
  if (status < 200 && status != 101) {
    // An interim answer (100 Continue, 103 Early Hints): the final one follows.
    message_ = Response{};
    has_length_ = has_transfer_encoding_ = chunked_ = says_close_ = says_keep_alive_ = false;
    length_ = 0;
    return head_size;
  }
  begin_body(ec);
  return head_size;
}

// `head` is the status line and the fields, each ending in CRLF.
bool ClientResponseParser::parse_head(std::string_view head, error_code& ec) {
  size_t eol = head.find(kCrlf);
  if (!parse_status_line(head.substr(0, eol), ec)) return false;
  for (size_t pos = eol + kCrlf.size(); pos < head.size(); pos = eol + kCrlf.size()) {
    eol = head.find(kCrlf, pos);
    if (!parse_field(head.substr(pos, eol - pos), ec)) return false;
  }
  if (has_length_ && has_transfer_encoding_) {
    // Which one frames the body is what request smuggling plays on.
    ec = bhttp::error::bad_transfer_encoding;
    return false;
  }
  keep_alive_ = message_.version() >= 11 ? !says_close_ : says_keep_alive_ && !says_close_;
  return true;
}

// "HTTP/1.1 200 OK"; the reason may be empty, and so may its space.
bool ClientResponseParser::parse_status_line(std::string_view line, error_code& ec) {
  constexpr std::string_view kName = "HTTP/1.";
  if (line.size() < 12 || line.substr(0, kName.size()) != kName || line[7] < '0' || line[7] > '9' ||
      line[8] != ' ') {
    ec = bhttp::error::bad_version;
    return false;
  }
  unsigned status = 0;
  for (const char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') {
      ec = bhttp::error::bad_status;
      return false;
    }
    status = status * 10 + static_cast<unsigned>(c - '0');
  }
  if (status < 100 || (line.size() > 12 && line[12] != ' ')) {
    ec = bhttp::error::bad_status;
    return false;
  }
  const std::string_view reason = line.size() > 13 ? line.substr(13) : std::string_view{};
  if (!all_text(reason)) {
    ec = bhttp::error::bad_reason;
    return false;
  }
  message_.version(10 + static_cast<unsigned>(line[7] - '0'));
  message_.result(status);
  // Storing a reason costs an allocation; the standard one is written anyway.
  if (reason != bhttp::obsolete_reason(message_.result())) message_.reason(reason);
  return true;
}

bool ClientResponseParser::parse_field(std::string_view line, error_code& ec) {
  std::string_view name;
  std::string_view value;
  ec = split_field(line, name, value);
  if (ec) return false;
  const bhttp::field known = bhttp::string_to_field(name);
  bool store = !is_hop_by_hop(known);
  switch (known) {
    case bhttp::field::content_length: {
      uint64_t length = 0;
      if (!parse_length(value, length) || (has_length_ && length != length_)) {
        ec = bhttp::error::bad_content_length;
        return false;
      }
      has_length_ = true;
      length_ = length;
      break;
    }
    case bhttp::field::transfer_encoding: {
      bool any = false;
      bool bad = false;
      for_each_element(value, [&](std::string_view coding) {
        // Chunked must be the last coding applied (RFC 9112 6.1).
        if (chunked_) bad = true;
        chunked_ = boost::beast::iequals(trim(coding.substr(0, coding.find(';'))), "chunked");
        any = true;
        return !bad;
      });
      if (bad || !any) {
        ec = bhttp::error::bad_transfer_encoding;
        return false;
      }
      has_transfer_encoding_ = true;
      break;
    }
    case bhttp::field::connection: {
      bool names_others = false;
      for_each_element(value, [&](std::string_view option) {
        if (boost::beast::iequals(option, "close")) {
          says_close_ = true;
          names_others = true;
        } else if (boost::beast::iequals(option, "keep-alive")) {
          says_keep_alive_ = true;
        } else {
          names_others = true;
        }
        return true;
      });
      // "keep-alive" alone on HTTP/1.1 says the default: nothing to keep.
      store = names_others || message_.version() < 11;
      break;
    }
    default:
      break;
  }
  if (store) message_.insert(known, name, value);
  return true;
}

void ClientResponseParser::begin_body(error_code& ec) {
  const unsigned status = message_.result_int();
  if (head_request_ || status < 200 || status == 204 || status == 304) {
    state_ = State::kDone;
  } else if (chunked_) {
    state_ = State::kChunkSize;
  } else if (has_transfer_encoding_ || !has_length_) {
    // Another coding, or no framing at all: the body ends with the connection.
    state_ = State::kUntilClose;
    until_close_ = true;
    keep_alive_ = false;
  } else if (length_ > body_limit_) {
    ec = bhttp::error::body_limit;
  } else if (length_ == 0) {
    state_ = State::kDone;
  } else {
    message_.body().reserve(static_cast<size_t>(length_));
    remaining_ = length_;
    state_ = State::kLength;
  }
}

// chunk-size [ chunk-ext ] CRLF
size_t ClientResponseParser::put_chunk_size(std::string_view in, error_code& ec) {
  const size_t eol = in.find(kCrlf);
  if (eol == std::string_view::npos) {
    if (in.size() > kMaxChunkLine) ec = bhttp::error::bad_chunk;
    return 0;
  }
  const std::string_view line = in.substr(0, eol);
  uint64_t size = 0;
  size_t digits = 0;
  for (; digits < line.size(); ++digits) {
    const int v = hex_value(line[digits]);
    if (v < 0) break;
    if (size > (UINT64_MAX >> 4)) {
      ec = bhttp::error::bad_chunk;
      return 0;
    }
    size = (size << 4) | static_cast<uint64_t>(v);
  }
  const std::string_view extensions = trim(line.substr(digits));
  if (digits == 0 || eol > kMaxChunkLine) {
    ec = bhttp::error::bad_chunk;
    return 0;
  }
  if (!extensions.empty() && (extensions.front() != ';' || !all_text(extensions))) {
    ec = bhttp::error::bad_chunk_extension;
    return 0;
  }
  if (size == 0) {
    state_ = State::kTrailers;
    scanned_ = 0;
  } else if (size > body_limit_ - std::min<uint64_t>(body_limit_, message_.body().size())) {
    ec = bhttp::error::body_limit;
    return 0;
  } else {
    remaining_ = size;
    state_ = State::kChunkData;
  }
  return eol + kCrlf.size();
}

// The trailer fields after the last chunk, up to an empty line: checked as
// fields are and dropped, within the head's limit.
size_t ClientResponseParser::put_trailers(std::string_view in, error_code& ec) {
  size_t used = 0;
  for (;;) {
    const size_t eol = in.find(kCrlf, used);
    if (eol == std::string_view::npos) {
      if (scanned_ + (in.size() - used) > header_limit_) ec = bhttp::error::header_limit;
      return used;
    }
    const std::string_view line = in.substr(used, eol - used);
    used = eol + kCrlf.size();
    scanned_ += line.size() + kCrlf.size();
    if (scanned_ > header_limit_) {
      ec = bhttp::error::header_limit;
      return used;
    }
    if (line.empty()) {
      state_ = State::kDone;
      return used;
    }
    std::string_view name;
    std::string_view value;
    ec = split_field(line, name, value);
    if (ec) return used;
  }
}

bool ClientResponseParser::append_body(std::string_view bytes, error_code& ec) {
  std::string& body = message_.body();
  if (bytes.size() > body_limit_ - std::min<uint64_t>(body_limit_, body.size())) {
    ec = bhttp::error::body_limit;
    return false;
  }
  body.append(bytes);
  return true;
}

}  // namespace junction::http
