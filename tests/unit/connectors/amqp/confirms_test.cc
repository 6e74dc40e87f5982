#include "connectors/amqp/confirms.h"

#include <gtest/gtest.h>

#include "connectors/amqp/session.h"
#include "connectors/amqp/settle.h"

namespace junction::connectors::amqp {
namespace {

TEST(ConfirmTracker, WrittenOnceEveryPublishIsAcked) {
  ConfirmTracker t(5, {"a", "b", "c"});
  EXPECT_FALSE(t.complete());
  t.acked(5, false);
  t.acked(7, false);
  EXPECT_FALSE(t.complete());
  auto partial = t.result();
  EXPECT_EQ(partial.written, 1u);  // b is not confirmed yet
  EXPECT_EQ(partial.status.error().cls(), ErrorClass::kTransient);
  t.acked(6, false);
  EXPECT_TRUE(t.complete());
  auto r = t.result();
  EXPECT_EQ(r.written, 3u);
  EXPECT_TRUE(r.status.ok());
}

TEST(ConfirmTracker, MultipleAckSettlesEveryTagUpToIt) {
  ConfirmTracker t(1, {"a", "b", "c", "d"});
  t.acked(3, true);
  EXPECT_FALSE(t.complete());
  t.acked(4, true);
  EXPECT_TRUE(t.complete());
  EXPECT_EQ(t.result().written, 4u);
}

TEST(ConfirmTracker, TagsOfAnEarlierBatchAreIgnored) {
  ConfirmTracker t(10, {"a", "b"});
  t.acked(9, true);  // a late confirm of a batch that timed out
  t.nacked(3, false);
  t.acked(12, false);  // beyond the batch
  EXPECT_FALSE(t.complete());
  t.acked(11, true);
  EXPECT_EQ(t.result().written, 2u);
}

TEST(ConfirmTracker, NackIsTransientFromThatPublishOn) {
  ConfirmTracker t(1, {"a", "b", "c"});
  t.acked(1, false);
  t.nacked(2, false);
  t.acked(3, false);
  ASSERT_TRUE(t.complete());
  auto r = t.result();
  EXPECT_EQ(r.written, 1u);
  EXPECT_EQ(r.status.error().cls(), ErrorClass::kTransient);
  EXPECT_NE(r.status.error().message().find("nacked"), std::string::npos);
}

TEST(ConfirmTracker, ReturnedPublishIsInvalidEvenThoughAcked) {
  ConfirmTracker t(1, {"a", "b", "b"});
  t.returned("b", "312 NO_ROUTE");
  t.acked(3, true);
  auto r = t.result();
  EXPECT_EQ(r.written, 1u);
  EXPECT_EQ(r.status.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(r.status.error().message().find("NO_ROUTE"), std::string::npos);
}

TEST(ConfirmTracker, ReturnOfAnUnknownIdChangesNothing) {
  ConfirmTracker t(1, {"a"});
  t.returned("zzz", "312 NO_ROUTE");
  t.acked(1, false);
  EXPECT_TRUE(t.result().status.ok());
}

TEST(ConfirmTracker, LostChannelFailsTheUnconfirmedWithItsReason) {
  ConfirmTracker t(1, {"a", "b"});
  t.acked(1, false);
  auto r = t.result(Error::permanent("404 NOT_FOUND - no exchange 'x'"));
  EXPECT_EQ(r.written, 1u);
  EXPECT_EQ(r.status.error().cls(), ErrorClass::kPermanent);
}

TEST(AmqpSettle, OkAcksTransientRequeuesTheRestDeadLetters) {
  EXPECT_EQ(settle_for(ok_status()), Settle::kAck);
  EXPECT_EQ(settle_for(Error::transient("timeout")), Settle::kRequeue);
  EXPECT_EQ(settle_for(Error::overloaded("429")), Settle::kRequeue);
  EXPECT_EQ(settle_for(Error::invalid("bad json")), Settle::kDeadLetter);
  EXPECT_EQ(settle_for(Error::permanent("script")), Settle::kDeadLetter);
  EXPECT_EQ(settle_for(Error::forbidden("403")), Settle::kDeadLetter);
}

TEST(AmqpReplyCode, ClassifiesBrokerRefusals) {
  EXPECT_EQ(reply_code_class(320), ErrorClass::kTransient);  // broker shutting down
  EXPECT_EQ(reply_code_class(403), ErrorClass::kUnauthorized);
  EXPECT_EQ(reply_code_class(404), ErrorClass::kPermanent);
  EXPECT_EQ(reply_code_class(406), ErrorClass::kPermanent);
  EXPECT_EQ(reply_code_class(541), ErrorClass::kTransient);
}

}  // namespace
}  // namespace junction::connectors::amqp
