#pragma once

// The fixture of the spec loader tests: parse a spec against TestCatalog
// and read back the diagnostics.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "spec/spec.h"
#include "unit/spec/test_catalog.h"

namespace junction::spec::testing {

class SpecTest : public ::testing::Test {
 protected:
  std::optional<Spec> parse(const std::string& text, const std::string& file = "spec.yaml") {
    diags_ = Diagnostics();
    auto spec = parse_spec(text, file, catalog_, diags_);
    // The contract: a spec iff no error.
    EXPECT_EQ(spec.has_value(), diags_.ok());
    return spec;
  }

  // Parses a spec that must fail; the diagnostics, one per line.
  std::string errors(const std::string& text, const std::string& file = "spec.yaml") {
    EXPECT_FALSE(parse(text, file));
    return diags_.format();
  }

  // A spec with apiVersion on line 1 and one flow "f" from line 3, whose
  // body starts at line 4 (indented by 4).
  static std::string flow(const std::string& body) {
    return "apiVersion: junction/v1\nflows:\n  f:\n" + body;
  }

  TestCatalog catalog_;
  Diagnostics diags_;
};

class SpecEnvTest : public SpecTest {
 protected:
  void SetUp() override {
    ::setenv("JUNCTION_TEST_PATH", "from-env.jsonl", 1);
    ::setenv("JUNCTION_TEST_SECRET", "hunter2-secret", 1);
    ::unsetenv("JUNCTION_TEST_UNSET");
    dir_ = std::filesystem::temp_directory_path() /
           ("junction_spec_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "token") << "t0ken-from-file\n";
  }
  void TearDown() override {
    ::unsetenv("JUNCTION_TEST_PATH");
    ::unsetenv("JUNCTION_TEST_SECRET");
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
};

}  // namespace junction::spec::testing
