#pragma once

// Internal to the server: the RequestStream of one connection, reading the
// body through a buffer_body parser and writing a relayed response through a
// buffer_body serializer, so that memory per request is one relay chunk.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>

#include "http/dispatch.h"
#include "http/request_stream.h"
#include "http/server_state.h"
#include "http/watchdog.h"

namespace junction::http::detail {

template <class Stream>
class StreamedRequest final : public RequestStream {
 public:
  using Parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

  StreamedRequest(ServerState& st, Stream& stream, Watch& watch, boost::beast::flat_buffer& buffer,
                  Parser& parser, const RequestInfo& info)
      : st_(st), stream_(stream), watch_(watch), buffer_(buffer), parser_(parser), info_(info) {}

  const RequestHeader& header() const override { return parser_.get().base(); }
  std::optional<uint64_t> content_length() const override {
    auto length = parser_.content_length();
    if (parser_.chunked()) return std::nullopt;
    return length ? *length : 0;
  }
  uint64_t body_read() const override { return read_; }
  BodyFailure body_failure() const override { return failure_; }
  bool body_complete() const override { return parser_.is_done(); }
  bool responded() const override { return responded_; }

  asio::awaitable<Result<size_t>> read_some(std::span<char> into) override {
    namespace bhttp = boost::beast::http;
    if (failure_ != BodyFailure::kNone) co_return failed();
    if (parser_.is_done()) co_return 0;
    if (!continued_) {
      continued_ = true;
      if (boost::beast::iequals(header()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, header().version()};
        watch_.expires_after(limits().body_timeout);
        auto [ec, n] = co_await bhttp::async_write(stream_, go_on, kNoThrow);
        if (ec) co_return fail(BodyFailure::kTransport);
      }
    }
    auto& body = parser_.get().body();
    for (;;) {
      body.data = into.data();
      body.size = into.size();
      watch_.expires_after(limits().body_timeout);
      auto [ec, n] = co_await bhttp::async_read_some(stream_, buffer_, parser_, kNoThrow);
      watch_.expires_never();
      if (ec && ec != bhttp::error::need_buffer) co_return fail(classify(ec));
      size_t got = into.size() - body.size;
      read_ += got;
      if (got > 0 || parser_.is_done()) co_return got;
    }
  }

  asio::awaitable<Result<void>> respond(Response res) override {
    if (responded_) co_return Error::permanent("the response has begun already");
    responded_ = true;
    keep_alive_ = may_keep_alive(res.keep_alive());
    finish_response(res, header().version(), keep_alive_, head_request(), info_, st_.options);
    watch_.expires_after(limits().body_timeout);
    auto [ec, n] = co_await boost::beast::http::async_write(stream_, res, kNoThrow);
    watch_.expires_never();
    if (ec) co_return broken("writing the response: " + ec.message());
    completed_ = true;
    co_return Result<void>{};
  }

  asio::awaitable<Result<uint64_t>> relay(Response head, BodySource& source) override {
    namespace bhttp = boost::beast::http;
    if (responded_) co_return Error::permanent("the response has begun already");
    responded_ = true;
    bhttp::response<bhttp::buffer_body> msg{std::move(head.base())};
    const unsigned version = header().version();
    msg.version(version);
    const unsigned status = msg.result_int();
    const bool bodiless = head_request() || status / 100 == 1 || status == 204 || status == 304;
    const bool delimited = bodiless || msg.has_content_length();
    // Without a length an HTTP/1.0 client learns where the body ends only
    // from the connection closing.
    keep_alive_ = may_keep_alive(msg.keep_alive()) && (delimited || version == 11);
    finish_relayed_header(msg.base(), info_, st_.options);
    msg.keep_alive(keep_alive_);
    if (!delimited && version == 11) msg.chunked(true);

    bhttp::response_serializer<bhttp::buffer_body> sr{msg};
    msg.body().data = nullptr;
    msg.body().more = !bodiless;
    watch_.expires_after(limits().body_timeout);
    auto [hec, hn] = co_await bhttp::async_write_header(stream_, sr, kNoThrow);
    if (hec) co_return broken("writing the response header: " + hec.message());

    auto chunk = std::make_unique<char[]>(kRelayChunk);
    uint64_t sent = 0;
    while (!bodiless) {
      auto n = co_await source.read_some({chunk.get(), kRelayChunk});
      if (!n) co_return broken(n.error().message());
      if (*n == 0) break;
      msg.body().data = chunk.get();
      msg.body().size = *n;
      msg.body().more = true;
      watch_.expires_after(limits().body_timeout);
      auto [ec, w] = co_await bhttp::async_write(stream_, sr, kNoThrow);
      if (ec && ec != bhttp::error::need_buffer) co_return broken("writing the response body");
      sent += *n;
    }
    msg.body().data = nullptr;
    msg.body().size = 0;
    msg.body().more = false;
    watch_.expires_after(limits().body_timeout);
    auto [fec, fn] = co_await bhttp::async_write(stream_, sr, kNoThrow);
    watch_.expires_never();
    if (fec) co_return broken("finishing the response: " + fec.message());
    completed_ = true;
    co_return sent;
  }

  // After the handler: whether the connection may serve another request.
  // A response cut short leaves the client no way to find the next one.
  bool broken() const { return responded_ && !completed_; }
  bool keep_alive() const { return completed_ && keep_alive_; }

 private:
  static constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

  const ServerLimits& limits() const { return st_.options.limits; }
  bool head_request() const { return header().method() == boost::beast::http::verb::head; }

  // Unread body bytes would be taken for the next request.
  bool may_keep_alive(bool response_allows) const {
    return parser_.get().keep_alive() && response_allows && parser_.is_done() && !st_.stopping;
  }

  static BodyFailure classify(const boost::system::error_code& ec) {
    namespace bhttp = boost::beast::http;
    if (ec == bhttp::error::body_limit) return BodyFailure::kTooLarge;
    bool parse_error = ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
    if (parse_error && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return BodyFailure::kMalformed;
    }
    return BodyFailure::kTransport;
  }

  Error fail(BodyFailure why) {
    failure_ = why;
    return failed();
  }

  Error failed() const {
    switch (failure_) {
      case BodyFailure::kTooLarge:
        return Error::invalid("the request body exceeds its limit");
      case BodyFailure::kMalformed:
        return Error::invalid("the request body is malformed");
      default:
        return Error::transient("the client stopped sending the request body");
    }
  }

  Error broken(const std::string& what) {
    completed_ = false;
    return Error::transient(what);
  }

  ServerState& st_;
  Stream& stream_;
  Watch& watch_;
  boost::beast::flat_buffer& buffer_;
  Parser& parser_;
  const RequestInfo& info_;
  BodyFailure failure_ = BodyFailure::kNone;
  uint64_t read_ = 0;
  bool continued_ = false;
  bool responded_ = false;
  bool completed_ = false;
  bool keep_alive_ = false;
};

}  // namespace junction::http::detail
