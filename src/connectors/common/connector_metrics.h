#pragma once

#include <string>
#include <string_view>

#include "core/units.h"
#include "flow/registry.h"

namespace junction::observe {
class Counter;
class Gauge;
class Histogram;
}  // namespace junction::observe

namespace junction::connectors {

// What every connector reports, labelled {connector, flow, step}:
//   junction_connector_connected            gauge, 1 while the connection is up
//   junction_connector_messages_total       counter, direction="in"|"out"
//   junction_connector_bytes_total          counter, direction="in"|"out"
//   junction_connector_errors_total         counter
//   junction_connector_reconnects_total     counter
//   junction_connector_latency_seconds      histogram: a round trip to the
//                                           system (a write until acked, a query)
// and its readiness, as component "connector <flow>.<step>" in /health/ready.
// Thread-safe: client libraries call back from their own threads.
class ConnectorMetrics {
 public:
  // `connector` is the system: "kafka", "nats", "postgres", "redis", "mqtt", "amqp".
  ConnectorMetrics(const flow::ComponentContext& ctx, std::string connector);

  // Not ready until the first connected(): call from open().
  void connecting();
  void connected();
  // Down (readiness false with the reason); counts a reconnect when it was up.
  void disconnected(std::string_view reason);
  // The component is gone for good (close()): leaves readiness.
  void closed();

  void received(size_t messages, size_t bytes);
  void sent(size_t messages, size_t bytes);
  void error(size_t n = 1);
  void latency(Duration d);

  bool is_connected() const;
  const std::string& component() const { return component_; }

 private:
  observe::Health* health_;
  std::string component_;
  observe::Gauge* connected_;
  observe::Counter* messages_in_;
  observe::Counter* messages_out_;
  observe::Counter* bytes_in_;
  observe::Counter* bytes_out_;
  observe::Counter* errors_;
  observe::Counter* reconnects_;
  observe::Histogram* latency_;
};

}  // namespace junction::connectors
