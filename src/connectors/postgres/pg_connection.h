#pragma once

#include <libpq-fe.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/units.h"

namespace junction::connectors::postgres {

namespace asio = boost::asio;

// A statement parameter in text form; nullopt is SQL NULL.
using Param = std::optional<std::string>;

// Owns one PGresult.
struct PgResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultFree>;

// One libpq connection driven by the executor it was made on: libpq runs in
// non-blocking mode and its socket is watched by Asio, so a slow or dead
// server never blocks the thread. Single-threaded: one statement at a time
// (callers serialise through ConnectionPool).
//
// Every wait is bounded by `timeout`; when it passes, the connection is
// dropped (its state is unknown) and the call fails transient.
class PgConnection {
 public:
  PgConnection(asio::any_io_executor ex, std::string conninfo, Duration timeout);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Opens a new session (dropping the old one). Fails transient when the
  // server is unreachable, unauthorized on bad credentials.
  asio::awaitable<Status> connect();
  // Runs one statement with text parameters and returns its last result.
  // A server error comes back classified by its SQLSTATE (see sqlstate.h).
  asio::awaitable<Result<PgResult>> query(std::string_view sql, std::span<const Param> params);
  // Runs a named prepared statement, preparing it first on a new session:
  // the server parses and plans it once per connection.
  asio::awaitable<Result<PgResult>> execute(const std::string& name, const std::string& sql,
                                            std::span<const Param> params);

  // Runs `sql`, a simple query whose first statement is a COPY ... FROM
  // STDIN (more statements may follow it, in the same transaction), with
  // `data` as the COPY's input. Returns the last result, or the first error
  // classified as query() does.
  asio::awaitable<Result<PgResult>> copy_in(std::string_view sql, std::string_view data);
  // Runs `sql` unless this session already ran it under `name`: the setup
  // a session keeps (a temporary table), done again after a reconnect.
  asio::awaitable<Status> once_per_session(const std::string& name, const std::string& sql);

  bool connected() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
  void close();

 private:
  enum class Wait { kRead, kWrite };
  // Waits until the socket is ready; false on timeout or a dead socket.
  asio::awaitable<bool> wait(Wait what);
  // Builds the error of a failed call from libpq's message, closing the
  // session when it is no longer usable.
  Error connection_error(std::string_view what);
  // Flushes what was sent and collects the results of one statement.
  asio::awaitable<Result<PgResult>> finish();
  // Waits until libpq sent everything it holds.
  asio::awaitable<Status> flush();
  // Collects results until there are none left, or until a COPY waits for
  // its data (returned as the PGRES_COPY_IN result). The deadline is armed.
  asio::awaitable<Result<PgResult>> collect();
  // Streams `data` and ends the COPY, once the server asked for it.
  asio::awaitable<Status> send_copy_data(std::string_view data);
  void arm_deadline();
  void disarm_deadline();

  asio::any_io_executor ex_;
  std::string conninfo_;  // holds the password: never logged
  Duration timeout_;
  PGconn* conn_ = nullptr;
  // A dup() of libpq's socket: Asio owns the copy, libpq the original.
  std::optional<asio::posix::stream_descriptor> socket_;
  asio::steady_timer deadline_;
  bool timed_out_ = false;
  uint64_t generation_ = 0;         // tells a stale deadline from the current one
  std::set<std::string> prepared_;  // statement names this session knows
  std::set<std::string> set_up_;    // once_per_session names this session ran
};

}  // namespace junction::connectors::postgres
