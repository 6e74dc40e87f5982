#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/message.h"

namespace junction {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

TEST(MessageIdTest, IdsAreUlidShapedUniqueAndRiseWithinAThread) {
  std::string last;
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) {
    std::string id = new_message_id();
    ASSERT_EQ(id.size(), 26u);
    ASSERT_EQ(id.find_first_not_of(kAlphabet), std::string::npos) << id;
    // Time first, then the thread's tag, then its counter: later ids of a
    // thread sort after earlier ones (but where the counter wraps, once in
    // 2^65 ids).
    if (!last.empty() && id.substr(0, 13) == last.substr(0, 13)) {
      ASSERT_GT(id, last);
    }
    ASSERT_TRUE(seen.insert(id).second) << id;
    last = std::move(id);
  }
}

TEST(MessageIdTest, TheTimePartIsTheMillisecond) {
  const std::string id = new_message_id();
  uint64_t ms = 0;
  for (char c : id.substr(0, 10)) ms = ms * 32 + kAlphabet.find(c);
  const auto now = static_cast<uint64_t>(now_ms());
  EXPECT_LE(ms, now);
  EXPECT_GT(ms + 60000, now);  // a tick behind at most, a minute is generous
}

TEST(MessageIdTest, ThreadsNeverShareAnId) {
  std::vector<std::vector<std::string>> made(4);
  std::vector<std::thread> threads;
  for (auto& ids : made) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 20000; ++i) ids.push_back(new_message_id());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& ids : made) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), 4u * 20000u);
}

TEST(MessageIdTest, IntoAStringReusesIt) {
  std::string id = "something that was here before, longer than an id";
  new_message_id(id);
  EXPECT_EQ(id.size(), 26u);
}

}  // namespace
}  // namespace junction
