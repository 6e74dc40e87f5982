#include <gtest/gtest.h>

#include "connectors/nats/connection.h"
#include "connectors/nats/headers.h"
#include "connectors/nats/pull.h"
#include "connectors/nats/settler.h"

namespace junction::connectors::nats {
namespace {

TEST(NatsSettle, OkIsAcked) {
  EXPECT_EQ(decide(ok_status(), 1, 5), Settlement::kAck);
}

TEST(NatsSettle, TransientIsNakedUntilTheLastDelivery) {
  const Status failed = Error::transient("timeout");
  EXPECT_EQ(decide(failed, 1, 5), Settlement::kNak);
  EXPECT_EQ(decide(failed, 4, 5), Settlement::kNak);
  // The server would not redeliver after the fifth: terminate (dead letter).
  EXPECT_EQ(decide(failed, 5, 5), Settlement::kTerm);
  EXPECT_EQ(decide(failed, 1000, -1), Settlement::kNak);
  EXPECT_EQ(decide(Error::overloaded("full"), 1, 5), Settlement::kNak);
}

TEST(NatsSettle, PermanentAndInvalidAreTerminatedAtOnce) {
  EXPECT_EQ(decide(Error::invalid("bad json"), 1, 5), Settlement::kTerm);
  EXPECT_EQ(decide(Error::permanent("no"), 1, -1), Settlement::kTerm);
}

TEST(NatsStatus, Classification) {
  EXPECT_TRUE(status_error(NATS_TIMEOUT, static_cast<jsErrCode>(0), "x").retryable());
  EXPECT_TRUE(status_error(NATS_NO_RESPONDERS, static_cast<jsErrCode>(0), "x").retryable());
  EXPECT_TRUE(status_error(NATS_CONNECTION_CLOSED, static_cast<jsErrCode>(0), "x").retryable());
  EXPECT_EQ(status_error(NATS_ERR, JSStreamNotFoundErr, "x").cls(), ErrorClass::kInvalid);
  EXPECT_EQ(status_error(NATS_MAX_PAYLOAD, static_cast<jsErrCode>(0), "x").cls(),
            ErrorClass::kInvalid);
  EXPECT_EQ(status_error(NATS_ERR, JSStreamStoreFailedErr, "x").cls(), ErrorClass::kPermanent);
}

// natsMsg_Destroy needs the library initialised (a connection does it).
class NatsHeaders : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(nats_Open(-1), NATS_OK); }
};

TEST_F(NatsHeaders, RoundTripWithoutJetStreamInstructions) {
  Headers in;
  in.add("trace", "t1");
  in.add("tag", "a");
  in.add("tag", "b");
  in.add("Nats-Expected-Stream", "OTHER");  // must not reach the new stream
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsMsg_Create(&msg, "s", nullptr, "x", 1), NATS_OK);
  ASSERT_TRUE(write_headers(in, msg));
  Headers out;
  read_headers(msg, out);
  natsMsg_Destroy(msg);
  EXPECT_EQ(out.get("trace"), "t1");
  EXPECT_FALSE(out.get("Nats-Expected-Stream"));
  size_t tags = 0;
  for (const auto& [k, v] : out) tags += k == "tag" ? 1 : 0;
  EXPECT_EQ(tags, 2u);
}

TEST_F(NatsHeaders, RejectsWhatWouldBreakTheWireFormat) {
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsMsg_Create(&msg, "s", nullptr, "x", 1), NATS_OK);
  Headers bad_value;
  bad_value.add("a", "line\r\nbreak");
  EXPECT_EQ(write_headers(bad_value, msg).error().cls(), ErrorClass::kInvalid);
  Headers bad_name;
  bad_name.add("a:b", "v");
  EXPECT_FALSE(write_headers(bad_name, msg));
  natsMsg_Destroy(msg);
}

}  // namespace
}  // namespace junction::connectors::nats

namespace junction::connectors::nats {
namespace {

TEST(NatsAckSubject, ParsesBothForms) {
  auto v1 = parse_ack_subject("$JS.ACK.ORDERS.billing.3.1042.17.1764150000123456789.5");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->stream, "ORDERS");
  EXPECT_EQ(v1->consumer, "billing");
  EXPECT_EQ(v1->delivered, 3u);
  EXPECT_EQ(v1->stream_seq, 1042u);
  EXPECT_EQ(v1->timestamp_ns, 1764150000123456789);
  auto v2 = parse_ack_subject("$JS.ACK.hub.ACCHASH.ORDERS.billing.1.7.7.1764150000000000000.0.xyz");
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->stream, "ORDERS");
  EXPECT_EQ(v2->delivered, 1u);
  EXPECT_EQ(v2->stream_seq, 7u);
}

TEST(NatsAckSubject, RejectsOtherSubjects) {
  EXPECT_FALSE(parse_ack_subject(""));
  EXPECT_FALSE(parse_ack_subject("_INBOX.abc"));
  EXPECT_FALSE(parse_ack_subject("$JS.ACK.S.c.x.1.1.1.0"));  // not a number
  EXPECT_FALSE(parse_ack_subject("$JS.ACK.S.c.1.1.1.1"));    // too short
}

}  // namespace
}  // namespace junction::connectors::nats
