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

asio::awaitable<Result<PgResult>> PgConnection::finish() {
  arm_deadline();
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) break;
    if (flushed < 0) co_return connection_error("send");
    bool ready = co_await wait(Wait::kWrite);
    if (!ready) co_return connection_error("send");
  }
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
  disarm_deadline();
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
