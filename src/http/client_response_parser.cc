#include "http/client_response_parser.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include "http/hop_by_hop.h"

namespace junction::http {

namespace bhttp = boost::beast::http;

namespace {

// Whether a Connection field says only "keep-alive": on HTTP/1.1 that is
// the default, so dropping it changes nothing the message reports. Any
// other Connection field is kept: "close" for keep_alive(), other tokens
// for a proxy to remove the fields they name.
bool only_keep_alive(boost::beast::string_view value) {
  bool any = false;
  for (const auto token : bhttp::token_list(value)) {
    if (!boost::beast::iequals(token, "keep-alive")) return false;
    any = true;
  }
  return any;
}

}  // namespace

ClientResponseParser::ClientResponseParser() : reader_(message_.base(), message_.body()) {}

void ClientResponseParser::on_response_impl(int code, string_view reason, int version,
                                            error_code& ec) {
  ec = {};
  message_.result(static_cast<unsigned>(code));
  message_.version(static_cast<unsigned>(version));
  // Storing a reason costs an allocation; the standard one is written anyway.
  if (reason != bhttp::obsolete_reason(message_.result())) message_.reason(reason);
}

void ClientResponseParser::on_field_impl(bhttp::field name, string_view name_string,
                                         string_view value, error_code& ec) {
  ec = {};
  if (name == bhttp::field::connection) {
    if (message_.version() >= 11 && only_keep_alive(value)) return;
  } else if (is_hop_by_hop(name)) {
    return;
  }
  message_.insert(name, name_string, value);
}

void ClientResponseParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                             error_code& ec) {
  reader_.init(content_length, ec);
}

std::size_t ClientResponseParser::on_body_impl(string_view body, error_code& ec) {
  return reader_.put(boost::asio::buffer(body.data(), body.size()), ec);
}

std::size_t ClientResponseParser::on_chunk_body_impl(std::uint64_t, string_view body,
                                                     error_code& ec) {
  return reader_.put(boost::asio::buffer(body.data(), body.size()), ec);
}

void ClientResponseParser::on_finish_impl(error_code& ec) {
  reader_.finish(ec);
}

}  // namespace junction::http
