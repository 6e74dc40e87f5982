#include "connectors/kafka/client_config.h"

#include <gtest/gtest.h>

#include "connectors/kafka/record_mapping.h"
#include "connectors/kafka/settings.h"
#include "spec/diagnostics.h"

namespace junction::connectors::kafka {
namespace {

spec::Node yaml(const std::string& text) {
  spec::Diagnostics diags;
  auto node = spec::Node::parse(text, "test.yaml", diags);
  EXPECT_TRUE(node.has_value());
  return *node;
}

TEST(KafkaOptions, PassesLibrdkafkaPropertiesThrough) {
  auto props = read_options(yaml("{security.protocol: SASL_SSL, sasl.mechanisms: PLAIN}"));
  ASSERT_TRUE(props.ok());
  EXPECT_EQ(props->at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(props->at("sasl.mechanisms"), "PLAIN");
  EXPECT_TRUE(read_options(yaml("~"))->empty());
}

TEST(KafkaOptions, RejectsWhatTheGuaranteeRestsOn) {
  for (const char* name : {"enable.auto.commit", "enable.idempotence", "acks", "group.id",
                           "bootstrap.servers", "enable.auto.offset.store"}) {
    auto props = read_options(yaml(std::string("{") + name + ": x}"));
    ASSERT_FALSE(props.ok()) << name;
    EXPECT_EQ(props.error().cls(), ErrorClass::kInvalid);
  }
  EXPECT_FALSE(read_options(yaml("[a, b]")).ok());
  EXPECT_FALSE(read_options(yaml("{ssl: {key: x}}")).ok());
}

TEST(KafkaOptions, UnknownPropertyIsInvalid) {
  auto conf = make_conf({{"no.such.property", "1"}});
  ASSERT_FALSE(conf.ok());
  EXPECT_EQ(conf.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(conf.error().message().find("no.such.property"), std::string::npos);
}

TEST(KafkaOptions, ErrorsNeverQuoteAValue) {
  // librdkafka quotes a rejected value in its message; a password must not leak.
  auto conf = make_conf({{"security.protocol", "hunter2-secret"}});
  ASSERT_FALSE(conf.ok());
  EXPECT_EQ(conf.error().message().find("hunter2-secret"), std::string::npos)
      << conf.error().message();
  EXPECT_NE(conf.error().message().find("security.protocol"), std::string::npos);
}

TEST(KafkaErrors, ClassifiedForTheFlow) {
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE), ErrorClass::kInvalid);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR_INVALID_RECORD), ErrorClass::kInvalid);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT), ErrorClass::kTransient);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__TRANSPORT), ErrorClass::kTransient);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION), ErrorClass::kTransient);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__QUEUE_FULL), ErrorClass::kOverloaded);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED), ErrorClass::kForbidden);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__FATAL), ErrorClass::kTransient);  // producer replaced
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION), ErrorClass::kPermanent);
  EXPECT_TRUE(is_connection_error(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN));
  EXPECT_FALSE(is_connection_error(RD_KAFKA_RESP_ERR__TRANSPORT));  // one broker: routine
}

TEST(KafkaBrokers, HostPortList) {
  EXPECT_TRUE(check_brokers("k1:9092").ok());
  EXPECT_TRUE(check_brokers("k1:9092,10.0.0.2:9093").ok());
  EXPECT_TRUE(check_brokers("[::1]:9092").ok());
  EXPECT_FALSE(check_brokers("").ok());
  EXPECT_FALSE(check_brokers("k1").ok());
  EXPECT_FALSE(check_brokers("k1:9092,").ok());
  EXPECT_FALSE(check_brokers(":9092").ok());
}

TEST(KafkaHeaders, SourceHeadersAreNotWrittenBack) {
  Headers h;
  h.add("trace", "t1");
  h.add(kTopicHeader, "orders");
  h.add(kPartitionHeader, "3");
  h.add("X-Junction-Kafka-Offset", "42");
  h.add("trace", "t2");
  rd_kafka_headers_t* out = to_kafka_headers(h);
  ASSERT_EQ(rd_kafka_header_cnt(out), 2u);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  ASSERT_EQ(rd_kafka_header_get_all(out, 0, &name, &value, &size), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_STREQ(name, "trace");
  EXPECT_EQ(std::string(static_cast<const char*>(value), size), "t1");
  ASSERT_EQ(rd_kafka_header_get_all(out, 1, &name, &value, &size), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(std::string(static_cast<const char*>(value), size), "t2");
  rd_kafka_headers_destroy(out);
}

}  // namespace
}  // namespace junction::connectors::kafka
