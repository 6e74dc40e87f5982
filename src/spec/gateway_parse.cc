#include "spec/gateway_parse.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "jsonschema/schema.h"
#include "spec/convert.h"
#include "spec/schema.h"

namespace junction::spec {
namespace {

const Schema& gateway_schema() {
  static const Schema schema{{
      {"listen", FieldType::kString, "", "host:port to serve on; port 0 picks a free one", true},
      {"tls", FieldType::kObject, "", "cert, key (PEM files) and optional client_ca for mTLS"},
      {"limits", FieldType::kObject, "",
       "max_body, max_header_bytes, max_headers, stream_threshold, max_streamed_body"},
      {"auth", FieldType::kObject, "", "jwt and api_keys credentials routes may require"},
      {"routes", FieldType::kList, "", "the routes, matched most specific first", true},
      {"access_log", FieldType::kAny, "log",
       "log (a line per request in the process log), off, or {file, flush, max_buffer}"},
  }};
  return schema;
}

const Schema& tls_schema() {
  static const Schema schema{{
      {"cert", FieldType::kString, "", "certificate chain file (PEM), leaf first", true},
      {"key", FieldType::kString, "", "private key file (PEM)", true},
      {"client_ca", FieldType::kString, "", "CA file; set, clients must present a certificate"},
      {"client_cert",
       FieldType::kString,
       "required",
       "with client_ca: required, or optional (routes with auth mtls answer 401 without one)",
       false,
       {"required", "optional"}},
  }};
  return schema;
}

const Schema& limits_schema() {
  static const Schema schema{{
      {"max_body", FieldType::kSize, "1MiB", "larger request bodies are answered 413"},
      {"max_header_bytes", FieldType::kSize, "16KiB", "larger request headers are answered 431"},
      {"max_headers", FieldType::kInt, "100", "more header fields are answered 431"},
      {"stream_threshold", FieldType::kSize, "64KiB",
       "streaming routes: larger or chunked request bodies are relayed, not buffered"},
      {"max_streamed_body", FieldType::kSize, "1GiB",
       "streaming routes: larger request bodies are answered 413 or cut off"},
  }};
  return schema;
}

const Schema& auth_schema() {
  static const Schema schema{{
      {"jwt", FieldType::kObject, "", "bearer token verification"},
      {"api_keys", FieldType::kObject, "", "API keys in a request header"},
  }};
  return schema;
}

const Schema& jwt_schema() {
  static const Schema schema{{
      {"issuer", FieldType::kStringList, "", "accepted iss values; unset = not checked"},
      {"audience", FieldType::kStringList, "", "accepted aud values"},
      {"jwks", FieldType::kString, "", "JWKS file with the verification keys"},
      {"jwks_url", FieldType::kString, "", "http(s) URL of a JWKS, fetched and refreshed"},
      {"jwks_refresh", FieldType::kDuration, "10m", "how often jwks_url is fetched again"},
      {"jwks_cooldown", FieldType::kDuration, "30s",
       "after a re-fetch for an unknown kid, none for this long"},
      {"jwks_ca", FieldType::kString, "", "CA file trusted for an https jwks_url"},
      {"secret",
       FieldType::kString,
       "",
       "HMAC secret for HS256/384/512, e.g. ${JWT_SECRET}",
       false,
       {},
       true},
      {"algorithms", FieldType::kStringList, "", "accepted alg values", true},
      {"leeway", FieldType::kDuration, "60s", "clock skew tolerated on exp and nbf"},
  }};
  return schema;
}

const Schema& api_keys_schema() {
  static const Schema schema{{
      {"header", FieldType::kString, "X-Api-Key", "the request header carrying the key"},
      {"keys",
       FieldType::kString,
       "",
       "'name:key' lines, e.g. ${file:secrets/api-keys.txt}",
       true,
       {},
       true},
  }};
  return schema;
}

const Schema& route_schema() {
  static const Schema schema{{
      {"path", FieldType::kString, "", "/v1/orders/{id}, /static/*", true},
      {"methods", FieldType::kStringList, "", "allowed methods; unset = any"},
      {"host", FieldType::kString, "", "api.example.com or *.example.com; unset = any"},
      {"headers", FieldType::kObject, "", "header name -> required value (null: present)"},
      {"version", FieldType::kAny, "", "v1 (path prefix) or {value: v1, header: Accept-Version}"},
      {"require", FieldType::kObject, "", "auth, scopes, roles"},
      {"rate_limit", FieldType::kObject, "", "key and limit(s)"},
      {"cors", FieldType::kObject, "", "origins, methods, headers, expose, credentials, max_age"},
      {"validate", FieldType::kAny, "", "schemas/order.json, or {schema, content_types}"},
      {"to", FieldType::kObject, "",
       "{upstream: NAME}, {static: {status, body, headers}}, {topic: NAME} or {flow: NAME}", true},
  }};
  return schema;
}

const Schema& require_schema() {
  static const Schema schema{{
      {"auth",
       FieldType::kString,
       "",
       "jwt | api_key | any | mtls | none (default: jwt when scopes or "
       "roles are set, else none)",
       false,
       {"jwt", "api_key", "any", "mtls", "none"}},
      {"scopes", FieldType::kStringList, "", "all of these scopes"},
      {"roles", FieldType::kStringList, "", "any one of these roles"},
      {"subjects", FieldType::kStringList, "", "auth mtls or any: allowed certificate subjects"},
      {"allow_if", FieldType::kString, "",
       "a policy expression, e.g. claims.tenant == path.tenant; false is 403"},
  }};
  return schema;
}

const Schema& cors_schema() {
  static const Schema schema{{
      {"origins", FieldType::kStringList, "", "allowed origins (scheme://host[:port]) or *", true},
      {"methods", FieldType::kStringList, "", "methods a preflight allows; unset = the route's"},
      {"headers", FieldType::kStringList, "", "request headers a preflight allows"},
      {"expose", FieldType::kStringList, "", "response headers the browser may read"},
      {"credentials", FieldType::kBool, "false", "allow cookies and Authorization"},
      {"max_age", FieldType::kDuration, "10m", "how long a browser may cache a preflight"},
  }};
  return schema;
}

const Schema& validate_schema() {
  static const Schema schema{{
      {"schema", FieldType::kString, "", "JSON Schema file the request body must match", true},
      {"content_types", FieldType::kStringList, "application/json",
       "media types taken as JSON; others are answered 415"},
  }};
  return schema;
}

const Schema& rate_limit_schema() {
  static const Schema schema{{
      {"key", FieldType::kString, "ip", "ip | consumer | route | header:<name>"},
      {"limit", FieldType::kAny, "", "'1000/min', '50/s burst 100', or a list of them", true},
  }};
  return schema;
}

const Schema& target_schema() {
  static const Schema schema{{
      {"upstream", FieldType::kString, "", "name of an upstream"},
      {"strip_prefix", FieldType::kString, "", "removed from the path before proxying"},
      {"stream", FieldType::kBool, "false",
       "upstream only: relay request and response bodies instead of buffering them"},
      {"identity_header", FieldType::kString, "",
       "upstream only: a request header set to the authenticated consumer"},
      {"forward_credentials", FieldType::kBool, "true",
       "upstream only: false keeps Authorization and the API key header from the upstream"},
      {"static", FieldType::kObject, "", "a fixed response: status, body, headers"},
      {"topic", FieldType::kString, "",
       "a topic (declared under `topics:`): answer 202 once the request is in it"},
      {"key", FieldType::kString, "", "topic only: the request header that gives the record's key"},
      {"flow", FieldType::kString, "",
       "a flow whose input is `gateway`: its reply is the response"},
      {"timeout", FieldType::kDuration, "30s", "flow only: past it the route answers 504"},
      {"view", FieldType::kAny, "", "planned"},
      {"respond", FieldType::kAny, "", "planned"},
  }};
  return schema;
}

const Schema& static_schema() {
  static const Schema schema{{
      {"status", FieldType::kInt, "200", "HTTP status"},
      {"body", FieldType::kString, "", "response body"},
      {"headers", FieldType::kObject, "", "header name -> value"},
  }};
  return schema;
}

const Schema& upstream_schema() {
  static const Schema schema{{
      {"targets", FieldType::kStringList, "", "http(s)://host:port URLs", true},
      {"balance",
       FieldType::kString,
       "round_robin",
       "how a target is chosen",
       false,
       {"round_robin", "least_request", "hash"}},
      {"hash_on", FieldType::kString, "", "balance hash: ip or header:<name>"},
      {"timeout", FieldType::kDuration, "15s", "one attempt, connecting included: 504 past it"},
      {"retries", FieldType::kObject, "", "attempts, backoff, max_backoff, budget, min_per_second"},
      {"circuit_breaker", FieldType::kObject, "",
       "failure_rate, window, minimum_calls, wait_in_open, half_open_calls"},
      {"max_concurrent", FieldType::kInt, "1000", "requests in flight; beyond it 503"},
      {"idle_connections", FieldType::kInt, "128",
       "idle keep-alive connections kept per target and I/O thread; 0: none"},
      {"health_check", FieldType::kObject, "",
       "path, interval, timeout, healthy_threshold, unhealthy_threshold, expect_status"},
      {"outlier", FieldType::kObject, "",
       "consecutive_failures, base_ejection, max_ejection, max_ejection_percent"},
  }};
  return schema;
}

const Schema& retries_schema() {
  static const Schema schema{{
      {"attempts", FieldType::kInt, "2", "tries of a retryable request, the first included"},
      {"methods", FieldType::kStringList, "",
       "methods that may be retried; default the idempotent ones"},
      {"backoff", FieldType::kDuration, "50ms", "ceiling of the first retry's delay (full jitter)"},
      {"max_backoff", FieldType::kDuration, "1s", "ceiling of any retry's delay"},
      {"budget", FieldType::kString, "20%", "retries in 10s at most this share of the requests"},
      {"min_per_second", FieldType::kInt, "3", "retries allowed per second whatever the budget"},
  }};
  return schema;
}

const Schema& health_check_schema() {
  static const Schema schema{{
      {"path", FieldType::kString, "", "GET this path (under the target's base path)", true},
      {"interval", FieldType::kDuration, "5s", "from the start of one round of checks to the next"},
      {"timeout", FieldType::kDuration, "1s", "a check not answered in time failed"},
      {"healthy_threshold", FieldType::kInt, "2", "passed checks in a row to come back"},
      {"unhealthy_threshold", FieldType::kInt, "3", "failed checks in a row to be taken out"},
      {"expect_status", FieldType::kString, "200-399", "a status or range that passes"},
  }};
  return schema;
}

const Schema& outlier_schema() {
  static const Schema schema{{
      {"consecutive_failures", FieldType::kInt, "5", "failed calls in a row that eject a target"},
      {"base_ejection", FieldType::kDuration, "30s", "times the target's ejections: time out"},
      {"max_ejection", FieldType::kDuration, "5m", "the longest ejection"},
      {"max_ejection_percent", FieldType::kString, "50%", "of the targets, at most, out at once"},
  }};
  return schema;
}

const Schema& breaker_schema() {
  static const Schema schema{{
      {"failure_rate", FieldType::kString, "50%", "open at or above this failure rate"},
      {"window", FieldType::kInt, "20", "the last N calls are judged"},
      {"minimum_calls", FieldType::kInt, "10", "no verdict before this many calls"},
      {"wait_in_open", FieldType::kDuration, "30s", "open this long, then half-open"},
      {"half_open_calls", FieldType::kInt, "3", "trial calls in half-open"},
  }};
  return schema;
}

std::filesystem::path resolve(const Node& block, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = block.base_dir() / p;
  return p.lexically_normal();
}

void split_listen(const Config& c, GatewaySpec& out, Diagnostics& diags) {
  out.listen = c.str("listen");
  size_t colon = out.listen.rfind(':');
  unsigned port = 0;
  bool ok = colon != std::string::npos;
  if (ok) {
    std::string_view digits(out.listen.data() + colon + 1, out.listen.size() - colon - 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    ok = !digits.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
         port <= 65535;
  }
  if (!ok) {
    diags.error(c.location("listen"), "invalid listen address '" + out.listen + "'",
                "expected host:port like 0.0.0.0:8080");
    return;
  }
  out.host = out.listen.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty() || out.host == "*") out.host = "0.0.0.0";
  out.port = static_cast<uint16_t>(port);
}

bool valid_target_url(const std::string& url);

void parse_jwks_url(const Config& c, const Node& block, JwtSpec& jwt, Diagnostics& diags) {
  jwt.jwks_url = c.str("jwks_url");
  if (!valid_target_url(jwt.jwks_url)) {
    diags.error(c.location("jwks_url"), "invalid jwks_url '" + jwt.jwks_url + "'",
                "expected an http:// or https:// URL like https://idp/.well-known/jwks.json");
  }
  jwt.jwks_refresh = c.duration("jwks_refresh");
  if (jwt.jwks_refresh < std::chrono::seconds(1)) {
    diags.error(c.location("jwks_refresh"), "jwks_refresh must be at least 1s");
  }
  jwt.jwks_cooldown = c.duration("jwks_cooldown");
  if (c.has("jwks_ca")) jwt.jwks_ca = resolve(block, c.str("jwks_ca"));
}

void parse_auth(const Node& block, GatewaySpec& out, Diagnostics& diags) {
  Config auth = Config::bind(auth_schema(), block, diags);
  if (auth.has("jwt")) {
    Config c = Config::bind(jwt_schema(), auth.node("jwt"), diags);
    JwtSpec jwt;
    jwt.where = auth.location("jwt");
    jwt.issuers = c.strings("issuer");
    jwt.audiences = c.strings("audience");
    jwt.algorithms = c.strings("algorithms");
    jwt.leeway = c.duration("leeway");
    jwt.secret = c.str("secret");
    if (c.has("jwks")) jwt.jwks = resolve(block, c.str("jwks"));
    if (c.has("jwks_url")) {
      parse_jwks_url(c, block, jwt, diags);
    } else {
      for (const char* field : {"jwks_refresh", "jwks_cooldown", "jwks_ca"}) {
        if (c.has(field)) {
          diags.error(c.location(field), std::string(field) + " applies to jwks_url only");
        }
      }
    }
    if (int(c.has("jwks")) + int(c.has("jwks_url")) + int(c.has("secret")) != 1) {
      diags.error(jwt.where, "jwt needs exactly one of 'jwks', 'jwks_url' and 'secret'",
                  "jwks or jwks_url for RS256/ES256 keys, secret for HS256/384/512");
    }
    static const std::vector<std::string> kAlgorithms = {"HS256", "HS384", "HS512", "RS256",
                                                         "ES256"};
    for (const auto& alg : jwt.algorithms) {
      if (std::find(kAlgorithms.begin(), kAlgorithms.end(), alg) == kAlgorithms.end()) {
        diags.error(c.location("algorithms"), "unsupported JWT algorithm '" + alg + "'",
                    suggest(alg, kAlgorithms));
      } else if (c.has("secret") && !alg.starts_with("HS")) {
        diags.error(c.location("algorithms"), "algorithm '" + alg + "' needs a jwks, not a secret");
      }
    }
    out.jwt = std::move(jwt);
  }
  if (auth.has("api_keys")) {
    Config c = Config::bind(api_keys_schema(), auth.node("api_keys"), diags);
    ApiKeysSpec keys;
    keys.where = auth.location("api_keys");
    keys.header = c.str("header");
    keys.keys = c.str("keys");
    out.api_keys = std::move(keys);
  }
}

void parse_access_log(const Node& block, const Node& node, GatewaySpec& out, Diagnostics& diags) {
  AccessLogSpec& log = out.access_log;
  if (node.is_scalar()) {
    if (node.raw() == "log") {
      log.mode = AccessLogSpec::Mode::kLog;
    } else if (node.raw() == "off") {
      log.mode = AccessLogSpec::Mode::kOff;
    } else {
      diags.error(node.location(), "invalid access_log '" + node.raw() + "'",
                  "expected log, off, or {file: access.log}");
    }
    return;
  }
  if (!node.is_map()) {
    diags.error(node.location(),
                "expected log, off, or a mapping like {file: access.log}, " + got(node));
    return;
  }
  static const Schema schema{{
      {"file", FieldType::kString, "", "the file to append JSON lines to", true},
      {"flush", FieldType::kDuration, "1s", "how often buffered lines are written"},
      {"max_buffer", FieldType::kSize, "4MiB",
       "lines each I/O thread may hold before dropping (counted)"},
  }};
  Config c = Config::bind(schema, node, diags);
  log.mode = AccessLogSpec::Mode::kFile;
  if (c.has("file")) log.file = resolve(block, c.str("file"));
  log.flush = c.duration("flush");
  log.max_buffer = c.size("max_buffer");
  if (log.flush <= Duration::zero()) {
    diags.error(c.location("flush"), "flush must be positive");
  }
  if (log.max_buffer < 64 * 1024) {
    diags.error(c.location("max_buffer"), "max_buffer must be at least 64KiB");
  }
}

// "2027-01-31" (midnight UTC) or "2027-01-31T12:00:00Z": seconds since
// the epoch. A day that does not exist (2027-02-30) is refused.
std::optional<int64_t> parse_utc_date(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (text.size() == 10) {
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &consumed) != 3) {
      return std::nullopt;
    }
  } else if (text.size() == 20 && (text[19] == 'Z' || text[19] == 'z')) {
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
      return std::nullopt;
    }
    ++consumed;  // the Z
  } else {
    return std::nullopt;
  }
  if (static_cast<size_t>(consumed) != text.size()) return std::nullopt;
  const std::tm asked = tm;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const time_t secs = timegm(&tm);
  // timegm carries 2027-02-30 over into March: a date that round-trips is real.
  if (tm.tm_year + 1900 != asked.tm_year || tm.tm_mon + 1 != asked.tm_mon ||
      tm.tm_mday != asked.tm_mday || tm.tm_hour != asked.tm_hour || tm.tm_min != asked.tm_min ||
      tm.tm_sec != asked.tm_sec) {
    return std::nullopt;
  }
  return static_cast<int64_t>(secs);
}

// "Sun, 31 Jan 2027 00:00:00 GMT" (RFC 9110's IMF-fixdate), not localised.
std::string http_date(int64_t secs) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto t = static_cast<time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return out;
}

// `deprecated`, `sunset` and `link` of an old version.
void parse_version_notices(Config& c, RouteVersionSpec& v, Diagnostics& diags) {
  std::optional<int64_t> deprecated;
  std::optional<int64_t> sunset;
  for (const char* field : {"deprecated", "sunset"}) {
    if (!c.has(field)) continue;
    auto secs = parse_utc_date(c.str(field));
    if (!secs) {
      diags.error(c.location(field), std::string("invalid ") + field + " '" + c.str(field) + "'",
                  "expected a UTC date like 2027-01-31 or 2027-01-31T12:00:00Z");
      continue;
    }
    (std::string_view(field) == "deprecated" ? deprecated : sunset) = secs;
  }
  if (deprecated) v.deprecation = "@" + std::to_string(*deprecated);
  if (sunset) v.sunset = http_date(*sunset);
  if (deprecated && sunset && *sunset < *deprecated) {
    diags.error(c.location("sunset"), "sunset is before the version was deprecated");
  }
  if (c.has("link")) {
    const std::string link = c.str("link");
    if (!deprecated) {
      diags.error(c.location("link"), "link applies to a deprecated version",
                  "set deprecated: to the date the version was deprecated");
    } else if (link.empty() || link.find_first_of("<> \t\r\n\"") != std::string::npos) {
      diags.error(c.location("link"), "invalid link '" + link + "'",
                  "expected a URL like https://developer.example.com/deprecation");
    } else {
      v.deprecation_link = "<" + link + ">; rel=\"deprecation\"";
    }
  }
}

void parse_version(const Node& node, GatewayRouteSpec& route, Diagnostics& diags) {
  RouteVersionSpec v;
  if (node.is_scalar()) {
    v.value = node.raw();
  } else if (node.is_map()) {
    static const Schema schema{{
        {"value", FieldType::kString, "", "v1", true},
        {"header", FieldType::kString, "", "the header carrying it; unset = a path prefix"},
        {"deprecated", FieldType::kString, "",
         "UTC date it was deprecated: every answer gets a Deprecation header"},
        {"sunset", FieldType::kString, "", "UTC date it goes away: every answer gets Sunset"},
        {"link", FieldType::kString, "", "URL about the deprecation: Link rel=deprecation"},
    }};
    Config c = Config::bind(schema, node, diags);
    v.value = c.str("value");
    v.header = c.str("header");
    parse_version_notices(c, v, diags);
  } else {
    diags.error(node.location(),
                "expected a version like v1 or {value: v1, header: ...}, " + got(node));
    return;
  }
  if (v.value.empty() || v.value.find('/') != std::string::npos) {
    diags.error(node.location(), "a version must be one path segment like 'v1'");
    return;
  }
  route.version = std::move(v);
}

bool valid_rate(const std::string& text) {
  auto rate = parse_rate(text);
  return rate && rate->per_second > 0 && rate->burst >= 1;
}

void parse_cors(const Node& block, GatewayRouteSpec& route, Diagnostics& diags) {
  Config c = Config::bind(cors_schema(), block, diags);
  CorsSpec cors;
  cors.where = block.location();
  cors.origins = c.strings("origins");
  for (const auto& origin : cors.origins) {
    const bool any = origin == "*";
    const bool url = (origin.starts_with("http://") || origin.starts_with("https://")) &&
                     origin.find('/', origin.find("//") + 2) == std::string::npos;
    if (!any && !url) {
      diags.error(c.location("origins"),
                  "invalid CORS origin '" + origin +
                      "'; expected scheme://host[:port] without a path, or *");
    }
  }
  cors.methods = c.strings("methods");
  for (auto& m : cors.methods) {
    std::transform(m.begin(), m.end(), m.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
  }
  cors.headers = c.strings("headers");
  cors.expose = c.strings("expose");
  cors.credentials = c.boolean("credentials");
  cors.max_age = c.duration("max_age");
  // The Fetch standard ignores "*" when credentials are included: a spec that
  // asks for both would silently not work in any browser.
  if (cors.credentials &&
      std::find(cors.origins.begin(), cors.origins.end(), "*") != cors.origins.end()) {
    diags.error(c.location("credentials"),
                "CORS credentials need explicit origins; '*' does not work with credentials");
  }
  route.cors = std::move(cors);
}

// `validate: schemas/order.json` or `validate: { schema: ..., content_types: [...] }`.
void parse_validation(const Node& node, GatewayRouteSpec& route, Diagnostics& diags) {
  BodyValidationSpec v;
  v.where = node.location();
  std::string file;
  Location file_at = node.location();
  if (node.is_scalar()) {
    file = node.raw();
  } else if (node.is_map()) {
    Config c = Config::bind(validate_schema(), node, diags);
    if (!c.has("schema")) return;  // reported by bind
    file = c.str("schema");
    file_at = c.location("schema");
    if (c.has("content_types")) {
      v.content_types = c.strings("content_types");
      if (v.content_types.empty()) {
        diags.error(c.location("content_types"), "content_types needs at least one media type");
      }
      for (auto& type : v.content_types) {
        std::transform(type.begin(), type.end(), type.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        if (type.find('/') == std::string::npos || type.find(';') != std::string::npos) {
          diags.error(c.location("content_types"), "invalid media type '" + type + "'",
                      "expected type/subtype without parameters, like application/json");
        }
      }
    }
  } else {
    diags.error(node.location(),
                "expected a schema file or {schema: FILE, content_types: [...]}, " + got(node));
    return;
  }
  if (file.empty()) {
    diags.error(file_at, "validate needs a schema file");
    return;
  }
  v.schema_file = resolve(node, file);
  auto schema = jsonschema::Schema::load(v.schema_file);
  if (!schema.ok()) {
    diags.error(file_at, schema.error().message());
    return;
  }
  v.schema = std::move(schema).value();
  route.validate = std::move(v);
}

void parse_rate_limit(const Node& block, GatewayRouteSpec& route, Diagnostics& diags) {
  Config c = Config::bind(rate_limit_schema(), block, diags);
  RouteRateLimitSpec rl;
  rl.key = c.str("key");
  bool key_ok = rl.key == "ip" || rl.key == "consumer" || rl.key == "route" ||
                (rl.key.starts_with("header:") && rl.key.size() > 7);
  if (!key_ok) {
    diags.error(c.location("key"), "invalid rate limit key '" + rl.key + "'",
                "expected ip, consumer, route or header:<name>");
  }
  Node limit = c.node("limit");
  std::vector<Node> items = limit.is_sequence() ? limit.items() : std::vector<Node>{limit};
  if (limit.is_sequence() && items.empty()) {
    diags.error(limit.location(), "rate limit needs at least one limit");
  }
  for (const Node& item : items) {
    if (item.is_null()) continue;  // missing `limit`: reported by bind
    if (!item.is_scalar()) {
      diags.error(item.location(), "expected a rate like 1000/min, " + got(item));
    } else if (!valid_rate(item.raw())) {
      diags.error(item.location(), "invalid rate limit '" + item.raw() + "'",
                  "expected <count>/<unit> (s, m or min, h, d) with a count of 1 or more per "
                  "period, optionally 'burst <count>': '1000/min', '50/s burst 100'");
    } else {
      rl.limits.push_back(item.raw());
    }
  }
  route.rate_limit = std::move(rl);
}

std::vector<std::pair<std::string, std::string>> string_map(const Node& node, Diagnostics& diags) {
  std::vector<std::pair<std::string, std::string>> out;
  if (node.is_null()) return out;
  if (!node.is_map()) {
    diags.error(node.location(), "expected a mapping of header names to values, " + got(node));
    return out;
  }
  for (const auto& [k, v] : node.entries()) {
    if (!k.is_scalar() || (!v.is_scalar() && !v.is_null())) {
      diags.error(k.location(), "expected a header name and a text value");
      continue;
    }
    out.emplace_back(k.raw(), v.is_null() ? std::string() : v.raw());
  }
  return out;
}

// An identity header must be a field name (RFC 9110 tchars) that the
// gateway neither sets nor drops itself, nor a credential: a route could
// otherwise name a header whose meaning the gateway decides.
void check_identity_header(const Config& c, const std::string& name, Diagnostics& diags) {
  auto tchar = [](unsigned char ch) {
    return std::isalnum(ch) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(ch)) !=
                                   std::string_view::npos;
  };
  if (name.empty() || !std::all_of(name.begin(), name.end(), tchar)) {
    diags.error(c.location("identity_header"),
                "identity_header must be a header name, e.g. X-Consumer");
    return;
  }
  static constexpr std::string_view kTaken[] = {"host",
                                                "content-length",
                                                "transfer-encoding",
                                                "connection",
                                                "keep-alive",
                                                "te",
                                                "trailer",
                                                "upgrade",
                                                "expect",
                                                "authorization",
                                                "proxy-authorization",
                                                "x-forwarded-for",
                                                "x-forwarded-proto",
                                                "x-forwarded-host",
                                                "x-request-id",
                                                "traceparent",
                                                "tracestate"};
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (std::string_view taken : kTaken) {
    if (lower == taken) {
      diags.error(c.location("identity_header"),
                  "identity_header cannot be " + name + ": the gateway sets or drops it itself");
      return;
    }
  }
}

void parse_target(const Config& route_config, GatewayRouteSpec& route, Diagnostics& diags) {
  Node block = route_config.node("to");
  route.to.where = route_config.location("to");
  Config c = Config::bind(target_schema(), block, diags);
  for (const char* planned : {"view", "respond"}) {
    if (c.has(planned)) {
      diags.error(c.location(planned), std::string("route target '") + planned +
                                           "' is not supported by this version of junction");
    }
  }
  route.to.upstream = c.str("upstream");
  route.to.strip_prefix = c.str("strip_prefix");
  route.to.stream = c.boolean("stream");
  route.to.identity_header = c.str("identity_header");
  route.to.forward_credentials = c.boolean("forward_credentials");
  for (const char* field : {"stream", "identity_header", "forward_credentials"}) {
    if (c.has(field) && !c.has("upstream")) {
      diags.error(c.location(field),
                  std::string("'") + field + "' applies to an upstream target only");
    }
  }
  if (c.has("identity_header")) check_identity_header(c, route.to.identity_header, diags);
  if (c.has("static")) {
    Config s = Config::bind(static_schema(), c.node("static"), diags);
    StaticResponseSpec r;
    r.status = static_cast<int>(s.integer("status"));
    if (r.status < 200 || r.status > 599) {
      diags.error(s.location("status"), "a static status must be between 200 and 599");
    }
    r.body = s.str("body");
    if ((r.status == 204 || r.status == 304) && !r.body.empty()) {
      diags.error(s.location("body"), "a " + std::to_string(r.status) + " response has no body");
    }
    r.headers = string_map(s.node("headers"), diags);
    route.to.static_response = std::move(r);
  }
  if (c.has("topic")) {
    TopicTargetSpec t;
    t.topic = c.str("topic");
    t.key_header = c.str("key");
    t.where = c.location("topic");
    route.to.topic = std::move(t);
  } else if (c.has("key")) {
    diags.error(c.location("key"), "'key' applies to a topic target only");
  }
  if (c.has("flow")) {
    FlowTargetSpec f;
    f.flow = c.str("flow");
    f.where = c.location("flow");
    f.timeout = c.duration("timeout");
    if (f.timeout <= Duration::zero()) {
      diags.error(c.location("timeout"), "timeout must be positive");
    }
    route.to.flow = std::move(f);
  } else if (c.has("timeout")) {
    diags.error(c.location("timeout"),
                "'timeout' applies to a flow target only; an upstream's is under `upstreams:`");
  }
  if (int(c.has("upstream")) + int(c.has("static")) + int(c.has("topic")) + int(c.has("flow")) !=
      1) {
    diags.error(route.to.where,
                "a route target needs exactly one of 'upstream', 'static', 'topic' and 'flow'");
  }
  if (c.has("strip_prefix") && !route.to.strip_prefix.starts_with("/")) {
    diags.error(c.location("strip_prefix"), "strip_prefix must start with '/'");
  }
}

// `subjects` and `allow_if` of a route's `require:`.
void parse_route_policy(const Config& r, RouteRequireSpec& require, Diagnostics& diags) {
  require.subjects = r.strings("subjects");
  if (r.has("subjects") && require.auth != AuthMode::kMtls && require.auth != AuthMode::kAny) {
    diags.error(r.location("subjects"), "subjects apply to auth mtls or any only");
  }
  if (!r.has("allow_if")) return;
  auto policy = auth::PolicyExpression::parse(r.str("allow_if"));
  if (!policy) {
    diags.error(r.location("allow_if"), "invalid allow_if expression: " + policy.error().message());
    return;
  }
  require.allow_if = std::make_shared<const auth::PolicyExpression>(std::move(*policy));
}

void parse_route(const Node& item, const GatewaySpec& gateway, Diagnostics& diags,
                 GatewayRouteSpec& route) {
  route.where = item.location();
  Config c = Config::bind(route_schema(), item, diags);
  route.path = c.str("path");
  if (c.has("path") && !route.path.starts_with("/")) {
    diags.error(c.location("path"), "a route path must start with '/'");
  }
  route.methods = c.strings("methods");
  for (auto& m : route.methods) {
    std::transform(m.begin(), m.end(), m.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
  }
  route.host = c.str("host");
  for (auto& [name, value] : string_map(c.node("headers"), diags)) {
    RouteHeaderSpec h{name, std::nullopt};
    if (!value.empty()) h.equals = value;
    route.headers.push_back(std::move(h));
  }
  if (c.has("version")) parse_version(c.node("version"), route, diags);
  if (c.has("require")) {
    Config r = Config::bind(require_schema(), c.node("require"), diags);
    route.require.scopes = r.strings("scopes");
    route.require.roles = r.strings("roles");
    const std::string& mode = r.str("auth");
    if (mode == "jwt") {
      route.require.auth = AuthMode::kJwt;
    } else if (mode == "api_key") {
      route.require.auth = AuthMode::kApiKey;
    } else if (mode == "any") {
      route.require.auth = AuthMode::kAny;
    } else if (mode == "mtls") {
      route.require.auth = AuthMode::kMtls;
    } else if (mode.empty() && (!route.require.scopes.empty() || !route.require.roles.empty())) {
      route.require.auth = AuthMode::kJwt;
    }
    bool claims = !route.require.scopes.empty() || !route.require.roles.empty();
    if (claims &&
        (route.require.auth == AuthMode::kNone || route.require.auth == AuthMode::kApiKey ||
         route.require.auth == AuthMode::kMtls)) {
      diags.error(r.location("auth"), "scopes and roles come from a JWT: use auth jwt or any");
    }
    auto mode_needs = [&](bool jwt, bool key) {
      if (jwt && !gateway.jwt) {
        diags.error(r.location("auth"),
                    "this route requires a JWT but gateway.auth.jwt is not set");
      }
      if (key && !gateway.api_keys) {
        diags.error(r.location("auth"),
                    "this route requires an API key but gateway.auth.api_keys is not set");
      }
    };
    switch (route.require.auth) {
      case AuthMode::kJwt:
        mode_needs(true, false);
        break;
      case AuthMode::kApiKey:
        mode_needs(false, true);
        break;
      case AuthMode::kAny:
        if (!gateway.jwt && !gateway.api_keys &&
            (!gateway.tls || gateway.tls->client_ca_file.empty())) {
          diags.error(r.location("auth"),
                      "this route requires credentials but gateway.auth sets neither jwt nor "
                      "api_keys, and gateway.tls has no client_ca for certificates");
        }
        break;
      case AuthMode::kMtls:
        if (!gateway.tls || gateway.tls->client_ca_file.empty()) {
          diags.error(r.location("auth"),
                      "auth mtls needs gateway.tls.client_ca to verify client certificates");
        }
        break;
      case AuthMode::kNone:
        break;
    }
    parse_route_policy(r, route.require, diags);
  }
  if (c.has("rate_limit")) parse_rate_limit(c.node("rate_limit"), route, diags);
  if (c.has("cors")) parse_cors(c.node("cors"), route, diags);
  if (c.has("validate")) parse_validation(c.node("validate"), route, diags);
  if (c.has("to")) parse_target(c, route, diags);
}

std::optional<double> parse_percent(std::string text) {
  if (text.ends_with('%')) text.pop_back();
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!(value > 0 && value <= 100)) return std::nullopt;
  return value;
}

bool valid_target_url(const std::string& url) {
  std::string_view rest = url;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else {
    return false;
  }
  size_t end = rest.find_first_of("/?#");
  if (end == 0 || rest.empty()) return false;
  return end == std::string_view::npos || rest[end] == '/';
}

template <class T>
T positive(const Config& c, const char* field, int64_t max, Diagnostics& diags) {
  int64_t v = c.integer(field);
  if (v < 1 || v > max) {
    diags.error(c.location(field),
                std::string(field) + " must be between 1 and " + std::to_string(max));
    return 1;
  }
  return static_cast<T>(v);
}

// "200" or "200-399", within 100..599.
bool parse_status_range(const std::string& text, unsigned& lo, unsigned& hi) {
  auto number = [](std::string_view digits, unsigned& out) {
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return !digits.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
           out >= 100 && out <= 599;
  };
  size_t dash = text.find('-');
  std::string_view all(text);
  if (dash == std::string::npos) {
    if (!number(all, lo)) return false;
    hi = lo;
    return true;
  }
  return number(all.substr(0, dash), lo) && number(all.substr(dash + 1), hi) && lo <= hi;
}

void parse_balance(const Config& c, UpstreamSpec& u, Diagnostics& diags) {
  const std::string& balance = c.str("balance");
  u.balance = balance == "least_request" ? Balance::kLeastRequest
              : balance == "hash"        ? Balance::kHash
                                         : Balance::kRoundRobin;
  if (!c.has("hash_on")) {
    if (u.balance == Balance::kHash) {
      diags.error(c.location("balance"), "balance hash needs hash_on",
                  "hash_on: ip, or hash_on: header:<name> like header:X-User-Id");
    }
    return;
  }
  const std::string& on = c.str("hash_on");
  if (u.balance != Balance::kHash) {
    diags.error(c.location("hash_on"), "hash_on applies to balance: hash only");
  } else if (on.starts_with("header:") && on.size() > 7) {
    u.hash_header = on.substr(7);
  } else if (on != "ip") {
    diags.error(c.location("hash_on"), "invalid hash_on '" + on + "'",
                "expected ip or header:<name>");
  }
}

void parse_retries(const Node& block, UpstreamSpec& u, Diagnostics& diags) {
  Config r = Config::bind(retries_schema(), block, diags);
  u.attempts = positive<int>(r, "attempts", 10, diags);
  if (r.has("methods")) {
    u.retry_methods.emplace();
    for (const std::string& m : r.strings("methods")) {
      const bool method = !m.empty() && std::all_of(m.begin(), m.end(), [](char ch) {
        return (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_';
      });
      if (!method) {
        diags.error(r.location("methods"), "invalid method '" + m + "' in retries.methods",
                    "expected upper-case method names like [GET, PUT, POST]");
        continue;
      }
      u.retry_methods->push_back(m);
    }
  }
  u.backoff = r.duration("backoff");
  u.max_backoff = r.duration("max_backoff");
  const std::string& budget = r.str("budget");
  if (budget == "0" || budget == "0%") {
    u.retry_budget = 0;
  } else if (auto share = parse_percent(budget)) {
    u.retry_budget = *share;
  } else {
    diags.error(r.location("budget"), "invalid retry budget '" + budget + "'",
                "expected a percentage from 0 to 100, like 20%");
  }
  int64_t floor = r.integer("min_per_second");
  if (floor < 0 || floor > 100000) {
    diags.error(r.location("min_per_second"), "min_per_second must be between 0 and 100000");
  } else {
    u.retry_min_per_second = static_cast<uint32_t>(floor);
  }
}

void parse_health_check(const Node& block, UpstreamSpec& u, Diagnostics& diags) {
  Config c = Config::bind(health_check_schema(), block, diags);
  HealthCheckSpec hc;
  hc.path = c.str("path");
  if (c.has("path") && !hc.path.starts_with("/")) {
    diags.error(c.location("path"), "a health check path must start with '/'");
  }
  hc.interval = c.duration("interval");
  if (hc.interval <= Duration::zero()) {
    diags.error(c.location("interval"), "interval must be positive");
  }
  hc.timeout = c.duration("timeout");
  if (hc.timeout <= Duration::zero()) {
    diags.error(c.location("timeout"), "timeout must be positive");
  }
  hc.healthy_threshold = positive<uint32_t>(c, "healthy_threshold", 1000, diags);
  hc.unhealthy_threshold = positive<uint32_t>(c, "unhealthy_threshold", 1000, diags);
  if (!parse_status_range(c.str("expect_status"), hc.expect_min, hc.expect_max)) {
    diags.error(c.location("expect_status"),
                "invalid expect_status '" + c.str("expect_status") + "'",
                "expected a status like 200 or a range like 200-399, within 100-599");
  }
  u.health_check = std::move(hc);
}

void parse_outlier(const Node& block, UpstreamSpec& u, Diagnostics& diags) {
  Config c = Config::bind(outlier_schema(), block, diags);
  OutlierSpec o;
  o.consecutive_failures = positive<uint32_t>(c, "consecutive_failures", 1000, diags);
  o.base_ejection = c.duration("base_ejection");
  if (o.base_ejection <= Duration::zero()) {
    diags.error(c.location("base_ejection"), "base_ejection must be positive");
  }
  o.max_ejection = c.duration("max_ejection");
  if (o.max_ejection < o.base_ejection) {
    diags.error(c.location("max_ejection"), "max_ejection must be at least base_ejection");
  }
  if (auto share = parse_percent(c.str("max_ejection_percent"))) {
    o.max_ejection_percent = *share;
  } else {
    diags.error(c.location("max_ejection_percent"),
                "invalid max_ejection_percent '" + c.str("max_ejection_percent") + "'",
                "expected a percentage above 0 and at most 100, like 50%");
  }
  u.outlier = o;
}

}  // namespace

void parse_gateway(const Node& block, Diagnostics& diags, GatewaySpec& out) {
  out.where = block.location();
  Config c = Config::bind(gateway_schema(), block, diags);
  if (c.has("listen")) split_listen(c, out, diags);
  if (c.has("tls")) {
    Config t = Config::bind(tls_schema(), c.node("tls"), diags);
    GatewayTlsSpec tls;
    if (t.has("cert")) tls.cert_file = resolve(block, t.str("cert"));
    if (t.has("key")) tls.key_file = resolve(block, t.str("key"));
    if (t.has("client_ca")) tls.client_ca_file = resolve(block, t.str("client_ca"));
    tls.client_cert_required = t.str("client_cert") == "required";
    if (t.has("client_cert") && !t.has("client_ca")) {
      diags.error(t.location("client_cert"), "client_cert needs client_ca");
    }
    out.tls = std::move(tls);
  }
  Config limits = Config::bind(limits_schema(), c.node("limits"), diags);
  out.limits.max_body = limits.size("max_body");
  uint64_t header_bytes = limits.size("max_header_bytes");
  if (header_bytes < 1024 || header_bytes > 1024 * 1024) {
    diags.error(limits.location("max_header_bytes"),
                "max_header_bytes must be between 1KiB and 1MiB");
  } else {
    out.limits.max_header_bytes = static_cast<uint32_t>(header_bytes);
  }
  out.limits.max_headers = positive<uint32_t>(limits, "max_headers", 10000, diags);
  out.limits.max_streamed_body = limits.size("max_streamed_body");
  out.limits.stream_threshold = limits.size("stream_threshold");
  if (out.limits.max_streamed_body == 0) {
    diags.error(limits.location("max_streamed_body"), "max_streamed_body must be positive");
  }
  if (out.limits.stream_threshold > out.limits.max_streamed_body) {
    diags.error(limits.location("stream_threshold"),
                "stream_threshold must not exceed max_streamed_body");
  }
  if (c.has("auth")) parse_auth(c.node("auth"), out, diags);
  if (c.has("access_log")) parse_access_log(block, c.node("access_log"), out, diags);
  Node routes = c.node("routes");
  if (!routes.is_sequence()) return;  // reported by bind
  for (const Node& item : routes.items()) {
    GatewayRouteSpec route;
    parse_route(item, out, diags, route);
    out.routes.push_back(std::move(route));
  }
  if (c.has("routes") && out.routes.empty()) {
    diags.error(routes.location(), "the gateway needs at least one route");
  }
}

void parse_upstreams(const Node& block, Diagnostics& diags, std::vector<UpstreamSpec>& out) {
  if (!block.is_map()) {
    diags.error(block.location(), "expected a mapping of upstream names to settings, " + got(block),
                "write e.g. `upstreams: { orders: { targets: [\"http://10.0.0.5:8080\"] } }`");
    return;
  }
  for (const auto& [key, value] : block.entries()) {
    UpstreamSpec u;
    u.name = key.raw();
    u.where = key.location();
    Config c = Config::bind(upstream_schema(), value, diags);
    u.targets = c.strings("targets");
    if (c.has("targets") && u.targets.empty()) {
      diags.error(c.location("targets"), "an upstream needs at least one target");
    }
    for (const auto& t : u.targets) {
      if (!valid_target_url(t)) {
        diags.error(c.location("targets"), "invalid target '" + t + "'",
                    "expected an http:// or https:// URL with a host, like http://10.0.0.5:8080");
      }
    }
    parse_balance(c, u, diags);
    u.timeout = c.duration("timeout");
    if (u.timeout <= Duration::zero())
      diags.error(c.location("timeout"), "timeout must be positive");
    parse_retries(c.node("retries"), u, diags);
    Config b = Config::bind(breaker_schema(), c.node("circuit_breaker"), diags);
    if (auto rate = parse_percent(b.str("failure_rate"))) {
      u.failure_rate = *rate;
    } else {
      diags.error(b.location("failure_rate"),
                  "invalid failure_rate '" + b.str("failure_rate") + "'",
                  "expected a percentage above 0 and at most 100, like 50%");
    }
    u.window = positive<uint32_t>(b, "window", 100000, diags);
    u.minimum_calls = positive<uint32_t>(b, "minimum_calls", 100000, diags);
    u.wait_in_open = b.duration("wait_in_open");
    u.half_open_calls = positive<uint32_t>(b, "half_open_calls", 1000, diags);
    u.max_concurrent = positive<uint32_t>(c, "max_concurrent", 1000000, diags);
    if (const int64_t idle = c.integer("idle_connections"); idle < 0 || idle > 100000) {
      diags.error(c.location("idle_connections"), "idle_connections must be between 0 and 100000");
    } else {
      u.idle_connections = static_cast<uint32_t>(idle);
    }
    if (c.has("health_check")) parse_health_check(c.node("health_check"), u, diags);
    if (c.has("outlier")) parse_outlier(c.node("outlier"), u, diags);
    out.push_back(std::move(u));
  }
}

void check_gateway_references(const GatewaySpec& gateway,
                              const std::vector<UpstreamSpec>& upstreams,
                              const std::vector<std::string>& topics, Diagnostics& diags) {
  std::vector<std::string> names;
  for (const auto& u : upstreams) names.push_back(u.name);
  for (const auto& route : gateway.routes) {
    if (route.to.topic) {
      const std::string& topic = route.to.topic->topic;
      if (std::find(topics.begin(), topics.end(), topic) == topics.end()) {
        std::string hint = topics.empty() ? "declare it under `topics:`" : suggest(topic, topics);
        diags.error(route.to.topic->where,
                    "route " + route.path + ": unknown topic '" + topic + "'", hint);
      }
    }
    const std::string& name = route.to.upstream;
    if (name.empty() || std::find(names.begin(), names.end(), name) != names.end()) continue;
    std::string hint = names.empty() ? "declare it under `upstreams:`" : suggest(name, names);
    diags.error(route.to.where, "route " + route.path + ": unknown upstream '" + name + "'", hint);
  }
}

void check_flow_targets(const GatewaySpec& gateway, const std::vector<FlowInputRef>& flows,
                        Diagnostics& diags) {
  std::vector<std::string> names;
  for (const auto& f : flows) names.push_back(f.flow);
  for (const auto& route : gateway.routes) {
    if (!route.to.flow) continue;
    const FlowTargetSpec& target = *route.to.flow;
    auto it = std::find_if(flows.begin(), flows.end(),
                           [&](const FlowInputRef& f) { return f.flow == target.flow; });
    if (it == flows.end()) {
      std::string hint = names.empty() ? "declare it under `flows:`" : suggest(target.flow, names);
      diags.error(target.where, "route " + route.path + ": unknown flow '" + target.flow + "'",
                  hint);
    } else if (it->input_type != "gateway") {
      diags.error(target.where,
                  "route " + route.path + ": flow '" + target.flow +
                      "' does not take requests from the gateway (its input is '" + it->input_type +
                      "')",
                  "give it `input: { gateway: {} }`");
    }
  }
}

}  // namespace junction::spec
