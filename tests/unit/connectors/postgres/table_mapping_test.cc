#include "connectors/postgres/table_mapping.h"

#include <gtest/gtest.h>

namespace junction::connectors::postgres {
namespace {

using Columns = std::vector<std::pair<std::string, std::string>>;

TableMapping mapping(const Columns& columns, std::string_view mode = "insert",
                     std::vector<std::string> conflict = {}) {
  auto m = TableMapping::make("public.orders", columns, mode, conflict);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message());
  return std::move(*m);
}

Message message(std::string payload) {
  Message m;
  m.payload = Buffer(std::move(payload));
  m.key = "k-1";
  m.id = "01J0000000000000000000000";
  m.timestamp_ms = 1'700'000'000'123;
  return m;
}

TEST(TableMapping, InsertListsColumnsAndNumbersParametersRowByRow) {
  auto m = mapping({{"id", "id"}, {"total", "total"}});
  EXPECT_EQ(m.insert_sql(2),
            "INSERT INTO \"public\".\"orders\" (\"id\", \"total\") VALUES ($1, $2), ($3, $4)");
}

TEST(TableMapping, UpsertUpdatesEveryColumnButTheConflictTarget) {
  auto m = mapping({{"id", "id"}, {"name", "name"}, {"total", "total"}}, "upsert", {"id"});
  EXPECT_EQ(m.insert_sql(1),
            "INSERT INTO \"public\".\"orders\" (\"id\", \"name\", \"total\") VALUES ($1, $2, $3) "
            "ON CONFLICT (\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\", \"total\" = "
            "EXCLUDED.\"total\"");
}

TEST(TableMapping, UpsertOfOnlyKeyColumnsDoesNothingOnConflict) {
  auto m = mapping({{"id", "id"}}, "upsert", {"id"});
  EXPECT_EQ(
      m.insert_sql(1),
      "INSERT INTO \"public\".\"orders\" (\"id\") VALUES ($1) ON CONFLICT (\"id\") DO NOTHING");
}

TEST(TableMapping, IdentifiersAreQuotedLiterally) {
  EXPECT_EQ(quote_identifier("we\"ird Name"), "\"we\"\"ird Name\"");
  EXPECT_EQ(quote_table("orders"), "\"orders\"");
  EXPECT_EQ(quote_table("sales.Orders"), "\"sales\".\"Orders\"");
}

TEST(TableMapping, RowsPerStatementStayUnderTheParameterLimit) {
  auto m = mapping({{"a", "a"}, {"b", "b"}, {"c", "c"}});
  EXPECT_EQ(m.max_rows_per_statement(), 65535u / 3);
  EXPECT_LE(m.max_rows_per_statement() * 3, 65535u);
}

TEST(TableMapping, RejectsBadConfiguration) {
  EXPECT_FALSE(TableMapping::make("", {{"a", "a"}}, "insert", {}).ok());
  EXPECT_FALSE(TableMapping::make("a..b", {{"a", "a"}}, "insert", {}).ok());
  EXPECT_FALSE(TableMapping::make("t", {}, "insert", {}).ok());
  EXPECT_FALSE(TableMapping::make("t", {{"a", "$nope"}}, "insert", {}).ok());
  EXPECT_FALSE(TableMapping::make("t", {{"a", "x..y"}}, "insert", {}).ok());
  EXPECT_FALSE(TableMapping::make("t", {{"a", "a"}}, "merge", {}).ok());
  EXPECT_FALSE(TableMapping::make("t", {{"a", "a"}}, "upsert", {}).ok());
  EXPECT_FALSE(TableMapping::make("t", {{"a", "a"}}, "upsert", {"b"}).ok());
  EXPECT_FALSE(TableMapping::make("t", {{"a", "a"}}, "insert", {"a"}).ok());
  auto e = TableMapping::make("t", {{"a", "a"}}, "upsert", {"b"});
  EXPECT_NE(e.error().message().find("'b'"), std::string::npos);
  EXPECT_EQ(e.error().cls(), ErrorClass::kInvalid);
}

TEST(TableMapping, ValuesComeFromDottedPathsAsText) {
  auto m = mapping({{"id", "id"},
                    {"name", "customer.name"},
                    {"vip", "customer.vip"},
                    {"total", "total"},
                    {"tags", "tags"},
                    {"note", "note"},
                    {"missing", "customer.address.city"}});
  std::vector<Param> params;
  ASSERT_TRUE(m.append_row(message(R"({"id": "o-1", "customer": {"name": "Ada", "vip": true},
                                       "total": 12.5, "tags": ["a", 1], "note": null})"),
                           params)
                  .ok());
  ASSERT_EQ(params.size(), 7u);
  EXPECT_EQ(params[0], "o-1");
  EXPECT_EQ(params[1], "Ada");
  EXPECT_EQ(params[2], "true");
  EXPECT_EQ(params[3], "12.5");
  EXPECT_EQ(params[4], R"(["a",1])");
  EXPECT_EQ(params[5], std::nullopt);  // JSON null is SQL NULL
  EXPECT_EQ(params[6], std::nullopt);  // so is a missing field
}

TEST(TableMapping, SpecialSourcesReadTheMessage) {
  auto m = mapping({{"k", "$key"},
                    {"i", "$id"},
                    {"t", "$timestamp"},
                    {"ms", "$timestamp_ms"},
                    {"doc", "$payload"}});
  std::vector<Param> params;
  ASSERT_TRUE(m.append_row(message("not even json"), params).ok());
  ASSERT_EQ(params.size(), 5u);
  EXPECT_EQ(params[0], "k-1");
  EXPECT_EQ(params[1], "01J0000000000000000000000");
  EXPECT_EQ(params[2], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(params[3], "1700000000123");
  EXPECT_EQ(params[4], "not even json");
}

TEST(TableMapping, APayloadThatIsNotAnObjectIsInvalidAndAddsNothing) {
  auto m = mapping({{"id", "id"}});
  std::vector<Param> params;
  Status s = m.append_row(message("[1, 2]"), params);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
  EXPECT_TRUE(params.empty());
  EXPECT_FALSE(m.append_row(message("{oops"), params).ok());
  EXPECT_TRUE(params.empty());
}

TEST(TableMapping, AValueWithANulByteIsInvalidAndAddsNothing) {
  auto m = mapping({{"id", "id"}, {"name", "customer.name"}});
  std::vector<Param> params;
  Status s = m.append_row(message(R"({"id": "o-1", "customer": {"name": "a\u0000b"}})"), params);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(s.error().message().find("customer.name"), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("NUL"), std::string::npos) << s.error().message();
  EXPECT_TRUE(params.empty());

  auto raw = mapping({{"doc", "$payload"}});
  EXPECT_FALSE(raw.append_row(message(std::string("bin\0ary", 7)), params).ok());
  EXPECT_TRUE(params.empty());
  // In JSON text the escape is six characters, no NUL: json/jsonb columns
  // get the document as it is (jsonb then refuses \u0000 itself).
  ASSERT_TRUE(raw.append_row(message(R"({"s": "a\u0000b"})"), params).ok());
  EXPECT_EQ(params[0], R"({"s": "a\u0000b"})");
}

TEST(TableMapping, CopyInsertListsTheColumns) {
  auto m = mapping({{"id", "id"}, {"total", "total"}});
  EXPECT_EQ(m.copy_sql(), "COPY \"public\".\"orders\" (\"id\", \"total\") FROM STDIN");
}

TEST(TableMapping, CopyUpsertStagesThenInsertsTheLastRowOfEachKey) {
  auto m = mapping({{"id", "id"}, {"name", "name"}}, "upsert", {"id"});
  EXPECT_EQ(m.stage_sql(),
            "CREATE TEMP TABLE pg_temp.junction_upsert_stage ON COMMIT DELETE ROWS AS SELECT "
            "\"id\", \"name\", 0::bigint AS \"junction_ordinal\" FROM \"public\".\"orders\" WITH "
            "NO DATA");
  EXPECT_EQ(
      m.copy_sql(),
      "COPY pg_temp.junction_upsert_stage (\"id\", \"name\", \"junction_ordinal\") FROM STDIN; "
      "INSERT INTO \"public\".\"orders\" (\"id\", \"name\") SELECT \"id\", \"name\" FROM "
      "(SELECT DISTINCT ON (\"id\", CASE WHEN \"id\" IS NULL THEN \"junction_ordinal\" END) * "
      "FROM pg_temp.junction_upsert_stage ORDER BY \"id\", CASE WHEN \"id\" IS NULL THEN "
      "\"junction_ordinal\" END, \"junction_ordinal\" DESC) last ORDER BY \"junction_ordinal\" "
      "ON CONFLICT (\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\"");
}

TEST(TableMapping, CopyUpsertOrdinalAvoidsTheMappedColumnNames) {
  auto m = mapping({{"junction_ordinal", "a"}, {"k", "k"}}, "upsert", {"k", "junction_ordinal"});
  EXPECT_NE(m.stage_sql().find("0::bigint AS \"junction_ordinal_\""), std::string::npos)
      << m.stage_sql();
  EXPECT_NE(m.copy_sql().find("CASE WHEN \"k\" IS NULL OR \"junction_ordinal\" IS NULL THEN "
                              "\"junction_ordinal_\" END"),
            std::string::npos)
      << m.copy_sql();
}

TEST(TableMapping, TimestampsBeforeTheEpochFormatCorrectly) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace junction::connectors::postgres
