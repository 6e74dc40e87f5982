#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "gateway/authenticator.h"
#include "gateway/body_validator.h"
#include "gateway/cors.h"
#include "gateway/flow_target.h"
#include "gateway/gateway_shared.h"
#include "gateway/normalized_path.h"
#include "gateway/rate_limiter.h"
#include "gateway/route_table.h"
#include "gateway/topic_target.h"
#include "gateway/upstream.h"
#include "http/request_stream.h"
#include "http/server.h"
#include "observe/metrics.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

struct UpstreamIdentity;

// The API gateway of a spec's `gateway:` and `upstreams:` sections, as an
// http::Server handler. Per request:
//   normalize the path (400) -> match a route (404, 405 + Allow)
//   -> answer a CORS preflight (204) for a route with `cors`
//   -> authenticate and authorize (401 + WWW-Authenticate, 403)
//   -> rate limit (429 + Retry-After and RateLimit-* headers)
//   -> validate the body against the route's JSON Schema (415, 400, 422)
//   -> proxy to the upstream (502 / 503 / 504 on its failure), publish to a
//      topic (202 once durable; 413 / 503 from the log), call a flow (its
//      reply, or 204 / a problem), or answer the static response.
// Every error is problem+json naming the request id and nothing internal: no
// upstream address, no verifier message. One JSON access log line per
// request. Bodies are buffered, up to limits.max_body, except on routes with
// `to.stream`, whose bodies are relayed as they arrive (gateway_stream.cc).
//
// A Gateway runs on one executor, its server's: the upstreams' clients are
// bound to it. A gateway serving on several I/O threads is one Gateway per
// thread, all built from the same GatewayShared.
class Gateway {
 public:
  // Error::invalid for anything the spec layer could not check: a path
  // template, a JWKS file, an API key list, an upstream URL. `flows` serves
  // routes with a flow target; it is shared by every gateway of the process.
  // Without `shared`, the Gateway gets state of its own.
  static Result<std::unique_ptr<Gateway>> create(const spec::GatewaySpec& spec,
                                                 const std::vector<spec::UpstreamSpec>& upstreams,
                                                 asio::any_io_executor executor,
                                                 observe::Registry& metrics,
                                                 log::Store* store = nullptr,
                                                 std::shared_ptr<FlowTargets> flows = nullptr,
                                                 std::shared_ptr<GatewayShared> shared = nullptr);
  ~Gateway();

  // `keep_alive` is held for as long as the request runs: a runner passes
  // the gateway's own shared_ptr, so that a reload may replace the gateway
  // under a request in flight (a parameter lives in the coroutine's frame
  // from the call on; a wrapper coroutine would cost a frame per request).
  asio::awaitable<http::Response> handle(http::Request& req, const http::RequestInfo& info,
                                         std::shared_ptr<const void> keep_alive = nullptr);

  // The header-first path (http::StreamingHooks): requests for a streaming
  // route get the body limit max_streamed_body and go to handle_stream.
  std::optional<uint64_t> stream_limit(const http::RequestHeader& header);
  asio::awaitable<void> handle_stream(http::RequestStream& stream, const http::RequestInfo& info);

  // Listen address, TLS and limits for the http::Server that serves it, and
  // the streaming hooks (calling back into this gateway) when a route streams.
  http::ServerOptions server_options();

 private:
  struct RouteRuntime {
    std::string label;  // the metrics label: "/v1/orders/{id}"
    const spec::GatewayRouteSpec* spec = nullptr;
    Upstream* upstream = nullptr;
    std::optional<TopicTarget> topic;
    RateLimiter* limiter = nullptr;  // shared by every thread's Gateway
    std::optional<CorsPolicy> cors;
    // The upstream's fields the gateway writes itself on this route's
    // answers, dropped when the others are relayed as lines.
    http::FieldNames relay_dropped;
    std::optional<BodyValidator> body_validator;
    std::array<observe::Counter*, 5> by_class{};  // 1xx..5xx
    observe::Histogram* latency = nullptr;
    observe::Counter* rate_limited = nullptr;
    struct StreamMetrics {
      observe::Counter* bytes_in = nullptr;   // request body bytes relayed upstream
      observe::Counter* bytes_out = nullptr;  // response body bytes relayed to the client
      observe::Counter* cut = nullptr;        // relays broken off after the response began
    };
    std::optional<StreamMetrics> stream;  // set for a route with `to.stream`
  };
  // What the access log and the metrics need to know about one request.
  struct Exchange {
    resilience::Clock::time_point start = resilience::Clock::now();
    resilience::Clock::time_point end;  // of the answer, set by record()
    RouteRuntime* route = nullptr;
    std::string upstream;
    std::string consumer;
    int attempts = 0;
    const PathParams* params = nullptr;  // the matched route's, while it is served
    // The header-first path only: the request's body, unread until proxied,
    // and the upstream's response body, to be relayed once the response
    // header has been decorated like a buffered one.
    http::RequestStream* stream = nullptr;
    std::unique_ptr<http::BodySource> relay;
  };

  Gateway(spec::GatewaySpec spec, std::shared_ptr<GatewayShared> shared, RouteTable table);
  // The route that serves the request, or null when `res` already holds
  // the answer (400, 404, 405, a CORS preflight). Plain, not a coroutine:
  // handle() awaits serve() itself, a frame less per request.
  RouteRuntime* select_route(const http::Request& req, const http::RequestInfo& info,
                             const Result<NormalizedPath>& path, Exchange& ex, MatchResult& match,
                             http::Response& res);
  // serve() answers in `res`: a response returned by value was
  // moved once more at every level (callgrind, bench/gateway).
  using LimitDecision = std::optional<RateLimiter::Decision>;
  // Authentication, policy, rate limit and body validation. False with the
  // answer in `refusal` when the request goes no further; `limit` is the
  // route's rate-limit decision (for the RateLimit-* fields) either way.
  bool admit(RouteRuntime& route, http::Request& req, const http::RequestInfo& info,
             HeaderView headers, const PathParams& params, Exchange& ex, LimitDecision& limit,
             http::Response& refusal);
  // Admits the request, answers it by the route's target, and adds the
  // route's rate-limit and CORS fields.
  asio::awaitable<void> serve(RouteRuntime& route, http::Request& req,
                              const http::RequestInfo& info, const PathParams& params, Exchange& ex,
                              http::Response& res);
  // A proxied request's two halves around the upstream call: the request
  // made the upstream's in place (returns the target to send), and the
  // upstream's answer, or a problem for its failure, made the response.
  // What `route` tells its upstream of the caller (see UpstreamIdentity).
  UpstreamIdentity upstream_identity(const RouteRuntime& route, const Exchange& ex) const;
  std::string to_upstream(RouteRuntime& route, http::Request& req, const http::RequestInfo& info,
                          Exchange& ex, std::string& forwarding);
  // `res` holds the upstream's answer when there was one.
  void from_upstream(const UpstreamResult& result, unsigned version, const std::string& request_id,
                     Exchange& ex, http::Response& res);
  asio::awaitable<http::Response> proxy_stream(RouteRuntime& route, http::Request& req,
                                               const http::RequestInfo& info, Exchange& ex);
  static RouteRuntime::StreamMetrics stream_metrics(observe::Registry& metrics,
                                                    const std::string& route);
  static http::Response upstream_problem(UpstreamResult::Outcome outcome,
                                         const std::string& request_id, unsigned version);
  void access_log(const http::RequestHeader& req, const http::RequestInfo& info, const Exchange& ex,
                  unsigned status, uint64_t bytes_in, uint64_t bytes_out);
  asio::awaitable<http::Response> publish(RouteRuntime& route, http::Request& req,
                                          const http::RequestInfo& info, Exchange& ex);
  asio::awaitable<http::Response> call_flow(RouteRuntime& route, http::Request& req,
                                            const http::RequestInfo& info, Exchange& ex);
  http::Response answer_static(const spec::StaticResponseSpec& s, unsigned version) const;
  // Counts the answer and sets ex.end.
  void record(Exchange& ex, const http::Response& res);

  spec::GatewaySpec spec_;
  std::shared_ptr<GatewayShared> shared_;
  const Authenticator& auth_;
  RouteTable table_;
  bool owns_shared_ = false;  // made without a GatewayShared: stops it when destroyed
  std::map<std::string, std::unique_ptr<Upstream>> upstreams_;
  std::vector<RouteRuntime> routes_;
  bool streams_ = false;  // some route has `to.stream`
  std::array<observe::Counter*, 5> unmatched_{};
  std::shared_ptr<FlowTargets> flows_;
  AccessLogFile::Lane* access_lane_ = nullptr;  // this thread's, with access_log: {file}
};

}  // namespace junction::gateway
