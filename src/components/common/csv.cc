#include "components/common/csv.h"

#include <unordered_map>

#include "observe/json_escape.h"

namespace junction::components {

Result<std::vector<std::string>> parse_csv_record(std::string_view record) {
  std::vector<std::string> fields;
  size_t i = 0;
  const size_t n = record.size();
  for (;;) {
    std::string field;
    if (i < n && record[i] == '"') {
      const size_t open = i++;
      for (;;) {
        if (i >= n) {
          return Error::invalid("quote opened at column " + std::to_string(open + 1) +
                                " is never closed");
        }
        if (record[i] == '"') {
          if (i + 1 < n && record[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(record[i++]);
      }
      if (i < n && record[i] != ',') {
        return Error::invalid("unexpected text after the closing quote at column " +
                              std::to_string(i + 1));
      }
    } else {
      size_t comma = record.find(',', i);
      if (comma == std::string_view::npos) comma = n;
      field.assign(record.substr(i, comma - i));
      i = comma;
    }
    fields.push_back(std::move(field));
    if (i >= n) break;
    ++i;  // the comma; a record ending in one has an empty last field
    if (i == n) {
      fields.emplace_back();
      break;
    }
  }
  return fields;
}

Status CsvObjectEncoder::set_header(std::string_view record) {
  auto fields = parse_csv_record(record);
  if (!fields.ok()) return fields.error().wrap("CSV header");
  columns_ = std::move(fields).value();
  shadowed_.assign(columns_.size(), false);
  std::unordered_map<std::string_view, size_t> last;
  for (size_t i = 0; i < columns_.size(); ++i) {
    auto [it, inserted] = last.try_emplace(columns_[i], i);
    if (!inserted) {
      shadowed_[it->second] = true;
      it->second = i;
    }
  }
  return ok_status();
}

Result<std::string> CsvObjectEncoder::encode(std::string_view record) const {
  auto fields = parse_csv_record(record);
  if (!fields.ok()) return fields.error();
  if (fields->size() != columns_.size()) {
    return Error::invalid("row has " + std::to_string(fields->size()) + " fields, the header has " +
                          std::to_string(columns_.size()));
  }
  std::string out;
  out.reserve(record.size() + columns_.size() * 8 + 2);
  out.push_back('{');
  bool first = true;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (shadowed_[i]) continue;
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    observe::detail::append_json_escaped(out, columns_[i]);
    out.append("\":\"");
    observe::detail::append_json_escaped(out, (*fields)[i]);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

}  // namespace junction::components
