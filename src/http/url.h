#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::http {

// An absolute http(s) URL, split into what a client needs to connect and send.
struct Url {
  std::string scheme;        // "http" or "https"
  std::string host;          // name or IP address; IPv6 without brackets
  uint16_t port = 0;         // explicit or the scheme default (80 / 443)
  std::string target = "/";  // path and query, percent-encoded as given

  bool tls() const { return scheme == "https"; }
  // The Host header value: port omitted when it is the scheme default.
  std::string host_header() const;
  // "scheme://host:port": the identity of a connection for pooling.
  std::string origin() const;
};

// Accepts only absolute http:// and https:// URLs with a host; anything else
// is Error::invalid.
Result<Url> parse_url(std::string_view text);

}  // namespace junction::http
