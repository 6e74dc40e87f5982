#include "http/client_stream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <tuple>

#include "http/watchdog.h"

namespace junction::http::detail {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr uint32_t kMaxResponseHeader = 64 * 1024;

template <class Stream>
asio::awaitable<void> write_streamed(Stream& stream, Watch& watch, const Request& req,
                                     BodySource& source, Duration timeout, StreamStart& out) {
  bhttp::request<bhttp::buffer_body> msg{req.base()};
  if (!msg.has_content_length()) msg.chunked(true);
  bhttp::request_serializer<bhttp::buffer_body> sr{msg};
  msg.body().data = nullptr;
  msg.body().more = true;
  watch.expires_after(timeout);
  auto [hec, hn] = co_await bhttp::async_write_header(stream, sr, kNoThrow);
  watch.expires_never();
  if (hec) {
    out.ec = watch.cause(hec);
    co_return;
  }
  auto chunk = std::make_unique<char[]>(kRelayChunk);
  for (;;) {
    out.source_touched = true;
    auto n = co_await source.read_some({chunk.get(), kRelayChunk});
    if (!n) {
      out.source_error = n.error();
      co_return;
    }
    msg.body().data = *n ? chunk.get() : nullptr;
    msg.body().size = *n;
    msg.body().more = *n != 0;
    watch.expires_after(timeout);
    auto [ec, w] = co_await bhttp::async_write(stream, sr, kNoThrow);
    // Waiting for the source's next chunk is not the upstream's time.
    watch.expires_never();
    if (ec && ec != bhttp::error::need_buffer) {
      out.ec = watch.cause(ec);
      co_return;
    }
    if (*n == 0) co_return;
  }
}

template <class Stream>
asio::awaitable<StreamStart> start(Stream& stream, Watch& watch, beast::flat_buffer& buffer,
                                   Request& req, BodySource* source, Duration timeout) {
  StreamStart out;
  if (source) {
    co_await write_streamed(stream, watch, req, *source, timeout, out);
    if (out.ec || out.source_error) {
      watch.expires_never();
      co_return out;
    }
  } else {
    watch.expires_after(timeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, req, kNoThrow);
    if (wec) {
      out.ec = watch.cause(wec);
      co_return out;
    }
  }
  auto parser = std::make_unique<ResponseParser>();
  parser->header_limit(kMaxResponseHeader);
  // The reader of the body decides how much it takes.
  parser->body_limit(boost::none);
  if (req.method() == bhttp::verb::head) parser->skip(true);
  watch.expires_after(timeout);
  auto [rec, rn] = co_await bhttp::async_read_header(stream, buffer, *parser, kNoThrow);
  watch.expires_never();
  out.got_response_bytes = parser->got_some();
  if (rec) {
    out.ec = watch.cause(rec);
    co_return out;
  }
  out.parser = std::move(parser);
  co_return out;
}

class ResponseBody final : public BodySource {
 public:
  ResponseBody(std::unique_ptr<ClientConnection> conn, std::unique_ptr<ResponseParser> parser,
               Duration timeout, ReleaseConnection release)
      : conn_(std::move(conn)),
        parser_(std::move(parser)),
        timeout_(timeout),
        release_(std::move(release)) {}

  asio::awaitable<Result<size_t>> read_some(std::span<char> into) override {
    if (!conn_) co_return 0;  // complete, or failed before
    for (;;) {
      if (parser_->is_done()) {
        finish();
        co_return 0;
      }
      auto& body = parser_->get().body();
      body.data = into.data();
      body.size = into.size();
      boost::system::error_code ec;
      conn_->watch->expires_after(timeout_);
      // Not a conditional expression: g++ 12 miscompiles co_await inside ?:.
      if (conn_->plain) {
        std::tie(ec, std::ignore) =
            co_await bhttp::async_read_some(*conn_->plain, conn_->buffer, *parser_, kNoThrow);
      } else {
        std::tie(ec, std::ignore) =
            co_await bhttp::async_read_some(*conn_->secure, conn_->buffer, *parser_, kNoThrow);
      }
      conn_->watch->expires_never();
      if (ec && ec != bhttp::error::need_buffer) {
        const bool timed_out = conn_->watch->cause(ec) == beast::error::timeout;
        conn_.reset();
        if (timed_out) co_return Error::transient("response body timed out");
        co_return Error::transient("reading the response body: " + ec.message());
      }
      size_t got = into.size() - body.size;
      if (got > 0) co_return got;
    }
  }

 private:
  void finish() {
    bool reusable = parser_->get().keep_alive() && !parser_->need_eof();
    if (reusable && release_) release_(std::move(conn_));
    conn_.reset();
  }

  std::unique_ptr<ClientConnection> conn_;
  std::unique_ptr<ResponseParser> parser_;
  Duration timeout_;
  ReleaseConnection release_;
};

}  // namespace

asio::awaitable<StreamStart> start_exchange(ClientConnection& conn, Request& req,
                                            BodySource* source, Duration timeout) {
  if (conn.plain) {
    co_return co_await start(*conn.plain, *conn.watch, conn.buffer, req, source, timeout);
  }
  co_return co_await start(*conn.secure, *conn.watch, conn.buffer, req, source, timeout);
}

std::unique_ptr<BodySource> response_body(std::unique_ptr<ClientConnection> conn,
                                          std::unique_ptr<ResponseParser> parser, Duration timeout,
                                          ReleaseConnection release) {
  return std::make_unique<ResponseBody>(std::move(conn), std::move(parser), timeout,
                                        std::move(release));
}

}  // namespace junction::http::detail
