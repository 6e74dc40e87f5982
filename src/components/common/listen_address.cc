#include "components/common/listen_address.h"

#include <charconv>

namespace junction::components {

bool parse_listen_address(const std::string& listen, http::ServerOptions& options) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const char* b = listen.data() + colon + 1;
  const char* e = listen.data() + listen.size();
  auto [p, ec] = std::from_chars(b, e, port);
  if (b == e || ec != std::errc() || p != e || port > 65535) return false;
  options.host = host;
  options.port = static_cast<uint16_t>(port);
  return true;
}

}  // namespace junction::components
