#include "connectors/kafka/client_log.h"

#include <spdlog/spdlog.h>

namespace junction::connectors::kafka {

void log_to_spdlog(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
  // Syslog levels: 0-2 emergency to critical, 3 error, 4 warning, ...
  if (level <= 2) {
    spdlog::error("kafka {}: {}: {}", rd_kafka_name(rk), facility, line);
  } else {
    spdlog::debug("kafka {}: {}: {}", rd_kafka_name(rk), facility, line);
  }
}

}  // namespace junction::connectors::kafka
