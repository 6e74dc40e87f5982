#include "connectors/amqp/properties.h"

#include <gtest/gtest.h>

#include <string>

namespace junction::connectors::amqp {
namespace {

amqp_bytes_t b(const char* s) {
  return amqp_cstring_bytes(s);
}

TEST(AmqpProperties, IncomingPropertiesBecomeHeadersIdAndTimestamp) {
  amqp_table_entry_t entries[4];
  entries[0].key = b("tenant");
  entries[0].value.kind = AMQP_FIELD_KIND_UTF8;
  entries[0].value.value.bytes = b("acme");
  entries[1].key = b("attempt");
  entries[1].value.kind = AMQP_FIELD_KIND_I32;
  entries[1].value.value.i32 = -3;
  entries[2].key = b("urgent");
  entries[2].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  entries[2].value.value.boolean = 1;
  entries[3].key = b("nested");
  entries[3].value.kind = AMQP_FIELD_KIND_TABLE;
  entries[3].value.value.table = amqp_empty_table;

  amqp_basic_properties_t p{};
  p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
             AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_CORRELATION_ID_FLAG;
  p.content_type = b("application/json");
  p.message_id = b("m-1");
  p.correlation_id = b("c-9");
  p.timestamp = 1700000000;
  p.headers = {4, entries};

  Message m;
  apply_properties(p, m);
  add_delivery_headers("orders", "orders.eu", true, m);
  EXPECT_EQ(m.id, "m-1");
  EXPECT_EQ(m.timestamp_ms, 1700000000000);
  EXPECT_EQ(m.headers.get("content-type"), "application/json");
  EXPECT_EQ(m.headers.get("correlation-id"), "c-9");
  EXPECT_EQ(m.headers.get("tenant"), "acme");
  EXPECT_EQ(m.headers.get("attempt"), "-3");
  EXPECT_EQ(m.headers.get("urgent"), "true");
  EXPECT_FALSE(m.headers.get("nested"));
  EXPECT_FALSE(m.headers.get("reply-to"));
  EXPECT_EQ(m.headers.get(kRoutingKeyHeader), "orders.eu");
  EXPECT_EQ(m.headers.get(kExchangeHeader), "orders");
  EXPECT_EQ(m.headers.get(kRedeliveredHeader), "true");
}

TEST(AmqpProperties, UnsetPropertiesLeaveTheMessageAlone) {
  amqp_basic_properties_t p{};
  Message m;
  m.id = "kept";
  apply_properties(p, m);
  add_delivery_headers("", "q", false, m);
  EXPECT_EQ(m.id, "kept");
  EXPECT_EQ(m.timestamp_ms, 0);
  EXPECT_FALSE(m.headers.get(kRedeliveredHeader));
}

std::string str(amqp_bytes_t v) {
  return std::string(static_cast<const char*>(v.bytes), v.len);
}

TEST(AmqpProperties, OutgoingCarriesIdTimestampModeAndHeaders) {
  Message m;
  m.id = "m-2";
  m.timestamp_ms = 1700000000123;
  m.headers.set("tenant", "acme");
  m.headers.set(kRoutingKeyHeader, "from.an.input");  // not forwarded
  OutgoingProperties out(m, "application/json", true);
  const amqp_basic_properties_t& p = out.get();
  EXPECT_EQ(p.delivery_mode, 2);
  EXPECT_EQ(str(p.message_id), "m-2");
  EXPECT_EQ(str(p.content_type), "application/json");
  EXPECT_EQ(p.timestamp, 1700000000u);
  ASSERT_TRUE(p._flags & AMQP_BASIC_HEADERS_FLAG);
  ASSERT_EQ(p.headers.num_entries, 1);
  EXPECT_EQ(str(p.headers.entries[0].key), "tenant");
  EXPECT_EQ(str(p.headers.entries[0].value.value.bytes), "acme");
}

TEST(AmqpProperties, OutgoingPrefersTheMessagesContentTypeAndMintsAnId) {
  Message m;
  m.headers.set("Content-Type", "text/plain");
  OutgoingProperties out(m, "application/json", false);
  const amqp_basic_properties_t& p = out.get();
  EXPECT_EQ(p.delivery_mode, 1);
  EXPECT_EQ(str(p.content_type), "text/plain");
  EXPECT_FALSE(out.message_id().empty());
  EXPECT_FALSE(p._flags & AMQP_BASIC_HEADERS_FLAG);
  EXPECT_FALSE(p._flags & AMQP_BASIC_TIMESTAMP_FLAG);
}

}  // namespace
}  // namespace junction::connectors::amqp
