#include "connectors/postgres/pg_connection.h"

#include <poll.h>
#include <unistd.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "connectors/postgres/sqlstate.h"

namespace junction::connectors::postgres {
namespace {

std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

PgConnection::PgConnection(asio::any_io_executor ex, std::string conninfo, Duration timeout)
    : ex_(ex), conninfo_(std::move(conninfo)), timeout_(timeout), deadline_(ex) {}

PgConnection::~PgConnection() {
  close();
}

void PgConnection::close() {
  ++generation_;
  deadline_.cancel();
  socket_.reset();  // our dup of the socket; libpq closes its own
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
  set_up_.clear();
}

void PgConnection::arm_deadline() {
  timed_out_ = false;
  const uint64_t generation = ++generation_;
  deadline_.expires_after(timeout_);
  // Runs after ~PgConnection only with an error (the timer was destroyed),
  // and then touches nothing.
  deadline_.async_wait([this, generation](boost::system::error_code ec) {
    if (ec || generation != generation_) return;
    timed_out_ = true;
    if (socket_) socket_->cancel();
  });
}

void PgConnection::disarm_deadline() {
  ++generation_;
  deadline_.cancel();
}

asio::awaitable<bool> PgConnection::wait(Wait what) {
  if (timed_out_ || !socket_) co_return false;
  // Asio's reactor is edge-triggered and a wait takes no readiness it saw
  // before the wait began, so look first: libpq may have left bytes behind.
  pollfd p{socket_->native_handle(), static_cast<short>(what == Wait::kRead ? POLLIN : POLLOUT), 0};
  if (::poll(&p, 1, 0) > 0) co_return true;  // ready, or an error libpq will report
  boost::system::error_code ec;
  co_await socket_->async_wait(what == Wait::kRead ? asio::posix::stream_descriptor::wait_read
                                                   : asio::posix::stream_descriptor::wait_write,
                               asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && !timed_out_ && socket_.has_value();
}

Error PgConnection::connection_error(std::string_view what) {
  std::string reason = timed_out_ ? "timed out after " + format_duration(timeout_)
                                  : trimmed(conn_ ? PQerrorMessage(conn_) : "connection closed");
  if (reason.empty()) reason = "connection lost";
  close();
  return Error::transient("postgres " + std::string(what) + ": " + reason);
}

asio::awaitable<Status> PgConnection::connect() {
  close();
  conn_ = PQconnectStart(conninfo_.c_str());
  if (!conn_) co_return Error::transient("postgres connect: out of memory");
  if (PQstatus(conn_) == CONNECTION_BAD) co_return connection_error("connect");
  arm_deadline();
  // PQconnectStart behaves as if PQconnectPoll had asked to wait for writing.
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) break;
    // libpq may open a new socket between polls (another address, SSL
    // fallback): watch the current one.
    socket_.reset();
    const int fd = PQsocket(conn_);
    if (fd < 0) break;
    socket_.emplace(ex_, ::dup(fd));
    bool ready = co_await wait(state == PGRES_POLLING_READING ? Wait::kRead : Wait::kWrite);
    if (!ready) break;
    state = PQconnectPoll(conn_);
  }
  if (state != PGRES_POLLING_OK) {
    const bool auth = conn_ && !timed_out_ && PQconnectionNeedsPassword(conn_);
    Error e = connection_error("connect");
    if (auth) co_return Error::unauthorized(e.message());
    co_return e;
  }
  disarm_deadline();
  if (PQsetnonblocking(conn_, 1) != 0) co_return connection_error("connect");
  co_return ok_status();
}

asio::awaitable<Result<PgResult>> PgConnection::query(std::string_view sql,
                                                      std::span<const Param> params) {
  if (!connected()) co_return Error::transient("postgres: not connected");
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i] ? params[i]->c_str() : nullptr;
  }
  const std::string text(sql);  // libpq wants it NUL-terminated
  if (!PQsendQueryParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0)) {
    co_return connection_error("send");
  }
  co_return co_await finish();
}

asio::awaitable<Result<PgResult>> PgConnection::execute(const std::string& name,
                                                        const std::string& sql,
                                                        std::span<const Param> params) {
  if (!connected()) co_return Error::transient("postgres: not connected");
  if (!prepared_.contains(name)) {
    if (!PQsendPrepare(conn_, name.c_str(), sql.c_str(), 0, nullptr)) {
      co_return connection_error("prepare");
    }
    auto prepared = co_await finish();
    if (!prepared.ok()) co_return prepared.error();
    prepared_.insert(name);
  }
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i] ? params[i]->c_str() : nullptr;
  }
  if (!PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                           nullptr, nullptr, 0)) {
    co_return connection_error("send");
  }
  co_return co_await finish();
}

asio::awaitable<Status> PgConnection::once_per_session(const std::string& name,
                                                       const std::string& sql) {
  if (set_up_.contains(name)) co_return ok_status();
  auto r = co_await query(sql, {});
  if (!r.ok()) co_return r.error();
  set_up_.insert(name);
  co_return ok_status();
}

asio::awaitable<Result<PgResult>> PgConnection::copy_in(std::string_view sql,
                                                        std::string_view data) {
  if (!connected()) co_return Error::transient("postgres: not connected");
  // The simple protocol: it takes several statements in one query.
  const std::string text(sql);
  if (!PQsendQuery(conn_, text.c_str())) co_return connection_error("send");
  arm_deadline();
  Status sent = co_await flush();
  if (!sent.ok()) co_return sent.error();
  auto started = co_await collect();
  if (!started.ok() || !*started || PQresultStatus(started->get()) != PGRES_COPY_IN) {
    disarm_deadline();
    if (!started.ok()) co_return started.error();
    co_return Error::permanent("postgres: the statement did not start a COPY FROM STDIN");
  }
  Status copied = co_await send_copy_data(data);
  if (!copied.ok()) co_return copied.error();
  auto done = co_await collect();
  disarm_deadline();
  co_return done;
}

asio::awaitable<Status> PgConnection::send_copy_data(std::string_view data) {
  // Chunks bound what libpq buffers besides `data`; each is flushed before
  // the next, so a slow server holds the sender back.
  constexpr size_t kChunk = 256 * 1024;
  // libpq answers 0 when it cannot queue more without blocking: flushing
  // (waiting for the socket) makes room. Twice with nothing left to flush,
  // it is out of memory and waiting would not help.
  int stalls = 0;
  for (size_t at = 0; at < data.size();) {
    const size_t n = std::min(kChunk, data.size() - at);
    const int put = PQputCopyData(conn_, data.data() + at, static_cast<int>(n));
    if (put < 0 || (put == 0 && ++stalls > 2)) co_return connection_error("copy");
    if (put > 0) {
      at += n;
      stalls = 0;
    }
    Status s = co_await flush();
    if (!s.ok()) co_return s;
  }
  for (stalls = 0;;) {
    const int end = PQputCopyEnd(conn_, nullptr);
    if (end < 0 || (end == 0 && ++stalls > 2)) co_return connection_error("copy");
    if (end > 0) break;
    Status s = co_await flush();
    if (!s.ok()) co_return s;
  }
  co_return co_await flush();
}

asio::awaitable<Result<PgResult>> PgConnection::finish() {
  arm_deadline();
  Status sent = co_await flush();
  if (!sent.ok()) co_return sent.error();
  auto r = co_await collect();
  disarm_deadline();
  co_return r;
}

asio::awaitable<Status> PgConnection::flush() {
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) co_return ok_status();
    if (flushed < 0) co_return connection_error("send");
    bool ready = co_await wait(Wait::kWrite);
    if (!ready) co_return connection_error("send");
  }
}

asio::awaitable<Result<PgResult>> PgConnection::collect() {
  PgResult last;
  std::optional<Error> failure;
  for (;;) {
    while (PQisBusy(conn_)) {
      bool ready = co_await wait(Wait::kRead);
      if (!ready || !conn_ || !PQconsumeInput(conn_)) co_return connection_error("query");
    }
    PgResult r(PQgetResult(conn_));
    if (!r) break;
    const ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_COPY_IN) co_return r;  // the caller sends the data
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) {
      if (!failure) {
        const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
        const std::string sqlstate = state ? state : "";
        std::string message = trimmed(PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY));
        if (message.empty()) message = trimmed(PQresultErrorMessage(r.get()));
        if (const char* detail = PQresultErrorField(r.get(), PG_DIAG_MESSAGE_DETAIL)) {
          message += " (" + trimmed(detail) + ")";
        }
        failure =
            Error(classify_sqlstate(sqlstate), "postgres: " + message + " [SQLSTATE " +
                                                   (sqlstate.empty() ? "none" : sqlstate) + "]");
      }
    } else {
      last = std::move(r);
    }
  }
  if (failure) {
    // A server shutting down sends a FATAL error and hangs up.
    if (PQstatus(conn_) != CONNECTION_OK) {
      close();
      co_return Error::transient(failure->message());
    }
    co_return *failure;
  }
  co_return last;
}

}  // namespace junction::connectors::postgres
