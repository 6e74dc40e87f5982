#pragma once

#include <libpq-fe.h>

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace junction::connectors::postgres {

// A column value in PostgreSQL's text form as JSON, by the column's type:
// booleans and integers as JSON booleans and numbers, float4/float8 as
// numbers (NaN and infinities as strings), json/jsonb embedded as JSON, and
// everything else (numeric, text, timestamps, uuid, arrays) as a string, so
// no precision is lost on the way.
boost::json::value column_json(Oid type, std::string_view text);

// Row `row` of `result` as a JSON object, one member per column.
boost::json::object row_object(const PGresult* result, int row);
// The same as JSON text.
std::string row_json(const PGresult* result, int row);

}  // namespace junction::connectors::postgres
