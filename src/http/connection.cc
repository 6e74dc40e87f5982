// One server connection: reads requests in order (keep-alive, pipelining),
// enforces the limits, and writes each response before reading the next.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>

#include "core/message.h"
#include "http/dispatch.h"
#include "http/drained_read.h"
#include "http/field_lookup.h"
#include "http/parsed_read.h"
#include "http/problem.h"
#include "http/server_request_parser.h"
#include "http/server_state.h"
#include "http/server_stream.h"
#include "http/watchdog.h"
#include "http/wire.h"

// GCC 12 pairs Asio's coroutine-frame operator delete with the global
// operator new once serve_one's frame is inlined into run() and warns; the
// frame is in fact allocated by awaitable_frame_base::operator new (a known
// false positive, as in the http_server input).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace junction::http::detail {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunk = 16 * 1024;
// After an error reply, unread request bytes are drained for a while so the
// kernel does not answer them with a RST that destroys the reply in flight.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 4 * 1024 * 1024;
constexpr auto kTlsCloseTime = std::chrono::seconds(2);

enum class Next {
  kKeepAlive,    // read the next request
  kClose,        // close gracefully: the request was read in full
  kLingerClose,  // close, but the peer may still be sending
  kAbort,        // the transport failed or timed out: just drop it
};

// The socket under a plain connection (the connection's own stream: the
// Watch keeps its time limits, so Beast's timed tcp_stream would only add a
// layer of handlers to every read and write) or under a TLS one.
tcp::socket& socket_of(tcp::socket& s) {
  return s;
}
tcp::socket& socket_of(TlsStream& s) {
  return beast::get_lowest_layer(s).socket();
}

bool is_http_parse_error(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

template <class Stream>
class Connection {
 public:
  Connection(ServerState& st, ConnectionSlot& slot, Stream& stream, RequestInfo base)
      : st_(st),
        limits_(st.options.limits),
        slot_(slot),
        stream_(stream),
        watch_(socket_of(stream)),
        base_(std::move(base)) {}

  asio::awaitable<void> run() {
    bool first = true;
    while (!st_.stopping) {
      slot_.busy = false;
      if (buffer_.size() == 0) {
        // A new connection gets the header timeout for its first byte, so
        // opening connections and sending nothing holds no resources long.
        watch_.expires_after(first ? limits_.header_timeout : limits_.idle_timeout);
        auto [ec, n] =
            co_await async_read_some_drained(stream_, buffer_.prepare(kReadChunk), kNoThrow);
        if (ec) co_return;
        buffer_.commit(n);
      }
      first = false;
      Next next = co_await serve_one();
      if (next == Next::kKeepAlive) continue;
      if (next != Next::kAbort) co_await close(next == Next::kLingerClose);
      co_return;
    }
  }

 private:
  // What lives across its suspensions is kept in members (request_, info_):
  // asio recycles coroutine frames only up to about 1 KiB, and a parser in
  // the frame put this one past it, to malloc on every request.
  asio::awaitable<Next> serve_one() {
    auto& head = request_.emplace();
    head.header_limit(limits_.max_header_bytes);
    head.body_limit(limits_.max_body_bytes);
    // With a streaming path the limit depends on the request: the header
    // read must not apply the buffered one to an announced length, and a
    // streamed request goes to Beast's parser, which needs the head.
    if (st_.options.streaming) {
      head.body_limit(std::nullopt);
      head.keep_raw_head(true);
    }
    version_ = 11;
    request_id_.clear();  // made when the head is in, or for an error before

    watch_.expires_after(limits_.header_timeout);
    auto hec = co_await read_parsed(stream_, buffer_, head, ReadUntil::kHeader);
    if (hec) co_return co_await on_read_error(hec);
    slot_.busy = true;
    version_ = head.get().version();
    choose_request_id(first_value(head.get(), "X-Request-Id").value_or(""), request_id_);

    const auto& fields = head.get().base();
    if (static_cast<size_t>(std::distance(fields.begin(), fields.end())) >
        limits_.max_header_count) {
      co_return co_await reply_error(
          431, "Request Header Fields Too Large",
          "more than " + std::to_string(limits_.max_header_count) + " header fields");
    }
    std::optional<uint64_t> stream_limit;
    if (st_.options.streaming) stream_limit = st_.options.streaming.select(fields);

    Request* request = &head.get();
    bool client_keeps_alive = head.keep_alive();  // its flags: no field scan
    if (head.hands_over() || stream_limit) {
      if (auto next = co_await read_with_beast(stream_limit)) co_return *next;
      request = &parser_->get();
      client_keeps_alive = parser_->keep_alive();
    } else {
      if (st_.options.streaming) {
        if (head.content_length().value_or(0) > limits_.max_body_bytes) {
          co_return co_await on_read_error(bhttp::error::body_limit);
        }
        head.body_limit(limits_.max_body_bytes);
      }
      if (!head.is_done()) {
        if (auto next = co_await read_rest(head)) co_return *next;
      }
    }
    watch_.expires_never();

    Request& req = *request;
    info_ = base_;
    info_.request_id = request_id_;
    wire_lines_.clear();
    info_.response_lines = &wire_lines_;
    // Read first: a handler may turn the request into another (a proxy's).
    const bool head_request = req.method() == bhttp::verb::head;
    // The handler is awaited here, not through a wrapper coroutine: a frame
    // less per request. An exception becomes a 500 without details, so
    // internals never leak to the client.
    Response res;
    bool failed = false;
    try {
      res = co_await st_.handler(req, info_);
    } catch (...) {
      failed = true;  // a coroutine cannot co_await inside a handler block
    }
    if (failed) {
      wire_lines_.clear();
      res = problem_response(500, "Internal Server Error", "the request could not be processed",
                             info_.request_id, version_);
    }
    // The request is answered: free it before the write waits.
    request_.reset();
    parser_.reset();
    const bool wanted = client_keeps_alive && !st_.stopping;
    if (!has_plain_body(res)) {
      // The handler may ask to close (Connection: close) too.
      const bool keep_alive =
          wanted && (res.find(bhttp::field::connection) == res.end() || res.keep_alive());
      insert_field_lines(res, wire_lines_);
      finish_response(res, version_, keep_alive, head_request, info_, st_.options);
      co_return co_await write(res, keep_alive ? Next::kKeepAlive : Next::kClose);
    }
    // The usual case, written here rather than by write(): a frame less.
    const bool keep_alive = finish_response_on_wire(res, version_, wanted, head_request, info_,
                                                    st_.options, wire_lines_);
    WireMessage message = response_message(res, header_, wire_lines_);
    boost::system::error_code ec;
    if (!message.write_now(stream_, ec)) {
      watch_.expires_after(limits_.body_timeout);
      auto rest = message.write_rest(stream_);
      std::tie(ec, std::ignore) = co_await std::move(rest);
    }
    co_return ec ? Next::kAbort : (keep_alive ? Next::kKeepAlive : Next::kClose);
  }

  // Chunked and streamed bodies are read by Beast's parser, from the head
  // on: a coroutine of its own, so that serve_one's frame, which every
  // request pays for, stays small. Nothing when the request is read whole
  // into parser_, else what to do next.
  asio::awaitable<std::optional<Next>> read_with_beast(std::optional<uint64_t> stream_limit) {
    auto& parser = parser_.emplace();
    parser.header_limit(limits_.max_header_bytes);
    parser.body_limit(boost::none);
    parser.eager(false);
    boost::system::error_code ec;
    parser.put(asio::buffer(request_->raw_head()), ec);
    request_.reset();
    if (ec || !parser.is_header_done()) {
      co_return co_await on_read_error(ec ? ec : bhttp::error::bad_field);
    }
    // Request smuggling defence: a body length must have exactly one source.
    const auto& hdr = parser.get();
    bool has_te = hdr.find(bhttp::field::transfer_encoding) != hdr.end();
    bool has_cl = hdr.find(bhttp::field::content_length) != hdr.end();
    if (has_te && (has_cl || !parser.chunked())) {
      co_return co_await reply_error(
          400, "Bad Request",
          "Transfer-Encoding must be chunked and not combined with Content-Length");
    }
    if (stream_limit) co_return co_await serve_streamed(parser, *stream_limit);
    if (parser.content_length().value_or(0) > limits_.max_body_bytes) {
      co_return co_await on_read_error(bhttp::error::body_limit);
    }
    parser.body_limit(limits_.max_body_bytes);
    if (!parser.is_done()) co_return co_await read_rest(parser);
    co_return std::nullopt;
  }

  // The body after the head: nothing when it is read, else what to do next.
  template <class Parser>
  asio::awaitable<std::optional<Next>> read_rest(Parser& parser) {
    if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue") &&
        !co_await send_continue()) {
      co_return Next::kAbort;
    }
    watch_.expires_after(limits_.body_timeout);
    auto ec = co_await read_parsed(stream_, buffer_, parser, ReadUntil::kMessage);
    if (ec) co_return co_await on_read_error(ec);
    co_return std::nullopt;
  }

  asio::awaitable<bool> send_continue() {
    bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, version_};
    watch_.expires_after(limits_.body_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, go_on, kNoThrow);
    co_return !ec;
  }

  // The header-first path: the handler reads the body and answers through a
  // RequestStream.
  asio::awaitable<Next> serve_streamed(bhttp::request_parser<bhttp::string_body>& buffered,
                                       uint64_t body_limit) {
    watch_.expires_never();
    if (buffered.content_length().value_or(0) > body_limit) {
      co_return co_await reply_error(
          413, "Payload Too Large",
          "the request body exceeds " + std::to_string(body_limit) + " bytes");
    }
    // Converting before any body byte is parsed is what Beast allows.
    typename StreamedRequest<Stream>::Parser parser{std::move(buffered)};
    parser.body_limit(body_limit);
    RequestInfo info = base_;
    info.request_id = request_id_;
    StreamedRequest<Stream> exchange(st_, stream_, watch_, buffer_, parser, info);
    co_await call_stream_handler(st_.options.streaming.handler, exchange, info);
    if (!exchange.responded()) {
      co_await exchange.respond(problem_response(500, "Internal Server Error",
                                                 "the request could not be processed", request_id_,
                                                 version_));
    }
    if (exchange.broken()) co_return Next::kAbort;
    if (exchange.keep_alive()) co_return Next::kKeepAlive;
    co_return exchange.body_complete() ? Next::kClose : Next::kLingerClose;
  }

  asio::awaitable<Next> on_read_error(const boost::system::error_code& ec) {
    if (ec == bhttp::error::header_limit) {
      co_return co_await reply_error(
          431, "Request Header Fields Too Large",
          "the request header exceeds " + std::to_string(limits_.max_header_bytes) + " bytes");
    }
    if (ec == bhttp::error::body_limit) {
      co_return co_await reply_error(
          413, "Payload Too Large",
          "the request body exceeds " + std::to_string(limits_.max_body_bytes) + " bytes");
    }
    // Timeouts, resets and a peer closing mid-request leave nobody to answer.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        !is_http_parse_error(ec)) {
      co_return Next::kAbort;
    }
    co_return co_await reply_error(400, "Bad Request", "malformed request: " + ec.message());
  }

  // The connection is not reusable after an error: the rest of the stream
  // cannot be trusted to start at a request boundary.
  asio::awaitable<Next> reply_error(int status, std::string_view title, const std::string& detail) {
    slot_.busy = true;
    if (request_id_.empty()) new_message_id(request_id_);  // the head did not come in
    Response res = problem_response(status, title, detail, request_id_, version_);
    RequestInfo info = base_;
    info.request_id = request_id_;
    finish_response(res, version_, false, false, info, st_.options);
    co_return co_await write(res, Next::kLingerClose);
  }

  asio::awaitable<Next> write(Response& res, Next then) {
    watch_.expires_after(limits_.body_timeout);
    boost::system::error_code ec;
    if (has_plain_body(res)) {
      WireMessage message = response_message(res, header_);
      if (!message.write_now(stream_, ec)) {
        auto rest = message.write_rest(stream_);
        std::tie(ec, std::ignore) = co_await std::move(rest);
      }
    } else {
      std::tie(ec, std::ignore) = co_await bhttp::async_write(stream_, res, kNoThrow);
    }
    co_return ec ? Next::kAbort : then;
  }

  asio::awaitable<void> close(bool linger) {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      (void)linger;
      watch_.expires_after(kTlsCloseTime);
      co_await stream_.async_shutdown(kNoThrow);
    } else {
      boost::system::error_code ignored;
      socket_of(stream_).shutdown(tcp::socket::shutdown_send, ignored);
      if (!linger) co_return;
      watch_.expires_after(kLingerTime);
      size_t drained = 0;
      while (drained < kLingerBytes) {
        buffer_.clear();
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadChunk), kNoThrow);
        if (ec) break;
        drained += n;
      }
    }
  }

  ServerState& st_;
  const ServerLimits& limits_;
  ConnectionSlot& slot_;
  Stream& stream_;
  Watch watch_;  // the time limits of reads and writes
  RequestInfo base_;
  beast::flat_buffer buffer_;
  std::optional<ServerRequestParser> request_;  // the request being read
  // Beast's parser, for a request with Transfer-Encoding or a streamed body.
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  RequestInfo info_;  // and what we know of the request
  unsigned version_ = 11;
  std::string request_id_;
  std::string header_;      // the response header being written, kept for reuse
  std::string wire_lines_;  // the handler's header lines, then Server, X-Request-Id, Connection
};

// Lets shutdown close the socket while the stream exists, and never after.
template <class Stream>
struct CloseHook {
  CloseHook(ConnectionSlot& slot, Stream& stream) : slot_(slot) {
    slot_.close = [&stream] {
      boost::system::error_code ignored;
      socket_of(stream).close(ignored);
    };
  }
  ~CloseHook() { slot_.close = nullptr; }
  ConnectionSlot& slot_;
};

}  // namespace

asio::awaitable<void> run_connection(std::shared_ptr<ServerState> st,
                                     std::shared_ptr<ConnectionSlot> slot, tcp::socket socket) {
  RequestInfo base;
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) co_return;  // already gone
  base.remote_address = peer.address().to_string();
  base.remote_port = peer.port();

  if (!st->tls) {
    CloseHook hook(*slot, socket);
    co_await Connection<tcp::socket>(*st, *slot, socket, std::move(base)).run();
    co_return;
  }

  TlsStream stream(std::move(socket), *st->tls);
  CloseHook hook(*slot, stream);
  base.tls = true;
  beast::get_lowest_layer(stream).expires_after(st->options.limits.header_timeout);
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
  if (hec) co_return;
  // From here on the connection's Watch keeps the time limits.
  beast::get_lowest_layer(stream).expires_never();
  base.client_subject = verified_peer_subject(stream.native_handle());
  co_await Connection<TlsStream>(*st, *slot, stream, std::move(base)).run();
}

}  // namespace junction::http::detail
