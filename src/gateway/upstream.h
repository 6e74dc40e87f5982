#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "gateway/upstream_shared.h"
#include "http/body_source.h"
#include "http/client.h"
#include "http/types.h"
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
  unsigned status = 0;      // kResponse: the answer's status
  http::Response response;  // open() with kResponse: the header (forward() answers in its `out`)
  int attempts = 0;         // calls made, retries included
  // open() with kResponse: the response body, still to be read. It holds the
  // call's bulkhead slot until it is read to the end or dropped.
  std::unique_ptr<http::BodySource> body;
};

// One named upstream as one thread sees it: how a target is chosen, and the
// resilience around every call: a bulkhead (max_concurrent), a circuit
// breaker over the upstream as a whole, a timeout per attempt, and retries
// with full-jitter backoff, only for retryable methods (the idempotent ones
// unless retries.methods says otherwise), only after a
// transport failure or a 502/503/504, which say the request was not
// processed, and only while the shared retry budget allows.
//
// A target is chosen among those that pass their health checks and are not
// ejected (see SharedUpstream); a retry prefers another target than the one
// that just failed. When no target is in rotation, every target is (Envoy's
// panic mode): health checks and ejections are heuristics, and when they
// rule out everything the likelier fault is the checks' view, while a 503
// would fail every request for certain. The circuit breaker still guards
// an upstream that is really down.
//
// Runs on one executor (the gateway's server thread): its client's pool, the
// backoff's generator and the least-request counts are not thread-safe. What
// all threads share lives in the SharedUpstream: target health, the retry
// budget, the circuit breaker, the bulkhead and the round-robin turn.
class Upstream {
 public:
  static Result<std::unique_ptr<Upstream>> create(const spec::UpstreamSpec& spec,
                                                  std::shared_ptr<SharedUpstream> shared,
                                                  asio::any_io_executor executor,
                                                  observe::Registry& metrics);
  ~Upstream();

  // Sends `req`, made ready by prepare_upstream_request() (its
  // Content-Length set), with the target's Host, to a target chosen by the balance policy, asking
  // for `target`: the path and query relative to the target's base path.
  // `client_address` is the hash key of `hash_on: ip`. req and target must
  // outlive the call; req is sent as it is, by every attempt, followed by
  // the header lines `fields` (see prepare_upstream_request). The answer
  // (kResponse) is read into `out`, which the caller keeps: returned by
  // value, it was moved once more at every level. With `relayed.lines` set,
  // the answer's end-to-end fields are written there instead of into `out`
  // (see http::RelayedFields); the caller cuts them back to `relayed.from`
  // when the result is not kResponse.
  asio::awaitable<UpstreamResult> forward(const http::Request& req, std::string_view target,
                                          bool retryable, std::string_view client_address,
                                          std::string_view fields, http::Response& out,
                                          http::RelayedFields relayed = {});

  // Like forward(), but returns once the response header is in; the body is
  // read from the result. With `body` set, the request body is read from it
  // as it is sent (req.body() is ignored), so the call is made once whatever
  // `idempotent` says: what was sent cannot be sent again. Each connect,
  // write and read is bounded by `timeout` on its own; the breaker and the
  // latency histogram see the time from the end of the request body to the
  // response header, so long uploads do not count as slow calls.
  asio::awaitable<UpstreamResult> open(http::Request req, http::BodySource* body, bool retryable,
                                       std::string_view client_address = {});

  // Whether a failed call with this method may be sent again: the
  // upstream's retries.methods, or by default the idempotent methods.
  bool retryable(const http::Request& req) const;

  const std::string& name() const { return shared_->name(); }
  resilience::CircuitState circuit_state();

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  Upstream(const spec::UpstreamSpec& spec, std::shared_ptr<SharedUpstream> shared,
           asio::any_io_executor executor, observe::Registry& metrics);

  // The target a request with this hash key (nullopt: none) goes to now,
  // avoiding `avoid` when another is in rotation; an index into the shared
  // targets. Advances the round robin.
  size_t pick(std::optional<uint64_t> key, size_t avoid);
  // The target by the balance policy among those `usable` says may be
  // called; `turn` is this pick's place in the round robin.
  template <class Usable>
  std::optional<size_t> choose(std::optional<uint64_t> key, size_t turn, Usable&& usable);
  std::optional<uint64_t> hash_key(const http::Request& req, std::string_view client) const;
  // The bookkeeping of a call that got no answer (breaker, metrics,
  // ejection); says whether it timed out or failed.
  UpstreamResult::Outcome judge_failure(size_t target, TimePoint end, Duration took,
                                        const Error& error);
  // The same for an answer with `status`.
  void judge_answer(size_t target, unsigned status, TimePoint end, Duration took);
  asio::awaitable<void> pause(Duration delay);
  // An attempt's result from what the call to `target`, begun at `start`,
  // got: `sent` ok means an answer with `status`.
  UpstreamResult settle(size_t target, TimePoint start, const Status& sent, unsigned status);
  static UpstreamResult circuit_open() {
    UpstreamResult r;
    r.outcome = UpstreamResult::Outcome::kCircuitOpen;
    return r;
  }
  static UpstreamResult bulkhead_full() {
    UpstreamResult r;
    r.outcome = UpstreamResult::Outcome::kBulkheadFull;
    return r;
  }
  // After attempt number `attempt` of `allowed` got `result`: whether to try
  // again (the retry budget permitting; a retry it grants is counted).
  bool should_retry(const UpstreamResult& result, int attempt, int allowed);
  // One attempt for open(): the response body is left to read.
  asio::awaitable<UpstreamResult> open_attempt(http::Request& req, http::BodySource* body,
                                               std::optional<uint64_t> key, size_t& target);

  std::shared_ptr<SharedUpstream> shared_;
  asio::any_io_executor executor_;
  std::vector<uint32_t> in_flight_;  // per target, this thread's calls
  std::vector<size_t> usable_;       // choose()'s scratch: the targets it may pick
  spec::Balance balance_;
  std::string hash_header_;
  Duration timeout_;
  int attempts_;
  std::optional<std::vector<std::string>> retry_methods_;  // unset: the idempotent ones
  resilience::Backoff backoff_;
  resilience::Bulkhead& bulkhead_;       // shared_'s
  resilience::CircuitBreaker& breaker_;  // shared_'s
  http::Client client_;
  std::array<observe::Counter*, 5> by_class_{};  // answers by status class, 1xx..5xx
  observe::Counter& retries_;
  observe::Counter& failures_;
  observe::Histogram& latency_;
};

}  // namespace junction::gateway
