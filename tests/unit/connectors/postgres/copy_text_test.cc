#include "connectors/postgres/copy_text.h"

#include <gtest/gtest.h>

#include <vector>

namespace junction::connectors::postgres {
namespace {

std::string field(const Param& value) {
  std::string out;
  append_copy_field(value, out);
  return out;
}

// Reads one field of COPY text back as the server does (PostgreSQL manual,
// COPY, "Text Format"), for the round trip below.
Param parse_field(std::string_view text) {
  if (text == "\\N") return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    EXPECT_LT(i + 1, text.size()) << "a lone backslash ends the field";
    if (i + 1 >= text.size()) break;
    switch (text[++i]) {
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case '\\':
        out.push_back('\\');
        break;
      default:
        ADD_FAILURE() << "unexpected escape \\" << text[i];
    }
  }
  return out;
}

TEST(CopyText, PlainValuesGoThroughAsTheyAre) {
  EXPECT_EQ(field("o-1"), "o-1");
  EXPECT_EQ(field("12.5"), "12.5");
  EXPECT_EQ(field(R"({"a": [1, "x"]})"), R"({"a": [1, "x"]})");
  EXPECT_EQ(field("zoë ✓ 日本"), "zoë ✓ 日本");
  EXPECT_EQ(field(""), "");  // the empty string, not NULL
}

TEST(CopyText, NullIsBackslashN) {
  EXPECT_EQ(field(std::nullopt), "\\N");
  // The text "\N" is not NULL: its backslash is escaped.
  EXPECT_EQ(field("\\N"), "\\\\N");
}

TEST(CopyText, SeparatorsAndBackslashesAreEscaped) {
  EXPECT_EQ(field("a\tb"), "a\\tb");
  EXPECT_EQ(field("line1\nline2"), "line1\\nline2");
  EXPECT_EQ(field("cr\r\n"), "cr\\r\\n");
  EXPECT_EQ(field("C:\\dir\\"), "C:\\\\dir\\\\");
  EXPECT_EQ(field("\\."), "\\\\.");  // never the end-of-data marker
  EXPECT_EQ(field("\t\t"), "\\t\\t");
  // JSON keeps its own escapes; COPY escapes their backslashes once more.
  EXPECT_EQ(field(R"({"s": "a\"b\\n"})"), R"({"s": "a\\"b\\\\n"})");
}

TEST(CopyText, EscapedFieldsHoldNoRawSeparator) {
  const std::vector<std::string> hostile = {"\t",    "\n",  "\r",  "\\",       "\\\t\n\r\\",
                                            "a\\tb", "\\N", "\\.", "x\n\\.\ny"};
  for (const auto& v : hostile) {
    const std::string f = field(v);
    EXPECT_EQ(f.find_first_of("\t\n\r"), std::string::npos) << f;
    EXPECT_EQ(parse_field(f), Param(v)) << f;
  }
}

TEST(CopyText, RowsAreTabSeparatedLines) {
  const std::vector<Param> values = {"1", "a\tb", std::nullopt, "2", "", "x\ny"};
  EXPECT_EQ(copy_text(values, 3, false), "1\ta\\tb\t\\N\n2\t\tx\\ny\n");
}

TEST(CopyText, OrdinalsNumberTheRowsInAnExtraField) {
  const std::vector<Param> values = {"k", "v1", "k", "v2", "j", std::nullopt};
  EXPECT_EQ(copy_text(values, 2, true), "k\tv1\t0\nk\tv2\t1\nj\t\\N\t2\n");
}

TEST(CopyText, NoRowsIsNoData) {
  EXPECT_EQ(copy_text({}, 2, false), "");
  EXPECT_EQ(copy_text({}, 2, true), "");
}

}  // namespace
}  // namespace junction::connectors::postgres
