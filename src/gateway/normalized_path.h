#pragma once

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"

namespace junction::gateway {

// A request path that is safe to match: percent-decoded once, split into
// segments on the slashes the client actually sent. Built only by
// normalize_path().
class NormalizedPath;

namespace detail {
// normalize_path with another prefix on its errors, so that a path template
// can name itself rather than "request path".
Result<NormalizedPath> normalize(std::string_view target, std::string_view error_prefix);
}  // namespace detail

class NormalizedPath {
 public:
  // The whole decoded path, e.g. "/v1/orders/a b/". Unambiguous, because
  // encoded slashes were refused.
  std::string_view decoded() const { return decoded_; }
  // The raw query after '?', not decoded; empty when there is none.
  std::string_view query() const { return query_; }

  size_t segment_count() const { return segments_.size(); }
  std::string_view segment(size_t i) const;
  // "/a/b/" has segments {a, b} and a trailing slash; "/" has no segments
  // and no trailing slash.
  bool trailing_slash() const { return trailing_slash_; }
  // The decoded path after the slash that precedes segment i ("" when i is
  // the segment count): what a trailing wildcard captures.
  std::string_view rest_from(size_t i) const;

 private:
  friend Result<NormalizedPath> detail::normalize(std::string_view, std::string_view);

  std::string decoded_;
  std::string query_;
  // Offset and length in decoded_: views would dangle when the path moves.
  // Inline for the usual few segments: no allocation per request.
  boost::container::small_vector<std::pair<uint32_t, uint32_t>, 8> segments_;
  bool trailing_slash_ = false;
};

// Decodes and checks the origin-form request target ("/path?query"). Paths
// a client has no honest reason to send are refused with Error::invalid
// (the server answers 400), instead of being resolved or matched in a way
// that the upstream might interpret differently:
//   - not starting with '/', or containing '#'
//   - '%' not followed by two hex digits
//   - an encoded '/' or '\' (%2F, %5C), or a raw '\': they would let a
//     parameter span segments, or be read as a separator by some upstream
//   - a control character, raw or encoded (%00 NUL, CR, LF, ...)
//   - a "." or ".." segment, raw or encoded (%2e%2e): never resolved, so the
//     gateway and the upstream cannot disagree on which resource is meant
//   - an empty segment ("//")
//   - decoded bytes that are not UTF-8
// Everything else is decoded exactly once; '+' stays '+'.
Result<NormalizedPath> normalize_path(std::string_view target);

}  // namespace junction::gateway
