#include "connectors/redis/lookup.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "connectors/redis/lookup_cache.h"

namespace junction::connectors::redis {
namespace {

using Clock = LookupCache::Clock;

TEST(RedisLookupTest, StringRepliesAreJsonWhenTheyAreJson) {
  auto json = lookup_value(LookupKind::kGet, Reply::string(R"({"name":"Ada"})"));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(**json, R"({"name":"Ada"})");
  auto text = lookup_value(LookupKind::kHget, Reply::string("gold"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(**text, R"("gold")");
  auto missing = lookup_value(LookupKind::kGet, Reply{});
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
}

TEST(RedisLookupTest, HgetallIsAnObjectOfStrings) {
  auto obj =
      lookup_value(LookupKind::kHgetall, Reply::array({Reply::string("tier"), Reply::string("gold"),
                                                       Reply::string("n"), Reply::string("1")}));
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(boost::json::parse(**obj), boost::json::parse(R"({"tier":"gold","n":"1"})"));
  auto empty = lookup_value(LookupKind::kHgetall, Reply::array({}));
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(*empty);  // HGETALL of a missing key
}

TEST(RedisLookupTest, ErrorRepliesKeepTheirClass) {
  Reply wrongtype{Reply::Type::kError, "WRONGTYPE Operation against a key", 0, {}};
  EXPECT_EQ(lookup_value(LookupKind::kGet, wrongtype).error().cls(), ErrorClass::kInvalid);
}

TEST(RedisLookupTest, MergesIntoTheJsonObjectPayload) {
  Message m;
  m.payload = Buffer(std::string(R"({"id":1})"));
  ASSERT_TRUE(merge_into(m, "customer", std::string(R"({"name":"Ada"})")).ok());
  EXPECT_EQ(boost::json::parse(m.payload.view()),
            boost::json::parse(R"({"id":1,"customer":{"name":"Ada"}})"));
  ASSERT_TRUE(merge_into(m, "customer", std::nullopt).ok());
  EXPECT_EQ(boost::json::parse(m.payload.view()),
            boost::json::parse(R"({"id":1,"customer":null})"));

  Message list;
  list.payload = Buffer(std::string("[1]"));
  EXPECT_EQ(merge_into(list, "x", std::nullopt).error().cls(), ErrorClass::kInvalid);
}

TEST(RedisLookupCacheTest, KeepsValuesAndMissesForTheTtl) {
  LookupCache cache(std::chrono::seconds(10), 100);
  const auto t0 = Clock::now();
  cache.put("a", std::string("1"), t0);
  cache.put("gone", std::nullopt, t0);
  ASSERT_NE(cache.find("a", t0 + std::chrono::seconds(9)), nullptr);
  EXPECT_EQ(**cache.find("a", t0), "1");
  const auto* miss = cache.find("gone", t0);
  ASSERT_NE(miss, nullptr);
  EXPECT_FALSE(*miss);
  EXPECT_EQ(cache.find("a", t0 + std::chrono::seconds(10)), nullptr);  // expired
  EXPECT_EQ(cache.find("b", t0), nullptr);
}

TEST(RedisLookupCacheTest, EvictsTheLeastRecentlyUsedWhenFull) {
  LookupCache cache(std::chrono::seconds(10), 2);
  const auto t0 = Clock::now();
  cache.put("a", std::string("1"), t0);
  cache.put("b", std::string("2"), t0);
  ASSERT_NE(cache.find("a", t0), nullptr);  // a is now the most recent
  cache.put("c", std::string("3"), t0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find("b", t0), nullptr);
  EXPECT_NE(cache.find("a", t0), nullptr);
  EXPECT_NE(cache.find("c", t0), nullptr);
}

TEST(RedisLookupCacheTest, AZeroTtlCachesNothing) {
  LookupCache cache(Duration::zero(), 100);
  EXPECT_FALSE(cache.enabled());
  cache.put("a", std::string("1"), Clock::now());
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace junction::connectors::redis
