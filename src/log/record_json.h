#pragma once

#include <boost/json/object.hpp>
#include <cstdint>

#include "log/record_batch.h"

namespace junction::log {

// A record as the topic CLI and the topics HTTP API show it: partition,
// offset, timestamp, key, value and headers (null where the record has none).
boost::json::object record_to_json(int32_t partition, const Record& r);

}  // namespace junction::log
