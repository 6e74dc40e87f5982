#include "log/record_batch.h"

#include <gtest/gtest.h>

#include "log/byte_io.h"
#include "log/crc32c.h"
#include "log/murmur2.h"

namespace junction::log {
namespace {

std::vector<Record> sample_records() {
  std::vector<Record> rs;
  Record a;
  a.timestamp_ms = 1700000000000;
  a.key = "order-1";
  a.value = R"({"id":1,"total":12.5})";
  a.headers = {{"trace", std::string("abc")}, {"empty", std::nullopt}};
  rs.push_back(a);
  Record b;
  b.timestamp_ms = 1700000000500;
  b.value = std::string(3000, 'x');
  rs.push_back(b);
  Record tomb;
  tomb.timestamp_ms = 1699999999000;  // older than the first: deltas go negative
  tomb.key = "order-1";
  rs.push_back(tomb);
  return rs;
}

TEST(Crc32c, MatchesKnownVectors) {
  // RFC 3720 appendix B.4 test vectors.
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(0, std::as_bytes(std::span(zeros.data(), zeros.size()))), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c(0, std::as_bytes(std::span(ones.data(), ones.size()))), 0x62A8AB43u);
  std::string digits = "123456789";
  EXPECT_EQ(crc32c(0, std::as_bytes(std::span(digits.data(), digits.size()))), 0xE3069283u);
}

TEST(Crc32c, ChainsAcrossCalls) {
  std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  auto all = crc32c(0, std::as_bytes(std::span(text.data(), text.size())));
  auto first = crc32c(0, std::as_bytes(std::span(text.data(), 13)));
  auto both = crc32c(first, std::as_bytes(std::span(text.data() + 13, text.size() - 13)));
  EXPECT_EQ(all, both);
}

TEST(Murmur2, MatchesKafkaClients) {
  // Values from Kafka's UtilsTest.testMurmur2 / DefaultPartitionerTest.
  EXPECT_EQ(murmur2("21"), -973932308);
  EXPECT_EQ(murmur2("foobar"), -790332482);
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(murmur2(std::string_view("abc", 3)), 479470107);
}

TEST(Murmur2, PartitionIsNonNegativeAndStable) {
  for (int i = 0; i < 1000; ++i) {
    auto key = "key-" + std::to_string(i);
    auto p = partition_for_key(key, 7);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, 7);
    EXPECT_EQ(p, partition_for_key(key, 7));
  }
}

TEST(ByteIo, VarintsRoundTripAtTheEdges) {
  std::string buf;
  ByteWriter w(buf);
  const std::vector<int64_t> longs = {0, 1, -1, 63, -64, 64, INT64_MAX, INT64_MIN};
  const std::vector<int32_t> ints = {0, 1, -1, 300, -300, INT32_MAX, INT32_MIN};
  for (auto v : longs) w.varlong(v);
  for (auto v : ints) w.varint(v);
  ByteReader r(buf);
  for (auto v : longs) EXPECT_EQ(r.varlong(), v);
  for (auto v : ints) EXPECT_EQ(r.varint(), v);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteIo, ZigZagMatchesKafkaEncoding) {
  // Kafka's ByteUtils: 0 -> 00, -1 -> 01, 1 -> 02, 300 -> d8 04.
  std::string buf;
  ByteWriter w(buf);
  w.varint(0);
  w.varint(-1);
  w.varint(1);
  w.varint(300);
  EXPECT_EQ(buf, std::string("\x00\x01\x02\xd8\x04", 5));
}

TEST(ByteIo, TruncatedInputFailsInsteadOfReadingPastTheEnd) {
  ByteReader r(std::string_view("\x80\x80", 2));
  r.varint();
  EXPECT_FALSE(r.ok());
  ByteReader r2(std::string_view("\x00\x01", 2));
  r2.i32();
  EXPECT_FALSE(r2.ok());
}

class BatchRoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(BatchRoundTrip, EveryFieldSurvives) {
  auto records = sample_records();
  auto batch = encode_batch(42, records, GetParam());
  ASSERT_TRUE(batch) << batch.error().message();
  auto header = parse_batch_header(*batch);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->base_offset, 42);
  EXPECT_EQ(header->magic, 2);
  EXPECT_EQ(header->record_count, 3);
  EXPECT_EQ(header->last_offset_delta, 2);
  EXPECT_EQ(header->first_timestamp, 1699999999000);
  EXPECT_EQ(header->max_timestamp, 1700000000500);
  EXPECT_EQ(header->compression(), GetParam());
  EXPECT_EQ(header->total_size(), batch->size());
  EXPECT_TRUE(batch_crc_ok(*batch));

  auto decoded = decode_batch(*batch);
  ASSERT_TRUE(decoded) << decoded.error().message();
  ASSERT_EQ(decoded->size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    auto expected = records[i];
    expected.offset = 42 + static_cast<int64_t>(i);
    EXPECT_EQ((*decoded)[i], expected) << "record " << i;
  }
}

TEST_P(BatchRoundTrip, EncodingIntoAUsedBufferReplacesWhatItHeld) {
  auto records = sample_records();
  auto fresh = encode_batch(42, records, GetParam());
  ASSERT_TRUE(fresh);
  std::string reused(10000, 'z');  // larger than the batch, and full of garbage
  ASSERT_TRUE(encode_batch(reused, 42, records, GetParam()));
  EXPECT_EQ(reused, *fresh);
  // And a buffer that still holds an earlier batch.
  ASSERT_TRUE(encode_batch(reused, 42, std::span(records).first(1), GetParam()));
  auto one = encode_batch(42, std::span(records).first(1), GetParam());
  ASSERT_TRUE(one);
  EXPECT_EQ(reused, *one);
  EXPECT_FALSE(encode_batch(reused, 0, {}, GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Codecs, BatchRoundTrip,
                         ::testing::Values(Compression::kNone, Compression::kLz4,
                                           Compression::kZstd));

TEST(RecordBatch, CompressionShrinksRepetitiveData) {
  auto records = sample_records();
  auto plain = encode_batch(0, records, Compression::kNone);
  auto lz4 = encode_batch(0, records, Compression::kLz4);
  auto zstd = encode_batch(0, records, Compression::kZstd);
  ASSERT_TRUE(plain && lz4 && zstd);
  EXPECT_LT(lz4->size(), plain->size() / 4);
  EXPECT_LT(zstd->size(), plain->size() / 4);
}

TEST(RecordBatch, HeaderLayoutIsKafkas) {
  Record r;
  r.timestamp_ms = 5;
  r.value = "v";
  auto batch = encode_batch(7, std::span(&r, 1), Compression::kNone);
  ASSERT_TRUE(batch);
  const std::string& b = *batch;
  // baseOffset 7, big-endian.
  EXPECT_EQ(b.substr(0, 8), std::string("\0\0\0\0\0\0\0\x07", 8));
  // batchLength counts everything after itself.
  const uint32_t length =
      (uint8_t(b[8]) << 24) | (uint8_t(b[9]) << 16) | (uint8_t(b[10]) << 8) | uint8_t(b[11]);
  EXPECT_EQ(length, b.size() - 12);
  EXPECT_EQ(b[16], 2);  // magic
  // The record: length 7 (zig-zag 14 = 0x0e), attrs 0, tsDelta 0, offsetDelta 0,
  // key -1 (0x01), value length 1 (0x02) 'v', headers 0.
  EXPECT_EQ(b.substr(61), std::string("\x0e\x00\x00\x00\x01\x02v\x00", 8));
}

TEST(RecordBatch, EveryFlippedByteIsCaught) {
  auto records = sample_records();
  auto batch = encode_batch(0, records, Compression::kLz4);
  ASSERT_TRUE(batch);
  // Bytes from the CRC field onwards are covered by the CRC or checked as header fields.
  for (size_t i = kCrcOffset; i < batch->size(); ++i) {
    std::string broken = *batch;
    broken[i] = static_cast<char>(broken[i] ^ 0x5a);
    EXPECT_FALSE(decode_batch(broken)) << "flipped byte " << i;
  }
}

TEST(RecordBatch, RejectsWrongMagicShortInputAndTruncation) {
  auto records = sample_records();
  auto batch = encode_batch(0, records, Compression::kNone);
  ASSERT_TRUE(batch);
  std::string magic = *batch;
  magic[16] = 1;
  EXPECT_FALSE(parse_batch_header(magic));
  EXPECT_FALSE(parse_batch_header(batch->substr(0, 60)));
  EXPECT_FALSE(decode_batch(batch->substr(0, batch->size() - 1)));
}

TEST(RecordBatch, SettingTheBaseOffsetKeepsTheCrcValid) {
  auto records = sample_records();
  auto batch = encode_batch(0, records, Compression::kZstd);
  ASSERT_TRUE(batch);
  set_base_offset(*batch, 1234567);
  auto decoded = decode_batch(*batch);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->front().offset, 1234567);
  EXPECT_EQ(decoded->back().offset, 1234569);
}

TEST(RecordBatch, EmptyBatchIsRefused) {
  EXPECT_FALSE(encode_batch(0, {}, Compression::kNone));
}

TEST(RecordBatch, DecompressionBombIsBounded) {
  Record r;
  r.value = std::string(1 << 20, 'a');
  auto batch = encode_batch(0, std::span(&r, 1), Compression::kZstd);
  ASSERT_TRUE(batch);
  auto decoded = decode_batch(*batch, 64 * 1024);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message().find("bound"), std::string::npos);
}

}  // namespace
}  // namespace junction::log
