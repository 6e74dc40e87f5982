#include "http/client_response_parser.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "core/sized_writer.h"
#include "http/hop_by_hop.h"

namespace junction::http {

namespace bhttp = boost::beast::http;
using boost::system::error_code;
using syntax::kCrlf;

namespace {

// A chunk-size line with its extensions; longer ones are refused.
constexpr size_t kMaxChunkLine = 4096;

// What a relaying parser does with a field, told by its name without case: a
// switch on the length and a comparison or two of whole words, where
// Beast's string_to_field hashes the name into its table of some 350 names.
// The hop-by-hop names are those of is_hop_by_hop().
enum class RelayKind { kPass, kContentLength, kTransferEncoding, kConnection, kHopByHop };

RelayKind relay_kind(std::string_view name) {
  const auto hop_if = [](bool is) { return is ? RelayKind::kHopByHop : RelayKind::kPass; };
  switch (name.size()) {
    case 2:
      return hop_if(syntax::token_is(name, "te"));
    case 7:
      return hop_if(syntax::token_is(name, "trailer") || syntax::token_is(name, "upgrade"));
    case 10:
      if (syntax::token_is(name, "connection")) return RelayKind::kConnection;
      return hop_if(syntax::token_is(name, "keep-alive"));
    case 14:
      return syntax::token_is(name, "content-length") ? RelayKind::kContentLength
                                                      : RelayKind::kPass;
    case 16:
      return hop_if(syntax::token_is(name, "proxy-connection"));
    case 17:
      return syntax::token_is(name, "transfer-encoding") ? RelayKind::kTransferEncoding
                                                         : RelayKind::kPass;
    case 18:
      return hop_if(syntax::token_is(name, "proxy-authenticate"));
    case 19:
      return hop_if(syntax::token_is(name, "proxy-authorization"));
    default:
      return RelayKind::kPass;
  }
}

void append_line(std::string& lines, std::string_view name, std::string_view value) {
  SizedWriter(lines, name.size() + value.size() + 4).text(name).text(": ").text(value).text("\r\n");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void ClientResponseParser::relay_fields(const RelayedFields& relayed) {
  relayed_ = relayed;
  if (relayed_.lines) relayed_.lines->resize(relayed_.from);
}

size_t ClientResponseParser::put(boost::asio::const_buffer bytes, error_code& ec) {
  const std::string_view in(static_cast<const char*>(bytes.data()), bytes.size());
  size_t used = 0;
  ec = {};
  while (state_ != State::kDone) {
    const std::string_view rest = in.substr(used);
    size_t n = 0;
    switch (state_) {
      case State::kHead:
        n = put_head(rest, ec);
        break;
      case State::kLength:
      case State::kChunkData:
        n = static_cast<size_t>(std::min<uint64_t>(rest.size(), remaining_));
        if (!append_body(rest.substr(0, n), ec)) break;
        remaining_ -= n;
        if (remaining_ == 0) state_ = state_ == State::kLength ? State::kDone : State::kChunkEnd;
        break;
      case State::kChunkSize:
        n = put_chunk_size(rest, ec);
        break;
      case State::kChunkEnd:
        if (rest.size() < kCrlf.size()) break;
        if (rest.substr(0, kCrlf.size()) != kCrlf) {
          ec = bhttp::error::bad_chunk;
          break;
        }
        n = kCrlf.size();
        state_ = State::kChunkSize;
        break;
      case State::kTrailers:
        n = put_trailers(rest, ec);
        break;
      case State::kUntilClose:
        n = rest.size();
        append_body(rest, ec);
        break;
      case State::kDone:
        break;
    }
    used += n;
    if (ec) return used;
    if (n == 0 && state_ != State::kDone) {
      ec = bhttp::error::need_more;
      return used;
    }
  }
  return used;
}

void ClientResponseParser::put_eof(error_code& ec) {
  ec = {};
  if (state_ == State::kUntilClose) {
    state_ = State::kDone;
  } else if (state_ != State::kDone) {
    ec = bhttp::error::partial_message;
  }
}

size_t ClientResponseParser::put_head(std::string_view in, error_code& ec) {
  if (in.empty()) return 0;
  got_some_ = true;
  const size_t head_size = head_end_.find(in, header_limit_, ec);
  if (head_size == 0) return 0;
  if (!parse_head(in.substr(0, head_size - kCrlf.size()), ec)) return 0;
  const unsigned status = message_.result_int();
  if (status < 200 && status != 101) {
    // An interim answer (100 Continue, 103 Early Hints): the final one follows.
    message_ = Response{};
    framing_ = {};
    if (relayed_.lines) relayed_.lines->resize(relayed_.from);
    return head_size;
  }
  begin_body(ec);
  return head_size;
}

// `head` is the status line and the fields, each ending in CRLF.
bool ClientResponseParser::parse_head(std::string_view head, error_code& ec) {
  const size_t eol = head.find(kCrlf);
  if (!parse_status_line(head.substr(0, eol), ec)) return false;
  const std::string_view fields = head.substr(eol + kCrlf.size());
  const bool parsed =
      relayed_.lines
          ? syntax::for_each_line(fields, [&](std::string_view l) { return relay_field(l, ec); })
          : syntax::for_each_line(fields, [&](std::string_view l) { return parse_field(l, ec); });
  if (!parsed) return false;
  if (relayed_.lines && framing_.connection_names_fields) store_relayed_fields();
  if (framing_.has_length && framing_.has_transfer_encoding) {
    // Which one frames the body is what request smuggling plays on.
    ec = bhttp::error::bad_transfer_encoding;
    return false;
  }
  keep_alive_ = framing_.keep_alive(message_.version());
  return true;
}

// "HTTP/1.1 200 OK"; the reason may be empty, and so may its space.
bool ClientResponseParser::parse_status_line(std::string_view line, error_code& ec) {
  const std::optional<unsigned> version =
      line.size() >= 12 && line[8] == ' ' ? syntax::parse_version(line.substr(0, 8)) : std::nullopt;
  if (!version) {
    ec = bhttp::error::bad_version;
    return false;
  }
  unsigned status = 0;
  for (const char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') {
      ec = bhttp::error::bad_status;
      return false;
    }
    status = status * 10 + static_cast<unsigned>(c - '0');
  }
  if (status < 100 || (line.size() > 12 && line[12] != ' ')) {
    ec = bhttp::error::bad_status;
    return false;
  }
  const std::string_view reason = line.size() > 13 ? line.substr(13) : std::string_view{};
  if (!syntax::all_text(reason)) {
    ec = bhttp::error::bad_reason;
    return false;
  }
  message_.version(*version);
  message_.result(status);
  // Storing a reason costs an allocation; the standard one is written anyway.
  if (reason != bhttp::obsolete_reason(message_.result())) message_.reason(reason);
  return true;
}

bool ClientResponseParser::parse_field(std::string_view line, error_code& ec) {
  std::string_view name;
  std::string_view value;
  ec = syntax::split_field(line, name, value);
  if (ec) return false;
  const bhttp::field known = bhttp::string_to_field(name);
  bool store = !is_hop_by_hop(known);
  switch (known) {
    case bhttp::field::content_length:
      ec = framing_.content_length(value);
      break;
    case bhttp::field::transfer_encoding:
      ec = framing_.transfer_encoding(value);
      break;
    case bhttp::field::connection:
      ec = framing_.connection(value);
      // "keep-alive" alone on HTTP/1.1 says the default: nothing to keep.
      store = framing_.connection_says_more || message_.version() < 11;
      break;
    default:
      break;
  }
  if (ec) return false;
  if (store) message_.insert(known, name, value);
  return true;
}

bool ClientResponseParser::relay_field(std::string_view line, error_code& ec) {
  std::string_view name;
  std::string_view value;
  ec = syntax::split_field(line, name, value);
  if (ec) return false;
  switch (relay_kind(name)) {
    case RelayKind::kContentLength: {
      const bool first = !framing_.has_length;
      ec = framing_.content_length(value);
      // A body read whole says its length, and the server writes it. Only
      // an answer without the body it describes keeps the field.
      const unsigned status = message_.result_int();
      const bool bodiless = head_request_ || status < 200 || status == 204 || status == 304;
      if (!ec && first && bodiless) message_.insert(bhttp::field::content_length, name, value);
      break;
    }
    case RelayKind::kTransferEncoding:
      ec = framing_.transfer_encoding(value);
      break;
    case RelayKind::kConnection:
      ec = framing_.connection(value);
      // As parse_field(): kept when it says more than the version's default.
      if (!ec && (framing_.connection_says_more || message_.version() < 11)) {
        message_.insert(bhttp::field::connection, name, value);
      }
      break;
    case RelayKind::kHopByHop:
      break;
    case RelayKind::kPass:
      if (relayed_.dropped == nullptr || !relayed_.dropped->contains(name)) {
        append_line(*relayed_.lines, name, value);
      }
      break;
  }
  return !ec;
}

// The Connection field named fields to remove: the relayed ones go into the
// message after all, where the proxy removes those it names. Rare: no
// common server names fields in Connection.
void ClientResponseParser::store_relayed_fields() {
  std::string_view rest = std::string_view(*relayed_.lines).substr(relayed_.from);
  while (!rest.empty()) {
    const size_t end = rest.find(kCrlf);
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + kCrlf.size());
    const size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    message_.insert(bhttp::string_to_field(name), name, line.substr(colon + 2));
  }
  relayed_.lines->resize(relayed_.from);
}

void ClientResponseParser::begin_body(error_code& ec) {
  const unsigned status = message_.result_int();
  if (head_request_ || status < 200 || status == 204 || status == 304) {
    state_ = State::kDone;
  } else if (framing_.chunked) {
    state_ = State::kChunkSize;
  } else if (framing_.has_transfer_encoding || !framing_.has_length) {
    // Another coding, or no framing at all: the body ends with the connection.
    state_ = State::kUntilClose;
    until_close_ = true;
    keep_alive_ = false;
  } else if (framing_.length > body_limit_) {
    ec = bhttp::error::body_limit;
  } else if (framing_.length == 0) {
    state_ = State::kDone;
  } else {
    message_.body().reserve(static_cast<size_t>(framing_.length));
    remaining_ = framing_.length;
    state_ = State::kLength;
  }
}

// chunk-size [ chunk-ext ] CRLF
size_t ClientResponseParser::put_chunk_size(std::string_view in, error_code& ec) {
  const size_t eol = in.find(kCrlf);
  if (eol == std::string_view::npos) {
    if (in.size() > kMaxChunkLine) ec = bhttp::error::bad_chunk;
    return 0;
  }
  const std::string_view line = in.substr(0, eol);
  uint64_t size = 0;
  size_t digits = 0;
  for (; digits < line.size(); ++digits) {
    const int v = hex_value(line[digits]);
    if (v < 0) break;
    if (size > (UINT64_MAX >> 4)) {
      ec = bhttp::error::bad_chunk;
      return 0;
    }
    size = (size << 4) | static_cast<uint64_t>(v);
  }
  const std::string_view extensions = syntax::trim(line.substr(digits));
  if (digits == 0 || eol > kMaxChunkLine) {
    ec = bhttp::error::bad_chunk;
    return 0;
  }
  if (!extensions.empty() && (extensions.front() != ';' || !syntax::all_text(extensions))) {
    ec = bhttp::error::bad_chunk_extension;
    return 0;
  }
  if (size == 0) {
    state_ = State::kTrailers;
    trailer_bytes_ = 0;
  } else if (size > body_limit_ - std::min<uint64_t>(body_limit_, message_.body().size())) {
    ec = bhttp::error::body_limit;
    return 0;
  } else {
    remaining_ = size;
    state_ = State::kChunkData;
  }
  return eol + kCrlf.size();
}

// The trailer fields after the last chunk, up to an empty line: checked as
// fields are and dropped, within the head's limit.
size_t ClientResponseParser::put_trailers(std::string_view in, error_code& ec) {
  size_t used = 0;
  for (;;) {
    const size_t eol = in.find(kCrlf, used);
    if (eol == std::string_view::npos) {
      if (trailer_bytes_ + (in.size() - used) > header_limit_) ec = bhttp::error::header_limit;
      return used;
    }
    const std::string_view line = in.substr(used, eol - used);
    used = eol + kCrlf.size();
    trailer_bytes_ += line.size() + kCrlf.size();
    if (trailer_bytes_ > header_limit_) {
      ec = bhttp::error::header_limit;
      return used;
    }
    if (line.empty()) {
      state_ = State::kDone;
      return used;
    }
    std::string_view name;
    std::string_view value;
    ec = syntax::split_field(line, name, value);
    if (ec) return used;
  }
}

bool ClientResponseParser::append_body(std::string_view bytes, error_code& ec) {
  std::string& body = message_.body();
  if (bytes.size() > body_limit_ - std::min<uint64_t>(body_limit_, body.size())) {
    ec = bhttp::error::body_limit;
    return false;
  }
  body.append(bytes);
  return true;
}

}  // namespace junction::http
