#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "components/inputs/stdin/stdin.h"
#include "unit/components/file_io_harness.h"

namespace junction::components {
namespace {

using test::CollectingEmitter;
using Strings = std::vector<std::string>;

class StdinInputTest : public ::testing::Test {
 protected:
  void SetUp() override { register_stdin_input(registry_); }

  // Builds and opens the input while fd 0 is `fd`; fd 0 is restored after,
  // since the input reads its own duplicate.
  std::unique_ptr<flow::Input> open_on(int fd, const std::string& yaml = "{}") {
    auto in = h_.build<flow::Input>(registry_, spec::ComponentKind::kInput, "stdin", yaml);
    EXPECT_TRUE(in.ok()) << in.error().message();
    if (!in.ok()) return nullptr;
    int saved = ::dup(STDIN_FILENO);
    ::dup2(fd, STDIN_FILENO);
    Status s = h_.await((*in)->open());
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    EXPECT_TRUE(s.ok());
    return std::move(in).value();
  }

  void finish(flow::Input& in, CollectingEmitter& e) {
    for (auto& m : e.messages) m.ack.ok();
    EXPECT_TRUE(h_.run_until([&] { return running_->done; }));
    EXPECT_TRUE(running_->status && running_->status->ok());
    h_.await(in.close());
  }

  test::TempDir dir_;
  test::IoHarness h_;
  flow::ComponentRegistry registry_;
  std::shared_ptr<test::RunningInput> running_;
};

TEST_F(StdinInputTest, RegularFileIsReadOnTheBlockingPool) {
  auto p = dir_ / "in.txt";
  test::write_file(p, "one\r\ntwo\n\nthree");
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  auto in = open_on(fd);
  ::close(fd);
  ASSERT_TRUE(in);
  CollectingEmitter e;
  running_ = test::start_run(h_.io, *in, e);
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 4; }));
  EXPECT_EQ(e.payloads(), (Strings{"one", "two", "", "three"}));
  h_.drain();
  EXPECT_FALSE(running_->done);  // ends only once everything is settled
  finish(*in, e);
}

TEST_F(StdinInputTest, PipeWithJsonAndRedeliveryWhileIdle) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  auto in = open_on(fds[0], "{format: json}");
  ::close(fds[0]);
  ASSERT_TRUE(in);
  CollectingEmitter e;
  running_ = test::start_run(h_.io, *in, e);
  std::string first = "{\"n\":1}\n\nnot json\n";
  ASSERT_EQ(::write(fds[1], first.data(), first.size()), static_cast<ssize_t>(first.size()));
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 1; }));
  // No new input arrives, yet the failed message comes back.
  e.messages[0].ack.settle(Error::transient("down"));
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 2; }));
  EXPECT_EQ(e.messages[1].payload.str(), "{\"n\":1}");
  EXPECT_EQ(e.header(1, "attempts"), "2");
  std::string rest = "[2]";
  ASSERT_EQ(::write(fds[1], rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  ::close(fds[1]);
  ASSERT_TRUE(h_.run_until([&] { return e.messages.size() >= 3; }));
  EXPECT_EQ(e.messages[2].payload.str(), "[2]");
  finish(*in, e);
}

TEST_F(StdinInputTest, StopEndsAWaitingRead) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  auto in = open_on(fds[0]);
  ::close(fds[0]);
  ASSERT_TRUE(in);
  CollectingEmitter e;
  running_ = test::start_run(h_.io, *in, e);
  h_.drain();
  EXPECT_FALSE(running_->done);
  in->stop();
  EXPECT_TRUE(h_.run_until([&] { return running_->done; }));
  h_.await(in->close());
  ::close(fds[1]);
}

TEST_F(StdinInputTest, RejectsCsv) {
  auto in = h_.build<flow::Input>(registry_, spec::ComponentKind::kInput, "stdin", "{format: csv}");
  EXPECT_FALSE(in.ok());
}

}  // namespace
}  // namespace junction::components
