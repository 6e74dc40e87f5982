#include "connectors/redis/endpoint.h"

#include <fmt/format.h>

#include <charconv>

namespace junction::connectors::redis {
namespace {

Result<int> parse_number(std::string_view text, std::string_view what, int lo, int hi) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    return Error::invalid(
        fmt::format("redis url: {} must be {}..{}, not '{}'", what, lo, hi, text));
  }
  return v;
}

}  // namespace

std::string Endpoint::display() const {
  return fmt::format("{}:{}/{}", host, port, db);
}

Result<Endpoint> parse_url(std::string_view url, Endpoint base) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Error::invalid("redis url must start with redis:// (TLS is not supported)");
  }
  std::string_view rest = url.substr(kScheme.size());
  Endpoint e = std::move(base);
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      e.username = std::string(userinfo.substr(0, colon));
      e.password = std::string(userinfo.substr(colon + 1));
    } else {
      e.password = std::string(userinfo);  // redis://secret@host, as redis-cli -u takes it
    }
  }
  std::string_view hostport = rest.substr(0, rest.find('/'));
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto n = parse_number(db, "db", 0, 1'000'000);
      if (!n) return n.error();
      e.db = *n;
    }
  }
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    auto n = parse_number(hostport.substr(colon + 1), "port", 1, 65535);
    if (!n) return n.error();
    e.port = *n;
    hostport = hostport.substr(0, colon);
  }
  if (!hostport.empty()) e.host = std::string(hostport);
  if (e.host.empty()) return Error::invalid("redis url: no host");
  return e;
}

std::vector<spec::Field> endpoint_fields() {
  return {
      {"url", spec::FieldType::kString, "",
       "redis://[[user]:password@]host[:port][/db]; overrides host and port."},
      {"host", spec::FieldType::kString, "127.0.0.1", "Server host."},
      {"port", spec::FieldType::kInt, "6379", "Server port."},
      {"username", spec::FieldType::kString, "", "ACL user (Redis 6+); empty = default user."},
      {"password", spec::FieldType::kString, "", "Password (AUTH).", false, {}, true},
      {"db", spec::FieldType::kInt, "0", "Database number (SELECT)."},
      {"connect_timeout", spec::FieldType::kDuration, "5s", "Connect and login at most this long."},
      {"timeout", spec::FieldType::kDuration, "10s",
       "A command's reply at most this long; then the connection is dropped and redialled."},
  };
}

Result<Endpoint> endpoint_from_config(const spec::Config& c) {
  Endpoint e;
  e.host = c.str("host");
  const int64_t port = c.integer("port");
  if (port < 1 || port > 65535) return Error::invalid("port must be 1..65535");
  e.port = static_cast<int>(port);
  if (c.has("url")) {
    auto parsed = parse_url(c.str("url"), e);
    if (!parsed) return parsed.error();
    e = std::move(*parsed);
  }
  if (c.has("username")) e.username = c.str("username");
  if (c.has("password")) e.password = c.str("password");
  if (c.has("db")) {
    if (c.integer("db") < 0 || c.integer("db") > 1'000'000)
      return Error::invalid("db must be >= 0");
    e.db = static_cast<int>(c.integer("db"));
  }
  e.connect_timeout = c.duration("connect_timeout");
  e.io_timeout = c.duration("timeout");
  if (e.connect_timeout <= Duration::zero() || e.io_timeout <= Duration::zero()) {
    return Error::invalid("connect_timeout and timeout must be above zero");
  }
  return e;
}

}  // namespace junction::connectors::redis
