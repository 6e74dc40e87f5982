#include "gateway/normalized_path.h"

#include <optional>

namespace junction::gateway {
namespace {

std::optional<int> hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

// Taken as it is: printable ASCII that is neither a separator nor one of
// the characters checked below ('%', '\\', '#').
bool is_plain(char c) {
  return c > 0x20 && c < 0x7f && c != '/' && c != '%' && c != '\\' && c != '#';
}

// Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < lo || second > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if (b < 0x80 || b > 0xbf) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

std::string_view NormalizedPath::segment(size_t i) const {
  auto [offset, length] = segments_[i];
  return std::string_view(decoded_).substr(offset, length);
}

std::string_view NormalizedPath::rest_from(size_t i) const {
  if (i >= segments_.size()) return {};
  return std::string_view(decoded_).substr(segments_[i].first);
}

Result<NormalizedPath> normalize_path(std::string_view target) {
  return detail::normalize(target, "invalid request path: ");
}

Result<NormalizedPath> detail::normalize(std::string_view target, std::string_view error_prefix) {
  auto bad_path = [&](std::string_view why) {
    return Error::invalid(std::string(error_prefix) + std::string(why));
  };
  std::string_view path = target;
  std::string_view query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  if (path.empty() || path.front() != '/') return bad_path("it must start with '/'");

  NormalizedPath out;
  out.decoded_.reserve(path.size());
  out.decoded_.push_back('/');
  size_t i = 1;
  while (true) {
    size_t start = out.decoded_.size();
    while (i < path.size() && path[i] != '/') {
      // A run of plain characters is copied whole.
      size_t run = i;
      while (run < path.size() && is_plain(path[run])) ++run;
      if (run > i) {
        out.decoded_.append(path.data() + i, run - i);
        i = run;
        continue;
      }
      char c = path[i];
      if (c == '%') {
        std::optional<int> h, l;
        if (i + 2 < path.size()) {
          h = hex_value(path[i + 1]);
          l = hex_value(path[i + 2]);
        }
        if (!h || !l) return bad_path("'%' must be followed by two hex digits");
        c = static_cast<char>(*h * 16 + *l);
        if (c == '/' || c == '\\') return bad_path("encoded '/' or '\\' (%2F, %5C)");
        i += 3;
      } else {
        if (c == '\\') return bad_path("'\\' is not a path separator");
        if (c == '#') return bad_path("a fragment ('#') is never sent to a server");
        ++i;
      }
      if (is_control(static_cast<unsigned char>(c))) return bad_path("control character");
      out.decoded_.push_back(c);
    }
    auto segment = std::string_view(out.decoded_).substr(start);
    bool at_end = i >= path.size();
    if (segment.empty()) {
      if (!at_end) return bad_path("empty segment ('//')");
      out.trailing_slash_ = !out.segments_.empty();
      break;
    }
    if (segment == "." || segment == "..") return bad_path("'.' and '..' segments are refused");
    out.segments_.emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(segment.size()));
    if (at_end) break;
    out.decoded_.push_back('/');
    ++i;
  }
  if (!valid_utf8(out.decoded_)) return bad_path("decoded bytes are not UTF-8");
  out.query_ = std::string(query);
  return out;
}

}  // namespace junction::gateway
