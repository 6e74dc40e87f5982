#include "log/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "core/message.h"
#include "log/murmur2.h"
#include "unit/common/temp_dir.h"
#include "unit/log/log_test_util.h"

namespace junction::log {
namespace {

using junction::test::TempDir;
using test::make_record;
using test::produce_sync;
using test::read_all;

std::unique_ptr<Store> open_store(const TempDir& dir, StoreOptions opts = {}) {
  opts.dir = dir.path();
  auto store = Store::open(opts);
  EXPECT_TRUE(store) << (store ? "" : store.error().message());
  return store ? std::move(*store) : nullptr;
}

TopicConfig config(int32_t partitions = 1) {
  TopicConfig c;
  c.partitions = partitions;
  return c;
}

TEST(Store, ProducedRecordsAreReadBackInOrderWithOffsets) {
  TempDir dir;
  auto store = open_store(dir);
  auto topic = store->open_topic("orders", config());
  ASSERT_TRUE(topic);
  for (int i = 0; i < 5; ++i) {
    auto r =
        produce_sync(*store, **topic, 0,
                     {make_record("a" + std::to_string(i)), make_record("b" + std::to_string(i))});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->base_offset, i * 2);
    EXPECT_EQ(r->last_offset, i * 2 + 1);
  }
  auto records = read_all((*topic)->partition(0));
  ASSERT_EQ(records.size(), 10u);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].offset, static_cast<int64_t>(i));
  EXPECT_EQ(records[3].value, "b1");
}

TEST(Store, RecordsSurviveARestart) {
  TempDir dir;
  {
    auto store = open_store(dir);
    auto topic = store->open_topic("orders", config(3));
    ASSERT_TRUE(topic);
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(
          produce_sync(*store, **topic, -1, {make_record("v", 1000, "k" + std::to_string(i))}));
    }
  }
  auto store = open_store(dir);
  Topic* topic = store->find_topic("orders");
  ASSERT_NE(topic, nullptr);
  EXPECT_EQ(topic->partition_count(), 3);
  size_t total = 0;
  for (int32_t p = 0; p < 3; ++p) {
    for (const auto& r : read_all(topic->partition(p))) {
      EXPECT_EQ(partition_for_key(*r.key, 3), p) << "key " << *r.key << " on the wrong partition";
      ++total;
    }
  }
  EXPECT_EQ(total, 30u);
}

TEST(Store, KeylessRecordsSpreadRoundRobin) {
  TempDir dir;
  auto store = open_store(dir);
  auto topic = store->open_topic("events", config(4));
  ASSERT_TRUE(topic);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(produce_sync(*store, **topic, -1, {make_record("x")}));
  for (int32_t p = 0; p < 4; ++p) EXPECT_EQ((*topic)->partition(p).high_watermark(), 2);
}

TEST(Store, SegmentsRollBySizeAndReadsCrossThem) {
  TempDir dir;
  auto store = open_store(dir);
  auto c = config();
  c.segment_bytes = 1024;
  auto topic = store->open_topic("small", c);
  ASSERT_TRUE(topic);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(produce_sync(*store, **topic, 0, {make_record(std::string(100, 'a' + i % 26))}));
  }
  auto& p = (*topic)->partition(0);
  EXPECT_GT(p.segment_count(), 5u);
  auto records = read_all(p);
  ASSERT_EQ(records.size(), 50u);
  EXPECT_EQ(records[49].offset, 49);
  auto from_middle = read_all(p, 33);
  EXPECT_EQ(from_middle.front().offset, 33);
}

TEST(Store, RolledSegmentsKeepNoReservedBlocks) {
  TempDir dir;
  auto store = open_store(dir);
  auto c = config();
  // The reserve step is the segment size here, and one 40 KiB record per
  // segment leaves a third of each reserve unused when it rolls.
  c.segment_bytes = 64 << 10;
  auto topic = store->open_topic("orders", c);
  ASSERT_TRUE(topic);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(produce_sync(*store, **topic, 0, {make_record(std::string(40 << 10, 'v'))}));
  }
  auto sealed = (*topic)->partition(0).sealed_segments();
  ASSERT_GE(sealed.size(), 2u);
  for (const auto& seg : sealed) {
    struct stat st {};
    ASSERT_EQ(::stat(seg->log_path().c_str(), &st), 0);
    const uint64_t blocks_needed = (seg->size() + 4095) / 4096 * 4096;
    EXPECT_LE(static_cast<uint64_t>(st.st_blocks) * 512, blocks_needed) << seg->log_path();
  }
  EXPECT_EQ(read_all((*topic)->partition(0)).size(), 6u);
}

TEST(Store, RetentionBySizeDropsWholeOldSegments) {
  TempDir dir;
  auto store = open_store(dir);
  auto c = config();
  c.segment_bytes = 1024;
  c.retention_bytes = 3000;
  auto topic = store->open_topic("bounded", c);
  ASSERT_TRUE(topic);
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(produce_sync(*store, **topic, 0, {make_record(std::string(100, 'z'))}));
  auto& p = (*topic)->partition(0);
  store->run_maintenance();
  EXPECT_LE(p.size_bytes(), 3000u + 1024u);
  EXPECT_GT(p.start_offset(), 0);
  auto records = read_all(p);
  EXPECT_EQ(records.back().offset, 99);
  EXPECT_EQ(records.front().offset, p.start_offset());
  // Reading below the start is out of range, not a silent skip.
  auto gone = p.read(0, 1024);
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message().find("out of range"), std::string::npos);
}

TEST(Store, RetentionByAgeUsesRecordTimestamps) {
  TempDir dir;
  auto store = open_store(dir);
  auto c = config();
  c.segment_bytes = 1024;
  c.retention_age = std::chrono::hours(1);
  auto topic = store->open_topic("aging", c);
  ASSERT_TRUE(topic);
  const int64_t old_ts = now_ms() - 2 * 3600 * 1000;
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(produce_sync(*store, **topic, 0, {make_record(std::string(100, 'o'), old_ts)}));
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(produce_sync(*store, **topic, 0, {make_record(std::string(100, 'n'), now_ms())}));
  store->run_maintenance();
  auto records = read_all((*topic)->partition(0));
  ASSERT_FALSE(records.empty());
  // Every old-only segment is gone; the one straddling old and new stays.
  EXPECT_GT((*topic)->partition(0).start_offset(), 0);
  EXPECT_LT((*topic)->partition(0).start_offset(), 31);
  EXPECT_EQ(records.back().offset, 59);
}

TEST(Store, OversizedRecordIsInvalidWithTheLimitInTheMessage) {
  TempDir dir;
  auto store = open_store(dir);
  auto c = config();
  c.max_message_bytes = 100;
  auto topic = store->open_topic("tiny", c);
  ASSERT_TRUE(topic);
  auto r = produce_sync(*store, **topic, 0, {make_record(std::string(101, 'x'))});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().cls(), ErrorClass::kInvalid);
  EXPECT_NE(r.error().message().find("max message size of 100 bytes"), std::string::npos);
  EXPECT_EQ((*topic)->partition(0).high_watermark(), 0);
}

TEST(Store, FullTopicIsOverloaded) {
  TempDir dir;
  auto store = open_store(dir);
  auto c = config();
  c.max_bytes = 500;
  auto topic = store->open_topic("capped", c);
  ASSERT_TRUE(topic);
  Result<AppendResult> last = AppendResult{};
  for (int i = 0; i < 20 && last; ++i)
    last = produce_sync(*store, **topic, 0, {make_record(std::string(100, 'c'))});
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().cls(), ErrorClass::kOverloaded);
  EXPECT_NE(last.error().message().find("is full"), std::string::npos);
}

TEST(Store, SecondOpenOfTheSameDirIsRefused) {
  TempDir dir;
  auto first = open_store(dir);
  StoreOptions opts;
  opts.dir = dir.path();
  auto second = Store::open(opts);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("in use by another process"), std::string::npos);
}

TEST(Store, PartitionsCanGrowButNotShrink) {
  TempDir dir;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store->open_topic("t", config(2)));
  }
  {
    auto store = open_store(dir);
    auto shrunk = store->open_topic("t", config(1));
    ASSERT_FALSE(shrunk);
    EXPECT_NE(shrunk.error().message().find("can only be added"), std::string::npos);
  }
  auto store = open_store(dir);
  auto grown = store->open_topic("t", config(4));
  ASSERT_TRUE(grown);
  EXPECT_EQ((*grown)->partition_count(), 4);
}

TEST(Store, DeleteRemovesTheTopic) {
  TempDir dir;
  auto store = open_store(dir);
  auto topic = store->open_topic("doomed", config());
  ASSERT_TRUE(topic);
  ASSERT_TRUE(produce_sync(*store, **topic, 0, {make_record("x")}));
  ASSERT_TRUE(store->delete_topic("doomed"));
  EXPECT_EQ(store->find_topic("doomed"), nullptr);
  EXPECT_FALSE(std::filesystem::exists(dir / "topics/doomed"));
  EXPECT_FALSE(store->delete_topic("doomed"));
}

TEST(Store, BadTopicNamesAreRefused) {
  TempDir dir;
  auto store = open_store(dir);
  EXPECT_FALSE(store->open_topic("../escape", config()));
  EXPECT_FALSE(store->open_topic("", config()));
  EXPECT_FALSE(store->open_topic("a/b", config()));
}

TEST(Store, ConcurrentProducersAreGroupCommitted) {
  TempDir dir;
  auto store = open_store(dir);
  auto topic = store->open_topic("busy", config(2));
  ASSERT_TRUE(topic);
  std::atomic<int> acked{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = produce_sync(*store, **topic, t % 2,
                              {make_record(std::to_string(t) + ":" + std::to_string(i))});
        if (r) acked++;
      }
    });
  }
  for (auto& th : producers) th.join();
  EXPECT_EQ(acked.load(), 200);
  // Per producer, order within its partition is kept.
  for (int32_t p = 0; p < 2; ++p) {
    std::map<std::string, int> last;
    for (const auto& r : read_all((*topic)->partition(p))) {
      auto colon = r.value->find(':');
      auto who = r.value->substr(0, colon);
      int seq = std::stoi(r.value->substr(colon + 1));
      if (last.count(who)) {
        EXPECT_GT(seq, last[who]);
      }
      last[who] = seq;
    }
  }
}

TEST(Store, NeverAndIntervalPoliciesAckAndPublish) {
  TempDir dir;
  auto store = open_store(dir);
  auto never = config();
  never.fsync.mode = FsyncPolicy::Mode::kNever;
  auto interval = config();
  interval.fsync = *FsyncPolicy::parse("interval 10ms");
  auto a = store->open_topic("never", never);
  auto b = store->open_topic("interval", interval);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(produce_sync(*store, **a, 0, {make_record("x")}));
  ASSERT_TRUE(produce_sync(*store, **b, 0, {make_record("y")}));
  EXPECT_EQ((*a)->partition(0).high_watermark(), 1);
  EXPECT_EQ((*b)->partition(0).high_watermark(), 1);
}

TEST(Store, IntervalTopicsKeepEverythingWrittenPastTheWritebackStep) {
  // 12 MB under `interval`: the journal starts writeback in both segments
  // on the way; every record is back after a restart.
  TempDir dir;
  auto c = config();
  c.fsync = *FsyncPolicy::parse("interval 10ms");
  c.segment_bytes = 6u << 20;  // two segments, each past the 4 MiB step
  const std::string value(200 << 10, 'w');
  {
    auto store = open_store(dir);
    auto topic = store->open_topic("events", c);
    ASSERT_TRUE(topic);
    for (int i = 0; i < 60; ++i) {
      auto r = produce_sync(*store, **topic, 0, {make_record(std::to_string(i) + value)});
      ASSERT_TRUE(r) << r.error().message();
    }
  }
  auto store = open_store(dir);
  Topic* topic = store->find_topic("events");
  ASSERT_NE(topic, nullptr);
  auto records = read_all(topic->partition(0));
  ASSERT_EQ(records.size(), 60u);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(*records[i].value, std::to_string(i) + value);
  EXPECT_EQ(topic->partition(0).sealed_segments().size(), 1u);
}

TEST(Store, WaitersWakeWhenTheHighWatermarkPasses) {
  TempDir dir;
  auto store = open_store(dir);
  auto topic = store->open_topic("wake", config());
  ASSERT_TRUE(topic);
  std::promise<void> woke;
  (*topic)->partition(0).notify_when_above(0, [&] { woke.set_value(); });
  ASSERT_TRUE(produce_sync(*store, **topic, 0, {make_record("x")}));
  EXPECT_EQ(woke.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

TEST(Store, OffsetsByTimestampAcrossSegments) {
  TempDir dir;
  auto store = open_store(dir);
  auto c = config();
  c.segment_bytes = 1024;
  auto topic = store->open_topic("timed", c);
  ASSERT_TRUE(topic);
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(
        produce_sync(*store, **topic, 0, {make_record(std::string(80, 't'), 5000 + i * 10)}));
  auto& p = (*topic)->partition(0);
  auto at = p.offset_for_time(5205);
  ASSERT_TRUE(at);
  EXPECT_EQ(*at, 21);
  auto after = p.offset_for_time(999999);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, 40);
}

TEST(FsyncPolicy, ParsesAndExplainsMistakes) {
  EXPECT_EQ(FsyncPolicy::parse("always")->mode, FsyncPolicy::Mode::kAlways);
  EXPECT_EQ(FsyncPolicy::parse("never")->mode, FsyncPolicy::Mode::kNever);
  auto iv = FsyncPolicy::parse("interval 250ms");
  ASSERT_TRUE(iv);
  EXPECT_EQ(iv->interval, std::chrono::milliseconds(250));
  auto bad = FsyncPolicy::parse("sometimes");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("always, never, interval"), std::string::npos);
  EXPECT_FALSE(FsyncPolicy::parse("interval"));
}

TEST(TopicConfigJson, RoundTrips) {
  TopicConfig c;
  c.partitions = 6;
  c.fsync = *FsyncPolicy::parse("interval 1s");
  c.retention_age = std::chrono::hours(48);
  c.retention_bytes = 1 << 30;
  c.compaction = true;
  c.max_bytes = 10ull << 30;
  c.compression = Compression::kZstd;
  c.dead_letter_topic = "orders.dead";
  c.max_deliveries = 3;
  auto back = topic_config_from_json(topic_config_to_json(c));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, c);
}

}  // namespace
}  // namespace junction::log
