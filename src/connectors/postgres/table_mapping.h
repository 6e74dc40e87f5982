#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/postgres/message_values.h"
#include "connectors/postgres/pg_connection.h"
#include "core/error.h"
#include "core/message.h"

namespace junction::connectors::postgres {

enum class WriteMode { kInsert, kUpsert };

// How messages become rows of one table: the `table`, `columns`, `mode` and
// `conflict` options of the postgres output, checked.
struct TableMapping {
  std::string table;                  // quoted, ready for SQL: "public"."orders"
  std::vector<std::string> columns;   // names, as written
  std::vector<ColumnSource> sources;  // where each column's value comes from
  WriteMode mode = WriteMode::kInsert;
  std::vector<std::string> conflict;  // upsert: the conflict target's columns

  // Checks names and modes: invalid with a message fit for a spec error.
  static Result<TableMapping> make(std::string_view table,
                                   const std::vector<std::pair<std::string, std::string>>& columns,
                                   std::string_view mode, const std::vector<std::string>& conflict);

  // At most this many rows fit one statement: PostgreSQL takes 65535
  // parameters per statement.
  size_t max_rows_per_statement() const;

  // INSERT INTO t (c1, c2) VALUES ($1, $2), ($3, $4) [ON CONFLICT (..) DO ..]
  std::string insert_sql(size_t rows) const;

  // The statements that write a batch sent as COPY data (copy_text.h), as
  // one simple query, which PostgreSQL runs as one transaction.
  //   insert: COPY t (c1, c2) FROM STDIN
  //   upsert: COPY the rows, with their ordinals, into the session's staging
  //           table (stage_sql), then INSERT INTO t ... SELECT from it the
  //           last row of each key ... ON CONFLICT ... DO UPDATE: one
  //           statement may not touch a row twice, so the earlier rows of a
  //           key, which the later one would overwrite, are left out.
  std::string copy_sql() const;
  // Upsert with COPY: creates the session's staging table, with the types
  // of the mapped columns and an ordinal. It empties itself at each commit.
  std::string stage_sql() const;

  // Appends the message's values, in column order, to `params`. Invalid
  // (and nothing appended) when a field is wanted and the payload is not a
  // JSON object, or a value holds a NUL byte.
  Status append_row(const Message& msg, std::vector<Param>& params) const;

 private:
  std::string column_list() const;
  std::string on_conflict() const;
  // A name for the ordinal column that no mapped column has.
  std::string ordinal_column() const;
};

// "na""me" quoting, so any column name is taken literally.
std::string quote_identifier(std::string_view name);
// schema.table -> "schema"."table".
std::string quote_table(std::string_view table);

}  // namespace junction::connectors::postgres
