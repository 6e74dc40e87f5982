#pragma once

#include <string>
#include <string_view>

#include "core/headers.h"
#include "http/server.h"
#include "http/types.h"

namespace junction::gateway {

// What a route tells its upstream of the caller the gateway authenticated.
// A value the client sent under `header` never reaches the upstream (it
// would be a forged identity); the gateway's own goes instead when the
// caller is not anonymous, with any byte outside printable ASCII, and `%`,
// percent-encoded. With `drop_credentials`, Authorization and the API key
// header stay at the gateway.
struct UpstreamIdentity {
  std::string_view header;    // empty: none
  std::string_view consumer;  // empty: anonymous
  bool drop_credentials = false;
  std::string_view api_key_header;  // dropped with the credentials; empty: none
};

// `consumer` as a field value: printable ASCII but `%` as it is, every
// other byte as %XX.
std::string identity_field_value(std::string_view consumer);

// The request to send upstream: the client's method, body and end-to-end
// headers, with hop-by-hop headers (RFC 9110 section 7.6.1, and any the
// Connection header names) removed, X-Forwarded-For extended with the
// client's address, X-Forwarded-Proto and X-Forwarded-Host set, and
// X-Request-Id set to the id the server chose. Expect is dropped: the
// gateway sends the body without waiting. traceparent and tracestate
// pass through untouched. `target` is the path and query to ask for.
http::Request upstream_request(const http::Request& in, std::string_view target,
                               const http::RequestInfo& info, const UpstreamIdentity& who = {});

// upstream_request() in place, but for the target and Host: the request
// goes on with http::Client::relay(), which writes both (its Host field is
// left in place, and not sent). Its
// Content-Length is set from the body. The fields the proxy adds
// (X-Forwarded-*, X-Request-Id) are not inserted but written into
// `forwarding` as header lines ("Name: value\r\n"), for relay() to send
// after the request's own: an insertion into Beast's field tree costs about
// 450 instructions each.
void prepare_upstream_request(http::Request& req, const http::RequestInfo& info,
                              std::string& forwarding, const UpstreamIdentity& who = {});

// Makes an upstream's answer the gateway's: removes its hop-by-hop fields
// (the server sets its own framing when it sends it on) and its Server (the
// gateway answers as itself, as nginx and Envoy do: the client need not
// know what runs behind).
void adopt_upstream_answer(http::Response& res);

// The request target with `prefix` removed when the path starts with it at a
// segment boundary: "/api/orders?x" less "/api" is "/orders?x", and "/api"
// becomes "/". Unchanged otherwise.
std::string strip_prefix(std::string_view target, std::string_view prefix);

// Whether a retry may repeat the method's effect safely (RFC 9110 9.2.2).
bool idempotent(boost::beast::http::verb method);

}  // namespace junction::gateway
