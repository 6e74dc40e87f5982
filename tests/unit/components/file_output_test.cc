#include <gtest/gtest.h>

#include <ctime>

#include "components/outputs/file/file.h"
#include "components/outputs/file/file_sink.h"
#include "components/outputs/file/path_template.h"
#include "unit/components/file_io_harness.h"

namespace junction::components {
namespace {

using test::read_file;

MessageBatch batch_of(std::initializer_list<std::string> payloads) {
  MessageBatch out;
  for (const auto& p : payloads) {
    Message m;
    m.payload = Buffer(p);
    out.push_back(std::move(m));
  }
  return out;
}

class FileOutputTest : public ::testing::Test {
 protected:
  void SetUp() override { register_file_output(registry_); }

  std::unique_ptr<flow::Output> open(const std::string& yaml) {
    auto out = h_.build<flow::Output>(registry_, spec::ComponentKind::kOutput, "file", yaml);
    EXPECT_TRUE(out.ok()) << out.error().message();
    if (!out.ok()) return nullptr;
    Status s = h_.await((*out)->open());
    EXPECT_TRUE(s.ok()) << s.error().message();
    return std::move(out).value();
  }

  flow::WriteResult write(flow::Output& out, const MessageBatch& batch) {
    return h_.await(out.write(std::span<const Message>(batch)));
  }

  test::TempDir dir_;
  test::IoHarness h_;
  flow::ComponentRegistry registry_;
};

TEST_F(FileOutputTest, AppendsPayloadsAsLinesExactly) {
  auto p = dir_ / "deep" / "er" / "out.jsonl";
  auto out = open("{path: '" + p.string() + "'}");
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::filesystem::exists(p));  // parents made, file opened at open()
  auto r = write(*out, batch_of({"{\"a\":1}", "", "bytes\r\twith\x01 controls"}));
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.written, 3u);
  r = write(*out, batch_of({"next"}));
  EXPECT_EQ(r.written, 1u);
  h_.await(out->close());
  EXPECT_EQ(read_file(p), "{\"a\":1}\n\nbytes\r\twith\x01 controls\nnext\n");
}

TEST_F(FileOutputTest, AppendsToAnExistingFile) {
  auto p = dir_ / "out.txt";
  test::write_file(p, "before\n");
  auto out = open("{path: '" + p.string() + "', fsync: false}");
  ASSERT_TRUE(out);
  EXPECT_EQ(write(*out, batch_of({"after"})).written, 1u);
  h_.await(out->close());
  EXPECT_EQ(read_file(p), "before\nafter\n");
}

TEST_F(FileOutputTest, RotatesKeepingTheNewest) {
  auto p = dir_ / "out.log";
  auto out = open("{path: '" + p.string() + "', max_size: 10, keep: 2}");
  ASSERT_TRUE(out);
  // 6 bytes each: every second batch would pass 10 bytes, so it rotates first.
  for (const char* line : {"aaaaa", "bbbbb", "ccccc", "ddddd"}) {
    ASSERT_EQ(write(*out, batch_of({line})).written, 1u);
  }
  EXPECT_EQ(read_file(p), "ddddd\n");
  EXPECT_EQ(read_file(dir_ / "out.log.1"), "ccccc\n");
  EXPECT_EQ(read_file(dir_ / "out.log.2"), "bbbbb\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out.log.3"));  // "aaaaa" dropped
  // A batch bigger than max_size still goes into one (fresh) file.
  ASSERT_EQ(write(*out, batch_of({"0123456789", "x"})).written, 2u);
  EXPECT_EQ(read_file(p), "0123456789\nx\n");
  EXPECT_EQ(read_file(dir_ / "out.log.1"), "ddddd\n");
  h_.await(out->close());
}

TEST_F(FileOutputTest, DatePlaceholderIsTheUtcDate) {
  auto out = open("{path: '" + (dir_ / "{{date}}" / "out-{{date}}.txt").string() + "'}");
  ASSERT_TRUE(out);
  ASSERT_EQ(write(*out, batch_of({"today"})).written, 1u);
  h_.await(out->close());
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
  auto p = dir_ / date / (std::string("out-") + date + ".txt");
  // Around midnight UTC the write may land on the next day's file.
  if (std::filesystem::exists(p)) {
    EXPECT_EQ(read_file(p), "today\n");
  }
}

TEST(PathTemplateTest, RendersDateAndRejectsOtherPlaceholders) {
  auto t = PathTemplate::parse("/x/{{date}}/a-{{date}}.log");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->has_date());
  EXPECT_EQ(t->render(1700000000000), "/x/2023-11-14/a-2023-11-14.log");
  EXPECT_EQ(PathTemplate::parse("/plain.log")->render(0), "/plain.log");
  EXPECT_FALSE(PathTemplate::parse("/x/{{hour}}.log").ok());
  EXPECT_FALSE(PathTemplate::parse("/x/{{date").ok());
}

TEST_F(FileOutputTest, FactoryRejectsBadConfigAndTouchesNothing) {
  h_.ctx.blocking = nullptr;
  auto p = dir_ / "sub" / "out.txt";
  auto ok = h_.build<flow::Output>(registry_, spec::ComponentKind::kOutput, "file",
                                   "{path: '" + p.string() + "'}");
  EXPECT_TRUE(ok.ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "sub"));
  auto bad = h_.build<flow::Output>(registry_, spec::ComponentKind::kOutput, "file",
                                    "{path: '/tmp/{{nope}}.txt'}");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("{{nope}}"), std::string::npos);
  auto keep = h_.build<flow::Output>(registry_, spec::ComponentKind::kOutput, "file",
                                     "{path: x.txt, keep: 0}");
  EXPECT_FALSE(keep.ok());
}

TEST_F(FileOutputTest, WriteErrorsAreClassified) {
  EXPECT_EQ(file_error("write", "/x", ENOSPC).cls(), ErrorClass::kOverloaded);
  EXPECT_EQ(file_error("write", "/x", EDQUOT).cls(), ErrorClass::kOverloaded);
  EXPECT_EQ(file_error("write", "/x", EIO).cls(), ErrorClass::kTransient);
  // A path that cannot be a file: the open fails and the batch is not written.
  test::write_file(dir_ / "blocker", "");
  FileSink sink({});
  Status s = sink.append((dir_ / "blocker" / "out.txt").string(), "x\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().cls(), ErrorClass::kTransient);
}

}  // namespace
}  // namespace junction::components
