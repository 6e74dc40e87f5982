#pragma once

#include <string>

#include "connectors/common/connector_metrics.h"

namespace junction::connectors::redis {

// Reports a component's Redis connection going down and coming back: the
// connector metrics and readiness, and one log line per change rather than
// one per failed retry.
class LinkStatus {
 public:
  LinkStatus(ConnectorMetrics& metrics, std::string flow, std::string what)
      : metrics_(metrics), flow_(std::move(flow)), what_(std::move(what)) {}

  void up();
  void down(const std::string& reason);
  ConnectorMetrics& metrics() { return metrics_; }

 private:
  ConnectorMetrics& metrics_;
  std::string flow_;
  std::string what_;  // "redis 127.0.0.1:6379/0"
  bool warned_ = false;
};

}  // namespace junction::connectors::redis
