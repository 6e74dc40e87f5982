#include "connectors/postgres/input.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "components/common/blocking_call.h"
#include "components/common/waker.h"
#include "connectors/common/connector_metrics.h"
#include "connectors/postgres/cursor_checkpoint.h"
#include "connectors/postgres/cursor_progress.h"
#include "connectors/postgres/dsn_field.h"
#include "connectors/postgres/pg_connection.h"
#include "connectors/postgres/row_json.h"
#include "fmt/format.h"
#include "resilience/backoff.h"

namespace junction::connectors::postgres {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kCursorHeader = "x-junction-postgres-cursor";
constexpr size_t kRedeliveryBatch = 100;

struct InputOptions {
  std::string flow;
  std::string dsn;  // may hold a password: never logged
  std::string query;
  std::string cursor_column;
  std::string start;
  Duration interval = std::chrono::seconds(1);
  Duration timeout = std::chrono::seconds(30);
  Duration commit_interval = std::chrono::seconds(1);
  size_t max_in_flight = 1000;
  std::filesystem::path checkpoint_file;  // empty: no storage dir, progress is not kept
};

// Reached by ack callbacks, which run on any thread and post here first.
struct Shared {
  explicit Shared(std::string checkpoint) : progress(std::move(checkpoint)) {}
  CursorProgress progress;
  components::Waker* waker = nullptr;  // set while run() runs
};

// Polls a query for the rows past its cursor and emits each row as a JSON
// object. The cursor's checkpoint moves only past rows the flow settled ok.
class PostgresInput final : public flow::Input {
 public:
  PostgresInput(InputOptions o, const flow::ComponentContext& ctx)
      : o_(std::move(o)),
        blocking_(ctx.blocking),
        metrics_(ctx, "postgres"),
        backoff_(std::chrono::milliseconds(100), std::chrono::seconds(5)) {}

  asio::awaitable<Status> open() override {
    ex_ = co_await asio::this_coro::executor;
    std::string start = o_.start;
    if (!o_.checkpoint_file.empty()) {
      auto load = [file = &o_.checkpoint_file] { return load_cursor(*file); };
      auto saved = co_await components::blocking_call(*blocking_, load);
      if (!saved.ok()) co_return saved.error().wrap("postgres input checkpoint");
      if (*saved) {
        start = **saved;
        spdlog::info("flow {}: postgres input resumes after cursor {}", o_.flow, start);
      }
    }
    read_from_ = start;
    saved_ = start;
    shared_ = std::make_shared<Shared>(start);
    conn_.emplace(ex_, o_.dsn, o_.timeout);
    metrics_.connecting();
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    waker_.emplace(ex_);
    shared_->waker = &*waker_;
    Status result = co_await loop(emitter);
    shared_->waker = nullptr;
    co_return result;
  }

  void stop() override {
    stopped_ = true;
    if (waker_) waker_->wake();
  }

  asio::awaitable<void> close() override {
    // Acks posted while the flow drained land first, then the last progress
    // is saved.
    co_await asio::post(ex_, asio::use_awaitable);
    if (shared_) co_await save_checkpoint();
    if (conn_) conn_->close();
    metrics_.closed();
  }

 private:
  asio::awaitable<Status> loop(flow::Emitter& emitter) {
    int failures = 0;
    auto next_poll = Clock::now();
    while (!stopped_ && !emitter.stopping()) {
      if (!conn_->connected()) {
        Status s = co_await conn_->connect();
        if (!s.ok()) {
          if (failures == 0)
            spdlog::warn("flow {}: postgres input: {}", o_.flow, s.error().message());
          metrics_.disconnected(s.error().message());
          ++failures;
          co_await waker_->sleep_until(Clock::now() + backoff_.delay(failures));
          continue;
        }
        if (failures > 0) spdlog::info("flow {}: postgres input reconnected", o_.flow);
        failures = 0;
        metrics_.connected();
      }
      Status redelivered = co_await redeliver(emitter);
      if (!redelivered.ok()) break;

      bool more = false;
      if (shared_->progress.in_flight() < o_.max_in_flight && Clock::now() >= next_poll) {
        auto polled = co_await poll(emitter);
        if (!polled.ok()) {
          metrics_.error();
          if (!conn_->connected()) {
            metrics_.disconnected(polled.error().message());
            continue;
          }
          if (!polled.error().retryable()) co_return polled.error().wrap("postgres input");
          spdlog::warn("flow {}: postgres input: {}", o_.flow, polled.error().message());
          next_poll = Clock::now() + o_.interval;
        } else if (*polled == 0) {
          next_poll = Clock::now() + o_.interval;
        } else {
          more = true;  // a full page may have more behind it
        }
      }
      if (Clock::now() - last_save_ >= o_.commit_interval) co_await save_checkpoint();
      if (more && shared_->progress.in_flight() < o_.max_in_flight) continue;

      // With max_in_flight rows out, only an ack (which wakes the waker) or
      // a redelivery lets work go on: no point polling before.
      const bool full = shared_->progress.in_flight() >= o_.max_in_flight;
      auto wake_at = full ? Clock::now() + o_.interval : next_poll;
      if (auto due = shared_->progress.next_due()) wake_at = std::min(wake_at, *due);
      if (shared_->progress.checkpoint() != saved_) {
        wake_at = std::min(wake_at, last_save_ + o_.commit_interval);
      }
      co_await waker_->sleep_until(wake_at);  // acks and stop() wake it early
    }
    co_return ok_status();
  }

  // Runs the query once from the read position and emits what it returns;
  // the number of rows.
  asio::awaitable<Result<size_t>> poll(flow::Emitter& emitter) {
    const Param param = read_from_;
    const auto start = Clock::now();
    auto result = co_await conn_->query(o_.query, std::span<const Param>(&param, 1));
    if (!result.ok()) co_return result.error();
    metrics_.latency(Clock::now() - start);
    PGresult* res = result->get();
    const int rows = res ? PQntuples(res) : 0;
    if (rows == 0) co_return size_t{0};
    int cursor_col = -1;
    for (int c = 0; c < PQnfields(res); ++c) {
      if (o_.cursor_column == PQfname(res, c)) cursor_col = c;
    }
    if (cursor_col < 0) {
      co_return Error::permanent(
          fmt::format("the query returns no column named '{}' (cursor)", o_.cursor_column));
    }
    MessageBatch batch;
    batch.reserve(static_cast<size_t>(rows));
    size_t bytes = 0;
    for (int r = 0; r < rows; ++r) {
      if (PQgetisnull(res, r, cursor_col)) {
        co_return Error::permanent(fmt::format("cursor column '{}' is NULL", o_.cursor_column));
      }
      std::string cursor(PQgetvalue(res, r, cursor_col));
      Buffer payload(row_json(res, r));
      bytes += payload.size();
      read_from_ = cursor;
      const uint64_t seq = shared_->progress.emitted(cursor, payload);
      batch.push_back(make_message(seq, std::move(payload), cursor));
    }
    metrics_.received(batch.size(), bytes);
    Status s = co_await emitter.emit(std::move(batch));
    // Refused only when the flow stops; the flow settles the batch as failed.
    if (!s.ok()) co_return size_t{0};
    co_return static_cast<size_t>(rows);
  }

  // Hands failed rows whose backoff ended to the flow again.
  asio::awaitable<Status> redeliver(flow::Emitter& emitter) {
    auto due = shared_->progress.take_due(Clock::now(), kRedeliveryBatch);
    if (due.empty()) co_return ok_status();
    MessageBatch batch;
    for (auto& d : due) {
      Message m = make_message(d.offset, std::move(d.payload), "");
      m.headers.set("x-junction-attempts", std::to_string(d.attempt));
      batch.push_back(std::move(m));
    }
    co_return co_await emitter.emit(std::move(batch));
  }

  Message make_message(uint64_t seq, Buffer payload, const std::string& cursor) {
    Message m;
    m.payload = std::move(payload);
    m.id = new_message_id();
    m.timestamp_ms = now_ms();
    if (!cursor.empty()) m.headers.set(kCursorHeader, cursor);
    m.ack = Ack([shared = shared_, ex = ex_, seq](Status s) {
      asio::post(ex, [shared, seq, ok = s.ok()] {
        if (ok) {
          shared->progress.settled_ok(seq);
        } else {
          shared->progress.settled_failed(seq, Clock::now());
        }
        if (shared->waker) shared->waker->wake();
      });
    });
    return m;
  }

  asio::awaitable<void> save_checkpoint() {
    last_save_ = Clock::now();
    if (o_.checkpoint_file.empty() || shared_->progress.checkpoint() == saved_) co_return;
    saving_ = shared_->progress.checkpoint();
    auto save = [file = &o_.checkpoint_file, cursor = &saving_] {
      return save_cursor(*file, *cursor);
    };
    Status s = co_await components::blocking_call(*blocking_, save);
    if (s.ok()) {
      saved_ = saving_;
    } else {
      spdlog::warn("flow {}: postgres input checkpoint: {}", o_.flow, s.error().message());
    }
  }

  InputOptions o_;
  BlockingPool* blocking_;
  ConnectorMetrics metrics_;
  resilience::Backoff backoff_;
  asio::any_io_executor ex_;
  std::optional<PgConnection> conn_;
  std::shared_ptr<Shared> shared_;
  std::optional<components::Waker> waker_;
  std::string read_from_;  // the cursor of the last row read
  std::string saved_;      // the checkpoint on disk
  std::string saving_;     // the checkpoint being written
  Clock::time_point last_save_{};
  bool stopped_ = false;
};

}  // namespace

void register_postgres_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "postgres";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Polls a PostgreSQL query for new rows past a cursor column (incremental).";
  info.doc =
      "Runs `query` with $1 bound to the cursor (the `cursor` column's value of the last row "
      "read; `start` at first) every `interval`, and again at once while it returns rows. "
      "Write the query to return rows past $1 in cursor order, a page at a time: "
      "`SELECT * FROM orders WHERE updated_at > $1 ORDER BY updated_at LIMIT 500`. Each row "
      "becomes a JSON object message (numbers, booleans and json columns typed, the rest as "
      "strings) with header x-junction-postgres-cursor.\n"
      "The checkpoint (in the storage dir) moves only past rows the flow settled ok, so a "
      "restart re-reads from the lowest unsettled row: at-least-once. A row the flow fails "
      "is emitted again after a backoff (100ms doubling to 5s) and holds the checkpoint back "
      "until it succeeds or is dead-lettered. The cursor must increase with every new or "
      "changed row; rows that share a cursor value must come in one page. On connection loss "
      "the input reconnects with backoff (readiness false while down) and continues from its "
      "read position.\n"
      "Example:\n\n    input:\n      postgres:\n        dsn: ${PG_DSN}\n"
      "        query: SELECT * FROM orders WHERE id > $1 ORDER BY id LIMIT 500\n"
      "        cursor: id\n        start: \"0\"";
  info.schema.fields = {
      dsn_field(),
      {"query", spec::FieldType::kString, "", "SELECT with $1 = the cursor; in cursor order.",
       true},
      {"cursor", spec::FieldType::kString, "", "Result column holding the cursor value.", true},
      {"start", spec::FieldType::kString, "",
       "Cursor value to read after when there is no checkpoint yet (e.g. 0, 1970-01-01).", true},
      {"interval", spec::FieldType::kDuration, "1s", "Poll period once caught up."},
      {"max_in_flight", spec::FieldType::kInt, "1000", "Emitted, unsettled rows at most."},
      {"commit_interval", spec::FieldType::kDuration, "1s", "How often progress is saved."},
      {"timeout", spec::FieldType::kDuration, "30s",
       "Bound on connecting and on each query; past it the connection is dropped."},
  };
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    InputOptions o;
    o.flow = ctx.flow;
    o.dsn = c.str("dsn");
    if (o.dsn.empty()) return Error::invalid("dsn must not be empty");
    o.query = c.str("query");
    if (o.query.find("$1") == std::string::npos) {
      return Error::invalid("query must use $1, the cursor: ... WHERE id > $1 ORDER BY id");
    }
    o.cursor_column = c.str("cursor");
    if (o.cursor_column.empty()) return Error::invalid("cursor must name a result column");
    o.start = c.str("start");
    o.interval = c.duration("interval");
    o.timeout = c.duration("timeout");
    o.commit_interval = c.duration("commit_interval");
    if (o.interval <= Duration::zero() || o.timeout <= Duration::zero() ||
        o.commit_interval < Duration::zero()) {
      return Error::invalid("interval and timeout must be above zero");
    }
    const int64_t in_flight = c.integer("max_in_flight");
    if (in_flight < 1 || in_flight > 1'000'000) {
      return Error::invalid("max_in_flight must be 1..1000000");
    }
    o.max_in_flight = static_cast<size_t>(in_flight);
    if (!ctx.storage_dir.empty())
      o.checkpoint_file = cursor_checkpoint_file(ctx.storage_dir, ctx.flow);
    return std::unique_ptr<flow::Input>(std::make_unique<PostgresInput>(std::move(o), ctx));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::postgres
