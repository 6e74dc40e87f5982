#include "core/units.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace junction {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Reads a non-negative decimal number (digits with an optional fraction).
std::optional<double> take_number(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + i, v);
  if (ec != std::errc() || p != s.data() + i) return std::nullopt;
  s.remove_prefix(i);
  return v;
}

std::string_view take_unit(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  auto u = s.substr(0, i);
  s.remove_prefix(i);
  return u;
}

std::optional<double> duration_unit_ns(std::string_view u) {
  if (u == "ns") return 1.0;
  if (u == "us" || u == "µs") return 1e3;
  if (u == "ms") return 1e6;
  if (u == "s") return 1e9;
  if (u == "m") return 60e9;
  if (u == "h") return 3600e9;
  if (u == "d") return 86400e9;
  return std::nullopt;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  std::string_view s = trim(text);
  if (s == "0") return Duration::zero();
  if (s.empty()) return std::nullopt;
  double total_ns = 0;
  while (!s.empty()) {
    auto n = take_number(s);
    if (!n) return std::nullopt;
    auto unit = duration_unit_ns(take_unit(s));
    if (!unit) return std::nullopt;
    total_ns += *n * *unit;
  }
  if (total_ns > 9.2e18) return std::nullopt;
  return Duration(static_cast<int64_t>(std::llround(total_ns)));
}

std::optional<uint64_t> parse_size(std::string_view text) {
  std::string_view s = trim(text);
  auto n = take_number(s);
  if (!n) return std::nullopt;
  s = trim(s);
  double mult = 1;
  if (s.empty() || s == "B") {
    mult = 1;
  } else if (s == "KiB") {
    mult = 1024.0;
  } else if (s == "MiB") {
    mult = 1024.0 * 1024;
  } else if (s == "GiB") {
    mult = 1024.0 * 1024 * 1024;
  } else if (s == "KB" || s == "kB") {
    mult = 1e3;
  } else if (s == "MB") {
    mult = 1e6;
  } else if (s == "GB") {
    mult = 1e9;
  } else {
    return std::nullopt;
  }
  double v = *n * mult;
  if (v > 1.8e19) return std::nullopt;
  return static_cast<uint64_t>(std::llround(v));
}

std::optional<Rate> parse_rate(std::string_view text) {
  constexpr double kMaxCount = 1.8e19;
  std::string_view s = trim(text);
  auto n = take_number(s);
  if (!n) return std::nullopt;
  s = trim(s);
  if (s.empty() || s.front() != '/') return std::nullopt;
  s.remove_prefix(1);
  s = trim(s);
  std::string_view unit = take_unit(s);
  double period_s = 0;
  if (unit == "s" || unit == "sec" || unit == "second") {
    period_s = 1;
  } else if (unit == "m" || unit == "min" || unit == "minute") {
    period_s = 60;
  } else if (unit == "h" || unit == "hour") {
    period_s = 3600;
  } else if (unit == "d" || unit == "day") {
    period_s = 86400;
  } else {
    return std::nullopt;
  }
  // Counts become uint64_t bursts; converting a double beyond its range is UB.
  if (*n > kMaxCount) return std::nullopt;
  Rate r;
  r.per_second = *n / period_s;
  r.burst = static_cast<uint64_t>(*n);
  s = trim(s);
  if (!s.empty()) {
    if (take_unit(s) != "burst") return std::nullopt;
    s = trim(s);
    auto b = take_number(s);
    if (!b || *b > kMaxCount || !trim(s).empty()) return std::nullopt;
    r.burst = static_cast<uint64_t>(*b);
  }
  return r;
}

std::string format_duration(Duration d) {
  auto ns = d.count();
  if (ns % 3'600'000'000'000 == 0 && ns != 0) return std::to_string(ns / 3'600'000'000'000) + "h";
  if (ns % 60'000'000'000 == 0 && ns != 0) return std::to_string(ns / 60'000'000'000) + "m";
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

}  // namespace junction
