#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/field_syntax.h"
#include "http/types.h"

namespace junction::http {

// The server's parser for the usual request: a head, then no body or one
// framed by Content-Length. The head is parsed in one pass once it is all
// in; every field is stored, as Beast's request parser stores them.
//
// A request with Transfer-Encoding, or one a streaming route will take, is
// read to the end of its head only and then handed over: Beast's parser
// takes the head bytes (raw_head()) and reads the body, chunked or
// streamed, as before. What a lenient parser would let through to response
// splitting or smuggling is refused (bare CR or LF, folded lines, control
// characters, a Content-Length that is not one number); errors are Beast's
// http::error codes, so the connection answers them as before.
class ServerRequestParser {
 public:
  ServerRequestParser() = default;
  ServerRequestParser(const ServerRequestParser&) = delete;
  ServerRequestParser& operator=(const ServerRequestParser&) = delete;

  // Most bytes the head may take, request line to the empty line included.
  void header_limit(uint32_t bytes) { header_limit_ = bytes; }
  // Most bytes the body may take; none while a streaming route may take it.
  void body_limit(std::optional<uint64_t> bytes) { body_limit_ = bytes; }
  // Keep the head's bytes for raw_head() even without Transfer-Encoding:
  // for a server whose routes may stream.
  void keep_raw_head(bool keep) { keep_raw_head_ = keep; }
  // Whether put goes on into the body; if not it stops after the head.
  void eager(bool whole) { eager_ = whole; }

  // Parses what it can of `bytes` and returns how many it used. Sets ec to
  // http::error::need_more when the request needs more than is there, to
  // nothing once it (or its head, when not eager) is done, or to the reason
  // it cannot be parsed.
  size_t put(boost::asio::const_buffer bytes, boost::system::error_code& ec);
  // The peer closed before the request was whole.
  void put_eof(boost::system::error_code& ec);

  bool got_some() const { return got_some_; }
  bool is_header_done() const { return state_ != State::kHead; }
  bool is_done() const { return state_ == State::kDone; }
  // Whether the connection may carry another request, as the client says.
  bool keep_alive() const { return keep_alive_; }
  std::optional<uint64_t> content_length() const {
    return framing_.has_length ? std::optional<uint64_t>(framing_.length) : std::nullopt;
  }
  // The body is for Beast's parser to read: Transfer-Encoding was sent.
  bool hands_over() const { return state_ == State::kHandOver; }
  // The head's bytes, when handed over or kept (keep_raw_head).
  std::string_view raw_head() const { return raw_head_; }

  Request& get() { return message_; }

 private:
  enum class State { kHead, kBody, kHandOver, kDone };

  size_t put_head(std::string_view in, boost::system::error_code& ec);
  bool parse_request_line(std::string_view line, boost::system::error_code& ec);
  bool parse_field(std::string_view line, boost::system::error_code& ec);
  void begin_body(boost::system::error_code& ec);

  Request message_;
  State state_ = State::kHead;
  uint32_t header_limit_ = 8 * 1024;
  std::optional<uint64_t> body_limit_ = 1024 * 1024;
  uint64_t remaining_ = 0;  // of the body
  syntax::HeadEnd head_end_;
  bool eager_ = true;
  bool keep_raw_head_ = false;
  bool got_some_ = false;
  bool keep_alive_ = false;
  syntax::FramingFields framing_;  // what the head's fields said
  std::string raw_head_;
};

}  // namespace junction::http
