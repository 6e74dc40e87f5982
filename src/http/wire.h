#pragma once

// Writing a whole message in one gathered write.
//
// Beast's serializer presents a message as nested buffer-sequence views and
// walks them on every write; for the small messages a gateway mostly
// proxies, that walk cost more user CPU than the rest of the request
// (about 30% of a proxied GET, measured with perf against bench/gateway).
// A message whose length is known is instead written as two buffers: its
// header, formatted once into a string, and its body.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>
#include <string>
#include <tuple>

#include "http/types.h"

namespace junction::http {

// The start line and fields, ending in the blank line. `lines`, header
// lines ("Name: value\r\n") the sender adds without storing them in the
// message, go after the message's own fields.
void format_header(const Request& req, std::string& out);
void format_header(const Response& res, std::string& out, std::string_view lines = {});

// A request sent on with a start line and Host of its own (a proxy's): the
// target is `prefix` + `target` (the message's own when `target` is empty),
// and a non-empty `host` is written as the Host field, before the message's
// fields and in place of any Host among them.
struct RequestLine {
  std::string_view prefix;
  std::string_view target;
  std::string_view host;
  std::string_view fields;  // more header lines ("Name: value\r\n"), after the message's
};
void format_header(const Request& req, const RequestLine& line, std::string& out);

// Whether write_plain_message may take the fast path: not chunked, so the body is
// sent as it is.
template <bool isRequest>
bool has_plain_body(
    const boost::beast::http::message<isRequest, boost::beast::http::string_body>& m) {
  return !m.chunked();
}

// The completion token of the writes below: a deferred operation, awaited
// where it is made, costs no coroutine frame (use_awaitable allocates one
// per operation), and errors come back as values.
inline constexpr auto kDeferredNoThrow = boost::asio::as_tuple(boost::asio::deferred);

// Writes `msg`, whose body is plain (has_plain_body) and framed by
// prepare_payload() or a set Content-Length, the way
// boost::beast::http::async_write would. The header is formatted into
// `header`, which must outlive the write (a buffer the caller keeps for
// reuse); a response's header gets `lines` too. Returns the deferred write: await it at once, from
// a named variable (GCC 12 mishandles temporaries inside co_await).
template <class Stream, bool isRequest>
auto write_plain_message(
    Stream& stream,
    const boost::beast::http::message<isRequest, boost::beast::http::string_body>& msg,
    std::string& header, std::string_view lines = {}) {
  if constexpr (isRequest) {
    format_header(msg, header);
  } else {
    format_header(msg, header, lines);
  }
  const std::array<boost::asio::const_buffer, 2> buffers = {boost::asio::buffer(header),
                                                            boost::asio::buffer(msg.body())};
  return boost::asio::async_write(stream, buffers, kDeferredNoThrow);
}

// write_plain_message() for a request with its RequestLine; req must not
// be chunked.
template <class Stream>
auto write_request(Stream& stream, const Request& req, const RequestLine& line,
                   std::string& header) {
  format_header(req, line, header);
  const std::array<boost::asio::const_buffer, 2> buffers = {boost::asio::buffer(header),
                                                            boost::asio::buffer(req.body())};
  return boost::asio::async_write(stream, buffers, kDeferredNoThrow);
}

}  // namespace junction::http
