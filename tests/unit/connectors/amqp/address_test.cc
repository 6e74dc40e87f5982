#include "connectors/amqp/address.h"

#include <gtest/gtest.h>

namespace junction::connectors::amqp {
namespace {

TEST(AmqpAddress, ParsesEveryPart) {
  auto a = Address::parse("amqp://app:s3cret@broker.internal:5673/orders");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->host, "broker.internal");
  EXPECT_EQ(a->port, 5673);
  EXPECT_EQ(a->user, "app");
  EXPECT_EQ(a->password, "s3cret");
  EXPECT_EQ(a->vhost, "orders");
}

TEST(AmqpAddress, DefaultsFollowTheRabbitMqUriSpec) {
  auto a = Address::parse("amqp://localhost");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->port, 5672);
  EXPECT_EQ(a->user, "guest");
  EXPECT_EQ(a->password, "guest");
  EXPECT_EQ(a->vhost, "/");
}

TEST(AmqpAddress, DecodesPercentEscapesAndTreatsAnEmptyVhostAsTheDefault) {
  auto a = Address::parse("amqp://u%40x:p%2Fw@h/%2f");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->user, "u@x");
  EXPECT_EQ(a->password, "p/w");
  EXPECT_EQ(a->vhost, "/");
  auto b = Address::parse("amqp://h:1/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->vhost, "/");
}

TEST(AmqpAddress, RejectsWhatItCannotUse) {
  for (const char* bad : {"http://h", "amqp://h:notaport", "rabbit", "amqps://h"}) {
    auto a = Address::parse(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.error().cls(), ErrorClass::kInvalid) << bad;
  }
}

TEST(AmqpAddress, DisplayLeavesOutTheCredentials) {
  auto a = Address::parse("amqp://app:s3cret@h:5672/orders");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->display(), "h:5672/orders");
  EXPECT_EQ(Address::parse("amqp://app:s3cret@h")->display(), "h:5672");
}

}  // namespace
}  // namespace junction::connectors::amqp
