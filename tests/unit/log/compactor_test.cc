#include "log/compactor.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/message.h"
#include "log/store.h"
#include "unit/common/temp_dir.h"
#include "unit/log/log_test_util.h"

namespace junction::log {
namespace {

using junction::test::TempDir;
using test::make_record;
using test::produce_sync;
using test::read_all;

class CompactorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions opts;
    opts.dir = dir_.path();
    opts.compaction_interval = std::chrono::milliseconds(0);
    store_ = std::move(*Store::open(opts));
    TopicConfig c;
    c.compaction = true;
    c.segment_bytes = 1024;  // many sealed segments
    c.tombstone_retention = std::chrono::hours(1);
    topic_ = *store_->open_topic("customers", c);
  }

  void put(const std::string& key, std::optional<std::string> value, int64_t ts = now_ms()) {
    Record r = make_record("", ts, key);
    r.value = std::move(value);
    ASSERT_TRUE(produce_sync(*store_, *topic_, 0, {r}));
  }

  std::map<std::string, std::string> latest_values() {
    std::map<std::string, std::string> out;
    for (const auto& r : read_all(topic_->partition(0))) {
      if (r.value) {
        out[*r.key] = *r.value;
      } else {
        out.erase(*r.key);
      }
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  Topic* topic_ = nullptr;
};

TEST_F(CompactorTest, KeepsTheLatestRecordPerKeyWithItsOffset) {
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 5; ++k)
      put("c" + std::to_string(k), "v" + std::to_string(round) + std::string(60, '.'));
  }
  auto before = latest_values();
  const auto records_before = read_all(topic_->partition(0)).size();
  auto result = compact_partition(topic_->partition(0), now_ms());
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_GT(result->records_removed, 0u);
  EXPECT_LT(result->bytes_after, result->bytes_before);
  auto after = read_all(topic_->partition(0));
  EXPECT_LT(after.size(), records_before);
  // Readers see the same latest state, and offsets only ever increase.
  EXPECT_EQ(latest_values(), before);
  for (size_t i = 1; i < after.size(); ++i) EXPECT_GT(after[i].offset, after[i - 1].offset);
  // The last record is untouched, at its original offset.
  EXPECT_EQ(after.back().offset, 99);
}

TEST_F(CompactorTest, TombstonesRemoveKeysAndExpireLater) {
  const int64_t old = now_ms() - 2 * 3600 * 1000;
  for (int i = 0; i < 10; ++i) put("gone", "x" + std::string(100, '.'), old);
  put("gone", std::nullopt, old);  // an old tombstone
  put("fresh", "y", now_ms());
  put("recent-delete", "z");
  put("recent-delete", std::nullopt);  // a recent tombstone
  for (int i = 0; i < 20; ++i) put("filler" + std::to_string(i), std::string(100, 'f'));
  ASSERT_TRUE(compact_partition(topic_->partition(0), now_ms()));
  bool saw_gone = false, saw_recent_tombstone = false;
  for (const auto& r : read_all(topic_->partition(0))) {
    saw_gone = saw_gone || r.key == "gone";
    saw_recent_tombstone = saw_recent_tombstone || (r.key == "recent-delete" && !r.value);
  }
  EXPECT_FALSE(saw_gone) << "an expired tombstone and the records it deleted should be gone";
  EXPECT_TRUE(saw_recent_tombstone) << "a recent tombstone must stay for consumers to see";
  EXPECT_EQ(latest_values().count("recent-delete"), 0u);
  EXPECT_EQ(latest_values().at("fresh"), "y");
}

TEST_F(CompactorTest, CompactedTopicReopensAndKeepsAppending) {
  for (int i = 0; i < 60; ++i) put("k" + std::to_string(i % 3), std::string(80, 'a' + i % 26));
  store_->run_maintenance();
  auto values = latest_values();
  store_.reset();
  StoreOptions opts;
  opts.dir = dir_.path();
  store_ = std::move(*Store::open(opts));
  topic_ = store_->find_topic("customers");
  ASSERT_NE(topic_, nullptr);
  EXPECT_EQ(latest_values(), values);
  put("k0", "after");
  EXPECT_EQ(latest_values().at("k0"), "after");
  EXPECT_EQ(topic_->partition(0).high_watermark(), 61);
}

TEST_F(CompactorTest, LeftoverCleanedFileFromACrashIsIgnored) {
  for (int i = 0; i < 30; ++i) put("k", std::string(80, 'x'));
  const auto seg_dir = dir_.path() / "topics/customers/0";
  {
    std::ofstream junk(seg_dir / (segment_file_name(0, ".log") + ".cleaned"));
    junk << "half written";
  }
  auto values = latest_values();
  store_.reset();
  StoreOptions opts;
  opts.dir = dir_.path();
  store_ = std::move(*Store::open(opts));
  topic_ = store_->find_topic("customers");
  EXPECT_EQ(latest_values(), values);
  EXPECT_FALSE(std::filesystem::exists(seg_dir / (segment_file_name(0, ".log") + ".cleaned")));
}

TEST(EncodeKeepingOffsets, GapsSurviveARoundTrip) {
  std::vector<Record> rs = {make_record("a"), make_record("b"), make_record("c")};
  rs[0].offset = 10;
  rs[1].offset = 14;
  rs[2].offset = 20;
  auto batch = encode_batch_keeping_offsets(rs, Compression::kLz4);
  ASSERT_TRUE(batch);
  auto h = parse_batch_header(*batch);
  EXPECT_EQ(h->base_offset, 10);
  EXPECT_EQ(h->last_offset(), 20);
  auto back = decode_batch(*batch);
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)[1].offset, 14);
  rs[2].offset = 12;
  EXPECT_FALSE(encode_batch_keeping_offsets(rs, Compression::kNone));
}

}  // namespace
}  // namespace junction::log
