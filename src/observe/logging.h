#pragma once

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::observe {

struct LogOptions {
  std::string level = "info";   // trace | debug | info | warn | error | off
  std::string format = "text";  // text | json
};

// Case-insensitive; anything else is Error::invalid naming the allowed values.
Result<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Makes a thread-safe stderr logger named "junction" spdlog's default logger,
// with the requested level and format. Call it at startup, before other
// threads log: spdlog does not allow swapping the default logger while it is
// in use.
Status setup_logging(const LogOptions& options);
// Same, writing to `sink` instead of stderr (tests capture output this way).
Status setup_logging(const LogOptions& options, spdlog::sink_ptr sink);

// One JSON object per line, UTC timestamps with milliseconds:
// {"ts":"2026-11-26T05:28:19.123Z","level":"info","logger":"junction","msg":"..."}
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// "2026-11-26 05:28:19.123 info  message", UTC.
class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace junction::observe
