#pragma once

// Internal to the client: one request/response exchange whose response body
// (and optionally request body) is streamed rather than buffered.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "core/error.h"
#include "core/units.h"
#include "http/body_source.h"
#include "http/connection_pool.h"
#include "http/types.h"

namespace junction::http::detail {

namespace asio = boost::asio;

using ResponseParser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;

struct StreamStart {
  boost::system::error_code ec;       // a transport failure
  std::optional<Error> source_error;  // the request body's source failed
  bool source_touched = false;        // bytes were taken from the source
  bool got_response_bytes = false;
  std::unique_ptr<ResponseParser> parser;  // its header read, when all went well
};

// Sends `req` (its body, or the body read from `source`: chunked unless req
// has a Content-Length) and reads the response header. Each write and read
// is bounded by `timeout`: a large body may take long, a silent peer not.
asio::awaitable<StreamStart> start_exchange(ClientConnection& conn, Request& req,
                                            BodySource* source, Duration timeout);

// Hands a connection whose response was read to its end back for reuse.
using ReleaseConnection = std::function<void(std::unique_ptr<ClientConnection>)>;

// The response body of a started exchange, read from its connection; the
// connection goes to `release` at the end of a body that leaves it reusable.
std::unique_ptr<BodySource> response_body(std::unique_ptr<ClientConnection> conn,
                                          std::unique_ptr<ResponseParser> parser, Duration timeout,
                                          ReleaseConnection release);

}  // namespace junction::http::detail
