#include "gateway/gateway.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "core/coarse_clock.h"
#include "gateway/access_log.h"
#include "gateway/forward.h"
#include "gateway/normalized_path.h"
#include "gateway/route_policy_request.h"
#include "http/field_lookup.h"
#include "http/problem.h"

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;
using resilience::Clock;

constexpr std::array<const char*, 5> kClasses = {"1xx", "2xx", "3xx", "4xx", "5xx"};

// The RateLimit-* fields (and Retry-After) of `decision`, replacing any the
// response has. With `lines` (the server's RequestInfo::response_lines),
// they are written there as header lines: every rate-limited response
// carries four, and Beast's fields would cost a tree insertion each.
void set_limit_fields(http::Response& res, const RateLimiter& limiter,
                      const RateLimiter::Decision& decision, std::string* lines = nullptr) {
  // One pass over the response finds whether there is anything to replace:
  // nearly never, and an erase by name costs a tree lookup per field.
  const bool replace = std::any_of(res.begin(), res.end(), [](const auto& f) {
    if (f.name() == bhttp::field::retry_after) return true;
    const std::string_view name = f.name_string();
    return name.size() > 10 && iequals(name.substr(0, 10), "RateLimit-");
  });
  if (replace) {
    for (const auto& [name, value] : limiter.header_fields(decision)) res.erase(name);
  }
  if (lines) {
    limiter.append_header_lines(decision, *lines);
    return;
  }
  for (const auto& [name, value] : limiter.header_fields(decision)) {
    // Beast has no codes for the RateLimit-* names: saying so spares it a
    // name lookup per field.
    const auto code =
        iequals(name, "Retry-After") ? bhttp::field::retry_after : bhttp::field::unknown;
    res.insert(code, name, value);
  }
}

// An old version's Deprecation, Sunset and Link on every answer of its
// route, the upstream's own Deprecation and Sunset replaced: the gateway's
// spec is what decides a version's life.
void add_version_notices(const spec::RouteVersionSpec& v, http::Response& res) {
  if (!v.deprecation.empty()) res.set("Deprecation", v.deprecation);
  if (!v.sunset.empty()) res.set("Sunset", v.sunset);
  if (!v.deprecation_link.empty()) res.insert(bhttp::field::link, v.deprecation_link);
}

// The upstream's fields that the gateway replaces on a route's answers: its
// own Server (as nginx and Envoy do: the client need not know what runs
// behind) and X-Request-Id, and the fields of a rate limit and of a
// version's life when the route has them.
http::FieldNames relay_dropped(const spec::GatewayRouteSpec& r, bool limited) {
  http::FieldNames names;
  names.add("Server").add("X-Request-Id");
  if (limited) names.add("Retry-After").add_prefix("RateLimit-");
  if (r.version) {
    if (!r.version->deprecation.empty()) names.add("Deprecation");
    if (!r.version->sunset.empty()) names.add("Sunset");
  }
  return names;
}

std::array<observe::Counter*, 5> class_counters(observe::Registry& metrics,
                                                const std::string& route) {
  std::array<observe::Counter*, 5> out{};
  for (size_t i = 0; i < kClasses.size(); ++i) {
    out[i] = &metrics.counter("junction_gateway_requests_total",
                              "gateway requests by route and status class",
                              {{"route", route}, {"class", kClasses[i]}});
  }
  return out;
}

size_t class_index(unsigned status) {
  return std::min<size_t>(4, std::max<unsigned>(status, 100) / 100 - 1);
}

Route to_route(const spec::GatewayRouteSpec& r) {
  Route route;
  route.methods = r.methods;
  route.path = r.path;
  route.host = r.host;
  for (const auto& h : r.headers) route.headers.push_back({h.name, h.equals});
  if (r.version) {
    ApiVersion v;
    v.value = r.version->value;
    if (!r.version->header.empty()) {
      v.source = ApiVersion::Source::kHeader;
      v.header = r.version->header;
    }
    route.version = std::move(v);
  }
  return route;
}

std::string route_label(const spec::GatewayRouteSpec& r) {
  if (r.version && r.version->header.empty()) return "/" + r.version->value + r.path;
  return r.path;
}

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

Result<std::unique_ptr<Gateway>> Gateway::create(const spec::GatewaySpec& spec,
                                                 const std::vector<spec::UpstreamSpec>& upstreams,
                                                 asio::any_io_executor executor,
                                                 observe::Registry& metrics, log::Store* store,
                                                 std::shared_ptr<FlowTargets> flows,
                                                 std::shared_ptr<GatewayShared> shared) {
  std::vector<Route> routes;
  for (const auto& r : spec.routes) routes.push_back(to_route(r));
  auto table = RouteTable::build(std::move(routes));
  if (!table) return Error::invalid("gateway: " + table.error().message());
  const bool owns_shared = !shared;
  if (!shared) {
    auto created = GatewayShared::create(spec, upstreams, metrics, executor);
    if (!created) return created.error();
    shared = std::move(*created);
  }
  std::unique_ptr<Gateway> g(new Gateway(spec, std::move(shared), std::move(*table)));
  g->owns_shared_ = owns_shared;
  if (const auto& file = g->shared_->access_log()) g->access_lane_ = file->new_lane();
  for (const auto& u : upstreams) {
    auto up = Upstream::create(u, g->shared_->upstream(u.name), executor, metrics);
    if (!up) return up.error();
    g->upstreams_[u.name] = std::move(*up);
  }
  for (size_t i = 0; i < g->spec_.routes.size(); ++i) {
    const auto& r = g->spec_.routes[i];
    RouteRuntime rt;
    rt.spec = &r;
    rt.label = route_label(r);
    if (!r.to.upstream.empty()) {
      auto it = g->upstreams_.find(r.to.upstream);
      if (it == g->upstreams_.end()) {
        return Error::invalid("route " + rt.label + ": unknown upstream '" + r.to.upstream + "'");
      }
      rt.upstream = it->second.get();
    }
    if (r.to.topic) {
      if (!store) {
        return Error::invalid("route " + rt.label + ": topic targets need the embedded log");
      }
      auto target = TopicTarget::create(*store, *r.to.topic);
      if (!target) return Error::invalid("route " + rt.label + ": " + target.error().message());
      rt.topic.emplace(std::move(*target));
    }
    rt.limiter = g->shared_->limiter(i);
    if (r.to.flow && !flows) {
      return Error::invalid("route " + rt.label + ": flow targets need the process's flows");
    }
    if (r.cors) rt.cors.emplace(*r.cors, r.methods);
    rt.relay_dropped = relay_dropped(r, rt.limiter != nullptr);
    if (r.validate) {
      if (!r.validate->schema) {
        return Error::invalid("route " + rt.label + ": its body schema was not compiled");
      }
      rt.body_validator.emplace(
          *r.validate, rt.label,
          metrics.counter("junction_gateway_validation_failures_total",
                          "requests refused by body validation", {{"route", rt.label}}));
    }
    rt.by_class = class_counters(metrics, rt.label);
    rt.latency =
        &metrics.histogram("junction_gateway_request_duration_seconds",
                           "time from request to response, by route", {{"route", rt.label}});
    rt.rate_limited = &metrics.counter("junction_gateway_rate_limited_total",
                                       "requests refused by a rate limit", {{"route", rt.label}});
    if (r.to.stream) rt.stream = stream_metrics(metrics, rt.label);
    g->routes_.push_back(std::move(rt));
  }
  g->unmatched_ = class_counters(metrics, "(none)");
  g->streams_ = std::any_of(g->spec_.routes.begin(), g->spec_.routes.end(),
                            [](const spec::GatewayRouteSpec& r) { return r.to.stream; });
  g->flows_ = std::move(flows);
  return g;
}

Gateway::Gateway(spec::GatewaySpec spec, std::shared_ptr<GatewayShared> shared, RouteTable table)
    : spec_(std::move(spec)),
      shared_(std::move(shared)),
      auth_(shared_->authenticator()),
      table_(std::move(table)) {}

Gateway::~Gateway() {
  // A gateway made with state of its own stops that state's background work
  // (health checks); shared state is stopped by whoever made it.
  if (owns_shared_) shared_->stop();
}

http::ServerOptions Gateway::server_options() {
  http::ServerOptions o;
  o.host = spec_.host;
  o.port = spec_.port;
  o.limits.max_body_bytes = spec_.limits.max_body;
  o.limits.max_header_bytes = spec_.limits.max_header_bytes;
  o.limits.max_header_count = spec_.limits.max_headers;
  if (spec_.tls) {
    http::TlsOptions tls;
    tls.cert_file = spec_.tls->cert_file.string();
    tls.key_file = spec_.tls->key_file.string();
    tls.client_ca_file = spec_.tls->client_ca_file.string();
    tls.require_client_cert = !tls.client_ca_file.empty() && spec_.tls->client_cert_required;
    o.tls = std::move(tls);
  }
  if (streams_) {
    o.streaming.select = [this](const http::RequestHeader& h) { return stream_limit(h); };
    o.streaming.handler = [this](http::RequestStream& s, const http::RequestInfo& i) {
      return handle_stream(s, i);
    };
  }
  return o;
}

asio::awaitable<http::Response> Gateway::handle(http::Request& req, const http::RequestInfo& info,
                                                std::shared_ptr<const void> /*keep_alive*/) {
  Exchange ex;
  http::Response res;
  const auto path = normalize_path(sv(req.target()));
  MatchResult match;  // its params view the path
  if (RouteRuntime* rt = select_route(req, info, path, ex, match, res)) {
    co_await serve(*rt, req, info, match.params, ex, res);
  }
  record(ex, res);
  access_log(req, info, ex, res.result_int(), req.body().size(), res.body().size());
  co_return res;
}

void Gateway::access_log(const http::RequestHeader& req, const http::RequestInfo& info,
                         const Exchange& ex, unsigned status, uint64_t bytes_in,
                         uint64_t bytes_out) {
  if (spec_.access_log.mode == spec::AccessLogSpec::Mode::kOff) return;
  // One JSON object per request, never a credential.
  AccessEntry entry;
  entry.request_id = info.request_id;
  entry.method = sv(req.method_string());
  entry.target = sv(req.target());
  if (ex.route) entry.route = ex.route->label;
  entry.status = status;
  entry.upstream = ex.upstream;
  entry.attempts = ex.attempts;
  entry.bytes_in = bytes_in;
  entry.bytes_out = bytes_out;
  entry.client = info.remote_address;
  entry.identity = ex.consumer;
  entry.latency_ms = std::chrono::duration<double, std::milli>(ex.end - ex.start).count();
  if (access_lane_ != nullptr) {
    // One buffer per thread: the lane copies the line.
    thread_local std::string line;
    line.clear();
    append_access_line(entry, line);
    access_lane_->append(line);
  } else {
    spdlog::info("{}", format_access_line(entry));
  }
}

void Gateway::record(Exchange& ex, const http::Response& res) {
  ex.end = Clock::now();
  size_t cls = class_index(res.result_int());
  if (ex.route == nullptr) {
    unmatched_[cls]->inc();
    return;
  }
  ex.route->by_class[cls]->inc();
  ex.route->latency->observe(ex.end - ex.start);
}

Gateway::RouteRuntime* Gateway::select_route(const http::Request& req,
                                             const http::RequestInfo& info,
                                             const Result<NormalizedPath>& normalized, Exchange& ex,
                                             MatchResult& match, http::Response& res) {
  const unsigned version = req.version();
  if (!normalized) {
    res = http::problem_response(400, "Bad Request", "the request path is not acceptable",
                                 info.request_id, version);
    return nullptr;
  }
  const NormalizedPath& path = *normalized;
  const HeaderView headers(req);
  std::string_view host;
  if (auto value = http::first_value(req, bhttp::field::host)) host = *value;
  // A CORS preflight asks about another method: it matches the route that
  // method would reach, and is answered here when that route has a policy.
  std::string_view origin;
  std::optional<std::string_view> preflight_method;
  if (req.method() == bhttp::verb::options) {
    origin = headers.get("Origin").value_or("");
    preflight_method = headers.get("Access-Control-Request-Method");
  }
  if (!origin.empty() && preflight_method) {
    MatchResult m = table_.match(*preflight_method, host, path, headers);
    if (m.outcome == MatchResult::Outcome::kMatched && routes_[m.route].cors) {
      RouteRuntime& rt = routes_[m.route];
      ex.route = &rt;
      if (!rt.cors->allows_origin(origin) || !rt.cors->allows_method(*preflight_method)) {
        res =
            http::problem_response(403, "Forbidden", "this origin or method may not call the route",
                                   info.request_id, version);
        return nullptr;
      }
      res = rt.cors->preflight(origin, version);
      return nullptr;
    }
  }
  match = table_.match(sv(req.method_string()), host, path, headers);
  if (match.outcome == MatchResult::Outcome::kNotFound) {
    res = http::problem_response(404, "Not Found", "no route matches this request", info.request_id,
                                 version);
    return nullptr;
  }
  if (match.outcome == MatchResult::Outcome::kMethodNotAllowed) {
    res = http::problem_response(405, "Method Not Allowed", "the route does not take this method",
                                 info.request_id, version);
    res.set(bhttp::field::allow, match.allow);
    return nullptr;
  }
  RouteRuntime& rt = routes_[match.route];
  ex.route = &rt;
  ex.params = &match.params;
  return &rt;
}

bool Gateway::admit(RouteRuntime& rt, http::Request& req, const http::RequestInfo& info,
                    HeaderView headers, const PathParams& params, Exchange& ex,
                    LimitDecision& limit, http::Response& refusal) {
  const unsigned version = req.version();
  const auto& rs = *rt.spec;

  auto identity = auth_.authenticate(headers, rs.require, info.client_subject);
  if (!identity && identity.error().cls() == ErrorClass::kTransient) {
    refusal = http::problem_response(503, "Service Unavailable", identity.error().message(),
                                     info.request_id, version);
    refusal.set(bhttp::field::retry_after, "5");
    return false;
  }
  if (!identity) {
    bool forbidden = identity.error().cls() == ErrorClass::kForbidden;
    int status = forbidden ? 403 : 401;
    refusal = http::problem_response(status, forbidden ? "Forbidden" : "Unauthorized",
                                     identity.error().message(), info.request_id, version);
    std::string challenge =
        auth_.challenge(rs.require.auth, headers.get("Authorization").has_value());
    if (!forbidden && !challenge.empty()) refusal.set(bhttp::field::www_authenticate, challenge);
    return false;
  }
  ex.consumer = identity->consumer;
  if (rs.require.allow_if) {
    RoutePolicyRequest policy_request(sv(req.method_string()), sv(req.target()), headers, params,
                                      *identity);
    if (!rs.require.allow_if->allows(policy_request)) {
      refusal = http::problem_response(403, "Forbidden",
                                       "the request is not allowed by the route's policy",
                                       info.request_id, version);
      return false;
    }
  }

  if (rt.limiter) {
    std::string key;
    const std::string& kind = rs.rate_limit->key;
    if (kind == "route") {
      key = "route";
    } else if (kind == "consumer" && !identity->consumer.empty()) {
      key = "c:" + identity->consumer;
    } else if (kind.starts_with("header:")) {
      auto value = headers.get(std::string_view(kind).substr(7));
      key = "h:" + std::string(value.value_or(""));
    } else {
      key = "ip:" + info.remote_address;  // "ip", or "consumer" for an anonymous caller
    }
    limit = rt.limiter->check(key, coarse_steady_now());  // buckets refill by the ms
    if (!limit->allowed) {
      rt.rate_limited->inc();
      refusal = http::problem_response(429, "Too Many Requests",
                                       "the rate limit of this route is exhausted", info.request_id,
                                       version);
      set_limit_fields(refusal, *rt.limiter, *limit);
      return false;
    }
  }

  if (rt.body_validator) {
    std::optional<http::Response> refused = rt.body_validator->check(req, info.request_id);
    if (refused) {
      refusal = std::move(*refused);
      if (limit) set_limit_fields(refusal, *rt.limiter, *limit);
      return false;
    }
  }
  return true;
}

// A coroutine keeps every local in its frame, and asio recycles frames only
// up to about 1 KiB: the checks live in admit(), a plain function, so this
// frame stays small.
asio::awaitable<void> Gateway::serve(RouteRuntime& rt, http::Request& req,
                                     const http::RequestInfo& info, const PathParams& params,
                                     Exchange& ex, http::Response& res) {
  // Read first: to_upstream() turns the request into the upstream's.
  const std::string_view origin =
      rt.cors ? HeaderView(req).get("Origin").value_or("") : std::string_view();
  LimitDecision limit;
  if (admit(rt, req, info, HeaderView(req), params, ex, limit, res)) {
    const auto& rs = *rt.spec;
    if (rs.to.static_response) {
      res = answer_static(*rs.to.static_response, req.version());
    } else if (rt.topic) {
      res = co_await publish(rt, req, info, ex);
    } else if (rs.to.flow) {
      res = co_await call_flow(rt, req, info, ex);
    } else if (ex.stream) {
      res = co_await proxy_stream(rt, req, info, ex);
    } else {
      // Proxied, and awaited here rather than in a coroutine of its own: a
      // frame less per request.
      const unsigned version = req.version();
      std::string forwarding;  // X-Forwarded-* and X-Request-Id, as header lines
      const std::string target = to_upstream(rt, req, info, ex, forwarding);
      // The upstream's answer is read straight into `res`, its fields
      // relayed as the server's header lines, but for a CORS route, whose
      // policy edits the answer's fields (Vary, Access-Control-*).
      http::RelayedFields relayed;
      if (info.response_lines && !rt.cors) {
        relayed = {info.response_lines, info.response_lines->size(), &rt.relay_dropped};
      }
      const UpstreamResult result = co_await rt.upstream->forward(
          req, target, rt.upstream->retryable(req), info.remote_address, forwarding, res, relayed);
      from_upstream(result, version, info.request_id, ex, res);
      if (relayed.lines && result.outcome != UpstreamResult::Outcome::kResponse) {
        relayed.lines->resize(relayed.from);
      }
    }
    if (limit) set_limit_fields(res, *rt.limiter, *limit, info.response_lines);
  }
  if (rt.spec->version) add_version_notices(*rt.spec->version, res);
  if (!origin.empty()) rt.cors->decorate(res, origin);
}

std::string Gateway::to_upstream(RouteRuntime& rt, http::Request& req,
                                 const http::RequestInfo& info, Exchange& ex,
                                 std::string& forwarding) {
  // The client's request becomes the upstream's in place: copying its
  // fields cost an allocation each. Its target stays, for the access log.
  std::string target = strip_prefix(sv(req.target()), rt.spec->to.strip_prefix);
  prepare_upstream_request(req, info, forwarding, upstream_identity(rt, ex));
  ex.upstream = rt.upstream->name();
  return target;
}

UpstreamIdentity Gateway::upstream_identity(const RouteRuntime& rt, const Exchange& ex) const {
  const auto& to = rt.spec->to;
  UpstreamIdentity who;
  who.header = to.identity_header;
  who.consumer = ex.consumer;
  who.drop_credentials = !to.forward_credentials;
  if (spec_.api_keys) who.api_key_header = spec_.api_keys->header;
  return who;
}

void Gateway::from_upstream(const UpstreamResult& result, unsigned version,
                            const std::string& request_id, Exchange& ex, http::Response& res) {
  ex.attempts = result.attempts;
  if (result.outcome == UpstreamResult::Outcome::kResponse) {
    adopt_upstream_answer(res);
    res.version(version);
  } else {
    res = upstream_problem(result.outcome, request_id, version);
  }
}

http::Response Gateway::upstream_problem(UpstreamResult::Outcome outcome,
                                         const std::string& request_id, unsigned version) {
  using Outcome = UpstreamResult::Outcome;
  switch (outcome) {
    case Outcome::kTimeout:
      return http::problem_response(504, "Gateway Timeout", "the upstream did not answer in time",
                                    request_id, version);
    case Outcome::kCircuitOpen:
      return http::problem_response(503, "Service Unavailable",
                                    "the upstream is failing; try again later", request_id,
                                    version);
    case Outcome::kBulkheadFull:
      return http::problem_response(503, "Service Unavailable",
                                    "the upstream is at its concurrency limit", request_id,
                                    version);
    case Outcome::kFailed:
    case Outcome::kResponse:
      break;
  }
  return http::problem_response(502, "Bad Gateway", "the upstream could not be reached", request_id,
                                version);
}

asio::awaitable<http::Response> Gateway::publish(RouteRuntime& rt, http::Request& req,
                                                 const http::RequestInfo& info, Exchange& ex) {
  const unsigned version = req.version();
  ex.upstream = "topic:" + rt.topic->topic_name();
  auto published = co_await rt.topic->publish(req, info, ex.consumer);
  if (!published) {
    // The log's messages name files and limits: only the class reaches the client.
    switch (published.error().cls()) {
      case ErrorClass::kInvalid:
        co_return http::problem_response(413, "Content Too Large",
                                         "the request is over the topic's message size limit",
                                         info.request_id, version);
      case ErrorClass::kOverloaded: {
        auto res = http::problem_response(503, "Service Unavailable",
                                          "the topic cannot take more now; try again later",
                                          info.request_id, version);
        res.set(bhttp::field::retry_after, "1");
        co_return res;
      }
      default:
        spdlog::error("route {}: publishing to topic {} failed: {}", rt.label,
                      rt.topic->topic_name(), published.error().message());
        co_return http::problem_response(500, "Internal Server Error",
                                         "the request could not be stored", info.request_id,
                                         version);
    }
  }
  boost::json::object body;
  body["id"] = published->id;
  body["topic"] = rt.topic->topic_name();
  body["partition"] = published->partition;
  body["offset"] = published->offset;
  http::Response res{bhttp::status::accepted, version};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = boost::json::serialize(body);
  res.prepare_payload();
  co_return res;
}

asio::awaitable<http::Response> Gateway::call_flow(RouteRuntime& rt, http::Request& req,
                                                   const http::RequestInfo& info, Exchange& ex) {
  const spec::FlowTargetSpec& target = *rt.spec->to.flow;
  ex.upstream = "flow:" + target.flow;
  // Looked up per request: a flow registers once its input opened, and
  // leaves when it stops.
  std::shared_ptr<FlowEndpoint> endpoint = flows_->find(target.flow);
  FlowAnswer answer;
  if (endpoint) {
    FlowCall call{req, info, ex.consumer, {}, target.timeout};
    if (ex.params) {
      for (const auto& [name, value] : *ex.params) call.params.emplace_back(name, value);
    }
    answer = co_await endpoint->call(std::move(call));
  }
  co_return flow_response(answer, info.request_id, req.version());
}

http::Response Gateway::answer_static(const spec::StaticResponseSpec& s, unsigned version) const {
  http::Response res{static_cast<bhttp::status>(s.status), version};
  for (const auto& [name, value] : s.headers) res.set(name, value);
  res.body() = s.body;
  res.prepare_payload();
  return res;
}

}  // namespace junction::gateway
