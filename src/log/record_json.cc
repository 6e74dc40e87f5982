#include "log/record_json.h"

#include <boost/json.hpp>

namespace junction::log {

namespace json = boost::json;

json::object record_to_json(int32_t partition, const Record& r) {
  json::object o;
  o["partition"] = partition;
  o["offset"] = r.offset;
  o["timestamp"] = r.timestamp_ms;
  o["key"] = r.key ? json::value(*r.key) : json::value(nullptr);
  o["value"] = r.value ? json::value(*r.value) : json::value(nullptr);
  json::object headers;
  for (const auto& h : r.headers) {
    headers[h.key] = h.value ? json::value(*h.value) : json::value(nullptr);
  }
  o["headers"] = std::move(headers);
  return o;
}

}  // namespace junction::log
