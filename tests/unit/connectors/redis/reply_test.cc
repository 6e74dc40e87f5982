#include "connectors/redis/reply.h"

#include <gtest/gtest.h>

namespace junction::connectors::redis {
namespace {

TEST(RedisReplyTest, ErrorCodesDecideTheClass) {
  EXPECT_EQ(classify_error_reply("WRONGTYPE Operation against a key holding the wrong kind").cls(),
            ErrorClass::kInvalid);
  EXPECT_EQ(classify_error_reply("ERR syntax error").cls(), ErrorClass::kInvalid);
  EXPECT_EQ(classify_error_reply("NOGROUP No such key").cls(), ErrorClass::kInvalid);
  EXPECT_EQ(classify_error_reply("LOADING Redis is loading the dataset in memory").cls(),
            ErrorClass::kTransient);
  EXPECT_EQ(classify_error_reply("READONLY You can't write against a read only replica.").cls(),
            ErrorClass::kTransient);
  EXPECT_EQ(classify_error_reply("BUSY Redis is busy running a script").cls(),
            ErrorClass::kTransient);
  EXPECT_EQ(classify_error_reply("OOM command not allowed when used memory > 'maxmemory'").cls(),
            ErrorClass::kOverloaded);
  EXPECT_EQ(classify_error_reply("WRONGPASS invalid username-password pair").cls(),
            ErrorClass::kUnauthorized);
  EXPECT_EQ(classify_error_reply("NOAUTH Authentication required.").cls(),
            ErrorClass::kUnauthorized);
  EXPECT_EQ(classify_error_reply("NOPERM this user has no permissions").cls(),
            ErrorClass::kForbidden);
}

TEST(RedisReplyTest, TheMessageKeepsTheServersWords) {
  Error e = classify_error_reply("WRONGTYPE Operation against a key");
  EXPECT_EQ(e.message(), "redis: WRONGTYPE Operation against a key");
  // A code is a whole word: LOADINGX is not LOADING.
  EXPECT_EQ(classify_error_reply("LOADINGX what").cls(), ErrorClass::kInvalid);
}

TEST(RedisReplyTest, TransportFailuresAreTransient) {
  EXPECT_TRUE(transport_error("connection refused").retryable());
}

}  // namespace
}  // namespace junction::connectors::redis
