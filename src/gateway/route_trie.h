#pragma once

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gateway/normalized_path.h"
#include "gateway/path_template.h"

namespace junction::gateway {

// Path templates in a segment trie, so that matching costs the depth of the
// path rather than the number of routes.
//
// collect() walks the trie depth-first, trying at each segment the literal
// child, then the parameter child, then the wildcards ending there. That
// order is the matching precedence: two templates are compared segment by
// segment from the left, and at the first difference a literal beats a
// parameter beats a wildcard (and a template that ends beats a wildcard that
// would capture nothing). Templates of the same shape keep insertion order.
class RouteTrie {
 public:
  // Route ids in precedence order; a handful in practice, so no allocation.
  using Candidates = boost::container::small_vector<uint32_t, 8>;

  void insert(const PathTemplate& path, uint32_t route);
  // Appends every route whose template matches `path`, most specific first.
  void collect(const NormalizedPath& path, Candidates& out) const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Node {
    std::vector<std::pair<std::string, uint32_t>> literals;  // sorted by segment
    uint32_t param = kNone;
    std::vector<uint32_t> ends;             // templates ending here
    std::vector<uint32_t> ends_with_slash;  // ... with a trailing slash
    std::vector<uint32_t> wildcards;        // templates whose '*' follows here
  };

  uint32_t literal_child(uint32_t node, std::string_view segment) const;
  uint32_t add_literal_child(uint32_t node, const std::string& segment);
  uint32_t add_param_child(uint32_t node);
  void collect_from(uint32_t node, size_t depth, const NormalizedPath& path, Candidates& out) const;

  std::vector<Node> nodes_ = std::vector<Node>(1);  // nodes_[0] is the root
};

}  // namespace junction::gateway
