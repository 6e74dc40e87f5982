#pragma once

#include <boost/asio/experimental/channel.hpp>
#include <memory>
#include <vector>

#include "connectors/postgres/pg_connection.h"

namespace junction::connectors::postgres {

// A fixed set of connections shared by the coroutines of one component (the
// flow runs several batches at once). A caller takes a connection, uses it
// alone, and hands it back when its Lease ends; callers beyond the pool's
// size wait their turn. Connections are opened lazily by their users, so a
// pool costs no socket until it is used.
class ConnectionPool {
 public:
  ConnectionPool(asio::any_io_executor ex, const std::string& conninfo, Duration timeout,
                 size_t size);

  class Lease {
   public:
    Lease(ConnectionPool* pool, PgConnection* conn) : pool_(pool), conn_(conn) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(o.conn_) { o.conn_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->release(conn_);
    }
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_; }

   private:
    ConnectionPool* pool_;
    PgConnection* conn_;
  };

  asio::awaitable<Lease> acquire();
  // Closes the idle connections (close() runs once nothing is in flight).
  void close();

 private:
  void release(PgConnection* conn);

  std::vector<std::unique_ptr<PgConnection>> connections_;
  asio::experimental::channel<void(boost::system::error_code, PgConnection*)> idle_;
};

}  // namespace junction::connectors::postgres
