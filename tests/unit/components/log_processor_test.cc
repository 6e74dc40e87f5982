#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

#include "components/processors/log/log.h"
#include "flow/registry.h"
#include "processor_fixture.h"
#include "spec/node.h"
#include "spec/schema.h"

namespace junction::components {
namespace {

class LogProcessorTest : public fixture::ProcessorTest {
 protected:
  LogProcessorTest() : ProcessorTest("log", register_log_processor) {}

  void SetUp() override {
    ctx_.flow = "orders";
    ctx_.step = "pipeline[1].log";
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_);
    sink->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  // Runs one message through `p`; returns the log output.
  std::string run(flow::Processor& p, Message msg) {
    MessageBatch out;
    EXPECT_TRUE(p.process(msg, out).ok());
    EXPECT_EQ(out.size(), 1u);
    return lines_.str();
  }

  static Message message(std::string payload) {
    Message m;
    m.payload = Buffer(std::move(payload));
    return m;
  }

  std::ostringstream lines_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(LogProcessorTest, LogsAndPassesTheMessageUnchanged) {
  auto p = build_ok("{message: 'after map'}");
  ASSERT_TRUE(p);
  bool settled = false;
  Message m = message(R"({"a":1})");
  m.key = "k7";
  m.ack = Ack([&](Status s) { settled = s.ok(); });
  MessageBatch out;
  ASSERT_TRUE(p->process(m, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.str(), R"({"a":1})");
  EXPECT_EQ(out[0].key, "k7");
  EXPECT_FALSE(settled);
  out[0].ack.ok();
  EXPECT_TRUE(settled);
  EXPECT_EQ(lines_.str(), "info flow orders pipeline[1].log: after map key=k7 payload={\"a\":1}\n");
}

TEST_F(LogProcessorTest, LevelIsHonoured) {
  auto warn = build_ok("{level: warn}");
  ASSERT_TRUE(warn);
  EXPECT_EQ(run(*warn, message("x")).rfind("warning ", 0), 0u) << lines_.str();
  lines_.str("");
  auto debug = build_ok("{level: debug}");
  ASSERT_TRUE(debug);
  EXPECT_EQ(run(*debug, message("x")), "");  // below the logger's level
}

TEST_F(LogProcessorTest, LongPayloadIsCut) {
  auto p = build_ok("{max_bytes: 4}");
  ASSERT_TRUE(p);
  std::string text = run(*p, message("0123456789"));
  EXPECT_NE(text.find("payload=0123…(10 bytes)"), std::string::npos) << text;
}

TEST_F(LogProcessorTest, CutKeepsUtf8CharactersWhole) {
  auto p = build_ok("{max_bytes: 2}");
  ASSERT_TRUE(p);
  std::string text = run(*p, message("aé"));  // 'é' is 2 bytes: it would be split
  EXPECT_NE(text.find("payload=a…(3 bytes)"), std::string::npos) << text;
}

TEST_F(LogProcessorTest, ZeroMaxBytesOmitsThePayload) {
  auto p = build_ok("{max_bytes: 0}");
  ASSERT_TRUE(p);
  std::string text = run(*p, message("secret payload"));
  EXPECT_EQ(text.find("payload"), std::string::npos) << text;
}

TEST_F(LogProcessorTest, ControlCharactersAreEscaped) {
  auto p = build_ok("{}");
  ASSERT_TRUE(p);
  std::string text = run(*p, message("a\nfake entry\r\x01"));
  EXPECT_NE(text.find("payload=a\\nfake entry\\r\\x01"), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), text.size() - 1);
}

TEST_F(LogProcessorTest, HeadersAreLoggedOnlyWhenAsked) {
  Message with = message("x");
  with.headers.set("content-type", "application/json");
  auto quiet = build_ok("{}");
  ASSERT_TRUE(quiet);
  EXPECT_EQ(run(*quiet, std::move(with)).find("content-type"), std::string::npos);
}

TEST_F(LogProcessorTest, CredentialHeadersAreRedacted) {
  auto p = build_ok("{headers: true}");
  ASSERT_TRUE(p);
  Message m = message("x");
  m.headers.set("Content-Type", "application/json");
  m.headers.set("Authorization", "Bearer abc");
  m.headers.set("Proxy-Authorization", "Basic xyz");
  m.headers.set("X-Api-Key", "k-123");
  m.headers.set("x-refresh-token", "r-456");
  m.headers.set("X-Client-Secret", "s-789");
  m.headers.set("db_PASSWORD", "p-000");
  m.headers.set("Cookie", "session=c-111");
  std::string text = run(*p, std::move(m));
  EXPECT_NE(text.find("Content-Type=application/json"), std::string::npos) << text;
  for (const char* value : {"abc", "xyz", "k-123", "r-456", "s-789", "p-000", "c-111"}) {
    EXPECT_EQ(text.find(value), std::string::npos) << value << " leaked: " << text;
  }
  EXPECT_NE(text.find("Authorization=<redacted>"), std::string::npos) << text;
  EXPECT_NE(text.find("X-Api-Key=<redacted>"), std::string::npos) << text;
  EXPECT_NE(text.find("Cookie=<redacted>"), std::string::npos) << text;
}

TEST_F(LogProcessorTest, RejectsBadConfig) {
  auto level = build("{level: loud}");
  ASSERT_FALSE(level.ok());
  EXPECT_NE(level.error().message().find("loud"), std::string::npos) << level.error().message();
  auto size = build("{max_bytes: much}");
  ASSERT_FALSE(size.ok());
  auto flag = build("{headers: maybe}");
  ASSERT_FALSE(flag.ok());
}

}  // namespace
}  // namespace junction::components
