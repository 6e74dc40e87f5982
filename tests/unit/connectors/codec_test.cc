#include "connectors/common/codec.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "connectors/common/avro_json.h"

namespace junction::connectors {
namespace {

constexpr std::string_view kOrderSchema = R"({
  "type": "record", "name": "Order", "fields": [
    {"name": "id", "type": "string"},
    {"name": "qty", "type": "int"},
    {"name": "total", "type": "double"},
    {"name": "paid", "type": "boolean"},
    {"name": "note", "type": ["null", "string"]},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "SHIPPED"]}},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "attrs", "type": {"type": "map", "values": "long"}},
    {"name": "blob", "type": "bytes"}
  ]})";

std::shared_ptr<const AvroSchema> order_schema() {
  auto s = AvroSchema::parse(kOrderSchema);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
  return *s;
}

TEST(AvroSchema, RoundTripsJsonThroughBinary) {
  auto schema = order_schema();
  const std::string in =
      R"({"id":"o-1","qty":3,"total":9.5,"paid":true,"note":"gift","status":"SHIPPED",)"
      R"("tags":["a","b"],"attrs":{"x":7},"blob":"\u0000\u00ff"})";
  auto bin = schema->encode(in);
  ASSERT_TRUE(bin.ok()) << bin.error().message();
  EXPECT_NE(*bin, in);
  auto out = schema->decode(*bin);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(boost::json::parse(*out), boost::json::parse(in));
}

TEST(AvroSchema, MissingNullableFieldBecomesNull) {
  auto schema = order_schema();
  auto bin = schema->encode(
      R"({"id":"o","qty":1,"total":1,"paid":false,"status":"NEW","tags":[],"attrs":{},"blob":""})");
  ASSERT_TRUE(bin.ok()) << bin.error().message();
  auto out = schema->decode(*bin);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(boost::json::parse(*out).at("note").is_null());
}

TEST(AvroSchema, NamesTheFieldThatDoesNotFit) {
  auto schema = order_schema();
  auto bad = schema->encode(
      R"({"id":"o","qty":"three","total":1,"paid":false,"status":"NEW","tags":[],"attrs":{},"blob":""})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(bad.error().message().find("$.qty"), std::string::npos) << bad.error().message();

  auto missing = schema->encode(R"({"id":"o"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("$.qty: missing field"), std::string::npos)
      << missing.error().message();

  auto bad_enum = schema->encode(
      R"({"id":"o","qty":1,"total":1,"paid":false,"status":"LOST","tags":[],"attrs":{},"blob":""})");
  ASSERT_FALSE(bad_enum.ok());
  EXPECT_NE(bad_enum.error().message().find("$.status"), std::string::npos)
      << bad_enum.error().message();

  auto overflow = schema->encode(
      R"({"id":"o","qty":4294967296,"total":1,"paid":false,"status":"NEW","tags":[],"attrs":{},"blob":""})");
  ASSERT_FALSE(overflow.ok());
}

TEST(AvroSchema, RejectsTruncatedAndTrailingBytes) {
  auto schema = order_schema();
  auto bin = schema->encode(
      R"({"id":"o-1","qty":3,"total":9.5,"paid":true,"note":null,"status":"NEW","tags":["t"],"attrs":{},"blob":""})");
  ASSERT_TRUE(bin.ok());
  for (size_t cut = 0; cut < bin->size(); ++cut) {
    EXPECT_FALSE(schema->decode(std::string_view(*bin).substr(0, cut)).ok()) << "cut at " << cut;
  }
  // After all those failures (each once leaked a string in libavro), a whole
  // value still decodes.
  auto whole = schema->decode(*bin);
  ASSERT_TRUE(whole.ok()) << whole.error().message();
  auto trailing = schema->decode(*bin + "xx");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().cls(), ErrorClass::kInvalid);
}

TEST(AvroSchema, BadSchemaIsInvalid) {
  auto s = AvroSchema::parse(R"({"type": "record", "name": "X", "fields": [{"name": "a"}]})");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
}

TEST(Codec, JsonIsCheckedBothWays) {
  Codec c = Codec::json();
  EXPECT_TRUE(c.decode(R"({"a":1})").ok());
  auto bad = c.decode("{nope");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().cls(), ErrorClass::kInvalid);
  EXPECT_FALSE(c.encode("not json").ok());
}

TEST(Codec, RawPassesBytesThrough) {
  Codec c = Codec::raw();
  const std::string bytes("\x00\xff{", 3);
  auto in = c.decode(bytes);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->view(), bytes);
  auto out = c.encode(bytes);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, bytes);
}

}  // namespace
}  // namespace junction::connectors

namespace junction::connectors {
namespace {

TEST(AvroSchema, HugeClaimedLengthIsRejectedNotAllocated) {
  auto schema =
      AvroSchema::parse(R"({"type":"record","name":"R","fields":[{"name":"s","type":"string"}]})");
  ASSERT_TRUE(schema.ok());
  // zig-zag varint of 2^40: a string that claims a terabyte in a 7-byte input.
  const std::string claim("\x80\x80\x80\x80\x80\x80\x40", 7);
  EXPECT_FALSE((*schema)->decode(claim).ok());
}

}  // namespace
}  // namespace junction::connectors
