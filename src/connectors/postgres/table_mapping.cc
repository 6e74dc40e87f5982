#include "connectors/postgres/table_mapping.h"

#include <algorithm>

#include "fmt/format.h"

namespace junction::connectors::postgres {
namespace {

constexpr size_t kMaxParams = 65535;
// Upsert with COPY stages each batch here: a temporary table, one per
// session, named in pg_temp so no table of the search path can shadow it.
constexpr const char* kStageTable = "pg_temp.junction_upsert_stage";

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    parts.emplace_back(s.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

}  // namespace

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string quote_table(std::string_view table) {
  std::string out;
  for (const auto& part : split(table, '.')) {
    if (!out.empty()) out.push_back('.');
    out += quote_identifier(part);
  }
  return out;
}

Result<TableMapping> TableMapping::make(
    std::string_view table, const std::vector<std::pair<std::string, std::string>>& columns,
    std::string_view mode, const std::vector<std::string>& conflict) {
  TableMapping m;
  if (table.empty()) return Error::invalid("table must not be empty");
  for (const auto& part : split(table, '.')) {
    if (part.empty()) return Error::invalid(fmt::format("table '{}' has an empty part", table));
  }
  m.table = quote_table(table);
  if (columns.empty()) return Error::invalid("columns must map at least one column");
  for (const auto& [name, spec] : columns) {
    if (name.empty()) return Error::invalid("a column name must not be empty");
    auto source = column_source(spec);
    if (!source) return source.error().wrap("column " + name);
    m.columns.push_back(name);
    m.sources.push_back(std::move(*source));
  }
  if (mode == "insert") {
    m.mode = WriteMode::kInsert;
    if (!conflict.empty()) return Error::invalid("conflict applies to mode: upsert only");
  } else if (mode == "upsert") {
    m.mode = WriteMode::kUpsert;
    if (conflict.empty()) {
      return Error::invalid("mode: upsert needs `conflict`: the columns of a unique key");
    }
    for (const auto& c : conflict) {
      bool mapped = std::any_of(m.columns.begin(), m.columns.end(),
                                [&](const std::string& col) { return col == c; });
      if (!mapped) {
        return Error::invalid(fmt::format("conflict column '{}' is not in columns", c));
      }
    }
    m.conflict = conflict;
  } else {
    return Error::invalid(fmt::format("mode must be insert or upsert, not '{}'", mode));
  }
  return m;
}

size_t TableMapping::max_rows_per_statement() const {
  return std::max<size_t>(1, kMaxParams / columns.size());
}

std::string TableMapping::column_list() const {
  std::string list;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c) list += ", ";
    list += quote_identifier(columns[c]);
  }
  return list;
}

std::string TableMapping::on_conflict() const {
  std::string target;
  for (const auto& c : conflict) {
    if (!target.empty()) target += ", ";
    target += quote_identifier(c);
  }
  std::string updates;
  for (const auto& col : columns) {
    if (std::find(conflict.begin(), conflict.end(), col) != conflict.end()) continue;
    if (!updates.empty()) updates += ", ";
    updates += quote_identifier(col) + " = EXCLUDED." + quote_identifier(col);
  }
  return " ON CONFLICT (" + target +
         (updates.empty() ? ") DO NOTHING" : ") DO UPDATE SET " + updates);
}

std::string TableMapping::ordinal_column() const {
  std::string name = "junction_ordinal";
  while (std::find(columns.begin(), columns.end(), name) != columns.end()) name += "_";
  return name;
}

std::string TableMapping::insert_sql(size_t rows) const {
  std::string sql = "INSERT INTO " + table + " (" + column_list() + ") VALUES ";
  size_t n = 1;
  for (size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c) sql += ", ";
      sql += "$" + std::to_string(n++);
    }
    sql += ")";
  }
  if (mode == WriteMode::kUpsert) sql += on_conflict();
  return sql;
}

std::string TableMapping::stage_sql() const {
  // Only the mapped columns, typed as in the table (typmods and domains
  // included, so a value the table refuses is refused by COPY already), and
  // none of its defaults or constraints: the INSERT checks those.
  return "CREATE TEMP TABLE " + std::string(kStageTable) + " ON COMMIT DELETE ROWS AS SELECT " +
         column_list() + ", 0::bigint AS " + quote_identifier(ordinal_column()) + " FROM " + table +
         " WITH NO DATA";
}

std::string TableMapping::copy_sql() const {
  if (mode == WriteMode::kInsert) return "COPY " + table + " (" + column_list() + ") FROM STDIN";
  const std::string ordinal = quote_identifier(ordinal_column());
  // A NULL in a key column matches nothing in ON CONFLICT, so such rows are
  // each their own key: `lone` is their ordinal, NULL for rows with a key.
  std::string keys;
  std::string any_null;
  for (const auto& c : conflict) {
    if (!keys.empty()) {
      keys += ", ";
      any_null += " OR ";
    }
    keys += quote_identifier(c);
    any_null += quote_identifier(c) + " IS NULL";
  }
  const std::string lone = "CASE WHEN " + any_null + " THEN " + ordinal + " END";
  // The outer ORDER BY inserts in message order, as the INSERT path does
  // (serial columns number the rows as they came).
  return "COPY " + std::string(kStageTable) + " (" + column_list() + ", " + ordinal +
         ") FROM STDIN; INSERT INTO " + table + " (" + column_list() + ") SELECT " + column_list() +
         " FROM (SELECT DISTINCT ON (" + keys + ", " + lone + ") * FROM " + kStageTable +
         " ORDER BY " + keys + ", " + lone + ", " + ordinal + " DESC) last ORDER BY " + ordinal +
         on_conflict();
}

Status TableMapping::append_row(const Message& msg, std::vector<Param>& params) const {
  return append_values(sources, msg, params);
}

}  // namespace junction::connectors::postgres
