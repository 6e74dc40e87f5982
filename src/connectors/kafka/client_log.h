#pragma once

#include <librdkafka/rdkafka.h>

namespace junction::connectors::kafka {

// librdkafka's log callback, into spdlog. Failures also reach the clients'
// error callbacks, which log them once with context, so librdkafka's own
// lines go to debug unless critical.
void log_to_spdlog(const rd_kafka_t* rk, int level, const char* facility, const char* line);

}  // namespace junction::connectors::kafka
