#include "observe/logging.h"

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <iterator>

#include "observe/json_escape.h"

namespace junction::observe {
namespace {

constexpr std::string_view kAllowedLevels = "trace, debug, info, warn, error, off";

// spdlog's own names say "warning" and "critical"; short names keep text
// columns aligned and match what the configuration accepts.
std::string_view level_name(spdlog::level::level_enum lvl) {
  switch (lvl) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

void append_time(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point tp, char date_time_sep,
                 std::string_view zone) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(tp);
  auto day = floor<days>(ms);
  year_month_day ymd{day};
  hh_mm_ss hms{ms - day};
  fmt::format_to(std::back_inserter(dest), "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}.{:03}{}",
                 static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day()), date_time_sep, hms.hours().count(),
                 hms.minutes().count(), hms.seconds().count(), hms.subseconds().count(), zone);
}

std::string_view view(spdlog::string_view_t s) {
  return {s.data(), s.size()};
}

}  // namespace

Result<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "trace") return spdlog::level::trace;
  if (lower == "debug") return spdlog::level::debug;
  if (lower == "info") return spdlog::level::info;
  if (lower == "warn") return spdlog::level::warn;
  if (lower == "error") return spdlog::level::err;
  if (lower == "off") return spdlog::level::off;
  return Error::invalid(fmt::format("unknown log level '{}' (allowed: {})", name, kAllowedLevels));
}

void JsonFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  append(dest, R"({"ts":")");
  append_time(dest, msg.time, 'T', "Z");
  append(dest, R"(","level":")");
  append(dest, level_name(msg.level));
  append(dest, R"(","logger":")");
  detail::append_json_escaped(dest, view(msg.logger_name));
  append(dest, R"(","msg":")");
  detail::append_json_escaped(dest, view(msg.payload));
  append(dest, "\"}\n");
}

std::unique_ptr<spdlog::formatter> JsonFormatter::clone() const {
  return std::make_unique<JsonFormatter>();
}

void TextFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  append_time(dest, msg.time, ' ', "");
  fmt::format_to(std::back_inserter(dest), " {:<5} ", level_name(msg.level));
  append(dest, view(msg.payload));
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> TextFormatter::clone() const {
  return std::make_unique<TextFormatter>();
}

Status setup_logging(const LogOptions& options) {
  try {
    return setup_logging(options, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  } catch (const std::exception& e) {
    return Error::permanent(fmt::format("cannot set up logging: {}", e.what()));
  }
}

Status setup_logging(const LogOptions& options, spdlog::sink_ptr sink) {
  auto level = parse_log_level(options.level);
  if (!level) return level.error();
  std::unique_ptr<spdlog::formatter> formatter;
  if (options.format == "json") {
    formatter = std::make_unique<JsonFormatter>();
  } else if (options.format == "text") {
    formatter = std::make_unique<TextFormatter>();
  } else {
    return Error::invalid(
        fmt::format("unknown log format '{}' (allowed: text, json)", options.format));
  }
  if (!sink) return Error::invalid("logging sink is null");
  try {
    auto logger = std::make_shared<spdlog::logger>("junction", std::move(sink));
    logger->set_formatter(std::move(formatter));
    logger->set_level(*level);
    spdlog::set_default_logger(std::move(logger));
    return ok_status();
  } catch (const std::exception& e) {
    return Error::permanent(fmt::format("cannot set up logging: {}", e.what()));
  }
}

}  // namespace junction::observe
