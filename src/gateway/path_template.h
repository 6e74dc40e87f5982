#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "gateway/normalized_path.h"

namespace junction::gateway {

// The parameters a matched path template captured. Names view the template
// and values view the NormalizedPath: both must outlive the params.
class PathParams {
 public:
  using Entry = std::pair<std::string_view, std::string_view>;

  std::optional<std::string_view> get(std::string_view name) const;
  void add(std::string_view name, std::string_view value) { entries_.emplace_back(name, value); }
  void clear() { entries_.clear(); }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

// A compiled route path:
//   /v1/orders            exact: literal segments only
//   /v1/orders/{id}       a parameter matches one whole, non-empty segment
//   /static/*             a trailing wildcard captures the rest as param "*":
//                         it matches "/static/" (rest "") and "/static/a/b"
//                         (rest "a/b"), not "/static"
// A trailing slash is significant: "/a/" and "/a" are different templates
// and match different paths, because upstreams commonly treat them as
// different resources (a directory and a file) and relative links resolve
// differently against them.
// Literal segments are percent-decoded and checked by the same rules as
// request paths (see normalize_path), so "/a%20b" matches a request for
// "/a b" however the client encoded it; matching is case-sensitive.
class PathTemplate {
 public:
  enum class SegmentKind : uint8_t { kLiteral, kParam };
  struct Segment {
    SegmentKind kind;
    std::string text;  // the decoded literal, or the parameter name
  };

  // Error::invalid for an empty parameter name, a duplicate parameter name,
  // a '*' that is not the whole last segment, unbalanced braces, a
  // parameter that is not a whole segment, or a path normalize_path refuses.
  static Result<PathTemplate> compile(std::string_view pattern);

  // Whether `path` matches; on a match `params` holds the captures (it is
  // cleared first either way).
  bool match(const NormalizedPath& path, PathParams& params) const;
  // The params would view a path that is about to be destroyed.
  bool match(const NormalizedPath&& path, PathParams& params) const = delete;

  const std::string& pattern() const { return pattern_; }
  const std::vector<Segment>& segments() const { return segments_; }
  bool wildcard() const { return wildcard_; }
  bool trailing_slash() const { return trailing_slash_; }

 private:
  PathTemplate() = default;

  std::string pattern_;
  std::vector<Segment> segments_;  // without the wildcard
  bool wildcard_ = false;
  bool trailing_slash_ = false;
};

}  // namespace junction::gateway
