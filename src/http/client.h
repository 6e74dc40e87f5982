#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/units.h"
#include "http/body_source.h"
#include "http/relayed_fields.h"
#include "http/types.h"
#include "http/url.h"

namespace junction::http {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct ClientOptions {
  Duration connect_timeout = 5s;   // DNS, TCP connect and TLS handshake
  Duration request_timeout = 30s;  // the whole send(), connecting included
  uint32_t max_idle_per_host = 32;
  Duration pool_idle_timeout = 50s;  // below common server keep-alive timeouts
  uint64_t max_response_body = 16 * 1024 * 1024;
  bool verify_peer = true;
  std::string ca_file;  // trusted in addition to the system store
  // A client certificate for mTLS (PEM); key_file defaults to cert_file.
  std::string cert_file;
  std::string key_file;
};

// An answer whose body is still to be read.
struct StreamedResponse {
  Response head;                     // status and fields; its body empty
  std::unique_ptr<BodySource> body;  // to its end, or dropped to close the connection
};

// Where Client::relay() sends a request. The strings are the caller's,
// worked out once per server rather than once per request.
struct RelayTo {
  const Url& server;        // scheme, host and port; its target is not used
  std::string_view origin;  // server.origin(): the connection pool's key
  std::string_view host;    // server.host_header(): the Host field
  std::string_view prefix;  // put before the target
  std::string_view target;  // the path and query asked for
  // Header lines ("Name: value\r\n") sent after the request's own fields.
  std::string_view fields = {};
  // Where the answer's end-to-end fields go as lines, when `lines` is set.
  RelayedFields relayed = {};
};

namespace detail {
struct ClientState;
}

// An HTTP/1.1 client with a keep-alive pool per (scheme, host, port). Use it
// from its executor's thread only.
class Client {
 public:
  Client(asio::any_io_executor executor, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `req` to `url` (its target, Host, User-Agent and Content-Length are
  // set from the URL and body). Any HTTP status is a Response; errors are
  // transport failures: connect/reset/timeout/DNS are transient, a response
  // body over the limit or a TLS verification failure permanent. The
  // response has no hop-by-hop fields but Connection (Keep-Alive,
  // Transfer-Encoding, ...: they describe the connection, which the client
  // keeps; ClientResponseParser) and its body is decoded.
  asio::awaitable<Result<Response>> send(const Url& url, Request req);

  // For a proxy: sends `req` on as it is, but for its request target
  // (to.prefix + to.target) and Host (to.host, in place of any Host field
  // it has). req must have its Content-Length set (prepare_payload()) and
  // no Transfer-Encoding; it is not changed, so a retry can send it again,
  // to another server. Errors as
  // send(); the answer is read into `out` (a proxy's own response: returned
  // by value, it was moved once more at every level). `to`, `req` and `out`
  // must outlive the call.
  asio::awaitable<Status> relay(const RelayTo& to, const Request& req, Response& out);

  // Like send(), but returns once the response header is in; the body is
  // read from the result, without a size limit, and its connection goes back
  // to the pool when it has been read to the end. With `body` set, the
  // request body is read from it as it is sent (chunked unless `req` has a
  // Content-Length) instead of from req.body(); it must outlive the call.
  // Every connect, write and read is bounded by request_timeout on its own,
  // so a long transfer is not cut while it moves. A stale pooled connection
  // is retried only while nothing was taken from `body`; a failure of `body`
  // itself is returned as it is.
  asio::awaitable<Result<StreamedResponse>> open(const Url& url, Request req,
                                                 BodySource* body = nullptr);

  // Idle pooled connections, across hosts.
  size_t idle_connections() const;

 private:
  std::shared_ptr<detail::ClientState> state_;
};

}  // namespace junction::http
