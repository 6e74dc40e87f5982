#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cstdio>

#include "components/outputs/stdout/envelope.h"
#include "components/outputs/stdout/stdout.h"
#include "unit/components/file_io_harness.h"

namespace junction::components {
namespace {

namespace json = boost::json;

// Points fd 1 at a file for the scope's lifetime.
class CapturedStdout {
 public:
  explicit CapturedStdout(const std::filesystem::path& file) {
    std::fflush(stdout);
    saved_ = ::dup(STDOUT_FILENO);
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::close(fd);
  }
  ~CapturedStdout() {
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
  }

 private:
  int saved_ = -1;
};

Message message(std::string payload) {
  Message m;
  m.payload = Buffer(std::move(payload));
  m.id = "01ID";
  m.key = "k\"1";
  m.timestamp_ms = 1700000000123;
  return m;
}

TEST(JsonEnvelopeTest, EmbedsJsonPayloadsAndGroupsHeaders) {
  Message m = message("{\n  \"a\": [1, 2]\n}");
  m.headers.add("file", "/in.txt");
  m.headers.add("X-Tag", "one");
  m.headers.add("x-tag", "two");
  std::string out;
  append_json_envelope(out, m);
  EXPECT_EQ(out.find('\n'), std::string::npos);  // one line, whatever the payload
  EXPECT_EQ(json::parse(out), json::parse(R"({
    "id": "01ID", "key": "k\"1", "timestamp_ms": 1700000000123,
    "headers": {"file": "/in.txt", "X-Tag": ["one", "two"]},
    "payload": {"a": [1, 2]}})"));
}

TEST(JsonEnvelopeTest, NonJsonPayloadIsAString) {
  std::string out;
  append_json_envelope(out, message("plain\ttext \xff"));
  auto v = json::parse(out);
  EXPECT_EQ(v.at("payload"), json::value("plain\ttext \xEF\xBF\xBD"));
  EXPECT_EQ(v.at("headers"), json::object());
}

class StdoutOutputTest : public ::testing::Test {
 protected:
  void SetUp() override { register_stdout_output(registry_); }

  std::string write_captured(const std::string& yaml, const MessageBatch& batch) {
    auto out = h_.build<flow::Output>(registry_, spec::ComponentKind::kOutput, "stdout", yaml);
    EXPECT_TRUE(out.ok()) << out.error().message();
    if (!out.ok()) return {};
    EXPECT_TRUE(h_.await((*out)->open()).ok());
    auto file = dir_ / "stdout.txt";
    {
      CapturedStdout capture(file);
      auto r = h_.await((*out)->write(std::span<const Message>(batch)));
      EXPECT_TRUE(r.status.ok());
      EXPECT_EQ(r.written, batch.size());
    }
    h_.await((*out)->close());
    return test::read_file(file);
  }

  test::TempDir dir_;
  test::IoHarness h_;
  flow::ComponentRegistry registry_;
};

TEST_F(StdoutOutputTest, LinesWritesPayloads) {
  MessageBatch batch;
  batch.push_back(message("first"));
  batch.push_back(message("{\"second\":2}"));
  EXPECT_EQ(write_captured("{}", batch), "first\n{\"second\":2}\n");
}

TEST_F(StdoutOutputTest, JsonEnvelopeWritesOneObjectPerLine) {
  MessageBatch batch;
  batch.push_back(message("[1]"));
  batch.push_back(message("x"));
  std::string text = write_captured("{format: json_envelope}", batch);
  auto nl = text.find('\n');
  ASSERT_NE(nl, std::string::npos);
  EXPECT_EQ(json::parse(text.substr(0, nl)).at("payload"), json::parse("[1]"));
  EXPECT_EQ(json::parse(text.substr(nl + 1)).at("payload"), json::value("x"));
  EXPECT_EQ(text.back(), '\n');
}

TEST_F(StdoutOutputTest, RejectsUnknownFormat) {
  auto out =
      h_.build<flow::Output>(registry_, spec::ComponentKind::kOutput, "stdout", "{format: xml}");
  EXPECT_FALSE(out.ok());
}

}  // namespace
}  // namespace junction::components
