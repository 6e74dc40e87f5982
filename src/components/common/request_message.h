#pragma once

#include <string_view>

#include "core/buffer.h"
#include "core/message.h"
#include "http/server.h"

namespace junction::components {

// The message an HTTP request becomes, for the inputs that take requests
// (http_server, gateway): `payload` as the payload, the request id as the
// message id, the request headers as metadata (less those that stay at the
// edge), and `http-method`, `http-target` (path and query) and, with mTLS,
// `client-subject`.
Message request_message(const http::Request& req, const http::RequestInfo& info, Buffer payload);

// Request headers that never become metadata: credentials (they must not
// travel on into logs, dead letters and outputs), hop-by-hop headers (they
// mean nothing past this connection), and names the edge sets itself (a
// client must not pass for what the edge vouches for).
bool header_stays_at_edge(std::string_view name);

}  // namespace junction::components
