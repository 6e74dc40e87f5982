#include "log/segment.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "log/segment_scan.h"
#include "unit/common/temp_dir.h"
#include "unit/log/log_test_util.h"

namespace junction::log {
namespace {

using junction::test::TempDir;
using test::decode_all;
using test::make_batch;
using test::make_record;

// Appends `count` single-record batches with values "v<i>" and timestamps 1000 + i.
void fill(Segment& seg, int count, size_t value_size = 100) {
  for (int i = 0; i < count; ++i) {
    auto value = "v" + std::to_string(i) + std::string(value_size, '.');
    auto batch = make_batch({make_record(value, 1000 + i)});
    set_base_offset(batch, seg.next_offset());
    auto h = parse_batch_header(batch);
    ASSERT_TRUE(seg.append(batch, *h));
  }
}

void append_garbage(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

TEST(Segment, FileNamesAreTwentyDigits) {
  EXPECT_EQ(segment_file_name(42, ".log"), "00000000000000000042.log");
}

TEST(Segment, ReadFindsEveryOffsetThroughTheSparseIndex) {
  TempDir dir;
  auto seg = Segment::create(dir.path(), 0, SegmentOptions{.index_interval = 512});
  ASSERT_TRUE(seg);
  fill(**seg, 200);
  EXPECT_EQ((*seg)->next_offset(), 200);
  for (int64_t offset : {0, 1, 57, 128, 199}) {
    auto bytes = (*seg)->read(offset, 1, (*seg)->size());
    ASSERT_TRUE(bytes);
    auto records = decode_all(*bytes);
    ASSERT_EQ(records.size(), 1u) << offset;
    EXPECT_EQ(records[0].offset, offset);
  }
  auto none = (*seg)->read(200, 1024, (*seg)->size());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(Segment, ReadStopsAtTheLimitAndReturnsWholeBatches) {
  TempDir dir;
  auto seg = Segment::create(dir.path(), 0, {});
  ASSERT_TRUE(seg);
  fill(**seg, 10);
  const uint64_t half = (*seg)->size() / 2;
  auto bytes = (*seg)->read(0, 1 << 20, half);
  ASSERT_TRUE(bytes);
  auto records = decode_all(*bytes);
  EXPECT_LT(records.size(), 10u);
  EXPECT_LE(bytes->size(), half);
  EXPECT_TRUE(batch_crc_ok(*bytes));
}

TEST(Segment, FindsOffsetsByTimestamp) {
  TempDir dir;
  auto seg = Segment::create(dir.path(), 100, SegmentOptions{.index_interval = 256});
  ASSERT_TRUE(seg);
  fill(**seg, 50);
  auto at = (*seg)->offset_for_time(1020, (*seg)->size());
  ASSERT_TRUE(at);
  ASSERT_TRUE(*at);
  EXPECT_EQ(**at, 120);
  auto early = (*seg)->offset_for_time(0, (*seg)->size());
  ASSERT_TRUE(early && *early);
  EXPECT_EQ(**early, 100);
  auto late = (*seg)->offset_for_time(999999, (*seg)->size());
  ASSERT_TRUE(late);
  EXPECT_FALSE(*late);
}

TEST(Segment, ReopenTrustsConsistentIndexes) {
  TempDir dir;
  {
    auto seg = Segment::create(dir.path(), 0, SegmentOptions{.index_interval = 256});
    ASSERT_TRUE(seg);
    fill(**seg, 30);
  }
  SegmentRecovery rec;
  auto seg =
      Segment::open(dir.path(), 0, SegmentOptions{.index_interval = 256}, false, false, &rec);
  ASSERT_TRUE(seg) << seg.error().message();
  EXPECT_FALSE(rec.rebuilt_indexes);
  EXPECT_EQ((*seg)->next_offset(), 30);
  auto bytes = (*seg)->read(17, 1, (*seg)->size());
  ASSERT_TRUE(bytes);
  EXPECT_EQ(decode_all(*bytes).at(0).offset, 17);
}

TEST(Segment, MissingIndexIsRebuilt) {
  TempDir dir;
  {
    auto seg = Segment::create(dir.path(), 0, SegmentOptions{.index_interval = 256});
    ASSERT_TRUE(seg);
    fill(**seg, 30);
  }
  std::filesystem::remove(dir / segment_file_name(0, ".index"));
  SegmentRecovery rec;
  auto seg =
      Segment::open(dir.path(), 0, SegmentOptions{.index_interval = 256}, false, false, &rec);
  ASSERT_TRUE(seg);
  EXPECT_TRUE(rec.rebuilt_indexes);
  EXPECT_EQ((*seg)->next_offset(), 30);
  EXPECT_GT(std::filesystem::file_size(dir / segment_file_name(0, ".index")), 0u);
}

TEST(Segment, TornTailIsCutOff) {
  TempDir dir;
  uint64_t good_size = 0;
  {
    auto seg = Segment::create(dir.path(), 0, {});
    ASSERT_TRUE(seg);
    fill(**seg, 5);
    good_size = (*seg)->size();
  }
  // Half of a sixth batch, as a crash in the middle of write() leaves it.
  auto sixth = make_batch({make_record("sixth")});
  set_base_offset(sixth, 5);
  append_garbage(dir / segment_file_name(0, ".log"), sixth.substr(0, sixth.size() / 2));
  SegmentRecovery rec;
  auto seg = Segment::open(dir.path(), 0, {}, true, false, &rec);
  ASSERT_TRUE(seg) << seg.error().message();
  EXPECT_EQ(rec.truncated_bytes, sixth.size() / 2);
  EXPECT_EQ((*seg)->size(), good_size);
  EXPECT_EQ(std::filesystem::file_size(dir / segment_file_name(0, ".log")), good_size);
  EXPECT_EQ((*seg)->next_offset(), 5);
}

TEST(Segment, ZeroFilledTailIsCutOff) {
  TempDir dir;
  {
    auto seg = Segment::create(dir.path(), 0, {});
    ASSERT_TRUE(seg);
    fill(**seg, 3);
  }
  // A crash after the file grew but before its data reached the disk.
  append_garbage(dir / segment_file_name(0, ".log"), std::string(4096, '\0'));
  SegmentRecovery rec;
  auto seg = Segment::open(dir.path(), 0, {}, true, false, &rec);
  ASSERT_TRUE(seg);
  EXPECT_EQ(rec.truncated_bytes, 4096u);
  EXPECT_EQ((*seg)->next_offset(), 3);
}

TEST(Segment, CorruptionFollowedByValidDataStopsTheStart) {
  TempDir dir;
  {
    auto seg = Segment::create(dir.path(), 0, {});
    ASSERT_TRUE(seg);
    fill(**seg, 10);
  }
  const auto path = dir / segment_file_name(0, ".log");
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(300);  // inside the third batch's records
    f.put('\x7f');
  }
  auto seg = Segment::open(dir.path(), 0, {}, true, false);
  ASSERT_FALSE(seg);
  EXPECT_EQ(seg.error().cls(), ErrorClass::kPermanent);
  EXPECT_NE(seg.error().message().find("--repair"), std::string::npos);
  EXPECT_NE(seg.error().message().find("not a torn write"), std::string::npos);

  SegmentRecovery rec;
  auto repaired = Segment::open(dir.path(), 0, {}, true, true, &rec);
  ASSERT_TRUE(repaired);
  EXPECT_GT(rec.truncated_bytes, 0u);
  EXPECT_LT((*repaired)->next_offset(), 10);
  // What is left reads back clean.
  auto bytes = (*repaired)->read(0, 1 << 20, (*repaired)->size());
  ASSERT_TRUE(bytes);
  EXPECT_EQ(decode_all(*bytes).size(), static_cast<size_t>((*repaired)->next_offset()));
}

// Bytes of disk the file holds, reserved blocks past its end included.
uint64_t allocated_bytes(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

TEST(Segment, ReservesBlocksAheadWithoutGrowingTheFile) {
  TempDir dir;
  constexpr uint64_t kStep = 1 << 20;
  auto seg = Segment::create(dir.path(), 0, SegmentOptions{.reserve_bytes = kStep});
  ASSERT_TRUE(seg);
  fill(**seg, 10);
  const auto path = (*seg)->log_path();
  EXPECT_EQ(std::filesystem::file_size(path), (*seg)->size());
  EXPECT_GE(allocated_bytes(path), 64u << 10);

  ASSERT_TRUE((*seg)->release_reserve());
  EXPECT_EQ(std::filesystem::file_size(path), (*seg)->size());
  EXPECT_LT(allocated_bytes(path), 64u << 10);
  auto records = decode_all(*(*seg)->read(0, 1 << 20, (*seg)->size()));
  EXPECT_EQ(records.size(), 10u);
}

TEST(Segment, ReservesMoreAheadAsTheSegmentGrows) {
  TempDir dir;
  auto seg = Segment::create(dir.path(), 0, SegmentOptions{.reserve_bytes = 4 << 20});
  ASSERT_TRUE(seg);
  const auto path = (*seg)->log_path();
  fill(**seg, 1);  // a quiet partition: the least step
  EXPECT_GE(allocated_bytes(path), 64u << 10);
  EXPECT_LT(allocated_bytes(path), 256u << 10);
  fill(**seg, 600, 1000);  // about 600 KiB, up to as much again ahead
  EXPECT_EQ(std::filesystem::file_size(path), (*seg)->size());
  EXPECT_GT(allocated_bytes(path), (*seg)->size() + (4u << 10));
  EXPECT_LE(allocated_bytes(path), 2 * (*seg)->size() + (64u << 10));
}

TEST(Segment, RecoveryIgnoresBlocksReservedPastTheEnd) {
  TempDir dir;
  int64_t written = 0;
  {
    auto seg = Segment::create(dir.path(), 0, SegmentOptions{.reserve_bytes = 1 << 20});
    ASSERT_TRUE(seg);
    fill(**seg, 20);
    written = (*seg)->next_offset();
    // Gone without release_reserve(), as in a crash.
  }
  const auto path = dir / segment_file_name(0, ".log");
  append_garbage(path, std::string(37, 'x'));  // and a torn batch after the data
  SegmentRecovery rec;
  auto seg =
      Segment::open(dir.path(), 0, SegmentOptions{.reserve_bytes = 1 << 20}, true, false, &rec);
  ASSERT_TRUE(seg) << seg.error().message();
  EXPECT_EQ(rec.truncated_bytes, 37u);
  EXPECT_EQ((*seg)->next_offset(), written);
  EXPECT_EQ(std::filesystem::file_size(path), (*seg)->size());
  fill(**seg, 5);
  EXPECT_EQ((*seg)->next_offset(), written + 5);
  auto records = decode_all(*(*seg)->read(0, 1 << 20, (*seg)->size()));
  ASSERT_EQ(records.size(), static_cast<size_t>(written + 5));
  EXPECT_EQ(records.back().offset, written + 4);
}

TEST(SegmentScan, OffsetsGoingBackwardsAreCorruption) {
  auto a = make_batch({make_record("a")});
  set_base_offset(a, 10);
  auto b = make_batch({make_record("b")});
  set_base_offset(b, 5);
  auto outcome = scan_batches(a + b, 10, nullptr);
  EXPECT_NE(outcome.state, ScanOutcome::State::kClean);
  EXPECT_EQ(outcome.valid_bytes, a.size());
}

TEST(SegmentScan, GapsFromCompactionAreFine) {
  auto a = make_batch({make_record("a")});
  set_base_offset(a, 10);
  auto b = make_batch({make_record("b")});
  set_base_offset(b, 15);
  auto outcome = scan_batches(a + b, 10, nullptr);
  EXPECT_EQ(outcome.state, ScanOutcome::State::kClean);
  EXPECT_EQ(outcome.next_offset, 16);
}

}  // namespace
}  // namespace junction::log
