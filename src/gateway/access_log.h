#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace junction::gateway {

// One request, as the access log tells it. Never a credential: identity is
// the consumer's name, not its token or key.
struct AccessEntry {
  std::string_view request_id;
  std::string_view method;
  std::string_view target;  // the path is logged, the query is not
  std::string_view route;
  unsigned status = 0;
  std::string_view upstream;
  int attempts = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::string_view client;
  std::string_view identity;
  double latency_ms = 0;
};

// The JSON line for `e`: {"type":"access","request_id":...,"latency_ms":0.412}.
// Every string is escaped, and bytes of a path outside printable ASCII
// become '?', so a hostile request cannot make the line invalid JSON.
// Written directly rather than through a JSON DOM: it runs once per request.
std::string format_access_line(const AccessEntry& e);
// The same line, appended to `out` (a buffer kept for reuse).
void append_access_line(const AccessEntry& e, std::string& out);

}  // namespace junction::gateway
