#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace junction {

using Duration = std::chrono::nanoseconds;

// "250ms", "5m", "1h30m", "2s", "100us", "0". Units: ns us ms s m h d.
std::optional<Duration> parse_duration(std::string_view text);
// "64KiB", "10MB", "512", "1GiB". Binary (KiB) and decimal (KB) units.
std::optional<uint64_t> parse_size(std::string_view text);

// "1000/min", "50/s burst 100", "10/s".
struct Rate {
  double per_second = 0;
  uint64_t burst = 0;  // 0 = same as the per-period count
};
std::optional<Rate> parse_rate(std::string_view text);

std::string format_duration(Duration d);

}  // namespace junction
