#include "http/client.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

#include "core/coarse_clock.h"
#include "core/cpu_affinity.h"
#include "http/client_response_parser.h"
#include "http/client_stream.h"
#include "http/connection_pool.h"
#include "http/drained_read.h"
#include "http/parsed_read.h"
#include "http/tls.h"
#include "http/wire.h"

namespace junction::http {

namespace detail {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ConnPtr = std::unique_ptr<ClientConnection>;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr uint32_t kMaxResponseHeader = 64 * 1024;
constexpr std::string_view kUserAgent = "junction/0.1";

// Transport failures are worth retrying; a TLS failure (bad certificate,
// rejected client certificate) will fail the same way next time.
Error classify(const boost::system::error_code& ec, std::string_view stage, const Url& url) {
  std::string where = std::string(stage) + " " + url.origin() + ": ";
  if (ec == beast::error::timeout) return Error::transient(where + "timed out");
  if (ec.category() == asio::error::get_ssl_category()) {
    return Error::permanent(where + "TLS failure: " + ec.message());
  }
  return Error::transient(where + ec.message());
}

// An answer known before any I/O, as an awaitable.
asio::awaitable<Status> refuse(Error error) {
  co_return error;
}

struct Exchange {
  boost::system::error_code ec;
  bool got_response_bytes = false;
  bool keep_alive = false;
};

// The answer goes into `response`, the caller's: moved once, from the parser.
template <class Stream>
asio::awaitable<Exchange> exchange(Stream& stream, ClientConnection& conn, const Request& req,
                                   const RequestLine& line, Clock::time_point deadline,
                                   uint64_t max_body, const RelayedFields& relayed,
                                   Response& response) {
  Exchange out;
  Watch& watch = *conn.watch;
  beast::flat_buffer& buffer = conn.buffer;
  watch.expires_at(deadline);
  boost::system::error_code wec;
  if (req.chunked()) {
    std::tie(wec, std::ignore) = co_await bhttp::async_write(stream, req, kNoThrow);
  } else {
    WireMessage message = request_message(req, line, conn.header);
    if (!message.write_now(stream, wec)) {
      auto rest = message.write_rest(stream);
      std::tie(wec, std::ignore) = co_await std::move(rest);
    }
  }
  if (wec) {
    out.ec = watch.cause(wec);
    co_return out;
  }
  ClientResponseParser parser;
  parser.header_limit(kMaxResponseHeader);
  parser.body_limit(max_body);
  if (req.method() == bhttp::verb::head) parser.skip(true);
  if (relayed.lines) parser.relay_fields(relayed);
  auto rec = co_await read_parsed(stream, buffer, parser, ReadUntil::kMessage);
  watch.expires_never();
  out.got_response_bytes = parser.got_some();
  if (rec) {
    out.ec = watch.cause(rec);
    co_return out;
  }
  // The parser's flags already say it; asking the message would scan the
  // Connection field again.
  out.keep_alive = parser.keep_alive() && !parser.need_eof();
  response = parser.release();
  co_return out;
}

}  // namespace

struct ClientState : std::enable_shared_from_this<ClientState> {
  ClientState(asio::any_io_executor e, ClientOptions o)
      : ex(std::move(e)),
        options(std::move(o)),
        pool(options.max_idle_per_host, options.pool_idle_timeout),
        tls(make_client_tls_context(
            {options.verify_peer, options.ca_file, options.cert_file, options.key_file})) {}

  asio::any_io_executor ex;
  ClientOptions options;
  ConnectionPool pool;
  Result<SslContextPtr> tls;  // an error here fails every https request

  asio::awaitable<Result<std::vector<tcp::endpoint>>> resolve(const Url& url,
                                                              Clock::time_point deadline) {
    std::vector<tcp::endpoint> endpoints;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(url.host, ec);
    if (!ec) {
      endpoints.emplace_back(address, url.port);
      co_return endpoints;
    }
    // The resolver has no deadline of its own: a timer cancels it.
    auto resolver = std::make_shared<tcp::resolver>(ex);
    asio::steady_timer timer(ex, deadline);
    timer.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](boost::system::error_code e) {
      if (auto r = weak.lock(); r && !e) r->cancel();
    });
    // Asio starts the context's resolver thread on its first lookup. The
    // scope spans the suspension; the thread ends it pinned again either way.
    cpu::Unpinned unpinned;
    auto [rec, results] =
        co_await resolver->async_resolve(url.host, std::to_string(url.port), kNoThrow);
    timer.cancel();
    if (rec == asio::error::operation_aborted) {
      co_return Error::transient("resolve " + url.host + ": timed out");
    }
    if (rec) co_return Error::transient("resolve " + url.host + ": " + rec.message());
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    if (endpoints.empty()) co_return Error::transient("resolve " + url.host + ": no addresses");
    co_return endpoints;
  }

  asio::awaitable<Result<ConnPtr>> connect(const Url& url, Clock::time_point deadline) {
    auto connect_deadline = std::min(deadline, Clock::now() + options.connect_timeout);
    if (url.tls() && !tls) co_return tls.error();
    auto endpoints = co_await resolve(url, connect_deadline);
    if (!endpoints) co_return endpoints.error();

    beast::tcp_stream stream(ex);
    stream.expires_at(connect_deadline);
    auto [cec, ep] = co_await stream.async_connect(*endpoints, kNoThrow);
    if (cec) co_return classify(cec, "connect", url);
    boost::system::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);

    // Connecting and the TLS handshake have the stream's own time limit; the
    // exchanges that follow have the connection's Watch.
    auto conn = std::make_unique<ClientConnection>();
    if (!url.tls()) {
      stream.expires_never();
      enable_drained_reads(stream.socket());
      conn->plain = std::make_unique<tcp::socket>(stream.release_socket());
      conn->watch.emplace(*conn->plain);
      co_return conn;
    }
    conn->secure = std::make_unique<TlsStream>(std::move(stream), **tls);
    if (auto st = prepare_client_session(conn->secure->native_handle(), url.host); !st) {
      co_return st.error();
    }
    auto& lowest = beast::get_lowest_layer(*conn->secure);
    lowest.expires_at(connect_deadline);
    auto [hec] = co_await conn->secure->async_handshake(asio::ssl::stream_base::client, kNoThrow);
    if (hec) co_return classify(hec, "TLS handshake with", url);
    lowest.expires_never();
    conn->watch.emplace(lowest.socket());
    co_return conn;
  }

  asio::awaitable<Result<Response>> send(const Url& url, Request req) {
    req.target(url.target);
    req.set(bhttp::field::host, url.host_header());
    if (req.find(bhttp::field::user_agent) == req.end())
      req.set(bhttp::field::user_agent, kUserAgent);
    req.prepare_payload();
    // Named: temporaries in a co_await expression are a g++ 12 hazard.
    const std::string origin = url.origin();
    Response response;
    // Named: temporaries in a co_await expression are a g++ 12 hazard.
    const std::shared_ptr<ClientState> no_keep;
    const RequestLine as_is;
    const RelayedFields stored;
    const Status sent = co_await round_trip(no_keep, url, origin, req, as_is, stored, response);
    if (!sent) co_return sent.error();
    co_return response;
  }

  // One request and its response, on a pooled connection when there is one.
  // `keep` holds the state for the call when the Client may go first (a
  // parameter lives in the frame from the call on). An exception (the
  // caller's cancellation, allocation failure) is a transient error; it is
  // caught here rather than by a wrapper coroutine, a frame per request.
  asio::awaitable<Status> round_trip([[maybe_unused]] std::shared_ptr<ClientState> keep,
                                     const Url& url, std::string_view origin, const Request& req,
                                     RequestLine line, const RelayedFields& relayed,
                                     Response& response) {
    std::string failure;
    try {
      // A tick early at worst, on a timeout of seconds.
      auto deadline = coarse_steady_now() + options.request_timeout;
      for (int attempt = 0;; ++attempt) {
        ConnPtr conn = pool.take(origin);
        bool reused = conn != nullptr;
        if (!conn) {
          auto fresh = co_await connect(url, deadline);
          if (!fresh) co_return fresh.error();
          conn = std::move(*fresh);
        }
        // Not a conditional expression: g++ 12 miscompiles co_await inside ?:.
        Exchange ex;
        if (conn->plain) {
          ex = co_await exchange(*conn->plain, *conn, req, line, deadline,
                                 options.max_response_body, relayed, response);
        } else {
          ex = co_await exchange(*conn->secure, *conn, req, line, deadline,
                                 options.max_response_body, relayed, response);
        }
        if (!ex.ec) {
          if (ex.keep_alive) pool.put(origin, std::move(conn));
          co_return ok_status();
        }
        // A pooled connection the server closed while idle fails before any
        // response byte: the request was not processed, so one retry on a
        // fresh connection is safe.
        if (reused && attempt == 0 && !ex.got_response_bytes && ex.ec != beast::error::timeout) {
          continue;
        }
        if (ex.ec == bhttp::error::body_limit) {
          co_return Error::permanent("response from " + std::string(origin) + " exceeds " +
                                     std::to_string(options.max_response_body) + " bytes");
        }
        co_return classify(ex.ec, "request to", url);
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
    co_return Error::transient("request to " + std::string(origin) + ": " + failure);
  }

  asio::awaitable<Result<StreamedResponse>> open(const Url& url, Request req, BodySource* body) {
    req.target(url.target);
    req.set(bhttp::field::host, url.host_header());
    if (req.find(bhttp::field::user_agent) == req.end())
      req.set(bhttp::field::user_agent, kUserAgent);
    if (!body) req.prepare_payload();
    const Duration timeout = options.request_timeout;
    const std::string origin = url.origin();
    ReleaseConnection release = [weak = weak_from_this(), origin](ConnPtr conn) {
      if (auto self = weak.lock()) self->pool.put(origin, std::move(conn));
    };

    for (int attempt = 0;; ++attempt) {
      ConnPtr conn = pool.take(origin, body != nullptr);
      bool reused = conn != nullptr;
      if (!conn) {
        auto fresh = co_await connect(url, Clock::now() + timeout);
        if (!fresh) co_return fresh.error();
        conn = std::move(*fresh);
      }
      StreamStart st = co_await start_exchange(*conn, req, body, timeout);
      if (st.source_error) co_return *st.source_error;
      if (!st.ec) {
        StreamedResponse out;
        out.head = Response{st.parser->get().base()};
        out.body = response_body(std::move(conn), std::move(st.parser), timeout, release);
        co_return out;
      }
      // As in send(): the server closed the pooled connection while it was
      // idle, and nothing that cannot be sent again was sent.
      if (reused && attempt == 0 && !st.got_response_bytes && !st.source_touched &&
          st.ec != beast::error::timeout) {
        continue;
      }
      co_return classify(st.ec, "request to", url);
    }
  }
};

}  // namespace detail

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : state_(std::make_shared<detail::ClientState>(std::move(executor), std::move(options))) {}

Client::~Client() = default;

asio::awaitable<Result<Response>> Client::send(const Url& url, Request req) {
  // Keeps the state alive even if the Client is destroyed mid-request.
  auto state = state_;
  Url target = url;
  try {
    co_return co_await state->send(target, std::move(req));
  } catch (const std::exception& e) {
    // Cancellation by the caller, or allocation failure.
    co_return Error::transient(std::string("request to ") + target.origin() + ": " + e.what());
  }
}

asio::awaitable<Result<StreamedResponse>> Client::open(const Url& url, Request req,
                                                       BodySource* body) {
  auto state = state_;
  Url target = url;
  try {
    co_return co_await state->open(target, std::move(req), body);
  } catch (const std::exception& e) {
    co_return Error::transient(std::string("request to ") + target.origin() + ": " + e.what());
  }
}

asio::awaitable<Status> Client::relay(const RelayTo& to, const Request& req, Response& out) {
  // One pass by field code: far cheaper than a lookup by name.
  const bool relayable = std::none_of(req.begin(), req.end(), [](const auto& f) {
    return f.name() == boost::beast::http::field::transfer_encoding;
  });
  if (!relayable) {
    return detail::refuse(Error::invalid("a relayed request needs a Content-Length"));
  }
  // Not a coroutine itself: the state's round trip is awaited directly.
  return state_->round_trip(state_, to.server, to.origin, req,
                            RequestLine{to.prefix, to.target, to.host, to.fields}, to.relayed, out);
}

size_t Client::idle_connections() const {
  return state_->pool.idle();
}

}  // namespace junction::http
