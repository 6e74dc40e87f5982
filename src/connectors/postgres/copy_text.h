#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "connectors/postgres/pg_connection.h"

namespace junction::connectors::postgres {

// COPY's text format (PostgreSQL manual, COPY, "Text Format"): one line per
// row, fields separated by a tab, NULL as \N. A backslash, tab, newline or
// carriage return inside a value is written as \\ \t \n \r, so no value can
// end a field, a row, or the data (a line holding only \.). Every other byte
// goes through as it is: the server checks the encoding, as it does for a
// statement parameter.
//
// The values must hold no NUL byte (append_values refuses them, as the
// server would): text in PostgreSQL cannot.
void append_copy_field(const Param& value, std::string& out);

// The rows of `values` (rows of `width` values each, in column order) as
// COPY text. With `ordinals`, each row ends with one more field: its index
// in `values` (0, 1, ...), for a staging table to tell the last row of a key.
std::string copy_text(std::span<const Param> values, size_t width, bool ordinals);

}  // namespace junction::connectors::postgres
