#include <gtest/gtest.h>

#include "unit/spec/spec_fixture.h"

namespace junction::spec {
namespace {

class AccessLogSpecTest : public testing::SpecTest {
 protected:
  std::string with(const std::string& access_log) {
    return "apiVersion: junction/v1\n"
           "gateway:\n"
           "  listen: 127.0.0.1:0\n"
           "  access_log: " +
           access_log +
           "\n"
           "  routes:\n"
           "    - path: /a\n"
           "      to: { static: { status: 200 } }\n";
  }
};

TEST_F(AccessLogSpecTest, DefaultsToTheProcessLog) {
  auto spec = parse(R"(apiVersion: junction/v1
gateway:
  listen: 127.0.0.1:0
  routes:
    - path: /a
      to: { static: { status: 200 } }
)");
  ASSERT_TRUE(spec) << diags_.format();
  EXPECT_EQ(spec->gateway->access_log.mode, AccessLogSpec::Mode::kLog);
}

TEST_F(AccessLogSpecTest, OffLogAndAFileWithItsDefaults) {
  auto off = parse(with("off"));
  ASSERT_TRUE(off) << diags_.format();
  EXPECT_EQ(off->gateway->access_log.mode, AccessLogSpec::Mode::kOff);
  auto log = parse(with("log"));
  ASSERT_TRUE(log) << diags_.format();
  EXPECT_EQ(log->gateway->access_log.mode, AccessLogSpec::Mode::kLog);
  auto file = parse(with("{ file: logs/access.log }"));
  ASSERT_TRUE(file) << diags_.format();
  const auto& a = file->gateway->access_log;
  EXPECT_EQ(a.mode, AccessLogSpec::Mode::kFile);
  EXPECT_TRUE(a.file.ends_with("logs/access.log")) << a.file;
  EXPECT_EQ(a.flush, std::chrono::seconds(1));
  EXPECT_EQ(a.max_buffer, 4u * 1024 * 1024);
  auto tuned = parse(with("{ file: /var/log/a.log, flush: 200ms, max_buffer: 1MiB }"));
  ASSERT_TRUE(tuned) << diags_.format();
  EXPECT_EQ(tuned->gateway->access_log.file, "/var/log/a.log");
  EXPECT_EQ(tuned->gateway->access_log.flush, std::chrono::milliseconds(200));
  EXPECT_EQ(tuned->gateway->access_log.max_buffer, 1024u * 1024);
}

TEST_F(AccessLogSpecTest, MistakesPointAtTheirPlace) {
  EXPECT_EQ(errors(with("stdout")),
            "spec.yaml:4:15: error: invalid access_log 'stdout'; expected log, off, or {file: "
            "access.log}\n");
  EXPECT_EQ(errors(with("[a]")),
            "spec.yaml:4:15: error: expected log, off, or a mapping like {file: access.log}, got "
            "a sequence\n");
  EXPECT_EQ(errors(with("{ flush: 1s }")),
            "spec.yaml:4:15: error: missing required field 'file'\n");
  EXPECT_EQ(errors(with("{ file: a.log, flush: 0s, max_buffer: 1KiB }")),
            "spec.yaml:4:37: error: flush must be positive\n"
            "spec.yaml:4:53: error: max_buffer must be at least 64KiB\n");
}

}  // namespace
}  // namespace junction::spec
