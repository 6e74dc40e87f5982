#pragma once

#include <string>

#include "http/server.h"

namespace junction::components {

// "host:port" or "[v6]:port" into server options; false when malformed.
bool parse_listen_address(const std::string& listen, http::ServerOptions& options);

}  // namespace junction::components
