#pragma once

// Internal to the server: the parts of serving a request that do not touch
// the connection.

#include <string>
#include <string_view>

#include "http/server.h"

namespace junction::http::detail {

// The client's X-Request-Id when it is safe to echo and log (<= 128 chars of
// [A-Za-z0-9._-]); a fresh id otherwise. Into `out`, whose buffer is reused.
void choose_request_id(std::string_view client_value, std::string& out);

// Runs a streaming handler; an exception ends it as if it had returned.
asio::awaitable<void> call_stream_handler(
    const std::function<asio::awaitable<void>(RequestStream&, const RequestInfo&)>& handler,
    RequestStream& stream, const RequestInfo& info);

// Headers every response carries: version, keep-alive, Server, X-Request-Id,
// and a correct Content-Length.
void finish_response(Response& res, unsigned version, bool keep_alive, bool head_request,
                     const RequestInfo& info, const ServerOptions& options);

// finish_response() for a response the server formats itself (wire.h):
// Server, X-Request-Id and Connection are not stored in the response but
// appended to `lines` as header lines (after any the handler put there,
// RequestInfo::response_lines), which format_header() puts after the
// response's own fields. In Beast's fields each would cost a lookup and a
// tree insertion. Returns whether the connection stays open: `wanted`
// (the client's wish, the server not stopping) unless the response asks to
// close. `res` must not be chunked.
bool finish_response_on_wire(Response& res, unsigned version, bool wanted, bool head_request,
                             const RequestInfo& info, const ServerOptions& options,
                             std::string& lines);

// Moves header lines a handler wrote (RequestInfo::response_lines) into the
// response's fields, for a response that Beast writes; `lines` ends empty.
void insert_field_lines(Response& res, std::string& lines);

// Server and X-Request-Id for a response whose body is relayed: its framing
// and keep-alive are the relay's to choose.
void finish_relayed_header(boost::beast::http::response_header<>& head, const RequestInfo& info,
                           const ServerOptions& options);

}  // namespace junction::http::detail
