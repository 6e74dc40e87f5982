#include "auth/claims.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace junction::auth {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Claims claims_of(std::string_view json_text) {
  return Claims(json::parse(json_text).as_object());
}

TEST(ClaimsTest, Subject) {
  EXPECT_EQ(claims_of(R"({"sub":"alice"})").subject(), "alice");
  EXPECT_FALSE(claims_of(R"({"sub":42})").subject());
  EXPECT_FALSE(claims_of("{}").subject());
}

TEST(ClaimsTest, ScopesFromASpaceSeparatedString) {
  EXPECT_THAT(claims_of(R"({"scope":"orders:read  orders:write "})").scopes(),
              ElementsAre("orders:read", "orders:write"));
}

TEST(ClaimsTest, ScopesFromAnScpArrayOrString) {
  EXPECT_THAT(claims_of(R"({"scp":["orders:read", 7, "admin"]})").scopes(),
              ElementsAre("orders:read", "admin"));
  EXPECT_THAT(claims_of(R"({"scp":"a b"})").scopes(), ElementsAre("a", "b"));
}

TEST(ClaimsTest, ScopePrefersTheStandardClaim) {
  EXPECT_THAT(claims_of(R"({"scope":"std","scp":["other"]})").scopes(), ElementsAre("std"));
}

TEST(ClaimsTest, NoScopes) {
  EXPECT_THAT(claims_of("{}").scopes(), IsEmpty());
  EXPECT_THAT(claims_of(R"({"scope":""})").scopes(), IsEmpty());
  EXPECT_THAT(claims_of(R"({"scope":{"a":1}})").scopes(), IsEmpty());
}

TEST(ClaimsTest, Roles) {
  EXPECT_THAT(claims_of(R"({"roles":["admin","ops"]})").roles(), ElementsAre("admin", "ops"));
  EXPECT_THAT(claims_of(R"({"roles":"admin"})").roles(), ElementsAre("admin"));
  EXPECT_THAT(claims_of(R"({"roles":"two words"})").roles(), ElementsAre("two words"));
  EXPECT_THAT(claims_of("{}").roles(), IsEmpty());
}

TEST(ClaimsTest, FindsTopLevelAndNestedClaims) {
  Claims claims =
      claims_of(R"({"tenant":"acme","realm_access":{"roles":["admin"]},"a":{"b":{"c":3}}})");
  ASSERT_NE(claims.find("tenant"), nullptr);
  EXPECT_EQ(*claims.find("tenant"), json::value("acme"));
  ASSERT_NE(claims.find("realm_access.roles"), nullptr);
  EXPECT_EQ(*claims.find("realm_access.roles"), json::parse(R"(["admin"])"));
  ASSERT_NE(claims.find("a.b.c"), nullptr);
  EXPECT_EQ(*claims.find("a.b.c"), json::value(3));
}

TEST(ClaimsTest, FindsClaimsWhoseNamesHoldDots) {
  Claims claims = claims_of(
      R"({"https://example.com/roles":["x"],"ns":{"https://example.com/tenant":"acme"}})");
  ASSERT_NE(claims.find("https://example.com/roles"), nullptr);
  ASSERT_NE(claims.find("ns.https://example.com/tenant"), nullptr);
  EXPECT_EQ(*claims.find("ns.https://example.com/tenant"), json::value("acme"));
}

TEST(ClaimsTest, FindReturnsNullForMissingPaths) {
  Claims claims = claims_of(R"({"tenant":"acme","realm_access":{"roles":[]}})");
  EXPECT_EQ(claims.find("missing"), nullptr);
  EXPECT_EQ(claims.find("tenant.name"), nullptr);
  EXPECT_EQ(claims.find("realm_access.groups"), nullptr);
  EXPECT_EQ(claims.find(""), nullptr);
}

}  // namespace
}  // namespace junction::auth
