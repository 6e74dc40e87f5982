#pragma once

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "http/body_source.h"
#include "http/client.h"
#include "http/types.h"
#include "http/url.h"
#include "observe/metrics.h"
#include "resilience/backoff.h"
#include "resilience/bulkhead.h"
#include "resilience/circuit_breaker.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

namespace asio = boost::asio;

// What became of a proxied request.
struct UpstreamResult {
  enum class Outcome : uint8_t {
    kResponse,     // the upstream answered (any status)
    kFailed,       // could not connect, reset, malformed answer: 502
    kTimeout,      // no answer within the upstream's timeout: 504
    kCircuitOpen,  // the breaker refused the call: 503
    kBulkheadFull  // max_concurrent calls already in flight: 503
  };
  Outcome outcome = Outcome::kFailed;
  http::Response response;  // kResponse only; from open(), the header alone
  int attempts = 0;         // calls made, retries included
  // open() with kResponse: the response body, still to be read. It holds the
  // call's bulkhead slot until it is read to the end or dropped.
  std::unique_ptr<http::BodySource> body;
};

// The resilience around one named upstream that must be one across the
// gateway's threads: the circuit breaker judges the upstream's whole
// traffic, and max_concurrent bounds the calls of every thread together.
struct UpstreamGuards {
  UpstreamGuards(const spec::UpstreamSpec& spec, observe::Registry& metrics);
  resilience::Bulkhead bulkhead;
  resilience::CircuitBreaker breaker;
  // Round robin over all threads' requests, not per thread.
  std::atomic<size_t> next_target{0};
};

// One named upstream: its targets, how one is chosen, and the resilience
// around every call: a bulkhead (max_concurrent), a circuit breaker over the
// upstream as a whole, a timeout per attempt, and retries with full-jitter
// backoff, only for idempotent methods and only after a transport failure or
// a 502/503/504, which say the request was not processed.
//
// Runs on one executor (the gateway's server thread): its client's pool and
// the backoff's generator are not thread-safe. A gateway on several threads
// has an Upstream per thread, all sharing one UpstreamGuards.
class Upstream {
 public:
  // Without `guards`, the Upstream gets guards of its own.
  static Result<std::unique_ptr<Upstream>> create(const spec::UpstreamSpec& spec,
                                                  asio::any_io_executor executor,
                                                  observe::Registry& metrics,
                                                  std::shared_ptr<UpstreamGuards> guards = nullptr);
  ~Upstream();

  // Sends `req` (its target the path and query to ask for, relative to a
  // target's base path) to a target chosen by the balance policy.
  asio::awaitable<UpstreamResult> forward(http::Request req, bool idempotent);

  // Like forward(), but returns once the response header is in; the body is
  // read from the result. With `body` set, the request body is read from it
  // as it is sent (req.body() is ignored), so the call is made once whatever
  // `idempotent` says: what was sent cannot be sent again. Each connect,
  // write and read is bounded by `timeout` on its own; the breaker and the
  // latency histogram see the time from the end of the request body to the
  // response header, so long uploads do not count as slow calls.
  asio::awaitable<UpstreamResult> open(http::Request req, http::BodySource* body, bool idempotent);

  const std::string& name() const { return name_; }
  resilience::CircuitState circuit_state();

 private:
  struct Target {
    http::Url url;  // target "/" or a base path without trailing slash
    std::string base_path;
    uint32_t in_flight = 0;
  };
  Upstream(const spec::UpstreamSpec& spec, asio::any_io_executor executor,
           observe::Registry& metrics, std::vector<Target> targets,
           std::shared_ptr<UpstreamGuards> guards);

  size_t pick();
  asio::awaitable<UpstreamResult> attempt(http::Request& req);
  asio::awaitable<UpstreamResult> open_attempt(http::Request& req, http::BodySource* body);

  std::string name_;
  asio::any_io_executor executor_;
  std::vector<Target> targets_;
  spec::Balance balance_;
  Duration timeout_;
  int attempts_;
  resilience::Backoff backoff_;
  std::shared_ptr<UpstreamGuards> guards_;
  resilience::Bulkhead& bulkhead_;
  resilience::CircuitBreaker& breaker_;
  http::Client client_;
  std::array<observe::Counter*, 5> by_class_{};  // answers by status class, 1xx..5xx
  observe::Counter& retries_;
  observe::Counter& failures_;
  observe::Histogram& latency_;
};

}  // namespace junction::gateway
