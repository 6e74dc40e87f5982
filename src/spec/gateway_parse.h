#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/units.h"
#include "spec/diagnostics.h"
#include "spec/node.h"

namespace junction::spec {

// The `gateway:` and `upstreams:` sections as written, checked for shape and
// cross references. The gateway runtime (src/gateway/gateway.h) turns them
// into a route table, verifiers, limiters and pools; whatever needs a file or
// a parser of a higher layer (PEM, JWKS, URL) is checked there, at startup.

struct GatewayTlsSpec {
  std::filesystem::path cert_file;  // resolved against the spec's directory
  std::filesystem::path key_file;
  std::filesystem::path client_ca_file;  // set: clients must present a certificate it signed
};

struct GatewayLimitsSpec {
  uint64_t max_body = 1024 * 1024;
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t max_headers = 100;
};

struct JwtSpec {
  std::vector<std::string> issuers;    // empty: not checked
  std::vector<std::string> audiences;  // empty: tokens naming an audience are refused
  std::filesystem::path jwks;          // a JWKS file; or
  std::string secret;                  // an HMAC secret (never logged)
  std::vector<std::string> algorithms;
  Duration leeway = std::chrono::seconds(60);
  Location where;
};

struct ApiKeysSpec {
  std::string header = "X-Api-Key";
  std::string keys;  // "name:key" lines (never logged)
  Location where;
};

enum class AuthMode : uint8_t { kNone, kJwt, kApiKey, kAny };

struct RouteRequireSpec {
  AuthMode auth = AuthMode::kNone;
  std::vector<std::string> scopes;  // all required
  std::vector<std::string> roles;   // any one suffices
};

struct RouteRateLimitSpec {
  // "ip", "consumer", "route", or "header:<name>".
  std::string key = "ip";
  std::vector<std::string> limits;  // "1000/min", "50/s burst 100"; each checked
};

struct StaticResponseSpec {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// `to: { topic: orders, key: X-Order-Id }`: the request becomes a record of
// a topic of the embedded log, answered 202 once it is durable.
struct TopicTargetSpec {
  std::string topic;
  std::string key_header;  // the record's key comes from this request header; empty: no key
  Location where;
};

// `to: { flow: quote, timeout: 5s }`: the request becomes a message of a
// flow whose input is `gateway`, and what the flow replies is the response.
struct FlowTargetSpec {
  std::string flow;
  Duration timeout = std::chrono::seconds(30);  // past it: 504
  Location where;                               // the `flow:` field
};

// A flow's name and its input's type, for checking flow targets.
struct FlowInputRef {
  std::string flow;
  std::string input_type;
};

struct RouteTargetSpec {
  std::string upstream;                               // set, or
  std::optional<StaticResponseSpec> static_response;  // or
  std::optional<TopicTargetSpec> topic;               // or
  std::optional<FlowTargetSpec> flow;
  std::string strip_prefix;  // upstream only: removed from the path before proxying
  Location where;
};

struct RouteHeaderSpec {
  std::string name;
  std::optional<std::string> equals;  // nullopt: present with any value
};

struct RouteVersionSpec {
  std::string value;   // "v1"
  std::string header;  // empty: a path prefix "/v1"; else this header must equal value
};

// Cross-origin resource sharing (the Fetch standard's CORS protocol) for a
// route: which browser origins may call it, and what a preflight allows.
struct CorsSpec {
  std::vector<std::string> origins;  // "https://app.example.com", or "*" for any
  std::vector<std::string> methods;  // preflight Allow-Methods; empty: the route's methods
  std::vector<std::string> headers;  // request headers a caller may send
  std::vector<std::string> expose;   // response headers a caller may read
  bool credentials = false;          // cookies / Authorization from the browser
  Duration max_age = std::chrono::minutes(10);
  Location where;
};

struct GatewayRouteSpec {
  std::string path;
  std::vector<std::string> methods;  // empty: any
  std::string host;
  std::vector<RouteHeaderSpec> headers;
  std::optional<RouteVersionSpec> version;
  RouteRequireSpec require;
  std::optional<RouteRateLimitSpec> rate_limit;
  std::optional<CorsSpec> cors;
  RouteTargetSpec to;
  Location where;
};

struct GatewaySpec {
  std::string listen;  // as written, "0.0.0.0:8080"
  std::string host;    // split from listen; IPv6 without brackets
  uint16_t port = 0;
  std::optional<GatewayTlsSpec> tls;
  GatewayLimitsSpec limits;
  std::optional<JwtSpec> jwt;
  std::optional<ApiKeysSpec> api_keys;
  std::vector<GatewayRouteSpec> routes;
  Location where;
};

enum class Balance : uint8_t { kRoundRobin, kLeastRequest };

struct UpstreamSpec {
  std::string name;
  std::vector<std::string> targets;  // "http://host:port", optionally with a base path
  Balance balance = Balance::kRoundRobin;
  Duration timeout = std::chrono::seconds(15);  // one attempt, connecting included
  int attempts = 2;  // total tries of an idempotent request; 1 = no retry
  Duration backoff = std::chrono::milliseconds(50);  // first retry's ceiling, doubling
  Duration max_backoff = std::chrono::seconds(1);
  double failure_rate = 50;  // percent
  uint32_t window = 20;      // calls judged by the circuit breaker
  uint32_t minimum_calls = 10;
  Duration wait_in_open = std::chrono::seconds(30);
  uint32_t half_open_calls = 3;
  uint32_t max_concurrent = 1000;
  Location where;
};

// Parses `gateway:`; `base_dir` resolves file paths.
void parse_gateway(const Node& block, Diagnostics& diags, GatewaySpec& out);
// Parses `upstreams:`, a mapping of name to settings.
void parse_upstreams(const Node& block, Diagnostics& diags, std::vector<UpstreamSpec>& out);
// Every route's upstream must be declared under `upstreams:` and every topic
// under `topics:`: an error at the route's `to`.
void check_gateway_references(const GatewaySpec& gateway,
                              const std::vector<UpstreamSpec>& upstreams,
                              const std::vector<std::string>& topics, Diagnostics& diags);
// Every route's flow must be declared under `flows:` with the input
// `gateway`: an error at the route's `flow:` field.
void check_flow_targets(const GatewaySpec& gateway, const std::vector<FlowInputRef>& flows,
                        Diagnostics& diags);

}  // namespace junction::spec
