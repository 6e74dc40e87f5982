#include "connectors/postgres/message_values.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <ctime>

#include "fmt/format.h"

namespace junction::connectors::postgres {
namespace {

std::vector<std::string> split_path(std::string_view s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = s.find('.', start);
    parts.emplace_back(s.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// A JSON value as PostgreSQL takes it in text form: strings bare, numbers
// and booleans as written, objects and arrays as JSON (for json columns).
Param text_of(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return std::nullopt;
    case boost::json::kind::string:
      return std::string(v.get_string());
    case boost::json::kind::bool_:
      return std::string(v.get_bool() ? "true" : "false");
    case boost::json::kind::int64:
      return std::to_string(v.get_int64());
    case boost::json::kind::uint64:
      return std::to_string(v.get_uint64());
    case boost::json::kind::double_:
      return fmt::format("{}", v.get_double());  // shortest exact form: 12.5, not 1.25E1
    default:
      return boost::json::serialize(v);
  }
}

const boost::json::value* find_path(const boost::json::value& root,
                                    const std::vector<std::string>& path) {
  const boost::json::value* at = &root;
  for (const auto& part : path) {
    const auto* obj = at->if_object();
    if (!obj) return nullptr;
    at = obj->if_contains(part);
    if (!at) return nullptr;
  }
  return at;
}

// How the spec names a source, for error messages.
std::string source_name(const ColumnSource& source) {
  using Kind = ColumnSource::Kind;
  switch (source.kind) {
    case Kind::kKey:
      return "$key";
    case Kind::kId:
      return "$id";
    case Kind::kTimestamp:
      return "$timestamp";
    case Kind::kTimestampMs:
      return "$timestamp_ms";
    case Kind::kPayload:
      return "$payload";
    case Kind::kField:
      break;
  }
  std::string path;
  for (const auto& part : source.path) {
    if (!path.empty()) path.push_back('.');
    path += part;
  }
  return path;
}

}  // namespace

Result<ColumnSource> column_source(std::string_view spec) {
  using Kind = ColumnSource::Kind;
  if (spec.empty()) return Error::invalid("a column's source must not be empty");
  if (spec.front() == '$') {
    if (spec == "$key") return ColumnSource{Kind::kKey, {}};
    if (spec == "$id") return ColumnSource{Kind::kId, {}};
    if (spec == "$timestamp") return ColumnSource{Kind::kTimestamp, {}};
    if (spec == "$timestamp_ms") return ColumnSource{Kind::kTimestampMs, {}};
    if (spec == "$payload") return ColumnSource{Kind::kPayload, {}};
    return Error::invalid(
        fmt::format("unknown column source '{}': use a field path or $key, $id, $timestamp, "
                    "$timestamp_ms, $payload",
                    spec));
  }
  auto path = split_path(spec);
  for (const auto& p : path) {
    if (p.empty()) return Error::invalid(fmt::format("field path '{}' has an empty part", spec));
  }
  return ColumnSource{Kind::kField, std::move(path)};
}

std::string iso8601_utc(int64_t ms) {
  int64_t secs = ms / 1000;
  int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

Status append_values(std::span<const ColumnSource> sources, const Message& msg,
                     std::vector<Param>& params) {
  using Kind = ColumnSource::Kind;
  // The document lives only for this call: a bump allocator on the stack
  // spares a malloc and a free per node for the usual small payload.
  unsigned char scratch[4096];
  boost::json::monotonic_resource arena(scratch, sizeof scratch);
  boost::json::value doc(&arena);  // same storage: parse() moves into it, no copy
  bool parsed = false;
  std::vector<Param> row;
  row.reserve(sources.size());
  for (const auto& source : sources) {
    switch (source.kind) {
      case Kind::kKey:
        row.emplace_back(msg.key);
        break;
      case Kind::kId:
        row.emplace_back(msg.id);
        break;
      case Kind::kTimestamp:
        row.emplace_back(iso8601_utc(msg.timestamp_ms));
        break;
      case Kind::kTimestampMs:
        row.emplace_back(std::to_string(msg.timestamp_ms));
        break;
      case Kind::kPayload:
        row.emplace_back(msg.payload.str());
        break;
      case Kind::kField: {
        if (!parsed) {
          boost::system::error_code ec;
          doc = boost::json::parse(msg.payload.view(), ec, &arena);
          if (ec) return Error::invalid("payload is not JSON: " + ec.message());
          if (!doc.is_object()) return Error::invalid("payload is not a JSON object");
          parsed = true;
        }
        const boost::json::value* v = find_path(doc, source.path);
        row.push_back(v ? text_of(*v) : std::nullopt);  // a missing field is NULL
        break;
      }
    }
  }
  // PostgreSQL stores no NUL in text (nor takes one in a parameter or in
  // COPY): refuse the message as the server would, rather than let libpq
  // cut the value short at the NUL.
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] && row[i]->find('\0') != std::string::npos) {
      return Error::invalid(
          fmt::format("{}: holds a NUL byte (0x00), which PostgreSQL text cannot store",
                      source_name(sources[i])));
    }
  }
  for (auto& p : row) params.push_back(std::move(p));
  return ok_status();
}

}  // namespace junction::connectors::postgres
