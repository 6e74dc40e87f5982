#include "connectors/redis/endpoint.h"

#include <gtest/gtest.h>

namespace junction::connectors::redis {
namespace {

TEST(RedisEndpointTest, ParsesEveryPartOfAUrl) {
  auto e = parse_url("redis://alice:s3cret@cache.internal:6380/2");
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->username, "alice");
  EXPECT_EQ(e->password, "s3cret");
  EXPECT_EQ(e->db, 2);
  EXPECT_EQ(e->display(), "cache.internal:6380/2");  // no password
}

TEST(RedisEndpointTest, LeftOutPartsKeepTheirDefaults) {
  auto e = parse_url("redis://10.0.0.5");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "10.0.0.5");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->db, 0);
  EXPECT_TRUE(e->password.empty());

  auto only_password = parse_url("redis://:pw@h:1/");
  ASSERT_TRUE(only_password.ok());
  EXPECT_EQ(only_password->password, "pw");
  EXPECT_TRUE(only_password->username.empty());
  EXPECT_EQ(only_password->port, 1);

  Endpoint base;
  base.port = 7000;
  auto kept = parse_url("redis://h", base);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->port, 7000);
}

TEST(RedisEndpointTest, APasswordMayContainAnAtSign) {
  auto e = parse_url("redis://:p@ss@h:6379");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->password, "p@ss");
  EXPECT_EQ(e->host, "h");
}

TEST(RedisEndpointTest, RejectsWhatIsNotARedisUrl) {
  EXPECT_EQ(parse_url("http://h:6379").error().cls(), ErrorClass::kInvalid);
  EXPECT_FALSE(parse_url("rediss://h:6379").ok());  // TLS: not supported
  EXPECT_FALSE(parse_url("redis://h:0").ok());
  EXPECT_FALSE(parse_url("redis://h:70000").ok());
  EXPECT_FALSE(parse_url("redis://h:63x9").ok());
  EXPECT_FALSE(parse_url("redis://h/db1").ok());
}

}  // namespace
}  // namespace junction::connectors::redis
