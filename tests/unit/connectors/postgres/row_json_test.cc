#include "connectors/postgres/row_json.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace junction::connectors::postgres {
namespace {

std::string json(Oid type, std::string_view text) {
  return boost::json::serialize(column_json(type, text));
}

TEST(RowJson, TypedColumnsBecomeJsonValues) {
  EXPECT_EQ(json(16, "t"), "true");
  EXPECT_EQ(json(16, "f"), "false");
  EXPECT_EQ(json(20, "-9007199254740993"), "-9007199254740993");
  EXPECT_EQ(json(23, "42"), "42");
  EXPECT_EQ(json(701, "1.5"), "1.5E0");
  EXPECT_EQ(json(3802, R"({"a": [1, 2]})"), R"({"a":[1,2]})");
}

TEST(RowJson, EverythingElseStaysTextSoNothingIsRounded) {
  EXPECT_EQ(json(1700, "12345678901234567890.12"), R"("12345678901234567890.12")");  // numeric
  EXPECT_EQ(json(1184, "2026-11-26 10:49:58+00"), R"("2026-11-26 10:49:58+00")");
  EXPECT_EQ(json(701, "NaN"), R"("NaN")");
  EXPECT_EQ(json(701, "Infinity"), R"("Infinity")");
}

}  // namespace
}  // namespace junction::connectors::postgres
