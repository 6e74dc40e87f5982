#include "gateway/access_log_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class AccessLogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("junction-access-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "access.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> lines() const {
    std::ifstream in(path_);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  uint64_t dropped() {
    return metrics_
        .counter("junction_gateway_access_log_dropped_total",
                 "access log lines dropped because the writer fell behind")
        .value();
  }

  fs::path dir_;
  std::string path_;
  observe::Registry metrics_;
};

TEST_F(AccessLogFileTest, EveryLineOfEveryLaneReachesTheFileWhole) {
  {
    auto file = AccessLogFile::open(path_, 10s, 4 << 20, metrics_);
    ASSERT_TRUE(file.ok()) << file.error().message();
    auto* a = (*file)->new_lane();
    auto* b = (*file)->new_lane();
    std::thread ta([a] {
      for (int i = 0; i < 5000; ++i) a->append("{\"lane\":\"a\",\"n\":" + std::to_string(i) + "}");
    });
    std::thread tb([b] {
      for (int i = 0; i < 5000; ++i) b->append("{\"lane\":\"b\",\"n\":" + std::to_string(i) + "}");
    });
    ta.join();
    tb.join();
  }  // closing writes what the lanes still hold
  auto got = lines();
  ASSERT_EQ(got.size(), 10000u);
  std::set<std::string> unique(got.begin(), got.end());
  EXPECT_EQ(unique.size(), 10000u);
  EXPECT_TRUE(unique.count("{\"lane\":\"a\",\"n\":4999}"));
  EXPECT_TRUE(unique.count("{\"lane\":\"b\",\"n\":0}"));
  EXPECT_EQ(dropped(), 0u);
}

TEST_F(AccessLogFileTest, LinesAreWrittenByTheFlushIntervalWithoutClosing) {
  auto file = AccessLogFile::open(path_, 20ms, 4 << 20, metrics_);
  ASSERT_TRUE(file.ok());
  (*file)->new_lane()->append("{\"n\":1}");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (lines().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(lines(), std::vector<std::string>{"{\"n\":1}"});
}

TEST_F(AccessLogFileTest, ALineTheLaneCannotHoldIsDroppedAndCounted) {
  auto file = AccessLogFile::open(path_, 1h, 64 * 1024, metrics_);
  ASSERT_TRUE(file.ok());
  auto* lane = (*file)->new_lane();
  EXPECT_TRUE(lane->append("small"));
  EXPECT_FALSE(lane->append(std::string(64 * 1024, 'x')));
  EXPECT_TRUE(lane->append("after"));
  EXPECT_EQ(dropped(), 1u);
  file->reset();
  EXPECT_EQ(lines(), (std::vector<std::string>{"small", "after"}));
}

TEST_F(AccessLogFileTest, AnUnwritablePathIsAnInvalidErrorNamingIt) {
  auto file =
      AccessLogFile::open((dir_ / "missing" / "access.log").string(), 1s, 1 << 20, metrics_);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(file.error().message().find("missing/access.log"), std::string::npos)
      << file.error().message();
}

TEST_F(AccessLogFileTest, AppendsToAnExistingFile) {
  { std::ofstream(path_) << "earlier\n"; }
  {
    auto file = AccessLogFile::open(path_, 1s, 1 << 20, metrics_);
    ASSERT_TRUE(file.ok());
    (*file)->new_lane()->append("later");
  }
  EXPECT_EQ(lines(), (std::vector<std::string>{"earlier", "later"}));
}

}  // namespace
}  // namespace junction::gateway
