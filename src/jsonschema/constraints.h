#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace valijson {
class SchemaParser;
}

namespace junction::jsonschema {

// valijson checks `pattern` and `format` with std::regex, whose libstdc++
// matcher recurses once per character: a payload string of some 50 KB
// overflows the stack and kills the process. Schemas are therefore loaded
// with these keywords renamed (schema_files.cc), and the renamed keywords are
// checked here instead: `pattern` with Boost.Regex (iterative, and it gives
// up on runaway backtracking), `format` by a parser, no regex at all.
inline constexpr std::string_view kPatternKeyword = "x-junction-pattern";
inline constexpr std::string_view kFormatKeyword = "x-junction-format";

// Error::invalid when `pattern` is not a valid regular expression.
Status check_pattern(std::string_view pattern);

// Teaches `parser` the renamed keywords.
void add_safe_constraints(valijson::SchemaParser& parser);

// RFC 3339 formats, as JSON Schema defines them; other formats are not checked.
bool valid_format(std::string_view format, std::string_view value);

}  // namespace junction::jsonschema
