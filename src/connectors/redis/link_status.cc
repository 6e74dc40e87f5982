#include "connectors/redis/link_status.h"

#include <spdlog/spdlog.h>

namespace junction::connectors::redis {

void LinkStatus::up() {
  if (metrics_.is_connected()) return;
  metrics_.connected();
  warned_ = false;
  spdlog::info("flow {}: connected to {}", flow_, what_);
}

void LinkStatus::down(const std::string& reason) {
  metrics_.error();
  if (metrics_.is_connected() || !warned_) {
    spdlog::warn("flow {}: {}: {}; reconnecting", flow_, what_, reason);
    warned_ = true;
  }
  metrics_.disconnected(reason);
}

}  // namespace junction::connectors::redis
