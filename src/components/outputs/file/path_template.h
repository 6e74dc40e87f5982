#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::components {

// An output path that may contain {{date}}: the UTC date of the write
// (YYYY-MM-DD), which starts a new file every day.
class PathTemplate {
 public:
  // Error::invalid for any other {{placeholder}} or an unclosed "{{".
  static Result<PathTemplate> parse(std::string text);

  bool has_date() const { return has_date_; }
  std::string render(int64_t unix_ms) const;

 private:
  std::string text_;
  bool has_date_ = false;
};

}  // namespace junction::components
