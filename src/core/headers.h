#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace junction {

// Message headers: an ordered list of name/value pairs. Names compare
// case-insensitively, as in HTTP; most messages carry a handful, so a flat
// vector beats a map.
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  std::optional<std::string_view> get(std::string_view name) const;
  // Replaces every header of that name with one entry.
  void set(std::string_view name, std::string_view value);
  void add(std::string_view name, std::string_view value);
  void erase(std::string_view name);

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace junction
