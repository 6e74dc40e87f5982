#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace junction::components {

// Splits one CSV record (RFC 4180: comma-separated, fields optionally in
// double quotes, "" for a quote inside them, line breaks allowed inside
// quotes) into its fields. A quote inside an unquoted field is kept as data,
// as most producers expect; text after a closing quote, or a quote never
// closed, is Error::invalid.
Result<std::vector<std::string>> parse_csv_record(std::string_view record);

// A CSV header and the rows under it, as JSON objects {column: "value"}.
class CsvObjectEncoder {
 public:
  // A repeated column name keeps its last column, as JSON parsers keep the
  // last of repeated keys.
  Status set_header(std::string_view record);
  bool has_header() const { return !columns_.empty(); }
  // One JSON object per row; a row with another number of fields than the
  // header is Error::invalid.
  Result<std::string> encode(std::string_view record) const;

 private:
  std::vector<std::string> columns_;
  std::vector<bool> shadowed_;  // a later column has the same name
};

}  // namespace junction::components
