#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/units.h"
#include "http/request_stream.h"
#include "http/tls.h"
#include "http/types.h"

namespace junction::http {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct ServerLimits {
  uint64_t max_body_bytes = 1024 * 1024;
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t max_header_count = 100;
  // From the first byte of a request to the end of its header (slowloris).
  Duration header_timeout = 10s;
  Duration body_timeout = 30s;       // reading a body, and writing a response
  Duration idle_timeout = 60s;       // between requests on a kept-alive connection
  uint32_t max_connections = 10000;  // beyond this, new connections wait in the backlog
};

struct ServerOptions {
  std::string host = "0.0.0.0";  // an IP address, "localhost", or "" / "*" for all
  uint16_t port = 0;             // 0 = ephemeral
  ServerLimits limits;
  std::optional<TlsOptions> tls;  // TLS when set
  std::string server_name = "junction";
  // SO_REUSEPORT, so that one Server per I/O thread can listen on the same
  // port and the kernel spreads connections over them. listen() first checks
  // that no other socket holds the port: reuse within one process must not
  // let a stale second process share its traffic unnoticed.
  bool reuse_port = false;
  // With reuse_port: this Server joins a port its sibling already checked
  // and bound, so it skips the check.
  bool join_reused_port = false;
  // Unset: every request is read whole and goes to the Handler.
  StreamingHooks streaming;
};

struct RequestInfo {
  std::string remote_address;  // peer IP, without port
  uint16_t remote_port = 0;
  std::string client_subject;  // verified client certificate subject (RFC 2253), or empty
  std::string request_id;      // the client's X-Request-Id if sane, else generated
  bool tls = false;
  // Where a handler may put header fields of its response as lines
  // ("Name: value\r\n") rather than store them in it: set while the server
  // writes the response itself, and then a field costs an append instead of
  // a lookup and a tree insertion in Beast's fields. Null otherwise (a
  // streamed exchange, a handler called directly): store them as usual.
  // Dropped if the handler fails.
  std::string* response_lines = nullptr;
};

// An exception escaping the handler becomes a 500 problem response; the
// connection stays usable. The handler may change the request (a proxy
// sends it on): the server reads what it needs of it first.
using Handler = std::function<asio::awaitable<Response>(Request&, const RequestInfo&)>;

namespace detail {
struct ServerState;
}

// An HTTP/1.1 server whose accept loop and connections run on one
// io_context, which must be run by a single thread. Destroy it before the
// io_context.
class Server {
 public:
  Server(asio::io_context& ctx, ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns the bound port. Loads TLS files here, so that
  // misconfiguration is reported before any traffic.
  Result<uint16_t> listen();
  // Spawns the accept loop on the io_context. Call after listen().
  void start();
  // Stops accepting, closes idle connections, lets in-flight requests finish
  // for up to `drain`, then closes what is left. Run it on the io_context.
  asio::awaitable<void> shutdown(Duration drain);

  // Both safe to call from any thread.
  size_t active_connections() const;
  uint64_t accepted_connections() const;

 private:
  std::shared_ptr<detail::ServerState> state_;
};

}  // namespace junction::http
