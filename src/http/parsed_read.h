#pragma once

// Reading into a Beast parser as one loop of reads on the stream.
//
// Beast's async_read and async_read_header nest three composed operations
// around each read (read, read_some, and the stream's own transfer op),
// each moving the handler and its executor along as it completes. This
// loop feeds the parser directly and awaits the stream's async_read_some,
// with the same results and error codes: end_of_stream when the peer closed
// before a byte of the message, partial_message when it closed inside one,
// and the parser's own errors (header_limit, body_limit, bad fields).

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <tuple>
#include <type_traits>

#include "http/drained_read.h"

namespace junction::http {

enum class ReadUntil { kHeader, kMessage };

namespace detail {
// Beast's ssl_stream declares async_read_some the pre-deferred way, so TLS
// reads go through use_awaitable.
template <class Stream>
inline constexpr bool kReadsDeferred = true;
template <class Next>
inline constexpr bool kReadsDeferred<boost::beast::ssl_stream<Next>> = false;
}  // namespace detail

// Parser: a Beast basic_parser, or one with the same put, put_eof,
// got_some, is_done and is_header_done (ClientResponseParser), which parses
// whole messages only and so has no eager().
template <class Stream, class Parser>
boost::asio::awaitable<boost::system::error_code> read_parsed(Stream& stream,
                                                              boost::beast::flat_buffer& buffer,
                                                              Parser& parser, ReadUntil until) {
  namespace bhttp = boost::beast::http;
  // Deferred, not use_awaitable, where the stream allows: awaiting the
  // operation directly costs no coroutine frame per read.
  constexpr auto kDeferredNoThrow = boost::asio::as_tuple(boost::asio::deferred);
  constexpr auto kNoThrow = boost::asio::as_tuple(boost::asio::use_awaitable);
  // As Beast does: 512 bytes at least, 64 KiB at most per read.
  constexpr size_t kMinRead = 512;
  constexpr size_t kMaxRead = 64 * 1024;

  const bool whole = until == ReadUntil::kMessage;
  if constexpr (requires { parser.eager(whole); }) parser.eager(whole);
  auto done = [&] { return whole ? parser.is_done() : parser.is_header_done(); };
  boost::system::error_code ec;
  while (!done()) {
    if (buffer.size() > 0) {
      const size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec && ec != bhttp::error::need_more) co_return ec;
      const bool progressed = !ec && used > 0;
      ec = {};
      // What is left in the buffer may be all the parser needs next.
      if (progressed) continue;
    }
    const size_t room = std::clamp(buffer.capacity() - buffer.size(), kMinRead, kMaxRead);
    std::tuple<boost::system::error_code, size_t> got;
    if constexpr (std::is_same_v<Stream, boost::asio::ip::tcp::socket>) {
      auto read = async_read_some_drained(stream, buffer.prepare(room), kDeferredNoThrow);
      got = co_await std::move(read);
    } else if constexpr (detail::kReadsDeferred<Stream>) {
      auto read = stream.async_read_some(buffer.prepare(room), kDeferredNoThrow);
      got = co_await std::move(read);
    } else {
      got = co_await stream.async_read_some(buffer.prepare(room), kNoThrow);
    }
    auto [rec, n] = got;
    buffer.commit(n);
    if (rec == boost::asio::error::eof) {
      if (!parser.got_some()) co_return bhttp::error::end_of_stream;
      // A message delimited by the close ends here; any other is cut short.
      parser.put_eof(ec);
      co_return ec;
    }
    if (rec) co_return rec;
  }
  co_return ec;
}

}  // namespace junction::http
