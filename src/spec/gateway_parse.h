#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/policy_expression.h"
#include "core/units.h"
#include "spec/diagnostics.h"
#include "spec/node.h"

namespace junction::jsonschema {
class Schema;
}

namespace junction::spec {

// The `gateway:` and `upstreams:` sections as written, checked for shape and
// cross references. The gateway runtime (src/gateway/gateway.h) turns them
// into a route table, verifiers, limiters and pools; whatever needs a file or
// a parser of a higher layer (PEM, JWKS, URL) is checked there, at startup.
// A route's JSON Schema is the exception: its parser is a lower layer, so it
// is compiled here (BodyValidationSpec).

struct GatewayTlsSpec {
  std::filesystem::path cert_file;  // resolved against the spec's directory
  std::filesystem::path key_file;
  std::filesystem::path client_ca_file;  // set: clients must present a certificate it signed
  // With client_ca: false lets clients without a certificate in (routes
  // with `auth: mtls` answer them 401); a presented one must still verify.
  bool client_cert_required = true;
};

struct GatewayLimitsSpec {
  uint64_t max_body = 1024 * 1024;
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t max_headers = 100;
  // Streaming routes only (`to.stream`): a request body up to the threshold
  // is still read whole (so an idempotent request can be retried); a larger
  // or chunked one is relayed as it arrives, up to max_streamed_body.
  uint64_t stream_threshold = 64 * 1024;
  uint64_t max_streamed_body = uint64_t{1} << 30;
};

struct JwtSpec {
  std::vector<std::string> issuers;    // empty: not checked
  std::vector<std::string> audiences;  // empty: tokens naming an audience are refused
  std::filesystem::path jwks;          // a JWKS file; or
  std::string jwks_url;                // a JWKS fetched over http(s) and refreshed; or
  std::string secret;                  // an HMAC secret (never logged)
  Duration jwks_refresh = std::chrono::minutes(10);
  // After a re-fetch for a token naming an unknown kid, none for this long:
  // a flood of made-up kids cannot hammer the identity provider.
  Duration jwks_cooldown = std::chrono::seconds(30);
  std::filesystem::path jwks_ca;  // trusted for an https jwks_url beside the system store
  std::vector<std::string> algorithms;
  Duration leeway = std::chrono::seconds(60);
  Location where;
};

struct ApiKeysSpec {
  std::string header = "X-Api-Key";
  std::string keys;  // "name:key" lines (never logged)
  Location where;
};

// kMtls: the verified client certificate's subject is the consumer.
enum class AuthMode : uint8_t { kNone, kJwt, kApiKey, kAny, kMtls };

struct RouteRequireSpec {
  AuthMode auth = AuthMode::kNone;
  std::vector<std::string> scopes;  // all required
  std::vector<std::string> roles;   // any one suffices
  // kMtls: the certificate subjects (RFC 2253, exact) allowed; empty: any
  // certificate the client CA signed.
  std::vector<std::string> subjects;
  // `allow_if`: checked after authentication; false is 403. Null: none.
  std::shared_ptr<const auth::PolicyExpression> allow_if;
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
  bool stream = false;       // upstream only: relay bodies instead of buffering them
  // Upstream only: the request header that tells the upstream the
  // authenticated consumer (empty: none), and whether the client's
  // credentials (Authorization, the API key header) go on to it.
  std::string identity_header;
  bool forward_credentials = true;
  Location where;
};

struct RouteHeaderSpec {
  std::string name;
  std::optional<std::string> equals;  // nullopt: present with any value
};

struct RouteVersionSpec {
  std::string value;   // "v1"
  std::string header;  // empty: a path prefix "/v1"; else this header must equal value
  // An old version's notices, as the field values every response of the
  // route carries; empty when not set. Deprecation (RFC 9745): "@" and the
  // Unix time it was deprecated; Sunset (RFC 8594): the HTTP-date it goes
  // away; the link becomes Link: <url>; rel="deprecation".
  std::string deprecation;
  std::string sunset;
  std::string deprecation_link;
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

// `validate: { schema: schemas/order.json }`: a POST, PUT or PATCH body must
// be JSON matching the schema. The schema is compiled while the spec is
// parsed (jsonschema is a lower layer), so a bad schema file is an error at
// its field, and every gateway thread shares the one compiled, immutable copy.
struct BodyValidationSpec {
  std::filesystem::path schema_file;  // resolved against the spec's directory
  std::shared_ptr<const jsonschema::Schema> schema;
  // Media types taken as JSON, lower case, compared without parameters
  // ("; charset=utf-8").
  std::vector<std::string> content_types = {"application/json"};
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
  std::optional<BodyValidationSpec> validate;
  RouteTargetSpec to;
  Location where;
};

// Where the one JSON line per request goes: the process log (default), a
// file of its own written by a background thread, or nowhere.
struct AccessLogSpec {
  enum class Mode : uint8_t { kLog, kFile, kOff };
  Mode mode = Mode::kLog;
  std::string file;  // resolved against the spec's directory
  Duration flush = std::chrono::seconds(1);
  uint64_t max_buffer = 4 * 1024 * 1024;  // per I/O thread; lines past it are dropped
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
  AccessLogSpec access_log;
  Location where;
};

enum class Balance : uint8_t { kRoundRobin, kLeastRequest, kHash };

// Active health checks: every `interval`, a GET of `path` (under the target's
// base path) to every target; a target is taken out of rotation after
// `unhealthy_threshold` failed checks in a row and put back after
// `healthy_threshold` passed ones.
struct HealthCheckSpec {
  std::string path;
  Duration interval = std::chrono::seconds(5);
  Duration timeout = std::chrono::seconds(1);
  uint32_t healthy_threshold = 2;
  uint32_t unhealthy_threshold = 3;
  unsigned expect_min = 200;  // a check passes on a status in [expect_min, expect_max]
  unsigned expect_max = 399;
};

// Passive outlier ejection: `consecutive_failures` calls in a row that failed
// (no answer, a timeout, a 5xx) take a target out for base_ejection times the
// number of its ejections, up to max_ejection.
struct OutlierSpec {
  uint32_t consecutive_failures = 5;
  Duration base_ejection = std::chrono::seconds(30);
  Duration max_ejection = std::chrono::minutes(5);
  double max_ejection_percent = 50;  // of the targets, rounded down
};

struct UpstreamSpec {
  std::string name;
  std::vector<std::string> targets;  // "http://host:port", optionally with a base path
  Balance balance = Balance::kRoundRobin;
  // kHash: the request header whose value is hashed; empty: the client's address.
  std::string hash_header;
  Duration timeout = std::chrono::seconds(15);  // one attempt, connecting included
  int attempts = 2;                             // total tries of a retryable request; 1 = no retry
  // The methods that may be retried; unset: the idempotent ones (GET, HEAD,
  // OPTIONS, PUT, DELETE, TRACE); empty: none.
  std::optional<std::vector<std::string>> retry_methods;
  Duration backoff = std::chrono::milliseconds(50);  // first retry's ceiling, doubling
  Duration max_backoff = std::chrono::seconds(1);
  double retry_budget = 20;           // percent of the requests of the budget's window
  uint32_t retry_min_per_second = 3;  // retries allowed whatever the budget
  double failure_rate = 50;           // percent
  uint32_t window = 20;               // calls judged by the circuit breaker
  uint32_t minimum_calls = 10;
  Duration wait_in_open = std::chrono::seconds(30);
  uint32_t half_open_calls = 3;
  uint32_t max_concurrent = 1000;
  // Idle keep-alive connections kept per target on each I/O thread; one
  // returned to a full pool is closed. Below the calls a thread has in flight
  // at once, connections are opened and closed all the time.
  uint32_t idle_connections = 128;
  std::optional<HealthCheckSpec> health_check;  // unset: no active checks
  std::optional<OutlierSpec> outlier;           // unset: no ejection
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
