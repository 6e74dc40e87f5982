#include "gateway/route_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace junction::gateway {
namespace {

using Outcome = MatchResult::Outcome;

RouteTable build(std::vector<Route> routes) {
  auto t = RouteTable::build(std::move(routes));
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message());
  return std::move(t).value();
}

Route route(std::vector<std::string> methods, std::string path) {
  Route r;
  r.methods = std::move(methods);
  r.path = std::move(path);
  return r;
}

// Matches and keeps the path alive alongside the params that view it.
struct Matched {
  NormalizedPath path;
  MatchResult result;
};

Matched match(const RouteTable& t, std::string_view method, std::string_view target,
              const Headers& headers = {}, std::string_view host = "api.example.com") {
  auto p = normalize_path(target);
  EXPECT_TRUE(p.ok()) << target;
  Matched m{std::move(p).value(), {}};
  m.result = t.match(method, host, m.path, headers);
  return m;
}

TEST(RouteTableTest, MatchesAndExtractsParams) {
  auto t = build({route({"POST"}, "/v1/orders"), route({"GET"}, "/v1/orders/{id}")});
  auto m = match(t, "GET", "/v1/orders/42");
  ASSERT_EQ(m.result.outcome, Outcome::kMatched);
  EXPECT_EQ(m.result.route, 1u);
  EXPECT_EQ(m.result.params.get("id"), "42");
  EXPECT_EQ(m.result.http_status(), 0);

  m = match(t, "POST", "/v1/orders");
  ASSERT_EQ(m.result.outcome, Outcome::kMatched);
  EXPECT_EQ(m.result.route, 0u);
}

TEST(RouteTableTest, NotFoundVersusMethodNotAllowed) {
  auto t = build({route({"GET"}, "/v1/orders/{id}"), route({"DELETE", "GET"}, "/v1/orders/{id}"),
                  route({"PUT"}, "/v1/orders/{id}"), route({"POST"}, "/v1/orders")});
  auto m = match(t, "GET", "/v1/customers/1");
  EXPECT_EQ(m.result.outcome, Outcome::kNotFound);
  EXPECT_EQ(m.result.http_status(), 404);

  m = match(t, "PATCH", "/v1/orders/7");
  EXPECT_EQ(m.result.outcome, Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.result.http_status(), 405);
  EXPECT_EQ(m.result.allow, "DELETE, GET, PUT");  // sorted, once each

  m = match(t, "get", "/v1/orders/7");  // methods are case-sensitive
  EXPECT_EQ(m.result.outcome, Outcome::kMethodNotAllowed);
}

TEST(RouteTableTest, AnyMethodWhenNoneListed) {
  auto t = build({route({}, "/health")});
  EXPECT_EQ(match(t, "BREW", "/health").result.outcome, Outcome::kMatched);
}

TEST(RouteTableTest, ConfiguredMethodsAreUpperCased) {
  auto t = build({route({"get"}, "/a")});
  EXPECT_EQ(match(t, "GET", "/a").result.outcome, Outcome::kMatched);
  EXPECT_EQ(t.route(0).methods[0], "GET");
}

// Exact segments beat parameters beat wildcards, whatever the declaration
// order; the same shape keeps declaration order.
TEST(RouteTableTest, MostSpecificFirst) {
  auto t = build({
      route({"GET"}, "/files/*"),           // 0
      route({"GET"}, "/files/{name}"),      // 1
      route({"GET"}, "/files/readme"),      // 2
      route({"GET"}, "/files/{other}"),     // 3: same shape as 1, declared later
      route({"GET"}, "/{dir}/readme/{x}"),  // 4
      route({"GET"}, "/files/{name}/*"),    // 5
  });
  EXPECT_EQ(match(t, "GET", "/files/readme").result.route, 2u);
  auto m = match(t, "GET", "/files/notes");
  EXPECT_EQ(m.result.route, 1u);
  EXPECT_EQ(m.result.params.get("name"), "notes");
  EXPECT_EQ(match(t, "GET", "/files/a/b/c").result.route, 5u);
  // Left to right: "files" (literal) beats "{dir}" at the first segment.
  EXPECT_EQ(match(t, "GET", "/files/readme/x").result.route, 5u);
  EXPECT_EQ(match(t, "GET", "/other/readme/x").result.route, 4u);
  // "/files/" ends where the wildcard captures nothing.
  m = match(t, "GET", "/files/");
  EXPECT_EQ(m.result.route, 0u);
  EXPECT_EQ(m.result.params.get("*"), "");
}

TEST(RouteTableTest, ALessSpecificRouteServesAnotherMethod) {
  auto t = build({route({"POST"}, "/orders/new"), route({"GET"}, "/orders/{id}")});
  auto m = match(t, "GET", "/orders/new");
  ASSERT_EQ(m.result.outcome, Outcome::kMatched);
  EXPECT_EQ(m.result.route, 1u);
  EXPECT_EQ(m.result.params.get("id"), "new");
  m = match(t, "DELETE", "/orders/new");
  EXPECT_EQ(m.result.allow, "GET, POST");
}

TEST(RouteTableTest, TrailingSlashPolicy) {
  auto t = build({route({"GET"}, "/a"), route({"GET"}, "/b/")});
  EXPECT_EQ(match(t, "GET", "/a").result.outcome, Outcome::kMatched);
  EXPECT_EQ(match(t, "GET", "/a/").result.outcome, Outcome::kNotFound);
  EXPECT_EQ(match(t, "GET", "/b/").result.outcome, Outcome::kMatched);
  EXPECT_EQ(match(t, "GET", "/b").result.outcome, Outcome::kNotFound);
}

TEST(RouteTableTest, HostExactAndWildcard) {
  Route exact = route({"GET"}, "/x");
  exact.host = "API.example.com";
  Route wildcard = route({"GET"}, "/x");
  wildcard.host = "*.example.com";
  Route any = route({"GET"}, "/x");
  auto t = build({exact, wildcard, any});

  EXPECT_EQ(match(t, "GET", "/x", {}, "api.EXAMPLE.com:8443").result.route, 0u);
  EXPECT_EQ(match(t, "GET", "/x", {}, "api.example.com.").result.route, 0u);
  EXPECT_EQ(match(t, "GET", "/x", {}, "eu.example.com").result.route, 1u);
  EXPECT_EQ(match(t, "GET", "/x", {}, "a.b.example.com").result.route, 1u);
  EXPECT_EQ(match(t, "GET", "/x", {}, "example.com").result.route, 2u);
  EXPECT_EQ(match(t, "GET", "/x", {}, "evilexample.com").result.route, 2u);
  EXPECT_EQ(match(t, "GET", "/x", {}, "[::1]:80").result.route, 2u);
  EXPECT_EQ(match(t, "GET", "/x", {}, "").result.route, 2u);

  auto only_hosts = build({exact, wildcard});
  EXPECT_EQ(match(only_hosts, "GET", "/x", {}, "other.org").result.outcome, Outcome::kNotFound);
  // A host mismatch is "not here", not "wrong method".
  EXPECT_EQ(match(only_hosts, "POST", "/x", {}, "other.org").result.outcome, Outcome::kNotFound);
}

TEST(RouteTableTest, HeaderMatchers) {
  Route beta = route({"GET"}, "/feed");
  beta.headers = {{"X-Beta", "yes"}, {"Authorization", std::nullopt}};
  auto t = build({beta, route({"GET"}, "/feed")});

  Headers h;
  h.add("x-beta", "yes");
  h.add("authorization", "Bearer abc");
  EXPECT_EQ(match(t, "GET", "/feed", h).result.route, 0u);

  Headers wrong_value;
  wrong_value.add("X-Beta", "YES");  // values compare exactly
  wrong_value.add("Authorization", "x");
  EXPECT_EQ(match(t, "GET", "/feed", wrong_value).result.route, 1u);

  Headers missing;
  missing.add("X-Beta", "yes");
  EXPECT_EQ(match(t, "GET", "/feed", missing).result.route, 1u);
}

TEST(RouteTableTest, VersionByPathPrefix) {
  Route v1 = route({"GET"}, "/orders/{id}");
  v1.version = ApiVersion{ApiVersion::Source::kPathPrefix, "v1"};
  Route v2 = route({"GET"}, "/orders/{id}");
  v2.version = ApiVersion{ApiVersion::Source::kPathPrefix, "v2"};
  auto t = build({v1, v2});
  auto m = match(t, "GET", "/v2/orders/9");
  EXPECT_EQ(m.result.route, 1u);
  EXPECT_EQ(m.result.params.get("id"), "9");
  EXPECT_EQ(match(t, "GET", "/v1/orders/9").result.route, 0u);
  EXPECT_EQ(match(t, "GET", "/orders/9").result.outcome, Outcome::kNotFound);
  EXPECT_EQ(match(t, "GET", "/v3/orders/9").result.outcome, Outcome::kNotFound);
}

TEST(RouteTableTest, VersionByHeader) {
  Route v2 = route({"GET"}, "/orders/{id}");
  v2.version = ApiVersion{ApiVersion::Source::kHeader, "2"};
  Route latest = route({"GET"}, "/orders/{id}");  // no version: the fallback
  auto t = build({v2, latest});

  Headers asks_v2;
  asks_v2.add("Accept-Version", "2");
  EXPECT_EQ(match(t, "GET", "/orders/1", asks_v2).result.route, 0u);
  Headers asks_v1;
  asks_v1.add("accept-version", "1");
  EXPECT_EQ(match(t, "GET", "/orders/1", asks_v1).result.route, 1u);
  EXPECT_EQ(match(t, "GET", "/orders/1").result.route, 1u);

  Route custom = route({"GET"}, "/x");
  custom.version = ApiVersion{ApiVersion::Source::kHeader, "beta", "X-Api-Version"};
  auto only = build({custom});
  Headers h;
  h.add("X-Api-Version", "beta");
  EXPECT_EQ(match(only, "GET", "/x", h).result.outcome, Outcome::kMatched);
  EXPECT_EQ(match(only, "GET", "/x").result.outcome, Outcome::kNotFound);
}

TEST(RouteTableTest, BuildErrorsNameTheRoute) {
  auto expect_error = [](Route r, std::string_view why) {
    auto t = RouteTable::build({route({"GET"}, "/ok"), std::move(r)});
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().cls(), ErrorClass::kInvalid);
    EXPECT_NE(t.error().message().find("route 1 ("), std::string::npos) << t.error().message();
    EXPECT_NE(t.error().message().find(why), std::string::npos) << t.error().message();
  };
  expect_error(route({"GET"}, "/a/{id}/{id}"), "duplicate parameter");
  expect_error(route({"GE T"}, "/a"), "invalid method");
  expect_error(route({""}, "/a"), "invalid method");
  Route bad_host = route({"GET"}, "/a");
  bad_host.host = "api.*.com";
  expect_error(bad_host, "host 'api.*.com'");
  bad_host.host = "*.";
  expect_error(bad_host, "host '*.'");
  Route bad_header = route({"GET"}, "/a");
  bad_header.headers = {{"X Bad", std::nullopt}};
  expect_error(bad_header, "invalid header name");
  Route bad_version = route({"GET"}, "/a");
  bad_version.version = ApiVersion{ApiVersion::Source::kPathPrefix, "v1/x"};
  expect_error(bad_version, "version 'v1/x'");
  bad_version.version = ApiVersion{ApiVersion::Source::kPathPrefix, ".."};
  expect_error(bad_version, "'..'");
}

}  // namespace
}  // namespace junction::gateway
