#include "gateway/route_table.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace junction::gateway {
namespace {

// RFC 9110 token characters: what a method or header name may be made of.
bool is_token(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_version_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool is_hostname(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  if (s.find("..") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

// "api.example.com:8443" -> "api.example.com"; "[::1]:80" -> "[::1]"; a
// trailing dot (the fully qualified form) is dropped.
std::string_view host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

}  // namespace

int MatchResult::http_status() const {
  switch (outcome) {
    case Outcome::kMatched:
      return 0;
    case Outcome::kNotFound:
      return 404;
    case Outcome::kMethodNotAllowed:
      return 405;
  }
  return 404;
}

Result<RouteTable> RouteTable::build(std::vector<Route> routes) {
  RouteTable table;
  table.routes_.reserve(routes.size());
  for (size_t i = 0; i < routes.size(); ++i) {
    Route& spec = routes[i];
    const std::string context = "route " + std::to_string(i) + " (" + spec.path + "): ";
    auto fail = [&](const std::string& why) { return Error::invalid(context + why); };
    for (auto& m : spec.methods) {
      if (!is_token(m)) return fail("invalid method '" + m + "'");
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }

    std::string pattern = spec.path;
    std::vector<HeaderMatch> headers = spec.headers;
    if (spec.version) {
      const ApiVersion& v = *spec.version;
      if (v.value.empty()) return fail("empty version");
      if (v.source == ApiVersion::Source::kPathPrefix) {
        if (!std::all_of(v.value.begin(), v.value.end(), is_version_char)) {
          return fail("version '" + v.value + "' may only use letters, digits, '.', '_' and '-'");
        }
        pattern = "/" + v.value + (pattern == "/" ? "" : pattern);
      } else {
        headers.push_back({v.header, v.value});
      }
    }
    for (const auto& h : headers) {
      if (!is_token(h.name)) return fail("invalid header name '" + h.name + "'");
    }

    auto path = PathTemplate::compile(pattern);
    if (!path) return fail(path.error().message());

    CompiledRoute r{std::move(spec), std::move(*path), {}, false, std::move(headers)};
    std::string_view host = r.spec.host;
    if (!host.empty()) {
      r.host_wildcard = host.starts_with("*.");
      if (r.host_wildcard) host.remove_prefix(1);  // keep the dot: ".example.com"
      std::string_view name = r.host_wildcard ? host.substr(1) : host;
      if (!is_hostname(name)) {
        return fail("host '" + r.spec.host + "' must be a host name, or '*.' followed by one");
      }
      r.host = lower(host);
    }
    table.trie_.insert(r.path, static_cast<uint32_t>(i));
    table.routes_.push_back(std::move(r));
  }
  return table;
}

bool RouteTable::constraints_match(const CompiledRoute& r, std::string_view host,
                                   HeaderView headers) const {
  if (!r.host.empty()) {
    bool ok = r.host_wildcard ? host.size() > r.host.size() && iends_with(host, r.host)
                              : iequals(host, r.host);
    if (!ok) return false;
  }
  for (const auto& h : r.headers) {
    auto value = headers.get(h.name);
    if (!value || (h.equals && *value != *h.equals)) return false;
  }
  return true;
}

MatchResult RouteTable::match(std::string_view method, std::string_view host,
                              const NormalizedPath& path, HeaderView headers) const {
  MatchResult result;
  RouteTrie::Candidates candidates;
  trie_.collect(path, candidates);
  host = host_without_port(host);

  RouteTrie::Candidates wrong_method;
  for (uint32_t id : candidates) {
    const CompiledRoute& r = routes_[id];
    if (!constraints_match(r, host, headers)) continue;
    const auto& methods = r.spec.methods;
    if (methods.empty() || std::find(methods.begin(), methods.end(), method) != methods.end()) {
      result.outcome = MatchResult::Outcome::kMatched;
      result.route = id;
      r.path.match(path, result.params);
      return result;
    }
    wrong_method.push_back(id);
  }
  if (wrong_method.empty()) return result;

  std::vector<std::string_view> allow;
  for (uint32_t id : wrong_method) {
    for (const auto& m : routes_[id].spec.methods) allow.push_back(m);
  }
  std::sort(allow.begin(), allow.end());
  allow.erase(std::unique(allow.begin(), allow.end()), allow.end());
  result.outcome = MatchResult::Outcome::kMethodNotAllowed;
  for (auto m : allow) {
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += m;
  }
  return result;
}

}  // namespace junction::gateway
