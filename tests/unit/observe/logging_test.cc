#include "observe/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <sstream>

#include "observe/json_escape.h"

namespace junction::observe {
namespace {

namespace json = boost::json;

std::string format_with(spdlog::formatter& f, std::string_view payload,
                        spdlog::level::level_enum lvl = spdlog::level::info) {
  spdlog::details::log_msg msg(spdlog::string_view_t("junction"), lvl,
                               spdlog::string_view_t(payload.data(), payload.size()));
  // 2026-11-26T05:28:19.123Z
  msg.time = spdlog::log_clock::time_point(std::chrono::milliseconds(1795670899123));
  spdlog::memory_buf_t buf;
  f.format(msg, buf);
  return {buf.data(), buf.size()};
}

// "2026-11-26T05:28:19.123Z"; std::regex is avoided because GCC 12 warns
// inside its headers under the sanitizer build.
bool looks_like_utc_timestamp(std::string_view ts) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (ts.size() != kShape.size()) return false;
  for (size_t i = 0; i < ts.size(); ++i) {
    bool digit = ts[i] >= '0' && ts[i] <= '9';
    if (kShape[i] == 'd' ? !digit : ts[i] != kShape[i]) return false;
  }
  return true;
}

TEST(LoggingTest, ParsesLevels) {
  EXPECT_EQ(*parse_log_level("trace"), spdlog::level::trace);
  EXPECT_EQ(*parse_log_level("DEBUG"), spdlog::level::debug);
  EXPECT_EQ(*parse_log_level("info"), spdlog::level::info);
  EXPECT_EQ(*parse_log_level("warn"), spdlog::level::warn);
  EXPECT_EQ(*parse_log_level("error"), spdlog::level::err);
  EXPECT_EQ(*parse_log_level("off"), spdlog::level::off);
}

TEST(LoggingTest, RejectsBadLevelNamingAllowedValues) {
  Status s = setup_logging(LogOptions{.level = "verbose"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(s.error().message().find("verbose"), std::string::npos);
  EXPECT_NE(s.error().message().find("trace, debug, info, warn, error, off"), std::string::npos);
}

TEST(LoggingTest, RejectsBadFormat) {
  Status s = setup_logging(LogOptions{.format = "xml"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(s.error().message().find("text, json"), std::string::npos);
}

TEST(JsonFormatterTest, ExactLine) {
  JsonFormatter f;
  EXPECT_EQ(format_with(f, "hello", spdlog::level::warn),
            R"({"ts":"2026-11-26T05:28:19.123Z","level":"warn","logger":"junction","msg":"hello"})"
            "\n");
}

TEST(JsonFormatterTest, QuotesNewlinesControlAndUnicodeParse) {
  JsonFormatter f;
  const std::string payload =
      "say \"hi\"\\ now\nline2\r\t\x01 caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 end";
  std::string line = format_with(f, payload);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one object per line";
  json::value v = json::parse(line);
  EXPECT_EQ(v.at("msg").as_string(), payload);
  EXPECT_EQ(v.at("level").as_string(), "info");
  EXPECT_EQ(v.at("logger").as_string(), "junction");
  EXPECT_EQ(v.at("ts").as_string(), "2026-11-26T05:28:19.123Z");
}

TEST(JsonFormatterTest, InvalidUtf8BecomesReplacementCharacter) {
  JsonFormatter f;
  // Lone continuation, truncated sequence, overlong '/', encoded surrogate.
  std::string line = format_with(f, std::string("a\x80"
                                                "b\xC3"
                                                "c\xC0\xAF"
                                                "d\xED\xA0\x80"
                                                "e"));
  json::value v = json::parse(line);
  EXPECT_EQ(v.at("msg").as_string(),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c\xEF\xBF\xBD\xEF\xBF\xBD"
            "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "e");
}

TEST(JsonEscapeTest, ControlCharactersUseShortOrUnicodeEscapes) {
  std::string out;
  detail::append_json_escaped(out, std::string_view("\"\\\n\b\f\x1f\x7f", 7));
  EXPECT_EQ(out, "\\\"\\\\\\n\\b\\f\\u001f\x7f");
}

TEST(TextFormatterTest, ExactLine) {
  TextFormatter f;
  EXPECT_EQ(format_with(f, "message"), "2026-11-26 05:28:19.123 info  message\n");
  EXPECT_EQ(format_with(f, "m", spdlog::level::err), "2026-11-26 05:28:19.123 error m\n");
}

TEST(LoggingTest, SetupInstallsDefaultLoggerWithLevelAndFormat) {
  auto previous = spdlog::default_logger();
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  ASSERT_TRUE(setup_logging(LogOptions{.level = "warn", .format = "json"}, sink).ok());
  spdlog::info("dropped");
  spdlog::warn("kept {}", "\"quoted\"");
  spdlog::set_default_logger(previous);

  std::string text = out.str();
  EXPECT_EQ(text.find("dropped"), std::string::npos);
  json::value v = json::parse(text);
  EXPECT_EQ(v.at("msg").as_string(), "kept \"quoted\"");
  EXPECT_EQ(v.at("level").as_string(), "warn");
  EXPECT_TRUE(looks_like_utc_timestamp(v.at("ts").as_string())) << v.at("ts").as_string();
}

}  // namespace
}  // namespace junction::observe
