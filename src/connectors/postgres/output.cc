#include "connectors/postgres/output.h"

#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <optional>

#include "connectors/common/connector_metrics.h"
#include "connectors/postgres/connection_pool.h"
#include "connectors/postgres/copy_text.h"
#include "connectors/postgres/dsn_field.h"
#include "connectors/postgres/table_mapping.h"
#include "fmt/format.h"

namespace junction::connectors::postgres {
namespace {

using Clock = std::chrono::steady_clock;

// How a batch reaches the table: COPY streams it as text and the server
// parses no statement per row; INSERT sends it as statement parameters.
enum class WriteMethod { kCopy, kInsert };

struct OutputOptions {
  std::string dsn;  // may hold a password: never logged
  TableMapping mapping;
  WriteMethod method = WriteMethod::kCopy;
  size_t connections = 2;
  Duration timeout = std::chrono::seconds(30);
};

// Writes each batch as rows of one table, in one transaction; a batch is
// reported written only once PostgreSQL answered its COMMIT.
class PostgresOutput final : public flow::Output {
 public:
  PostgresOutput(OutputOptions o, const flow::ComponentContext& ctx)
      : o_(std::move(o)),
        metrics_(ctx, "postgres"),
        copy_sql_(o_.mapping.copy_sql()),
        stage_sql_(o_.mapping.mode == WriteMode::kUpsert ? o_.mapping.stage_sql() : "") {}

  asio::awaitable<Status> open() override {
    pool_.emplace(co_await asio::this_coro::executor, o_.dsn, o_.timeout, o_.connections);
    metrics_.connecting();
    // Connect one now so readiness tells the truth before the first write;
    // a server that is down is not fatal: writes reconnect.
    auto conn = co_await pool_->acquire();
    Status s = co_await connect(*conn);
    if (!s.ok() && !s.error().retryable()) co_return s.error().wrap("postgres output");
    co_return ok_status();
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    if (batch.empty()) co_return flow::WriteResult::all(0);
    // Parameters first: a message that cannot become a row ends the batch
    // there, and the rows before it are still written.
    std::vector<Param> params;
    params.reserve(batch.size() * o_.mapping.columns.size());
    size_t rows = batch.size();
    std::optional<Error> unmappable;
    for (size_t i = 0; i < batch.size(); ++i) {
      Status s = o_.mapping.append_row(batch[i], params);
      if (!s.ok()) {
        rows = i;
        unmappable = s.error();
        break;
      }
    }
    // The message that cannot become a row is its own failure: the flow
    // dead-letters it alone and writes the ones after it again.
    if (rows == 0) {
      metrics_.error();
      co_return flow::WriteResult{0, std::move(*unmappable), true};
    }
    auto conn = co_await pool_->acquire();
    if (!conn->connected()) {
      Status c = co_await connect(*conn);
      if (!c.ok()) co_return flow::WriteResult{0, c.error()};
    }
    const auto start = Clock::now();
    Status s = co_await write_rows(*conn, params, rows);
    if (s.ok()) {
      metrics_.latency(Clock::now() - start);
      count_sent(batch.first(rows));
      if (!unmappable) co_return flow::WriteResult::all(rows);
      co_return flow::WriteResult{rows, *unmappable, true};
    }
    metrics_.error();
    if (!conn->connected()) {
      // The batch may or may not have committed: report it failed, the flow
      // retries it (an upsert makes that harmless; an insert may duplicate).
      metrics_.disconnected(s.error().message());
      co_return flow::WriteResult{0, s.error()};
    }
    // Only data and integrity errors (SQLSTATE 21, 22, 23) are classed
    // invalid: those are worth a search for the row at fault.
    if (s.error().cls() != ErrorClass::kInvalid) co_return flow::WriteResult{0, s.error()};
    flow::WriteResult r = co_await find_rejected_row(*conn, batch, params, rows);
    if (r.status.ok() && unmappable) r = flow::WriteResult{rows, *unmappable, true};
    co_return r;
  }

  asio::awaitable<void> close() override {
    if (pool_) pool_->close();
    metrics_.closed();
    co_return;
  }

 private:
  asio::awaitable<Status> connect(PgConnection& conn) {
    Status s = co_await conn.connect();
    if (s.ok()) {
      metrics_.connected();
    } else {
      metrics_.disconnected(s.error().message());
    }
    co_return s;
  }

  // Writes rows [0, rows) of `params` atomically, by the configured method.
  asio::awaitable<Status> write_rows(PgConnection& conn, std::span<const Param> params,
                                     size_t rows) {
    if (o_.method == WriteMethod::kCopy) co_return co_await copy_rows(conn, params, rows);
    co_return co_await insert_rows(conn, params, rows);
  }

  // One simple query, so one transaction: the COPY, and for an upsert the
  // INSERT ... SELECT from the staging table, which the commit empties.
  asio::awaitable<Status> copy_rows(PgConnection& conn, std::span<const Param> params,
                                    size_t rows) {
    const size_t width = o_.mapping.columns.size();
    const bool upsert = o_.mapping.mode == WriteMode::kUpsert;
    if (upsert) {
      Status staged = co_await conn.once_per_session("upsert stage", stage_sql_);
      if (!staged.ok()) co_return staged;
    }
    const std::string data = copy_text(params.first(rows * width), width, upsert);
    auto r = co_await conn.copy_in(copy_sql_, data);
    if (!r.ok()) co_return r.error();
    co_return ok_status();
  }

  // One statement is its own transaction, committed when its result
  // arrives; a batch too large for one statement is wrapped in BEGIN / COMMIT.
  asio::awaitable<Status> insert_rows(PgConnection& conn, std::span<const Param> params,
                                      size_t rows) {
    const size_t width = o_.mapping.columns.size();
    const size_t per_statement = o_.mapping.max_rows_per_statement();
    const bool explicit_txn = rows > per_statement;
    if (explicit_txn) {
      auto begun = co_await conn.query("BEGIN", {});
      if (!begun.ok()) co_return begun.error();
    }
    for (size_t from = 0; from < rows; from += per_statement) {
      const size_t n = std::min(per_statement, rows - from);
      const std::string sql = o_.mapping.insert_sql(n);
      auto r = co_await conn.query(sql, params.subspan(from * width, n * width));
      if (!r.ok()) {
        if (explicit_txn) co_await rollback(conn);
        co_return r.error();
      }
    }
    if (explicit_txn) {
      auto committed = co_await conn.query("COMMIT", {});
      if (!committed.ok()) co_return committed.error();
    }
    co_return ok_status();
  }

  // Best effort: if it fails the connection is gone, and so is the transaction.
  asio::awaitable<void> rollback(PgConnection& conn) {
    if (!conn.connected()) co_return;
    auto r = co_await conn.query("ROLLBACK", {});
    (void)r;
  }

  // The batch failed on a data or integrity error. Replays it row by row in
  // one transaction to find the first row PostgreSQL rejects; then writes
  // the rows before it and reports that row invalid with the server's
  // reason (the flow dead-letters it). When every row passes on its own (an
  // upsert batch that touched one key twice), they are committed together.
  asio::awaitable<flow::WriteResult> find_rejected_row(PgConnection& conn,
                                                       std::span<const Message> batch,
                                                       std::span<const Param> params, size_t rows) {
    const size_t width = o_.mapping.columns.size();
    const std::string one_row = o_.mapping.insert_sql(1);
    auto begun = co_await conn.query("BEGIN", {});
    if (!begun.ok()) co_return flow::WriteResult{0, begun.error()};
    for (size_t i = 0; i < rows; ++i) {
      auto r = co_await conn.query(one_row, params.subspan(i * width, width));
      if (r.ok()) continue;
      if (!conn.connected()) {
        metrics_.disconnected(r.error().message());
        co_return flow::WriteResult{0, r.error()};
      }
      const bool row_error = r.error().cls() == ErrorClass::kInvalid;
      co_await rollback(conn);
      if (!row_error) co_return flow::WriteResult{0, r.error()};
      if (i > 0) {
        Status s = co_await write_rows(conn, params, i);
        if (!s.ok()) co_return flow::WriteResult{0, s.error()};
        count_sent(batch.first(i));
      }
      metrics_.error();
      // This row alone: the flow dead-letters it and writes the rest again.
      co_return flow::WriteResult{
          i,
          Error::invalid(fmt::format("message {} rejected: {}", batch[i].id, r.error().message())),
          true};
    }
    auto committed = co_await conn.query("COMMIT", {});
    if (!committed.ok()) co_return flow::WriteResult{0, committed.error()};
    count_sent(batch.first(rows));
    co_return flow::WriteResult::all(rows);
  }

  void count_sent(std::span<const Message> written) {
    size_t bytes = 0;
    for (const auto& m : written) bytes += m.payload.size();
    metrics_.sent(written.size(), bytes);
  }

  OutputOptions o_;
  ConnectorMetrics metrics_;
  const std::string copy_sql_;
  const std::string stage_sql_;  // upsert only
  std::optional<ConnectionPool> pool_;
};

Result<std::vector<std::pair<std::string, std::string>>> read_columns(const spec::Config& c) {
  std::vector<std::pair<std::string, std::string>> columns;
  spec::Node node = c.node("columns");
  if (!node.is_map()) return Error::invalid("columns must map column names to field paths");
  for (const auto& [k, v] : node.entries()) {
    if (!v.is_scalar()) return Error::invalid("columns." + k.raw() + ": expected a field path");
    columns.emplace_back(k.raw(), v.raw());
  }
  return columns;
}

}  // namespace

void register_postgres_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "postgres";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Writes messages as rows of a PostgreSQL table (insert or upsert).";
  info.doc =
      "Each message becomes one row: `columns` maps a column to a field of the JSON payload "
      "(dotted path; a missing field is NULL, an object or array is written as JSON) or to "
      "$key, $id, $timestamp (ISO 8601 UTC), $timestamp_ms or $payload. A batch is one "
      "transaction, reported written only after PostgreSQL answered its COMMIT. "
      "`mode: upsert` adds ON CONFLICT (`conflict` columns) DO UPDATE SET the other columns, "
      "which makes the retry of a batch whose commit was lost harmless; plain inserts are "
      "at-least-once and may duplicate a batch after a connection loss.\n"
      "`method: copy` (the default) streams each batch with COPY FROM STDIN; an upsert copies "
      "into a temporary staging table per connection, then inserts the last row of each key "
      "from it with ON CONFLICT, in the same transaction (this needs SELECT on the mapped "
      "columns, to type the staging table). `method: insert` sends multi-row INSERTs with "
      "parameters.\n"
      "Errors follow the SQLSTATE: connection loss, serialization failures and deadlocks "
      "(08, 40, 53, 57) are retried; when a batch fails on a data or integrity error (21, 22, "
      "23) the output replays it row by row, writes the rows before the rejected one and "
      "reports that one alone invalid with the server's message: it goes to the dead letter "
      "and the flow writes the rows after it again. "
      "A lost connection is reopened on the next write.\n"
      "Example:\n\n    output:\n      postgres:\n        dsn: ${PG_DSN}\n        table: orders\n"
      "        columns: { id: id, customer: customer.name, total: total, seen_at: $timestamp }\n"
      "        mode: upsert\n        conflict: [id]";
  info.schema.fields = {
      dsn_field(),
      {"table", spec::FieldType::kString, "", "Table to write, optionally schema.table.", true},
      {"columns", spec::FieldType::kObject, "",
       "Column -> payload field path, or $key $id $timestamp $timestamp_ms $payload.", true},
      {"mode",
       spec::FieldType::kString,
       "insert",
       "insert or upsert.",
       false,
       {"insert", "upsert"}},
      {"method",
       spec::FieldType::kString,
       "copy",
       "copy (COPY FROM STDIN; upserts through a staging table) or insert (multi-row INSERT).",
       false,
       {"copy", "insert"}},
      {"conflict", spec::FieldType::kStringList, "",
       "Upsert: the columns of the unique key (ON CONFLICT target)."},
      {"connections", spec::FieldType::kInt, "2", "Connections (batches written at once)."},
      {"timeout", spec::FieldType::kDuration, "30s",
       "Bound on connecting and on each statement; past it the connection is dropped."},
  };
  info.make_output = [](const spec::Config& c,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    OutputOptions o;
    o.dsn = c.str("dsn");
    if (o.dsn.empty()) return Error::invalid("dsn must not be empty");
    auto columns = read_columns(c);
    if (!columns) return columns.error();
    auto mapping =
        TableMapping::make(c.str("table"), *columns, c.str("mode"), c.strings("conflict"));
    if (!mapping) return mapping.error();
    o.mapping = std::move(*mapping);
    o.method = c.str("method") == "insert" ? WriteMethod::kInsert : WriteMethod::kCopy;
    const int64_t connections = c.integer("connections");
    if (connections < 1 || connections > 64) return Error::invalid("connections must be 1..64");
    o.connections = static_cast<size_t>(connections);
    o.timeout = c.duration("timeout");
    if (o.timeout <= Duration::zero()) return Error::invalid("timeout must be above zero");
    return std::unique_ptr<flow::Output>(std::make_unique<PostgresOutput>(std::move(o), ctx));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::postgres
