#pragma once

// Writing a whole message in one gathered write.
//
// Beast's serializer presents a message as nested buffer-sequence views and
// walks them on every write; for the small messages a gateway mostly
// proxies, that walk cost more user CPU than the rest of the request
// (about 30% of a proxied GET, measured with perf against bench/gateway).
// A message whose length is known is instead written as two buffers: its
// header, formatted once into a string, and its body.

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>
#include <string>
#include <string_view>
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

// Whether a message may be written as a WireMessage: not chunked, so the
// body is sent as it is.
template <bool isRequest>
bool has_plain_body(
    const boost::beast::http::message<isRequest, boost::beast::http::string_body>& m) {
  return !m.chunked();
}

// The completion token of the writes below: a deferred operation, awaited
// where it is made, costs no coroutine frame (use_awaitable allocates one
// per operation), and errors come back as values.
inline constexpr auto kDeferredNoThrow = boost::asio::as_tuple(boost::asio::deferred);

// A message as the two buffers of one gathered write: its header, formatted
// into a string the caller keeps until the write is done, and its body.
// Written in two steps, so that the usual case never waits:
//
//   boost::system::error_code ec;
//   if (!message.write_now(stream, ec)) {
//     auto rest = message.write_rest(stream);  // named: see below
//     std::tie(ec, std::ignore) = co_await std::move(rest);
//   }
class WireMessage {
 public:
  WireMessage(std::string_view header, std::string_view body)
      : buffers_{boost::asio::buffer(header), boost::asio::buffer(body)} {}

  // Writes what a plain socket takes at once, without waiting. True when
  // nothing is left to write: all of it went, or the write failed (`ec`).
  // A small message nearly always goes whole, and then costs no Asio
  // operation, no trip through the scheduler and no suspension of the
  // coroutine. Other streams (TLS) write nothing here.
  bool write_now(boost::asio::ip::tcp::socket& socket, boost::system::error_code& ec);
  template <class Stream>
  bool write_now(Stream&, boost::system::error_code&) {
    return false;
  }

  // Writes what write_now() left, as a deferred operation: await it at
  // once, from a named variable (GCC 12 mishandles temporaries inside
  // co_await).
  template <class Stream>
  auto write_rest(Stream& stream) const {
    return boost::asio::async_write(stream, buffers_, kDeferredNoThrow);
  }

 private:
  std::array<boost::asio::const_buffer, 2> buffers_;
};

// A response whose body is plain (has_plain_body) and framed by
// prepare_payload() or a set Content-Length, as Beast would write it, with
// `lines` after its own fields; the header is formatted into `header`.
inline WireMessage response_message(const Response& res, std::string& header,
                                    std::string_view lines = {}) {
  format_header(res, header, lines);
  return {header, res.body()};
}

// A request, not chunked, sent with its RequestLine.
inline WireMessage request_message(const Request& req, const RequestLine& line,
                                   std::string& header) {
  format_header(req, line, header);
  return {header, req.body()};
}

}  // namespace junction::http
