#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connectors/mqtt/session.h"
#include "flow/component.h"

namespace junction::connectors::mqtt {

// One message to publish.
struct Publication {
  std::string topic;
  std::string payload;
  // MQTT 5 user properties (sent only on an MQTT 5 connection).
  std::vector<std::pair<std::string, std::string>> properties;
};

// Publishes batches on its own session and reports how many the broker
// took, in order: at QoS 1 a message counts once its PUBACK came, at QoS 0
// once libmosquitto wrote it to the socket. QoS 1 messages in flight when the
// connection drops are sent again by libmosquitto after the reconnect (same
// packet id, DUP set); QoS 0 ones are lost with the connection and reported
// not written.
class Publisher final : public SessionHandler {
 public:
  struct Options {
    int qos = 1;
    bool retain = false;
    Duration timeout = std::chrono::seconds(30);  // a whole batch, connecting included
  };

  Publisher(Options o, ConnectorMetrics& metrics) : o_(o), metrics_(metrics) {}

  // Builds the session (no socket yet).
  Status init(ConnectionOptions connection, asio::any_io_executor ex, BlockingPool& pool);
  void start() { session_->start(); }
  asio::awaitable<void> stop() { co_await session_->stop(); }

  // Publishes `items` in order; `written` is the acknowledged prefix.
  asio::awaitable<flow::WriteResult> publish(std::span<const Publication> items);

  const ConnectionOptions& connection() const { return session_->options(); }

 private:
  struct Call;

  void on_connected(bool session_present) override;
  void on_connection_lost() override;
  void on_published(int mid) override;
  Status send(const Publication& p, int& mid);

  Options o_;
  ConnectorMetrics& metrics_;
  std::shared_ptr<Session> session_;
  std::unordered_map<int, std::pair<Call*, size_t>> in_flight_;  // mid -> call, index
  std::vector<Call*> calls_;
};

}  // namespace junction::connectors::mqtt
