#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <string_view>

#include "http/field_syntax.h"
#include "http/relayed_fields.h"
#include "http/types.h"

namespace junction::http {

// An HTTP/1.x response parser for the client: the head is parsed in one
// pass once it is all in, the body is decoded (Content-Length, chunked, or
// up to the close) into a string body.
//
// It replaces Beast's response parser on the proxy's path, where that parser
// cost about 3,700 instructions a response in per-byte state changes and
// stored fields that the proxy then removed. What it does not store:
//  - Hop-by-hop fields (Keep-Alive, Transfer-Encoding, Upgrade, ...)
//    describe this connection only. The parser still reads them for the
//    framing and keep_alive(). Connection is dropped only when it says
//    "keep-alive" on HTTP/1.1, the default, so that the message's
//    keep_alive() stays true to the answer, and a Connection field naming
//    other fields is there for a proxy to remove them.
//  - A reason phrase equal to the standard one for the status: the message
//    reports none and writers put the standard one.
//  - Interim answers (1xx other than 101), which are skipped; and chunked
//    trailers, which are checked and dropped.
//
// It is as strict as Beast where a lenient parser opens a door to response
// splitting or smuggling: CRLF line ends, no folded lines, no control
// characters in values, a Content-Length that is one decimal number (equal
// repeats allowed), never both Content-Length and Transfer-Encoding. Errors
// are Beast's http::error codes, so callers map them as before.
//
// A proxy may have the end-to-end fields written as header lines instead of
// stored (relay_fields()).
class ClientResponseParser {
 public:
  ClientResponseParser() = default;
  ClientResponseParser(const ClientResponseParser&) = delete;
  ClientResponseParser& operator=(const ClientResponseParser&) = delete;

  // Most bytes the head may take, status line to the empty line included.
  void header_limit(uint32_t bytes) { header_limit_ = bytes; }
  // Most bytes the decoded body may take.
  void body_limit(uint64_t bytes) { body_limit_ = bytes; }
  // The answer to a HEAD request: no body whatever the fields say.
  void skip(bool head_request) { head_request_ = head_request; }
  // Writes the answer's end-to-end fields to `relayed.lines` (see
  // RelayedFields), cut back to `relayed.from` first. Before the first put().
  void relay_fields(const RelayedFields& relayed);

  // Parses what it can of `bytes` and returns how many it used. Sets ec to
  // http::error::need_more when the message needs more than is there, to
  // nothing once it is done, or to the reason it cannot be parsed.
  size_t put(boost::asio::const_buffer bytes, boost::system::error_code& ec);
  // The peer closed: the end of a body framed by the close, or an error.
  void put_eof(boost::system::error_code& ec);

  bool got_some() const { return got_some_; }
  bool is_header_done() const { return state_ != State::kHead; }
  bool is_done() const { return state_ == State::kDone; }
  // Whether the connection may carry another exchange, as the answer says.
  bool keep_alive() const { return keep_alive_; }
  // Whether the body ends only where the connection does.
  bool need_eof() const { return until_close_; }

  Response& get() { return message_; }
  Response release() { return std::move(message_); }

 private:
  enum class State {
    kHead,
    kLength,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kUntilClose,
    kDone
  };

  size_t put_head(std::string_view in, boost::system::error_code& ec);
  bool parse_head(std::string_view head, boost::system::error_code& ec);
  bool parse_status_line(std::string_view line, boost::system::error_code& ec);
  bool parse_field(std::string_view line, boost::system::error_code& ec);
  bool relay_field(std::string_view line, boost::system::error_code& ec);
  void store_relayed_fields();
  void begin_body(boost::system::error_code& ec);
  size_t put_chunk_size(std::string_view in, boost::system::error_code& ec);
  size_t put_trailers(std::string_view in, boost::system::error_code& ec);
  bool append_body(std::string_view bytes, boost::system::error_code& ec);

  Response message_;
  State state_ = State::kHead;
  uint32_t header_limit_ = 8 * 1024;
  uint64_t body_limit_ = 8 * 1024 * 1024;
  uint64_t remaining_ = 0;  // of the Content-Length body or of this chunk
  size_t trailer_bytes_ = 0;
  syntax::HeadEnd head_end_;
  bool head_request_ = false;
  bool got_some_ = false;
  bool keep_alive_ = false;
  bool until_close_ = false;
  syntax::FramingFields framing_;  // what the head's fields said
  RelayedFields relayed_;
};

}  // namespace junction::http
