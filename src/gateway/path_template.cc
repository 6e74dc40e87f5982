#include "gateway/path_template.h"

#include <algorithm>
#include <utility>

namespace junction::gateway {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// The raw segments between slashes, without the leading empty one; a
// trailing slash leaves an empty last segment.
std::vector<std::string_view> split_raw(std::string_view pattern) {
  std::vector<std::string_view> parts;
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t slash = pattern.find('/', start);
    if (slash == std::string_view::npos) slash = pattern.size();
    parts.push_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

std::optional<std::string_view> PathParams::get(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (n == name) return v;
  }
  return std::nullopt;
}

Result<PathTemplate> PathTemplate::compile(std::string_view pattern) {
  auto fail = [&](std::string_view why) {
    return Error::invalid("path template '" + std::string(pattern) + "': " + std::string(why));
  };
  if (pattern.empty() || pattern.front() != '/') return fail("must start with '/'");
  if (pattern.find('?') != std::string_view::npos) return fail("must not contain '?'");

  PathTemplate t;
  t.pattern_ = std::string(pattern);
  std::vector<std::string_view> raw = split_raw(pattern);
  // "/" splits into one empty part; "/a/" into {a, ""}.
  if (raw.back().empty()) {
    raw.pop_back();
    t.trailing_slash_ = !raw.empty();
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string_view part = raw[i];
    if (part == "*") {
      if (i + 1 != raw.size() || t.trailing_slash_) return fail("'*' must be the last segment");
      t.wildcard_ = true;
      continue;
    }
    auto opens = std::count(part.begin(), part.end(), '{');
    auto closes = std::count(part.begin(), part.end(), '}');
    if (opens != closes) return fail("unbalanced braces in '" + std::string(part) + "'");
    if (opens > 0) {
      if (opens > 1 || part.front() != '{' || part.back() != '}') {
        return fail("a parameter must be a whole segment, not '" + std::string(part) + "'");
      }
      std::string_view name = part.substr(1, part.size() - 2);
      if (name.empty()) return fail("empty parameter name '{}'");
      if (!std::all_of(name.begin(), name.end(), is_name_char)) {
        return fail("parameter name '" + std::string(name) +
                    "' may only use letters, digits, '_' and '-'");
      }
      for (const auto& s : t.segments_) {
        if (s.kind == SegmentKind::kParam && s.text == name) {
          return fail("duplicate parameter '" + std::string(name) + "'");
        }
      }
      t.segments_.push_back({SegmentKind::kParam, std::string(name)});
      continue;
    }
    if (part.find('*') != std::string_view::npos) {
      return fail("'*' must be a whole segment, not '" + std::string(part) + "'");
    }
    t.segments_.push_back({SegmentKind::kLiteral, std::string(part)});
  }

  // Literals obey the request-path rules, decoded the same way, so that a
  // template can only match paths normalize_path lets through.
  auto normalized = detail::normalize(pattern, "path template '" + std::string(pattern) + "': ");
  if (!normalized) return std::move(normalized).error();
  size_t literal_count = t.segments_.size() + (t.wildcard_ ? 1 : 0);
  if (normalized->segment_count() != literal_count) return fail("empty segment ('//')");
  for (size_t i = 0; i < t.segments_.size(); ++i) {
    if (t.segments_[i].kind == SegmentKind::kLiteral) {
      t.segments_[i].text = std::string(normalized->segment(i));
    }
  }
  return t;
}

bool PathTemplate::match(const NormalizedPath& path, PathParams& params) const {
  params.clear();
  size_t n = segments_.size();
  if (wildcard_) {
    // The wildcard needs the slash after the prefix: "/static/" or deeper.
    bool slash_after_prefix = path.segment_count() > n ||
                              (path.segment_count() == n && (n == 0 || path.trailing_slash()));
    if (!slash_after_prefix) return false;
  } else if (path.segment_count() != n || path.trailing_slash() != trailing_slash_) {
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    const Segment& s = segments_[i];
    std::string_view value = path.segment(i);
    if (s.kind == SegmentKind::kLiteral) {
      if (value != s.text) {
        params.clear();
        return false;
      }
    } else {
      params.add(s.text, value);
    }
  }
  if (wildcard_) params.add("*", path.rest_from(n));
  return true;
}

}  // namespace junction::gateway
