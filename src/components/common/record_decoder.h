#pragma once

#include <boost/json/parser.hpp>
#include <optional>
#include <string_view>

#include "components/common/csv.h"
#include "core/buffer.h"
#include "core/error.h"

namespace junction::components {

// How a line-oriented input turns its records into payloads.
enum class RecordFormat {
  kLines,  // every line as it is, empty ones included
  kJson,   // one JSON document per line; blank lines skipped
  kCsv,    // RFC 4180 rows under a header row, each as a JSON object of strings
};

std::optional<RecordFormat> parse_record_format(std::string_view name);

// Decodes the records of one stream (one file): a CSV stream's first
// non-blank record is its header.
class RecordDecoder {
 public:
  explicit RecordDecoder(RecordFormat format);

  RecordFormat format() const { return format_; }
  // The payload of `record`; nothing for a record that carries no message (a
  // blank JSON or CSV line, the CSV header); Error::invalid for a malformed one.
  Result<std::optional<Buffer>> decode(const Buffer& record);
  // For a CSV stream resumed after its header: the header record, read apart.
  Status set_header(std::string_view record) { return csv_.set_header(record); }
  bool needs_header() const { return format_ == RecordFormat::kCsv && !csv_.has_header(); }

 private:
  RecordFormat format_;
  CsvObjectEncoder csv_;
  boost::json::parser json_;  // reused: keeps its buffers between lines
};

// True when `text` holds nothing but spaces, tabs and carriage returns.
bool is_blank(std::string_view text);

}  // namespace junction::components
