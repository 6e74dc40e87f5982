#include "auth/policy_expression.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <map>
#include <string>

namespace junction::auth {
namespace {

// A request made of plain maps.
class FakeRequest : public PolicyRequest {
 public:
  std::optional<boost::json::object> token;
  std::map<std::string, std::string> params, headers, queries;
  std::string verb = "GET";
  std::string who;

  const boost::json::object* claims() const override { return token ? &*token : nullptr; }
  std::optional<std::string_view> path_param(std::string_view name) const override {
    return find(params, name);
  }
  std::optional<std::string_view> header(std::string_view name) const override {
    return find(headers, name);
  }
  std::optional<std::string_view> query(std::string_view name) const override {
    return find(queries, name);
  }
  std::string_view method() const override { return verb; }
  std::string_view consumer() const override { return who; }

 private:
  static std::optional<std::string_view> find(const std::map<std::string, std::string>& m,
                                              std::string_view name) {
    auto it = m.find(std::string(name));
    if (it == m.end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

FakeRequest tenant_request() {
  FakeRequest r;
  r.token = boost::json::parse(R"({"sub":"bob","tenant":"acme","level":3,"admin":true,
      "roles":["viewer","editor"],"org":{"unit":{"id":"u7"}},"https://x.io/tier":"gold",
      "nothing":null})")
                .as_object();
  r.params = {{"tenant", "acme"}, {"id", "3"}};
  r.headers = {{"X-Region", "eu"}};
  r.queries = {{"dry_run", "1"}};
  r.who = "bob";
  return r;
}

bool allows(std::string_view text, const PolicyRequest& request) {
  auto expr = PolicyExpression::parse(text);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.error().message();
  return expr.ok() && expr->allows(request);
}

std::string parse_error(std::string_view text) {
  auto expr = PolicyExpression::parse(text);
  EXPECT_FALSE(expr.ok()) << text;
  return expr.ok() ? std::string() : expr.error().message();
}

TEST(PolicyExpression, ComparesClaimsWithPathParameters) {
  FakeRequest r = tenant_request();
  const char* rule = "claims.tenant == path.tenant && request.method != 'DELETE'";
  EXPECT_TRUE(allows(rule, r));
  r.verb = "DELETE";
  EXPECT_FALSE(allows(rule, r));
  r.verb = "GET";
  r.params["tenant"] = "globex";
  EXPECT_FALSE(allows(rule, r));
}

TEST(PolicyExpression, ReadsEveryKindOfReference) {
  FakeRequest r = tenant_request();
  EXPECT_TRUE(allows("claims.org.unit.id == 'u7'", r));
  EXPECT_TRUE(allows("claims['https://x.io/tier'] == \"gold\"", r));
  EXPECT_TRUE(allows("claims.org['unit'].id == 'u7'", r));
  EXPECT_TRUE(allows("header.X-Region == 'eu'", r));
  EXPECT_TRUE(allows("headers['X-Region'] == 'eu'", r));
  EXPECT_TRUE(allows("query.dry_run == '1'", r));
  EXPECT_TRUE(allows("identity.consumer == 'bob'", r));
  EXPECT_TRUE(allows("claims.level == 3 && claims.level != 4", r));
  EXPECT_TRUE(allows("claims.admin == true", r));
  EXPECT_TRUE(allows("claims.admin", r));
  EXPECT_TRUE(allows("true", r));
  EXPECT_FALSE(allows("false", r));
}

TEST(PolicyExpression, InLooksIntoClaimArraysAndListLiterals) {
  FakeRequest r = tenant_request();
  EXPECT_TRUE(allows("'editor' in claims.roles", r));
  EXPECT_FALSE(allows("'admin' in claims.roles", r));
  EXPECT_TRUE(allows("request.method in ['GET', 'HEAD']", r));
  EXPECT_FALSE(allows("request.method in []", r));
  // A string claim is not a list: no substring matching.
  EXPECT_FALSE(allows("'acm' in claims.tenant", r));
  EXPECT_FALSE(allows("'x' in claims.missing", r));
}

TEST(PolicyExpression, PrecedenceFollowsC) {
  FakeRequest r = tenant_request();
  // && binds tighter than ||: true || (false && false).
  EXPECT_TRUE(allows("true || false && false", r));
  EXPECT_FALSE(allows("(true || false) && false", r));
  // ! binds tighter than ==: (!true) == false.
  EXPECT_TRUE(allows("!true == false", r));
  EXPECT_TRUE(allows("!(claims.tenant == 'globex')", r));
  EXPECT_TRUE(allows("!!claims.admin", r));
  EXPECT_TRUE(allows("claims.tenant == 'x' || claims.tenant == 'acme' || false", r));
}

TEST(PolicyExpression, MissingValuesFailClosed) {
  FakeRequest r = tenant_request();
  EXPECT_FALSE(allows("claims.absent == 'x'", r));
  EXPECT_FALSE(allows("claims.absent != 'x'", r));
  EXPECT_FALSE(allows("claims.org.absent.deeper == 'x'", r));
  EXPECT_FALSE(allows("claims.tenant.sub == 'x'", r));  // a step into a string
  EXPECT_FALSE(allows("path.nope == header.nope", r));  // both missing is not equal
  EXPECT_FALSE(allows("!claims.absent", r));
  EXPECT_FALSE(allows("claims.nothing == claims.nothing", r));  // null is not comparable
  r.token.reset();                                              // anonymous
  EXPECT_FALSE(allows("claims.tenant == path.tenant", r));
  r.who.clear();
  EXPECT_FALSE(allows("identity.consumer != 'bob'", r));
}

TEST(PolicyExpression, TypeMismatchIsFalseForEveryOperator) {
  FakeRequest r = tenant_request();
  // level is the number 3; path.id is the text "3".
  EXPECT_FALSE(allows("claims.level == path.id", r));
  EXPECT_FALSE(allows("claims.level != path.id", r));
  EXPECT_FALSE(allows("claims.admin == 'true'", r));
  EXPECT_FALSE(allows("claims.roles == 'viewer'", r));
  EXPECT_FALSE(allows("claims.org == claims.org", r));
  EXPECT_FALSE(allows("!claims.tenant", r));
  EXPECT_FALSE(allows("claims.tenant", r));  // not a boolean: not an allow
  EXPECT_FALSE(allows("3 in claims.roles", r));
}

TEST(PolicyExpression, StringsTakeEscapes) {
  FakeRequest r;
  r.headers = {{"X-Q", "it's \"x\"\\"}};
  EXPECT_TRUE(allows(R"(header.X-Q == 'it\'s "x"\\')", r));
  EXPECT_TRUE(allows(R"(header.X-Q == "it's \"x\"\\")", r));
}

TEST(PolicyExpression, ErrorsNameTheColumn) {
  EXPECT_EQ(parse_error("claims.tenant == "),
            "column 18: expected a value, got the end of "
            "the expression");
  EXPECT_EQ(parse_error("(true"), "column 6: expected ')'");
  EXPECT_EQ(parse_error("claims.a = 'x'").substr(0, 10), "column 10:");
  EXPECT_NE(parse_error("secrets.x == 1").find("column 1: unknown name 'secrets'"),
            std::string::npos);
  EXPECT_NE(parse_error("request.body == 'x'").find("unknown field 'request.body'"),
            std::string::npos);
  EXPECT_NE(parse_error("'a' == 'b' == 'c'").find("do not chain"), std::string::npos);
  EXPECT_NE(parse_error("'a' in 'abc'").find("'in' needs a list"), std::string::npos);
  EXPECT_NE(parse_error("claims").find("expected '.' or '['"), std::string::npos);
  EXPECT_NE(parse_error("path.a.b == 'x'").find("takes one name"), std::string::npos);
  EXPECT_NE(parse_error("claims.x == 'open").find("unterminated string"), std::string::npos);
  EXPECT_NE(parse_error("claims[x] == 1").find("quoted name"), std::string::npos);
  EXPECT_NE(parse_error("[1, claims.x]").find("expected a literal"), std::string::npos);
  EXPECT_NE(parse_error("").find("end of the expression"), std::string::npos);
  EXPECT_NE(parse_error("true true").find("column 6: unexpected 't'"), std::string::npos);
  EXPECT_NE(parse_error("size(claims.x)").find("unknown name 'size'"), std::string::npos);
}

TEST(PolicyExpression, HostileInputIsRefusedNotRecursedInto) {
  std::string deep(PolicyExpression::kMaxDepth + 1, '(');
  deep += "true" + std::string(PolicyExpression::kMaxDepth + 1, ')');
  EXPECT_NE(parse_error(deep).find("nested too deeply"), std::string::npos);
  std::string nots(100000, '!');
  EXPECT_NE(parse_error(nots + "true").find("longer than"), std::string::npos);
  std::string many_nots(PolicyExpression::kMaxDepth + 1, '!');
  EXPECT_NE(parse_error(many_nots + "true").find("nested too deeply"), std::string::npos);

  // Within the limits, deep but legal input parses and evaluates.
  FakeRequest r = tenant_request();
  std::string ok(PolicyExpression::kMaxDepth, '(');
  ok += "true" + std::string(PolicyExpression::kMaxDepth, ')');
  EXPECT_TRUE(allows(ok, r));
  // A long flat chain is one node, not a deep tree.
  std::string chain = "true";
  while (chain.size() + 8 < PolicyExpression::kMaxLength) chain += " && true";
  EXPECT_TRUE(allows(chain, r));

  std::string long_claim = "claims";
  for (size_t i = 0; i <= PolicyExpression::kMaxClaimPath; ++i) long_claim += ".a";
  EXPECT_NE(parse_error(long_claim + " == 1").find("claim path is too long"), std::string::npos);
  std::string long_string = "claims.tenant == '" + std::string(4000, 'x') + "'";
  EXPECT_FALSE(allows(long_string, r));
  EXPECT_NE(parse_error(std::string("true\0", 5))
                .find("column 5: unexpected a byte outside printable ASCII"),
            std::string::npos);
}

TEST(PolicyExpression, KeepsItsText) {
  auto expr = PolicyExpression::parse("  true ");
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(expr->text(), "  true ");
}

}  // namespace
}  // namespace junction::auth
