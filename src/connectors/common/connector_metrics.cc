#include "connectors/common/connector_metrics.h"

#include "observe/health.h"
#include "observe/metrics.h"

namespace junction::connectors {

ConnectorMetrics::ConnectorMetrics(const flow::ComponentContext& ctx, std::string connector)
    : health_(ctx.health), component_("connector " + ctx.flow + "." + ctx.step) {
  observe::Registry& r = *ctx.metrics;
  const observe::Labels base = {{"connector", connector}, {"flow", ctx.flow}, {"step", ctx.step}};
  auto with = [&](const char* name, const char* value) {
    observe::Labels l = base;
    l.emplace_back(name, value);
    return l;
  };
  connected_ = &r.gauge("junction_connector_connected",
                        "1 while the connector's connection to its system is up.", base);
  messages_in_ = &r.counter("junction_connector_messages_total",
                            "Messages received from (in) or accepted by (out) the system.",
                            with("direction", "in"));
  messages_out_ = &r.counter("junction_connector_messages_total",
                             "Messages received from (in) or accepted by (out) the system.",
                             with("direction", "out"));
  bytes_in_ = &r.counter("junction_connector_bytes_total",
                         "Payload bytes received from (in) or accepted by (out) the system.",
                         with("direction", "in"));
  bytes_out_ = &r.counter("junction_connector_bytes_total",
                          "Payload bytes received from (in) or accepted by (out) the system.",
                          with("direction", "out"));
  errors_ = &r.counter("junction_connector_errors_total",
                       "Failed operations against the system (connect, read, write, ack).", base);
  reconnects_ = &r.counter("junction_connector_reconnects_total",
                           "Times the connection was lost after it had been up.", base);
  latency_ = &r.histogram("junction_connector_latency_seconds",
                          "Round trips to the system: a write until acknowledged, a query.", base);
}

void ConnectorMetrics::connecting() {
  if (health_) health_->set_ready(component_, false, "connecting");
}

void ConnectorMetrics::connected() {
  connected_->set(1);
  if (health_) health_->set_ready(component_, true);
}

void ConnectorMetrics::disconnected(std::string_view reason) {
  if (connected_->value() != 0) reconnects_->inc();
  connected_->set(0);
  if (health_) health_->set_ready(component_, false, std::string(reason));
}

void ConnectorMetrics::closed() {
  connected_->set(0);
  if (health_) health_->remove(component_);
}

void ConnectorMetrics::received(size_t messages, size_t bytes) {
  messages_in_->inc(messages);
  bytes_in_->inc(bytes);
}

void ConnectorMetrics::sent(size_t messages, size_t bytes) {
  messages_out_->inc(messages);
  bytes_out_->inc(bytes);
}

void ConnectorMetrics::error(size_t n) {
  errors_->inc(n);
}

void ConnectorMetrics::latency(Duration d) {
  latency_->observe(d);
}

bool ConnectorMetrics::is_connected() const {
  return connected_->value() != 0;
}

}  // namespace junction::connectors
