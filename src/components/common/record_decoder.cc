#include "components/common/record_decoder.h"

#include <boost/json/monotonic_resource.hpp>

namespace junction::components {

std::optional<RecordFormat> parse_record_format(std::string_view name) {
  if (name == "lines") return RecordFormat::kLines;
  if (name == "json") return RecordFormat::kJson;
  if (name == "csv") return RecordFormat::kCsv;
  return std::nullopt;
}

namespace {

boost::json::parse_options json_options() {
  boost::json::parse_options o;
  o.max_depth = 512;  // the default of 32 rejects documents real producers emit
  return o;
}

}  // namespace

RecordDecoder::RecordDecoder(RecordFormat format)
    : format_(format), json_(boost::json::storage_ptr(), json_options()) {}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r") == std::string_view::npos;
}

Result<std::optional<Buffer>> RecordDecoder::decode(const Buffer& record) {
  switch (format_) {
    case RecordFormat::kLines:
      return std::optional<Buffer>(record);
    case RecordFormat::kJson: {
      if (is_blank(record.view())) return std::optional<Buffer>();
      // Parsed only to reject what is not JSON; the DOM goes to a scratch arena.
      unsigned char scratch[4096];
      boost::json::monotonic_resource arena(scratch, sizeof scratch);
      boost::system::error_code ec;
      json_.reset(&arena);
      json_.write(record.data(), record.size(), ec);
      json_.reset();
      if (ec) return Error::invalid("not JSON: " + ec.message());
      return std::optional<Buffer>(record);
    }
    case RecordFormat::kCsv: {
      if (is_blank(record.view())) return std::optional<Buffer>();
      if (!csv_.has_header()) {
        Status s = csv_.set_header(record.view());
        if (!s.ok()) return s.error();
        return std::optional<Buffer>();
      }
      auto row = csv_.encode(record.view());
      if (!row.ok()) return row.error();
      return std::optional<Buffer>(Buffer(std::move(row).value()));
    }
  }
  return std::optional<Buffer>();
}

}  // namespace junction::components
