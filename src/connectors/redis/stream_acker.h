#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "components/common/waker.h"
#include "connectors/redis/link.h"
#include "connectors/redis/link_status.h"
#include "flow/wait_group.h"

namespace junction::connectors::redis {

// XACKs the entries the flow settled ok, in batches, on a connection of its
// own so that acks do not wait behind the reader's XREADGROUP BLOCK. A
// failed XACK is kept and sent again after a backoff; acks still unsent when
// the input closes are not lost either: the entries stay pending, and the
// next start delivers them again. Single-threaded: runs on the input's
// executor.
class StreamAcker {
 public:
  StreamAcker(const Endpoint& endpoint, std::string stream, std::string group, LinkStatus& status);

  void start(const boost::asio::any_io_executor& ex);
  void ack(std::string id);
  // Queued or being sent: such an entry is still pending on the server, but
  // must not be delivered again.
  bool unsent(const std::string& id) const { return unsent_.contains(id); }
  // Sends what is queued once, then stops (and joins the connection's thread).
  boost::asio::awaitable<void> close();

 private:
  boost::asio::awaitable<void> loop();

  Endpoint endpoint_;
  std::unique_ptr<Link> link_;  // from start(): building opens nothing
  std::string stream_;
  std::string group_;
  LinkStatus& status_;
  std::optional<components::Waker> waker_;
  std::optional<flow::WaitGroup> running_;
  std::vector<std::string> queue_;          // in settle order
  std::unordered_set<std::string> unsent_;  // the same ids, for lookups
  bool closing_ = false;
};

}  // namespace junction::connectors::redis
