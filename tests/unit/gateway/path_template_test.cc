#include "gateway/path_template.h"

#include <gtest/gtest.h>

#include <string>

namespace junction::gateway {
namespace {

PathTemplate compile(std::string_view pattern) {
  auto t = PathTemplate::compile(pattern);
  EXPECT_TRUE(t.ok()) << pattern << ": " << (t.ok() ? "" : t.error().message());
  return std::move(t).value();
}

NormalizedPath path(std::string_view target) {
  auto p = normalize_path(target);
  EXPECT_TRUE(p.ok()) << target;
  return std::move(p).value();
}

// For checks that do not read the params, which would view the path.
bool matches(const PathTemplate& t, std::string_view target) {
  auto p = path(target);
  PathParams params;
  return t.match(p, params);
}

void expect_compile_error(std::string_view pattern, std::string_view why) {
  auto t = PathTemplate::compile(pattern);
  ASSERT_FALSE(t.ok()) << pattern;
  EXPECT_EQ(t.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(t.error().message().find(why), std::string::npos)
      << pattern << ": " << t.error().message();
  // The message names the template.
  EXPECT_NE(t.error().message().find(pattern), std::string::npos) << t.error().message();
}

TEST(PathTemplateTest, CompileErrors) {
  expect_compile_error("/v1/{}", "empty parameter name");
  expect_compile_error("/v1/{id}/x/{id}", "duplicate parameter 'id'");
  expect_compile_error("/static/*/more", "'*' must be the last segment");
  expect_compile_error("/static/*/", "'*' must be the last segment");
  expect_compile_error("/v1/{id", "unbalanced braces");
  expect_compile_error("/v1/id}", "unbalanced braces");
  expect_compile_error("/v1/{{id}}", "whole segment");
  expect_compile_error("/v1/file-{id}", "whole segment");
  expect_compile_error("/v1/{a}{b}", "whole segment");
  expect_compile_error("/v1/a*", "'*' must be a whole segment");
  expect_compile_error("/v1/{a b}", "letters, digits");
  expect_compile_error("v1/orders", "must start with '/'");
  expect_compile_error("", "must start with '/'");
  expect_compile_error("/v1//orders", "empty segment");
  expect_compile_error("/v1/../orders", "'..'");
  expect_compile_error("/v1/a%2Fb", "encoded '/'");
  expect_compile_error("/v1/orders?x=1", "'?'");
}

TEST(PathTemplateTest, ExactPaths) {
  PathParams params;
  auto t = compile("/v1/orders");
  EXPECT_TRUE(matches(t, "/v1/orders"));
  EXPECT_TRUE(params.empty());
  EXPECT_FALSE(matches(t, "/v1/orders/1"));
  EXPECT_FALSE(matches(t, "/v1"));
  EXPECT_FALSE(matches(t, "/v1/Orders"));  // case-sensitive

  auto root = compile("/");
  EXPECT_TRUE(matches(root, "/"));
  EXPECT_FALSE(matches(root, "/a"));
}

TEST(PathTemplateTest, LiteralsAreDecoded) {
  PathParams params;
  auto t = compile("/files/a%20b");
  EXPECT_TRUE(matches(t, "/files/a b"));
  EXPECT_TRUE(matches(t, "/files/a%20b"));
  EXPECT_TRUE(matches(t, "/fil%65s/a%20b"));
}

TEST(PathTemplateTest, ExtractsParams) {
  PathParams params;
  auto t = compile("/v1/{tenant}/items/{id}");
  auto p = path("/v1/acme/items/42%20x");
  ASSERT_TRUE(t.match(p, params));
  EXPECT_EQ(params.size(), 2u);
  EXPECT_EQ(params.get("tenant"), "acme");
  EXPECT_EQ(params.get("id"), "42 x");  // decoded
  EXPECT_FALSE(params.get("other"));
  auto other = path("/v1/acme/things/42");
  EXPECT_FALSE(t.match(other, params));
  EXPECT_TRUE(params.empty());  // a failed match leaves nothing behind
  EXPECT_FALSE(matches(t, "/v1/acme/items"));
}

TEST(PathTemplateTest, ParamsNeverSpanSegments) {
  PathParams params;
  auto t = compile("/v1/orders/{id}");
  EXPECT_FALSE(matches(t, "/v1/orders/a/b"));
  // The only way to smuggle a slash in is refused before matching.
  EXPECT_FALSE(normalize_path("/v1/orders/a%2Fb").ok());
}

TEST(PathTemplateTest, TrailingWildcard) {
  PathParams params;
  auto t = compile("/static/*");
  auto css = path("/static/css/site.css");
  ASSERT_TRUE(t.match(css, params));
  EXPECT_EQ(params.get("*"), "css/site.css");
  auto dir = path("/static/a/");
  ASSERT_TRUE(t.match(dir, params));
  EXPECT_EQ(params.get("*"), "a/");
  auto bare = path("/static/");
  ASSERT_TRUE(t.match(bare, params));
  EXPECT_EQ(params.get("*"), "");
  EXPECT_FALSE(matches(t, "/static"));
  EXPECT_FALSE(matches(t, "/staticx/a"));

  auto with_param = compile("/u/{user}/*");
  auto nested = path("/u/ann/x%20y/z");
  ASSERT_TRUE(with_param.match(nested, params));
  EXPECT_EQ(params.get("user"), "ann");
  EXPECT_EQ(params.get("*"), "x y/z");

  auto everything = compile("/*");
  auto root = path("/");
  ASSERT_TRUE(everything.match(root, params));
  EXPECT_EQ(params.get("*"), "");
  auto deep = path("/a/b");
  ASSERT_TRUE(everything.match(deep, params));
  EXPECT_EQ(params.get("*"), "a/b");
}

// Policy: a trailing slash is significant in both directions.
TEST(PathTemplateTest, TrailingSlashIsSignificant) {
  PathParams params;
  auto bare = compile("/a");
  auto slashed = compile("/a/");
  EXPECT_TRUE(slashed.trailing_slash());
  EXPECT_TRUE(matches(bare, "/a"));
  EXPECT_FALSE(matches(bare, "/a/"));
  EXPECT_TRUE(matches(slashed, "/a/"));
  EXPECT_FALSE(matches(slashed, "/a"));

  auto param = compile("/a/{id}");
  EXPECT_FALSE(matches(param, "/a/1/"));
  EXPECT_FALSE(matches(param, "/a/"));  // a parameter is never empty
}

}  // namespace
}  // namespace junction::gateway
