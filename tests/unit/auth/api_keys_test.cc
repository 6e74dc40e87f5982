#include "auth/api_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace junction::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

constexpr std::string_view kKeys = R"(# consumers of the orders API
billing: k-billing-3f9a1c

  shipping:k-shipping-77b2   
# a bare key, for a consumer not yet named
k-anonymous-0c4d
partner:key:with:colons
)";

TEST(ApiKeyStoreTest, FindsTheConsumerOfAKnownKey) {
  auto store = ApiKeyStore::parse(kKeys);
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ(store->size(), 4u);
  EXPECT_EQ(store->lookup("k-billing-3f9a1c"), "billing");
  EXPECT_EQ(store->lookup("k-shipping-77b2"), "shipping");
  EXPECT_EQ(store->lookup("key:with:colons"), "partner");
}

TEST(ApiKeyStoreTest, MissesUnknownKeys) {
  auto store = ApiKeyStore::parse(kKeys);
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->lookup("k-billing-3f9a1"));
  EXPECT_FALSE(store->lookup("k-billing-3f9a1cX"));
  EXPECT_FALSE(store->lookup(""));
  EXPECT_FALSE(store->lookup("billing"));
  EXPECT_FALSE(store->lookup("billing: k-billing-3f9a1c"));
  EXPECT_FALSE(store->lookup("# consumers of the orders API"));
}

TEST(ApiKeyStoreTest, NamesBareKeysByFingerprintNotByKey) {
  auto store = ApiKeyStore::parse(kKeys);
  ASSERT_TRUE(store);
  auto name = store->lookup("k-anonymous-0c4d");
  ASSERT_TRUE(name);
  EXPECT_THAT(*name, StartsWith("sha256:"));
  EXPECT_EQ(name->size(), std::string_view("sha256:").size() + 8);
  EXPECT_EQ(name->find("k-anonymous"), std::string::npos);
  EXPECT_THAT(store->consumers(), ElementsAre("billing", "shipping", *name, "partner"));
}

TEST(ApiKeyStoreTest, DoesNotDependOnTheTextItWasBuiltFrom) {
  std::string text = "ops:k-ops-secret\n";
  auto store = ApiKeyStore::parse(text);
  ASSERT_TRUE(store);
  // Overwrite the source: a store holding views into it would now miss.
  std::fill(text.begin(), text.end(), 'x');
  EXPECT_EQ(store->lookup("k-ops-secret"), "ops");
}

TEST(ApiKeyStoreTest, SkipsCommentsAndBlankLines) {
  auto store = ApiKeyStore::parse("# only comments\n\n   \n\t# indented comment\r\n");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->size(), 0u);
  EXPECT_FALSE(store->lookup("# only comments"));
}

TEST(ApiKeyStoreTest, AcceptsWindowsLineEndings) {
  auto store = ApiKeyStore::parse("a:key-a\r\nb:key-b\r\n");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->lookup("key-a"), "a");
  EXPECT_EQ(store->lookup("key-b"), "b");
}

TEST(ApiKeyStoreTest, RefusesADuplicateKeyNamingBothLines) {
  auto store = ApiKeyStore::parse("a:same-key\n# comment\nb: same-key\n");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().cls(), ErrorClass::kInvalid);
  EXPECT_EQ(store.error().message(), "api keys line 3: duplicate key (first on line 1)");
  EXPECT_EQ(store.error().message().find("same-key"), std::string::npos);
}

TEST(ApiKeyStoreTest, RefusesADuplicateBareKey) {
  auto store = ApiKeyStore::parse("bare-key\nbare-key\n");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message(), "api keys line 2: duplicate key (first on line 1)");
}

TEST(ApiKeyStoreTest, AllowsSeveralKeysForOneConsumer) {
  auto store = ApiKeyStore::parse("ops:old-key\nops:new-key\n");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->lookup("old-key"), "ops");
  EXPECT_EQ(store->lookup("new-key"), "ops");
}

TEST(ApiKeyStoreTest, RefusesEmptyNamesAndKeys) {
  auto no_name = ApiKeyStore::parse("ok:key-1\n:key-2\n");
  ASSERT_FALSE(no_name);
  EXPECT_EQ(no_name.error().message(), "api keys line 2: empty consumer name");
  auto no_key = ApiKeyStore::parse("ops:\n");
  ASSERT_FALSE(no_key);
  EXPECT_EQ(no_key.error().message(), "api keys line 1: empty key");
}

}  // namespace
}  // namespace junction::auth
