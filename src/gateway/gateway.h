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
#include "gateway/cors.h"
#include "gateway/flow_target.h"
#include "gateway/rate_limiter.h"
#include "gateway/route_table.h"
#include "gateway/topic_target.h"
#include "gateway/upstream.h"
#include "http/server.h"
#include "observe/metrics.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

// The API gateway of a spec's `gateway:` and `upstreams:` sections, as an
// http::Server handler. Per request:
//   normalize the path (400) -> match a route (404, 405 + Allow)
//   -> answer a CORS preflight (204) for a route with `cors`
//   -> authenticate and authorize (401 + WWW-Authenticate, 403)
//   -> rate limit (429 + Retry-After and RateLimit-* headers)
//   -> proxy to the upstream (502 / 503 / 504 on its failure), publish to a
//      topic (202 once durable; 413 / 503 from the log), call a flow (its
//      reply, or 204 / a problem), or answer the static response.
// Every error is problem+json naming the request id and nothing internal: no
// upstream address, no verifier message. One JSON access log line per
// request. Bodies are buffered, up to limits.max_body.
//
// Runs on one executor, the server's: the upstreams' clients are bound to it.
class Gateway {
 public:
  // Error::invalid for anything the spec layer could not check: a path
  // template, a JWKS file, an API key list, an upstream URL. `flows` serves
  // routes with a flow target; it is shared by every gateway of the process.
  static Result<std::unique_ptr<Gateway>> create(const spec::GatewaySpec& spec,
                                                 const std::vector<spec::UpstreamSpec>& upstreams,
                                                 asio::any_io_executor executor,
                                                 observe::Registry& metrics,
                                                 log::Store* store = nullptr,
                                                 std::shared_ptr<FlowTargets> flows = nullptr);
  ~Gateway();

  asio::awaitable<http::Response> handle(http::Request& req, const http::RequestInfo& info);

  // Listen address, TLS and limits for the http::Server that serves it.
  http::ServerOptions server_options() const;

 private:
  struct RouteRuntime {
    std::string label;  // the metrics label: "/v1/orders/{id}"
    const spec::GatewayRouteSpec* spec = nullptr;
    Upstream* upstream = nullptr;
    std::optional<TopicTarget> topic;
    std::optional<RateLimiter> limiter;
    std::optional<CorsPolicy> cors;
    std::array<observe::Counter*, 5> by_class{};  // 1xx..5xx
    observe::Histogram* latency = nullptr;
    observe::Counter* rate_limited = nullptr;
  };
  struct Exchange;  // one request's facts, for the access log

  Gateway(spec::GatewaySpec spec, Authenticator auth, RouteTable table);
  asio::awaitable<http::Response> route(http::Request& req, const http::RequestInfo& info,
                                        Exchange& ex);
  asio::awaitable<http::Response> serve(RouteRuntime& route, http::Request& req,
                                        const http::RequestInfo& info, const Headers& headers,
                                        Exchange& ex);
  asio::awaitable<http::Response> proxy(RouteRuntime& route, http::Request& req,
                                        const http::RequestInfo& info, Exchange& ex);
  asio::awaitable<http::Response> publish(RouteRuntime& route, http::Request& req,
                                          const http::RequestInfo& info, Exchange& ex);
  asio::awaitable<http::Response> call_flow(RouteRuntime& route, http::Request& req,
                                            const http::RequestInfo& info, Exchange& ex);
  http::Response answer_static(const spec::StaticResponseSpec& s, unsigned version) const;
  void record(const Exchange& ex, const http::Response& res);

  spec::GatewaySpec spec_;
  Authenticator auth_;
  RouteTable table_;
  std::map<std::string, std::unique_ptr<Upstream>> upstreams_;
  std::vector<RouteRuntime> routes_;
  std::array<observe::Counter*, 5> unmatched_{};
  std::shared_ptr<FlowTargets> flows_;
};

}  // namespace junction::gateway
