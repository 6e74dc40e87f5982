#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "gateway/header_view.h"
#include "gateway/normalized_path.h"
#include "gateway/path_template.h"
#include "gateway/route_trie.h"

namespace junction::gateway {

struct HeaderMatch {
  std::string name;                   // compared case-insensitively
  std::optional<std::string> equals;  // exact value; nullopt: present with any value
};

struct ApiVersion {
  enum class Source : uint8_t { kPathPrefix, kHeader };
  Source source = Source::kPathPrefix;
  std::string value;                      // "v1"
  std::string header = "Accept-Version";  // kHeader only
};

struct Route {
  std::vector<std::string> methods;  // empty: any method; upper-cased when built
  std::string path;                  // a PathTemplate pattern
  // Empty: any host. "api.example.com" (exact) or "*.example.com" (any
  // subdomain, one or more labels deep, not example.com itself).
  std::string host;
  std::vector<HeaderMatch> headers;  // all must match
  // kPathPrefix puts "/<value>" before `path`; kHeader requires the header
  // to equal `value`. Either way a route without a version takes any.
  std::optional<ApiVersion> version;
};

struct MatchResult {
  enum class Outcome : uint8_t { kMatched, kNotFound, kMethodNotAllowed };
  Outcome outcome = Outcome::kNotFound;
  size_t route = 0;   // kMatched: index into the routes given to build()
  PathParams params;  // kMatched: views into the table and the path
  std::string allow;  // kMethodNotAllowed: the Allow header value, "GET, POST"

  // 404 or 405 when nothing matched; 0 on a match, which the route answers.
  int http_status() const;
};

// Finds the route for a request.
//
// Precedence: among routes whose path template matches, the most specific
// template first (segment by segment from the left, a literal beats a
// parameter beats a wildcard: see RouteTrie), then declaration order. Host,
// header and version constraints only filter: they do not make a route more
// specific, so declare a constrained route before an unconstrained one of
// the same shape. The first route left whose methods include the request's
// wins. If routes remain but none takes the method, the answer is 405 with
// their methods in Allow; if none remain, 404.
//
// Immutable after build(): match() is safe from any number of threads.
class RouteTable {
 public:
  // Error::invalid naming the route ("route 3 (/v1/{id}): ...") for a bad
  // path template, method, host pattern or header matcher.
  static Result<RouteTable> build(std::vector<Route> routes);

  // `method` is compared exactly (methods are case-sensitive); `host` is the
  // Host header, with or without port, compared case-insensitively.
  MatchResult match(std::string_view method, std::string_view host, const NormalizedPath& path,
                    HeaderView headers) const;
  // The result's params would view a path that is about to be destroyed.
  MatchResult match(std::string_view method, std::string_view host, const NormalizedPath&& path,
                    HeaderView headers) const = delete;

  size_t size() const { return routes_.size(); }
  const Route& route(size_t i) const { return routes_[i].spec; }

 private:
  struct CompiledRoute {
    Route spec;
    PathTemplate path;
    std::string host;  // lower case; "*.example.com" kept as ".example.com"
    bool host_wildcard = false;
    std::vector<HeaderMatch> headers;  // with the version header, if any
  };

  RouteTable() = default;
  bool constraints_match(const CompiledRoute& r, std::string_view host, HeaderView headers) const;

  std::vector<CompiledRoute> routes_;
  RouteTrie trie_;
};

}  // namespace junction::gateway
