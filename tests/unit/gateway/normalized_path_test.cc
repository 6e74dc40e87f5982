#include "gateway/normalized_path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace junction::gateway {
namespace {

std::vector<std::string> segments(const NormalizedPath& p) {
  std::vector<std::string> out;
  for (size_t i = 0; i < p.segment_count(); ++i) out.emplace_back(p.segment(i));
  return out;
}

void expect_refused(std::string_view target, std::string_view why) {
  auto p = normalize_path(target);
  ASSERT_FALSE(p.ok()) << target;
  EXPECT_EQ(p.error().cls(), ErrorClass::kInvalid) << target;
  EXPECT_EQ(p.error().http_status(), 400) << target;
  EXPECT_NE(p.error().message().find(why), std::string::npos)
      << target << ": " << p.error().message();
}

TEST(NormalizedPathTest, SplitsAndDecodes) {
  auto p = normalize_path("/v1/orders/a%20b/caf%C3%A9?x=1&y=%2F");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(segments(*p), (std::vector<std::string>{"v1", "orders", "a b", "café"}));
  EXPECT_EQ(p->decoded(), "/v1/orders/a b/café");
  EXPECT_EQ(p->query(), "x=1&y=%2F");  // the query is left alone
  EXPECT_FALSE(p->trailing_slash());
}

TEST(NormalizedPathTest, RootAndTrailingSlash) {
  auto root = normalize_path("/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->segment_count(), 0u);
  EXPECT_FALSE(root->trailing_slash());
  EXPECT_EQ(root->decoded(), "/");

  auto dir = normalize_path("/a/b/");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(segments(*dir), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(dir->trailing_slash());
  EXPECT_EQ(dir->rest_from(1), "b/");
  EXPECT_EQ(dir->rest_from(2), "");
}

TEST(NormalizedPathTest, DecodesOnceOnly) {
  auto p = normalize_path("/a%2541/%2B+");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->segment(0), "a%41");  // not decoded a second time into "aA"
  EXPECT_EQ(p->segment(1), "++");    // '+' is not a space in a path
}

TEST(NormalizedPathTest, RefusesDotSegments) {
  expect_refused("/a/../b", "'..'");
  expect_refused("/a/./b", "'.'");
  expect_refused("/a/%2e%2e/b", "'..'");
  expect_refused("/a/.%2E", "'..'");
  expect_refused("/..", "'..'");
  auto dots_inside = normalize_path("/a/..b/c.d/...");
  EXPECT_TRUE(dots_inside.ok());  // only whole "." and ".." segments are special
}

TEST(NormalizedPathTest, RefusesEncodedSeparators) {
  expect_refused("/files/a%2Fb", "encoded '/'");
  expect_refused("/files/a%2fb", "encoded '/'");
  expect_refused("/files/a%5Cb", "encoded '/' or '\\'");
  expect_refused("/files/a\\b", "'\\'");
}

TEST(NormalizedPathTest, RefusesBadPercentEncoding) {
  expect_refused("/a/%zz", "two hex digits");
  expect_refused("/a/%4", "two hex digits");
  expect_refused("/a/%", "two hex digits");
  expect_refused("/a/%%41", "two hex digits");
}

TEST(NormalizedPathTest, RefusesControlCharacters) {
  expect_refused("/a/%00", "control");
  expect_refused(std::string_view("/a/\0b", 5), "control");
  expect_refused("/a/%0D%0Aheader", "control");
  expect_refused("/a/%7F", "control");
}

TEST(NormalizedPathTest, RefusesOtherOddities) {
  expect_refused("", "start with '/'");
  expect_refused("v1/orders", "start with '/'");
  expect_refused("http://example.com/a", "start with '/'");
  expect_refused("/a//b", "empty segment");
  expect_refused("//a", "empty segment");
  expect_refused("/a#frag", "fragment");
  expect_refused("/a/%C3%28", "UTF-8");     // invalid continuation byte
  expect_refused("/a/%C0%AF", "UTF-8");     // overlong '/'
  expect_refused("/a/%ED%A0%80", "UTF-8");  // a surrogate
}

}  // namespace
}  // namespace junction::gateway
