#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/types.h"

namespace junction::http {

// Beast's response_parser<string_body>, minus what no caller of a client
// reads: each stored field costs Beast an allocation and a tree insertion,
// and every proxied response paid for fields the proxy then removed.
//  - Hop-by-hop fields (Keep-Alive, Transfer-Encoding, Upgrade, ...)
//    describe this connection only: they are not stored. The parser's own
//    flags still see them (keep_alive(), chunked framing). Connection is
//    dropped only when it says "keep-alive" on HTTP/1.1, the default, so
//    that the message's keep_alive() stays true to the answer, and a
//    Connection field naming other fields is there for a proxy to remove
//    them.
//  - A reason phrase equal to the standard one for the status is not
//    stored: the message reports none and writers put the standard one.
// The body is decoded as Beast's string_body reader does.
class ClientResponseParser : public boost::beast::http::basic_parser<false> {
 public:
  ClientResponseParser();
  ClientResponseParser(const ClientResponseParser&) = delete;
  ClientResponseParser& operator=(const ClientResponseParser&) = delete;

  Response& get() { return message_; }
  Response release() { return std::move(message_); }

 private:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override { ec = {}; }
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  Response message_;
  boost::beast::http::string_body::reader reader_;
};

}  // namespace junction::http
