#include "connectors/postgres/row_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

namespace junction::connectors::postgres {
namespace {

// Type OIDs from the server's pg_type.dat; stable across versions.
constexpr Oid kBool = 16;
constexpr Oid kInt8 = 20;
constexpr Oid kInt2 = 21;
constexpr Oid kInt4 = 23;
constexpr Oid kOid = 26;
constexpr Oid kJson = 114;
constexpr Oid kFloat4 = 700;
constexpr Oid kFloat8 = 701;
constexpr Oid kJsonb = 3802;

}  // namespace

boost::json::value column_json(Oid type, std::string_view text) {
  switch (type) {
    case kBool:
      return text == "t";
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size()) return v;
      break;
    }
    case kFloat4:
    case kFloat8: {
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(v)) return v;
      break;
    }
    case kJson:
    case kJsonb: {
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(text, ec);
      if (!ec) return v;
      break;
    }
    default:
      break;
  }
  return boost::json::string(text);
}

boost::json::object row_object(const PGresult* result, int row) {
  boost::json::object obj;
  const int columns = PQnfields(result);
  for (int c = 0; c < columns; ++c) {
    const char* name = PQfname(result, c);
    if (PQgetisnull(result, row, c)) {
      obj[name] = nullptr;
      continue;
    }
    std::string_view text(PQgetvalue(result, row, c),
                          static_cast<size_t>(PQgetlength(result, row, c)));
    obj[name] = column_json(PQftype(result, c), text);
  }
  return obj;
}

std::string row_json(const PGresult* result, int row) {
  return boost::json::serialize(row_object(result, row));
}

}  // namespace junction::connectors::postgres
