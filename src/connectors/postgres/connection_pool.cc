#include "connectors/postgres/connection_pool.h"

#include <boost/asio/use_awaitable.hpp>

namespace junction::connectors::postgres {

ConnectionPool::ConnectionPool(asio::any_io_executor ex, const std::string& conninfo,
                               Duration timeout, size_t size)
    : idle_(ex, size) {
  for (size_t i = 0; i < size; ++i) {
    connections_.push_back(std::make_unique<PgConnection>(ex, conninfo, timeout));
    idle_.try_send(boost::system::error_code{}, connections_.back().get());
  }
}

asio::awaitable<ConnectionPool::Lease> ConnectionPool::acquire() {
  PgConnection* conn = co_await idle_.async_receive(asio::use_awaitable);
  co_return Lease(this, conn);
}

void ConnectionPool::release(PgConnection* conn) {
  // Never blocks: the channel holds as many as there are connections.
  idle_.try_send(boost::system::error_code{}, conn);
}

void ConnectionPool::close() {
  for (auto& c : connections_) c->close();
}

}  // namespace junction::connectors::postgres
