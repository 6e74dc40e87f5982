#include "gateway/route_trie.h"

#include <algorithm>

namespace junction::gateway {
namespace {

bool segment_less(const std::pair<std::string, uint32_t>& entry, std::string_view segment) {
  return entry.first < segment;
}

}  // namespace

uint32_t RouteTrie::literal_child(uint32_t node, std::string_view segment) const {
  const auto& literals = nodes_[node].literals;
  auto it = std::lower_bound(literals.begin(), literals.end(), segment, segment_less);
  return it != literals.end() && it->first == segment ? it->second : kNone;
}

uint32_t RouteTrie::add_literal_child(uint32_t node, const std::string& segment) {
  if (uint32_t child = literal_child(node, segment); child != kNone) return child;
  auto child = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back();  // may reallocate: index nodes_ afresh below
  auto& literals = nodes_[node].literals;
  auto it = std::lower_bound(literals.begin(), literals.end(), segment, segment_less);
  literals.emplace(it, segment, child);
  return child;
}

uint32_t RouteTrie::add_param_child(uint32_t node) {
  if (nodes_[node].param != kNone) return nodes_[node].param;
  auto child = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back();
  nodes_[node].param = child;
  return child;
}

void RouteTrie::insert(const PathTemplate& path, uint32_t route) {
  uint32_t node = 0;
  for (const auto& s : path.segments()) {
    node = s.kind == PathTemplate::SegmentKind::kLiteral ? add_literal_child(node, s.text)
                                                         : add_param_child(node);
  }
  Node& n = nodes_[node];
  if (path.wildcard()) {
    n.wildcards.push_back(route);
  } else if (path.trailing_slash()) {
    n.ends_with_slash.push_back(route);
  } else {
    n.ends.push_back(route);
  }
}

void RouteTrie::collect(const NormalizedPath& path, Candidates& out) const {
  collect_from(0, 0, path, out);
}

void RouteTrie::collect_from(uint32_t node, size_t depth, const NormalizedPath& path,
                             Candidates& out) const {
  const Node& n = nodes_[node];
  if (depth == path.segment_count()) {
    const auto& ends = path.trailing_slash() ? n.ends_with_slash : n.ends;
    out.insert(out.end(), ends.begin(), ends.end());
    // A wildcard needs the slash after its prefix ("/static/"); the root's
    // own slash serves for "/*".
    if (path.trailing_slash() || depth == 0) {
      out.insert(out.end(), n.wildcards.begin(), n.wildcards.end());
    }
    return;
  }
  if (uint32_t child = literal_child(node, path.segment(depth)); child != kNone) {
    collect_from(child, depth + 1, path, out);
  }
  if (n.param != kNone) collect_from(n.param, depth + 1, path, out);
  out.insert(out.end(), n.wildcards.begin(), n.wildcards.end());
}

}  // namespace junction::gateway
