#include "http/server_request_parser.h"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

namespace junction::http {

namespace bhttp = boost::beast::http;
using boost::system::error_code;
using syntax::kCrlf;

namespace {

// RFC 9112 3.2: a request target is visible ASCII (and, as Beast allows,
// obs-text); a space ends it, and a control character is refused.
bool is_target_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f;
}

}  // namespace

size_t ServerRequestParser::put(boost::asio::const_buffer bytes, error_code& ec) {
  const std::string_view in(static_cast<const char*>(bytes.data()), bytes.size());
  ec = {};
  size_t used = 0;
  if (state_ == State::kHead) {
    used = put_head(in, ec);
    if (ec || state_ == State::kHead) {
      if (!ec) ec = bhttp::error::need_more;
      return used;
    }
    if (!eager_) return used;
  }
  if (state_ == State::kBody) {
    const std::string_view rest = in.substr(used);
    const auto n = static_cast<size_t>(std::min<uint64_t>(rest.size(), remaining_));
    message_.body().append(rest.substr(0, n));
    remaining_ -= n;
    used += n;
    if (remaining_ == 0) {
      state_ = State::kDone;
    } else {
      ec = bhttp::error::need_more;
    }
  }
  return used;
}

void ServerRequestParser::put_eof(error_code& ec) {
  ec = state_ == State::kDone ? error_code{} : error_code{bhttp::error::partial_message};
}

size_t ServerRequestParser::put_head(std::string_view in, error_code& ec) {
  if (in.empty()) return 0;
  got_some_ = true;
  const size_t head_size = head_end_.find(in, header_limit_, ec);
  if (head_size == 0) return 0;
  const std::string_view head = in.substr(0, head_size - kCrlf.size());
  const size_t eol = head.find(kCrlf);
  if (!parse_request_line(head.substr(0, eol), ec)) return 0;
  if (!syntax::for_each_line(head.substr(eol + kCrlf.size()),
                             [&](std::string_view line) { return parse_field(line, ec); })) {
    return 0;
  }
  keep_alive_ = framing_.keep_alive(message_.version());
  if (keep_raw_head_ || framing_.has_transfer_encoding) raw_head_.assign(in.substr(0, head_size));
  begin_body(ec);
  return ec ? 0 : head_size;
}

// method SP request-target SP HTTP-version
bool ServerRequestParser::parse_request_line(std::string_view line, error_code& ec) {
  size_t method_end = 0;
  while (method_end < line.size() && syntax::is_token_char(line[method_end])) ++method_end;
  if (method_end == 0 || method_end == line.size() || line[method_end] != ' ') {
    ec = bhttp::error::bad_method;
    return false;
  }
  const size_t target_begin = method_end + 1;
  size_t target_end = target_begin;
  while (target_end < line.size() && is_target_char(line[target_end])) ++target_end;
  if (target_end == target_begin || target_end == line.size() || line[target_end] != ' ') {
    ec = bhttp::error::bad_target;
    return false;
  }
  const auto version = syntax::parse_version(line.substr(target_end + 1));
  if (!version) {
    ec = bhttp::error::bad_version;
    return false;
  }
  const std::string_view method = line.substr(0, method_end);
  const bhttp::verb verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) {
    message_.method_string(method);
  } else {
    message_.method(verb);
  }
  message_.target(line.substr(target_begin, target_end - target_begin));
  message_.version(*version);
  return true;
}

bool ServerRequestParser::parse_field(std::string_view line, error_code& ec) {
  std::string_view name;
  std::string_view value;
  ec = syntax::split_field(line, name, value);
  if (ec) return false;
  const bhttp::field known = bhttp::string_to_field(name);
  switch (known) {
    case bhttp::field::content_length:
      ec = framing_.content_length(value);
      break;
    case bhttp::field::transfer_encoding:
      // Judged by Beast's parser, which reads such a body; the connection
      // refuses one that is not chunked or comes with a Content-Length.
      framing_.has_transfer_encoding = true;
      break;
    case bhttp::field::connection:
      ec = framing_.connection(value);
      break;
    default:
      break;
  }
  if (ec) return false;
  message_.insert(known, name, value);
  return true;
}

void ServerRequestParser::begin_body(error_code& ec) {
  if (framing_.has_transfer_encoding) {
    state_ = State::kHandOver;
  } else if (framing_.length > body_limit_.value_or(UINT64_MAX)) {
    ec = bhttp::error::body_limit;
  } else if (framing_.length == 0) {
    state_ = State::kDone;
  } else {
    // Without a limit yet (a route may stream it) the length is the
    // client's word alone: nothing is reserved on it.
    if (body_limit_) message_.body().reserve(static_cast<size_t>(framing_.length));
    remaining_ = framing_.length;
    state_ = State::kBody;
  }
}

}  // namespace junction::http
