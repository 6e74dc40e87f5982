#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>

#include "components/common/csv.h"
#include "components/common/record_splitter.h"
#include "components/inputs/file/checkpoint.h"
#include "components/inputs/file/file.h"
#include "unit/components/file_io_harness.h"

namespace junction::components {
namespace {

using test::CollectingEmitter;
using test::read_file;
using test::write_file;
using Strings = std::vector<std::string>;

class FileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_file_input(registry_);
    h_.ctx.storage_dir = dir_ / "storage";
  }

  std::unique_ptr<flow::Input> build(const std::string& yaml) {
    auto in = h_.build<flow::Input>(registry_, spec::ComponentKind::kInput, "file", yaml);
    EXPECT_TRUE(in.ok()) << in.error().message();
    return in.ok() ? std::move(in).value() : nullptr;
  }

  // Opens a new instance, runs it and waits for `count` messages.
  std::unique_ptr<flow::Input> start(const std::string& yaml, CollectingEmitter& emitter,
                                     size_t count) {
    auto in = build(yaml);
    if (!in) return nullptr;
    Status opened = h_.await(in->open());
    EXPECT_TRUE(opened.ok()) << opened.error().message();
    running_ = test::start_run(h_.io, *in, emitter);
    EXPECT_TRUE(h_.run_until([&] { return emitter.messages.size() >= count; }))
        << "got " << emitter.messages.size() << " of " << count;
    return in;
  }

  void settle_all(CollectingEmitter& emitter) {
    for (auto& m : emitter.messages) m.ack.ok();
  }

  // Settles everything, waits for run() to end by itself, closes.
  void finish(flow::Input& in, CollectingEmitter& emitter) {
    settle_all(emitter);
    EXPECT_TRUE(h_.run_until([&] { return running_->done; }));
    EXPECT_TRUE(running_->status && running_->status->ok());
    h_.await(in.close());
  }

  // Stops a run that still has messages out, then closes.
  void stop(flow::Input& in) {
    h_.drain();
    in.stop();
    EXPECT_TRUE(h_.run_until([&] { return running_->done; }));
    h_.await(in.close());
  }

  std::string yaml_for(const std::filesystem::path& p, const std::string& extra = "") {
    return "{path: '" + p.string() + "'" + (extra.empty() ? "" : ", " + extra) + "}";
  }

  test::TempDir dir_;
  test::IoHarness h_;
  flow::ComponentRegistry registry_;
  std::shared_ptr<test::RunningInput> running_;
};

TEST_F(FileInputTest, LinesWithCrlfEmptyLinesAndUnterminatedLast) {
  auto p = dir_ / "in.txt";
  write_file(p, "alpha\nbeta\r\n\nlast");
  CollectingEmitter e;
  auto in = start(yaml_for(p), e, 4);
  ASSERT_TRUE(in);
  EXPECT_EQ(e.payloads(), (Strings{"alpha", "beta", "", "last"}));
  EXPECT_EQ(e.header(0, "file"), p.string());
  EXPECT_EQ(e.header(1, "offset"), "6");
  EXPECT_EQ(e.header(3, "offset"), "13");
  EXPECT_FALSE(e.messages[0].headers.get("attempts"));
  EXPECT_TRUE(e.messages[0].key.empty());
  EXPECT_GT(e.messages[0].timestamp_ms, 0);
  EXPECT_FALSE(running_->done);  // waits for the acks
  finish(*in, e);
}

TEST_F(FileInputTest, JsonSkipsBlankAndInvalidLines) {
  auto p = dir_ / "in.jsonl";
  write_file(p, "{\"a\":1}\n\n   \nnot json\n[1,2]\r\n\"s\"\n");
  CollectingEmitter e;
  auto in = start(yaml_for(p, "format: json"), e, 3);
  ASSERT_TRUE(in);
  h_.drain();
  EXPECT_EQ(e.payloads(), (Strings{"{\"a\":1}", "[1,2]", "\"s\""}));
  finish(*in, e);
}

TEST_F(FileInputTest, CsvRowsBecomeObjects) {
  auto p = dir_ / "in.csv";
  write_file(p,
             "name,note,n\r\n"
             "\"Smith, J\",\"said \"\"hi\"\"\",1\r\n"
             "plain,\"two\nlines\",2\r\n"
             "\r\n"
             "bad,\"x\"y,1\r\n"
             "x,,3\n");
  CollectingEmitter e;
  auto in = start(yaml_for(p, "format: csv"), e, 3);
  ASSERT_TRUE(in);
  h_.drain();
  ASSERT_EQ(e.messages.size(), 3u);
  auto row = [&](size_t i) { return boost::json::parse(e.messages[i].payload.view()); };
  EXPECT_EQ(row(0), boost::json::parse(R"({"name":"Smith, J","note":"said \"hi\"","n":"1"})"));
  EXPECT_EQ(row(1), boost::json::parse(R"({"name":"plain","note":"two\nlines","n":"2"})"));
  EXPECT_EQ(row(2), boost::json::parse(R"({"name":"x","note":"","n":"3"})"));
  finish(*in, e);
}

TEST_F(FileInputTest, DirectoryWithGlobInNameOrder) {
  auto d = dir_ / "in";
  std::filesystem::create_directories(d);
  write_file(d / "b.jsonl", "{\"f\":\"b1\"}\n{\"f\":\"b2\"}\n");
  write_file(d / "a.jsonl", "{\"f\":\"a1\"}\n");
  write_file(d / "c.txt", "{\"f\":\"c1\"}\n");
  std::filesystem::create_directories(d / "sub.jsonl");
  CollectingEmitter e;
  auto in = start(yaml_for(d, "glob: '*.jsonl', format: json, batch_size: 1"), e, 3);
  ASSERT_TRUE(in);
  h_.drain();
  EXPECT_EQ(e.payloads(), (Strings{"{\"f\":\"a1\"}", "{\"f\":\"b1\"}", "{\"f\":\"b2\"}"}));
  EXPECT_EQ(e.header(1, "file"), (d / "b.jsonl").string());
  EXPECT_EQ(e.batch_sizes, (std::vector<size_t>{1, 1, 1}));
  finish(*in, e);
}

TEST_F(FileInputTest, ResumesAfterLastFullySettledLine) {
  auto p = dir_ / "in.txt";
  write_file(p, "l0\nl1\nl2\nl3\nl4\n");
  {
    CollectingEmitter e;
    auto in = start(yaml_for(p), e, 5);
    ASSERT_TRUE(in);
    e.messages[0].ack.ok();
    e.messages[1].ack.ok();
    e.messages[3].ack.ok();  // l2 is still out: the checkpoint stops before it
    stop(*in);
    auto cp = load_checkpoints(checkpoint_file(h_.ctx.storage_dir, "test-flow", p));
    ASSERT_TRUE(cp.ok()) << cp.error().message();
    ASSERT_EQ(cp->count(p.string()), 1u);
    EXPECT_EQ(cp->at(p.string()).offset, 6u);
    EXPECT_EQ(cp->at(p.string()).size_seen, 15u);
    struct stat st {};
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    EXPECT_EQ(cp->at(p.string()).inode, static_cast<uint64_t>(st.st_ino));
    auto text = read_file(checkpoint_file(h_.ctx.storage_dir, "test-flow", p));
    auto json = boost::json::parse(text);
    EXPECT_EQ(json.at("files").at(p.string()).at("offset").to_number<int>(), 6);
  }
  CollectingEmitter e;
  auto in = start(yaml_for(p), e, 3);
  ASSERT_TRUE(in);
  h_.drain();
  EXPECT_EQ(e.payloads(), (Strings{"l2", "l3", "l4"}));
  EXPECT_EQ(e.header(0, "offset"), "6");
  finish(*in, e);
  auto cp = load_checkpoints(checkpoint_file(h_.ctx.storage_dir, "test-flow", p));
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->at(p.string()).offset, 15u);
}

TEST_F(FileInputTest, CsvResumeKeepsTheHeader) {
  auto p = dir_ / "in.csv";
  write_file(p, "k,v\n1,a\n2,b\n");
  {
    CollectingEmitter e;
    auto in = start(yaml_for(p, "format: csv"), e, 2);
    ASSERT_TRUE(in);
    e.messages[0].ack.ok();
    stop(*in);
  }
  CollectingEmitter e;
  auto in = start(yaml_for(p, "format: csv"), e, 1);
  ASSERT_TRUE(in);
  h_.drain();
  ASSERT_EQ(e.messages.size(), 1u);
  EXPECT_EQ(boost::json::parse(e.messages[0].payload.view()),
            boost::json::parse(R"({"k":"2","v":"b"})"));
  finish(*in, e);
}

TEST_F(FileInputTest, FailedMessageIsRedeliveredWithAttempts) {
  auto p = dir_ / "in.txt";
  write_file(p, "one\ntwo\nthree\n");
  CollectingEmitter e;
  auto in = start(yaml_for(p), e, 3);
  ASSERT_TRUE(in);
  e.messages[0].ack.ok();
  e.messages[1].ack.settle(Error::transient("downstream down"));
  e.messages[2].ack.ok();
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 4; }));
  EXPECT_EQ(e.messages[3].payload.str(), "two");
  EXPECT_EQ(e.header(3, "attempts"), "2");
  EXPECT_EQ(e.header(3, "offset"), "4");
  e.messages[3].ack.settle(Error::transient("still down"));
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 5; }));
  EXPECT_EQ(e.header(4, "attempts"), "3");
  EXPECT_FALSE(running_->done);
  finish(*in, e);
  auto cp = load_checkpoints(checkpoint_file(h_.ctx.storage_dir, "test-flow", p));
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->at(p.string()).offset, 14u);
}

TEST_F(FileInputTest, TruncatedFileStartsFromZero) {
  auto p = dir_ / "in.txt";
  write_file(p, "old line 1\nold line 2\n");
  {
    CollectingEmitter e;
    auto in = start(yaml_for(p), e, 2);
    ASSERT_TRUE(in);
    finish(*in, e);
  }
  write_file(p, "new\n");  // same inode, smaller than the checkpoint
  CollectingEmitter e;
  auto in = start(yaml_for(p), e, 1);
  ASSERT_TRUE(in);
  EXPECT_EQ(e.payloads(), (Strings{"new"}));
  finish(*in, e);
}

TEST_F(FileInputTest, RotatedFileStartsFromZero) {
  auto p = dir_ / "in.txt";
  write_file(p, "a\nb\n");
  {
    CollectingEmitter e;
    auto in = start(yaml_for(p), e, 2);
    ASSERT_TRUE(in);
    finish(*in, e);
  }
  write_file(dir_ / "next.txt", "c\nd\ne\n");  // bigger, other inode
  std::filesystem::rename(dir_ / "next.txt", p);
  CollectingEmitter e;
  auto in = start(yaml_for(p), e, 3);
  ASSERT_TRUE(in);
  EXPECT_EQ(e.payloads(), (Strings{"c", "d", "e"}));
  finish(*in, e);
}

TEST_F(FileInputTest, WatchPicksUpAppendedLinesAndNewFiles) {
  auto d = dir_ / "in";
  std::filesystem::create_directories(d);
  write_file(d / "a.log", "a1\n");
  CollectingEmitter e;
  auto in = start(yaml_for(d, "glob: '*.log', watch: true, poll_interval: 10ms"), e, 1);
  ASSERT_TRUE(in);
  write_file(d / "a.log", "a2\npart", /*append=*/true);
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 2; }));
  write_file(d / "a.log", "ial\n", /*append=*/true);
  write_file(d / "b.log", "b1\n");
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 4; }));
  EXPECT_EQ(e.payloads(), (Strings{"a1", "a2", "partial", "b1"}));
  settle_all(e);
  h_.drain();
  EXPECT_FALSE(running_->done);  // watching never ends by itself
  stop(*in);
  EXPECT_TRUE(running_->status->ok());
}

TEST_F(FileInputTest, WatchFollowsTruncation) {
  auto p = dir_ / "in.log";
  write_file(p, "first line\n");
  CollectingEmitter e;
  auto in = start(yaml_for(p, "watch: true, poll_interval: 10ms"), e, 1);
  ASSERT_TRUE(in);
  settle_all(e);
  write_file(p, "x\n");
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 2; }));
  EXPECT_EQ(e.messages[1].payload.str(), "x");
  EXPECT_EQ(e.header(1, "offset"), "0");
  settle_all(e);
  stop(*in);
}

TEST_F(FileInputTest, WatchDrainsARotatedFileThenReadsItsSuccessor) {
  auto p = dir_ / "app.log";
  write_file(p, "a\n");
  CollectingEmitter e;
  auto in = start(yaml_for(p, "watch: true, poll_interval: 10ms"), e, 1);
  ASSERT_TRUE(in);
  write_file(p, "b\n", /*append=*/true);  // written just before the rotation
  std::filesystem::rename(p, dir_ / "app.log.1");
  write_file(p, "c\n");
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 3; }));
  EXPECT_EQ(e.payloads(), (Strings{"a", "b", "c"}));
  EXPECT_EQ(e.header(2, "offset"), "0");
  settle_all(e);
  stop(*in);
}

TEST_F(FileInputTest, OverlongLineIsSkipped) {
  auto p = dir_ / "in.txt";
  write_file(p, "short\n" + std::string(300, 'x') + "\nafter\n");
  CollectingEmitter e;
  auto in = start(yaml_for(p, "max_line: 100"), e, 2);
  ASSERT_TRUE(in);
  h_.drain();
  EXPECT_EQ(e.payloads(), (Strings{"short", "after"}));
  finish(*in, e);
}

TEST_F(FileInputTest, MissingFileFailsOpenUnlessWatching) {
  auto in = build(yaml_for(dir_ / "nope.txt"));
  ASSERT_TRUE(in);
  Status s = h_.await(in->open());
  EXPECT_FALSE(s.ok());
  auto watching = build(yaml_for(dir_ / "nope.txt", "watch: true"));
  ASSERT_TRUE(watching);
  EXPECT_TRUE(h_.await(watching->open()).ok());
}

TEST_F(FileInputTest, FactoryValidatesWithoutSideEffects) {
  h_.ctx.blocking = nullptr;  // as `junction validate` builds it
  EXPECT_TRUE(build(yaml_for(dir_ / "x.txt", "watch: true")));
  EXPECT_FALSE(std::filesystem::exists(h_.ctx.storage_dir));
  auto bad = h_.build<flow::Input>(registry_, spec::ComponentKind::kInput, "file",
                                   yaml_for(dir_ / "x", "batch_size: 0"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("batch_size"), std::string::npos);
}

TEST(RecordSplitterTest, RecordsAcrossChunksWithCrlf) {
  RecordSplitter s(100, false);
  std::vector<Record> out;
  std::vector<uint64_t> over;
  s.feed(Buffer(std::string("ab\r")), out, over);
  s.feed(Buffer(std::string("\ncd")), out, over);
  s.feed(Buffer(std::string("e\nf")), out, over);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes.str(), "ab");
  EXPECT_EQ(out[0].end, 4u);
  EXPECT_EQ(out[1].bytes.str(), "cde");
  EXPECT_EQ(out[1].offset, 4u);
  EXPECT_EQ(s.consumed(), 8u);
  auto tail = s.finish(over);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->bytes.str(), "f");
  EXPECT_TRUE(over.empty());
}

TEST(RecordSplitterTest, CsvQuotedNewlineAndOversize) {
  RecordSplitter s(8, true);
  std::vector<Record> out;
  std::vector<uint64_t> over;
  s.feed(Buffer(std::string("\"a\nb\",c\n0123456789abc")), out, over);
  s.feed(Buffer(std::string("def\nok\n")), out, over);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bytes.str(), "\"a\nb\",c");
  EXPECT_EQ(out[1].bytes.str(), "ok");
  EXPECT_EQ(over, (std::vector<uint64_t>{8}));
}

TEST(CsvTest, ParsesQuotingAndRejectsMalformed) {
  auto f = parse_csv_record(R"(a,"b,c","d""e",,"")");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (Strings{"a", "b,c", "d\"e", "", ""}));
  EXPECT_EQ(*parse_csv_record("x,"), (Strings{"x", ""}));
  EXPECT_EQ(*parse_csv_record("in\"side"), (Strings{"in\"side"}));
  EXPECT_FALSE(parse_csv_record("\"open").ok());
  EXPECT_FALSE(parse_csv_record("\"a\"b").ok());
  CsvObjectEncoder enc;
  ASSERT_TRUE(enc.set_header("k,k,v").ok());
  EXPECT_EQ(*enc.encode("1,2,3"), R"({"k":"2","v":"3"})");
  EXPECT_FALSE(enc.encode("1,2").ok());
}

}  // namespace
}  // namespace junction::components
