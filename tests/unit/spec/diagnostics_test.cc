#include "spec/diagnostics.h"

#include <gtest/gtest.h>

namespace junction::spec {
namespace {

TEST(LocationTest, FileLineColumn) {
  EXPECT_EQ((Location{"spec.yaml", 12, 5}).to_string(), "spec.yaml:12:5");
  EXPECT_EQ((Location{"spec.yaml", 0, 0}).to_string(), "spec.yaml");
}

TEST(DiagnosticTest, MessageAndHint) {
  Diagnostic d{{"spec.yaml", 3, 7}, "unknown field 'retires'", "did you mean 'retries'?"};
  EXPECT_EQ(d.to_string(),
            "spec.yaml:3:7: error: unknown field 'retires'; did you mean 'retries'?");
  d.hint.clear();
  EXPECT_EQ(d.to_string(), "spec.yaml:3:7: error: unknown field 'retires'");
}

TEST(DiagnosticsTest, CollectsAndFormatsOnePerLine) {
  Diagnostics diags;
  EXPECT_TRUE(diags.ok());
  diags.error({"a.yaml", 1, 1}, "first");
  diags.error({"a.yaml", 2, 3}, "second", "hint");
  EXPECT_FALSE(diags.ok());
  EXPECT_EQ(diags.size(), 2u);
  EXPECT_EQ(diags.format(), "a.yaml:1:1: error: first\na.yaml:2:3: error: second; hint\n");
}

TEST(NearestTest, AcceptsCloseTyposOnly) {
  const std::vector<std::string> words = {"retries", "timeout", "path"};
  EXPECT_EQ(nearest("retires", words), "retries");  // a swap of two letters is one edit
  EXPECT_EQ(nearest("retris", words), "retries");
  EXPECT_EQ(nearest("rtrs", words), "");  // three edits in four letters
  EXPECT_EQ(nearest("timeot", words), "timeout");
  EXPECT_EQ(nearest("pth", words), "path");  // short words still allow one edit
  EXPECT_EQ(nearest("pt", words), "");
  EXPECT_EQ(nearest("banana", words), "");
  EXPECT_EQ(nearest("path", words), "path");
  EXPECT_EQ(nearest("x", {}), "");
}

TEST(NearestTest, LongerWordsAllowMoreEdits) {
  EXPECT_EQ(nearest("max_inflight", {"max_in_flight"}), "max_in_flight");
  EXPECT_EQ(nearest("mx_in_flgt", {"max_in_flight"}), "max_in_flight");  // three edits
  EXPECT_EQ(nearest("mx_n_flgt", {"max_in_flight"}), "");                // four
}

TEST(NearestTest, PrefersTheClosestCandidate) {
  EXPECT_EQ(nearest("fiel", {"filter", "file"}), "file");
}

TEST(SuggestTest, DidYouMeanOrTheList) {
  const std::vector<std::string> words = {"lines", "json"};
  EXPECT_EQ(suggest("jsn", words), "did you mean 'json'?");
  EXPECT_EQ(suggest("xml", words), "expected one of: lines, json");
  EXPECT_EQ(suggest("xml", {}), "");
}

}  // namespace
}  // namespace junction::spec
