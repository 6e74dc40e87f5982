#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "spec/node.h"

namespace junction::spec {
namespace {

class InterpolateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("junction_interpolate_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "secrets");
    ::setenv("JUNCTION_TEST_USER", "alice", 1);
    ::setenv("JUNCTION_TEST_EMPTY", "", 1);
    ::unsetenv("JUNCTION_TEST_UNSET");
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    ::unsetenv("JUNCTION_TEST_USER");
    ::unsetenv("JUNCTION_TEST_EMPTY");
  }

  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }

  // Interpolates `value` written at "v: " on line 1 of a spec in dir_.
  std::optional<std::string> run(const std::string& value) {
    auto root = Node::parse("v: " + value + "\n", spec_file(), diags_);
    if (!root) return std::nullopt;
    return interpolate(root->get("v"), diags_);
  }

  std::string spec_file() const { return (dir_ / "spec.yaml").string(); }

  std::filesystem::path dir_;
  Diagnostics diags_;
};

TEST_F(InterpolateTest, PlainTextIsUnchanged) {
  EXPECT_EQ(run("hello $ world $x {y}"), "hello $ world $x {y}");
  EXPECT_TRUE(diags_.ok());
}

TEST_F(InterpolateTest, EnvironmentVariables) {
  EXPECT_EQ(run("'user=${JUNCTION_TEST_USER}, again ${JUNCTION_TEST_USER}'"),
            "user=alice, again alice");
  EXPECT_EQ(run("'[${JUNCTION_TEST_EMPTY}]'"), "[]");
  EXPECT_TRUE(diags_.ok()) << diags_.format();
}

TEST_F(InterpolateTest, MissingVariableNamesItAndNoValue) {
  EXPECT_FALSE(run("'${JUNCTION_TEST_USER}:${JUNCTION_TEST_UNSET}'"));
  EXPECT_EQ(diags_.format(),
            spec_file() +
                ":1:4: error: environment variable 'JUNCTION_TEST_UNSET' is not "
                "set; set it, give a default with ${JUNCTION_TEST_UNSET:-value}, or "
                "write $${ for a literal ${\n");
  EXPECT_EQ(diags_.format().find("alice"), std::string::npos);
}

TEST_F(InterpolateTest, DefaultsApplyWhenUnsetOrEmpty) {
  EXPECT_EQ(run("'${JUNCTION_TEST_UNSET:-localhost}:${JUNCTION_TEST_EMPTY:-5432}'"),
            "localhost:5432");
  EXPECT_EQ(run("'${JUNCTION_TEST_USER:-bob}'"), "alice");
  EXPECT_EQ(run("'[${JUNCTION_TEST_UNSET:-}]'"), "[]");
  EXPECT_TRUE(diags_.ok()) << diags_.format();
}

TEST_F(InterpolateTest, ReportsEveryMissingVariable) {
  EXPECT_FALSE(run("'${JUNCTION_TEST_UNSET}${JUNCTION_TEST_UNSET2}'"));
  EXPECT_EQ(diags_.size(), 2u);
}

TEST_F(InterpolateTest, DoubleDollarIsALiteral) {
  EXPECT_EQ(run("'cost: $${JUNCTION_TEST_USER} and $$ stays'"),
            "cost: ${JUNCTION_TEST_USER} and $$ stays");
  EXPECT_TRUE(diags_.ok());
}

TEST_F(InterpolateTest, UnterminatedIsAnError) {
  EXPECT_FALSE(run("'${JUNCTION_TEST_USER'"));
  EXPECT_EQ(diags_.format(), spec_file() +
                                 ":1:4: error: unterminated ${ in a value; close it with }, or "
                                 "write $${ for a literal ${\n");
}

TEST_F(InterpolateTest, InvalidNameIsAnError) {
  EXPECT_FALSE(run("'${not a name}'"));
  EXPECT_EQ(diags_.format(), spec_file() +
                                 ":1:4: error: invalid variable name 'not a name' in ${not a "
                                 "name}; write ${NAME} or ${NAME:-default} for an environment "
                                 "variable or ${file:PATH} for a file\n");
}

TEST_F(InterpolateTest, FileRelativeToTheSpecWithOneNewlineTrimmed) {
  write("secrets/token", "t0ken\n\n");
  write("crlf", "k3y\r\n");
  EXPECT_EQ(run("${file:secrets/token}"), "t0ken\n");
  EXPECT_EQ(run("${file:crlf}"), "k3y");
  EXPECT_TRUE(diags_.ok()) << diags_.format();
}

TEST_F(InterpolateTest, AbsoluteFilePath) {
  write("abs", "value");
  EXPECT_EQ(run("'${file:" + (dir_ / "abs").string() + "}'"), "value");
  EXPECT_TRUE(diags_.ok()) << diags_.format();
}

TEST_F(InterpolateTest, EmptyFileIsAnEmptyValue) {
  write("empty", "");
  EXPECT_EQ(run("'[${file:empty}]'"), "[]");
  EXPECT_TRUE(diags_.ok()) << diags_.format();
}

TEST_F(InterpolateTest, MissingFileNamesIt) {
  EXPECT_FALSE(run("${file:secrets/missing}"));
  EXPECT_EQ(diags_.format(), spec_file() +
                                 ":1:4: error: cannot read 'secrets/missing' for "
                                 "${file:secrets/missing}; paths are relative to the spec's "
                                 "directory\n");
}

TEST_F(InterpolateTest, DirectoryIsNotAFile) {
  EXPECT_FALSE(run("${file:secrets}"));
  EXPECT_EQ(diags_.format(), spec_file() +
                                 ":1:4: error: cannot read 'secrets' for ${file:secrets}; it is "
                                 "a directory\n");
}

TEST_F(InterpolateTest, EmptyFilePathIsAnError) {
  EXPECT_FALSE(run("'${file:}'"));
  EXPECT_EQ(diags_.format(), spec_file() +
                                 ":1:4: error: empty path in ${file:}; write "
                                 "${file:path/to/secret}\n");
}

TEST_F(InterpolateTest, OnlyScalars) {
  auto root = Node::parse("v: [1]\n", spec_file(), diags_);
  ASSERT_TRUE(root);
  EXPECT_FALSE(interpolate(root->get("v"), diags_));
  EXPECT_EQ(diags_.format(), spec_file() + ":1:4: error: expected a scalar, got a sequence\n");
}

}  // namespace
}  // namespace junction::spec
