#include "core/units.h"

#include <gtest/gtest.h>

namespace junction {
namespace {

using namespace std::chrono_literals;

TEST(UnitsTest, Durations) {
  EXPECT_EQ(parse_duration("250ms"), Duration(250ms));
  EXPECT_EQ(parse_duration("5m"), Duration(5min));
  EXPECT_EQ(parse_duration("1h30m"), Duration(90min));
  EXPECT_EQ(parse_duration("1.5s"), Duration(1500ms));
  EXPECT_EQ(parse_duration("0"), Duration::zero());
  EXPECT_EQ(parse_duration("2d"), Duration(48h));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("5x"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("ms"));
}

TEST(UnitsTest, Sizes) {
  EXPECT_EQ(parse_size("64KiB"), 65536u);
  EXPECT_EQ(parse_size("10MB"), 10'000'000u);
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("1GiB"), 1073741824u);
  EXPECT_FALSE(parse_size("1XB"));
  EXPECT_FALSE(parse_size("KiB"));
}

TEST(UnitsTest, Rates) {
  auto r = parse_rate("1000/min");
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->per_second, 1000.0 / 60, 1e-9);
  EXPECT_EQ(r->burst, 1000u);
  r = parse_rate("50/s burst 100");
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->per_second, 50);
  EXPECT_EQ(r->burst, 100u);
  EXPECT_FALSE(parse_rate("50"));
  EXPECT_FALSE(parse_rate("50/fortnight"));
  EXPECT_FALSE(parse_rate("50/s burst"));
  // Counts that do not fit a uint64_t burst are refused, not truncated.
  EXPECT_FALSE(parse_rate("100000000000000000000000/s"));
  EXPECT_FALSE(parse_rate("5/s burst 100000000000000000000000"));
}

TEST(UnitsTest, FormatDuration) {
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(5min), "5m");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(90s), "90s");
}

}  // namespace
}  // namespace junction
