#include "connectors/postgres/lookup.h"

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <optional>

#include "connectors/common/connector_metrics.h"
#include "connectors/postgres/connection_pool.h"
#include "connectors/postgres/dsn_field.h"
#include "connectors/postgres/message_values.h"
#include "connectors/postgres/row_json.h"
#include "fmt/format.h"

namespace junction::connectors::postgres {
namespace {

using Clock = std::chrono::steady_clock;

enum class OnMissing { kSkip, kNull, kFail };

struct LookupOptions {
  std::string dsn;  // may hold a password: never logged
  std::string query;
  std::vector<ColumnSource> params;  // $1..$n
  std::vector<std::string> into;     // path of the field that takes the row; empty = merge
  std::string into_text;
  OnMissing on_missing = OnMissing::kSkip;
  size_t connections = 4;
  Duration timeout = std::chrono::seconds(5);
};

// Sets `path` in `doc` to `value`, making the objects on the way.
Status set_path(boost::json::object& doc, const std::vector<std::string>& path,
                boost::json::value value) {
  boost::json::object* at = &doc;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    boost::json::value& next = (*at)[path[i]];
    if (next.is_null()) next = boost::json::object();
    if (!next.is_object())
      return Error::invalid(fmt::format("field '{}' is not an object", path[i]));
    at = &next.get_object();
  }
  (*at)[path.back()] = std::move(value);
  return ok_status();
}

// Enriches each message with the first row of a query whose parameters come
// from the message. Waits on PostgreSQL without blocking the flow's executor
// (an async processor); several messages are looked up at once, one per
// pooled connection.
class PostgresLookup final : public flow::Processor {
 public:
  PostgresLookup(LookupOptions o, const flow::ComponentContext& ctx)
      : o_(std::move(o)), metrics_(ctx, "postgres") {}

  bool is_async() const override { return true; }

  Status process(Message&, MessageBatch&) override {
    return Error::permanent("postgres_lookup runs only as an asynchronous processor");
  }

  asio::awaitable<Status> process_async(Message& msg, MessageBatch& out) override {
    if (!pool_) {
      // Processors have no open(): the pool comes with the first message, on
      // the executor that runs the flow.
      pool_.emplace(co_await asio::this_coro::executor, o_.dsn, o_.timeout, o_.connections);
      metrics_.connecting();
    }
    std::vector<Param> params;
    Status mapped = append_values(o_.params, msg, params);
    if (!mapped.ok()) co_return mapped;
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(msg.payload.view(), ec);
    if (ec || !doc.is_object()) co_return Error::invalid("payload is not a JSON object");

    auto conn = co_await pool_->acquire();
    if (!conn->connected()) {
      Status s = co_await conn->connect();
      if (!s.ok()) {
        metrics_.disconnected(s.error().message());
        co_return s;
      }
      metrics_.connected();
    }
    const auto start = Clock::now();
    auto result = co_await conn->execute(statement_, o_.query, params);
    if (!result.ok()) {
      metrics_.error();
      if (!conn->connected()) metrics_.disconnected(result.error().message());
      co_return result.error();
    }
    metrics_.latency(Clock::now() - start);
    const PGresult* res = result->get();
    const int rows = res ? PQntuples(res) : 0;
    metrics_.received(static_cast<size_t>(rows), 0);
    if (rows == 0) {
      switch (o_.on_missing) {
        case OnMissing::kFail:
          co_return Error::invalid("postgres_lookup: no row found");
        case OnMissing::kSkip:
          out.push_back(std::move(msg));
          co_return ok_status();
        case OnMissing::kNull:
          if (o_.into.empty()) {
            out.push_back(std::move(msg));
            co_return ok_status();
          }
          break;
      }
    }
    boost::json::object& fields = doc.get_object();
    if (o_.into.empty()) {
      for (auto& [name, value] : row_object(res, 0)) fields[name] = std::move(value);
    } else {
      boost::json::value row = nullptr;
      if (rows > 0) row = row_object(res, 0);
      Status s = set_path(fields, o_.into, std::move(row));
      if (!s.ok()) co_return s.error().wrap("into " + o_.into_text);
    }
    msg.payload = Buffer(boost::json::serialize(doc));
    out.push_back(std::move(msg));
    co_return ok_status();
  }

 private:
  LookupOptions o_;
  ConnectorMetrics metrics_;
  std::optional<ConnectionPool> pool_;
  // The lookup's statement name, prepared once on each connection. A member,
  // not a literal: a std::string temporary inside a co_await expression is
  // what GCC 12 destroys twice.
  const std::string statement_ = "junction_lookup";
};

}  // namespace

void register_postgres_lookup(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "postgres_lookup";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Enriches each message with a row looked up in PostgreSQL.";
  info.doc =
      "Runs `query` (a prepared statement, once per pooled connection) with $1..$n bound "
      "from `params` (payload field paths, or $key, $id, $timestamp, $timestamp_ms, "
      "$payload) and puts the first row it returns into the message: under the `into` "
      "field, or merged into the payload's top level when `into` is empty. Columns are typed "
      "as the postgres input types them. When no row comes back, `on_missing` decides: skip "
      "(the message goes on unchanged), null (`into` is set to null) or fail (the message is "
      "invalid: dead letter). Lookups wait on the server without blocking the flow's "
      "executor, up to `connections` at once; a lost connection fails the lookup as transient "
      "(the flow retries it per its retry policy) and is reopened by the next lookup.\n"
      "Example:\n\n    pipeline:\n      - postgres_lookup:\n          dsn: ${PG_DSN}\n"
      "          query: SELECT name, tier FROM customers WHERE id = $1\n"
      "          params: [customer_id]\n          into: customer";
  info.schema.fields = {
      dsn_field(),
      {"query", spec::FieldType::kString, "", "SELECT using $1..$n.", true},
      {"params", spec::FieldType::kStringList, "",
       "Sources of $1..$n: payload field paths or $key $id $timestamp $timestamp_ms $payload."},
      {"into", spec::FieldType::kString, "",
       "Field path that takes the row as an object; empty = merge its columns into the payload."},
      {"on_missing",
       spec::FieldType::kString,
       "skip",
       "When no row is found: skip, null or fail.",
       false,
       {"skip", "null", "fail"}},
      {"connections", spec::FieldType::kInt, "4", "Connections, so lookups run at once."},
      {"timeout", spec::FieldType::kDuration, "5s",
       "Bound on connecting and on each lookup; past it the connection is dropped."},
  };
  info.make_processor =
      [](const spec::Config& c,
         flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Processor>> {
    LookupOptions o;
    o.dsn = c.str("dsn");
    if (o.dsn.empty()) return Error::invalid("dsn must not be empty");
    o.query = c.str("query");
    for (const auto& p : c.strings("params")) {
      auto source = column_source(p);
      if (!source) return source.error().wrap("params");
      o.params.push_back(std::move(*source));
    }
    for (size_t n = 1; n <= o.params.size(); ++n) {
      if (o.query.find("$" + std::to_string(n)) == std::string::npos) {
        return Error::invalid(fmt::format("query does not use ${} but params gives it", n));
      }
    }
    if (o.query.find("$" + std::to_string(o.params.size() + 1)) != std::string::npos) {
      return Error::invalid(fmt::format("query uses ${} but params gives only {}",
                                        o.params.size() + 1, o.params.size()));
    }
    o.into_text = c.str("into");
    if (!o.into_text.empty()) {
      auto into = column_source(o.into_text);
      if (!into || into->kind != ColumnSource::Kind::kField) {
        return Error::invalid("into must be a field path such as customer or order.customer");
      }
      o.into = into->path;
    }
    const std::string& missing = c.str("on_missing");
    o.on_missing = missing == "fail"   ? OnMissing::kFail
                   : missing == "null" ? OnMissing::kNull
                                       : OnMissing::kSkip;
    const int64_t connections = c.integer("connections");
    if (connections < 1 || connections > 64) return Error::invalid("connections must be 1..64");
    o.connections = static_cast<size_t>(connections);
    o.timeout = c.duration("timeout");
    if (o.timeout <= Duration::zero()) return Error::invalid("timeout must be above zero");
    return std::unique_ptr<flow::Processor>(std::make_unique<PostgresLookup>(std::move(o), ctx));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::postgres
