#include "connectors/kafka/partition_ledger.h"

#include <gtest/gtest.h>

namespace junction::connectors::kafka {
namespace {

using Clock = PartitionLedger::Clock;

const TopicPartition kP0{"orders", 0};
const TopicPartition kP1{"orders", 1};

PartitionLedger::Record record(std::string payload) {
  Message m;
  m.payload = Buffer(payload);
  m.key = "k";
  return {std::move(m), Buffer(std::move(payload))};
}

std::optional<int64_t> position(const PartitionLedger& l, const TopicPartition& tp) {
  for (const auto& c : l.commits(/*all=*/true)) {
    if (c.tp == tp) return c.offset;
  }
  return std::nullopt;
}

TEST(PartitionLedger, CommitPositionIsTheLowestUnsettledOffset) {
  PartitionLedger l(5);
  const uint64_t gen = l.assign(kP0);
  EXPECT_EQ(position(l, kP0), std::nullopt);  // nothing taken: nothing to commit
  for (int64_t o = 10; o < 13; ++o) ASSERT_TRUE(l.take({kP0, gen, o}, record("r")));
  EXPECT_EQ(position(l, kP0), 10);
  EXPECT_TRUE(l.settled_ok({kP0, gen, 11}));
  EXPECT_EQ(position(l, kP0), 10);  // 10 still in flight: 11 must not be committed
  EXPECT_TRUE(l.settled_ok({kP0, gen, 10}));
  EXPECT_EQ(position(l, kP0), 12);
  EXPECT_TRUE(l.settled_ok({kP0, gen, 12}));
  EXPECT_EQ(position(l, kP0), 13);  // everything settled: after the last record
  EXPECT_EQ(l.in_flight(), 0u);
}

TEST(PartitionLedger, CommitsReportsOnlyPositionsThatMoved) {
  PartitionLedger l(5);
  const uint64_t gen = l.assign(kP0);
  ASSERT_TRUE(l.take({kP0, gen, 0}, record("r")));
  ASSERT_TRUE(l.settled_ok({kP0, gen, 0}));
  ASSERT_EQ(l.commits().size(), 1u);
  l.mark_committed(kP0, 1);
  EXPECT_TRUE(l.commits().empty());
  EXPECT_EQ(l.commits(/*all=*/true).size(), 1u);
}

TEST(PartitionLedger, SettlementsOfARevokedPartitionAreNoOps) {
  PartitionLedger l(5);
  const uint64_t gen = l.assign(kP0);
  ASSERT_TRUE(l.take({kP0, gen, 0}, record("a")));
  ASSERT_TRUE(l.take({kP0, gen, 1}, record("b")));
  ASSERT_TRUE(l.settled_ok({kP0, gen, 0}));
  // Revoked with record 1 in flight: commit 1, so the new owner reads it again.
  EXPECT_EQ(l.revoke(kP0), 1);
  EXPECT_EQ(l.in_flight(), 0u);
  EXPECT_FALSE(l.settled_ok({kP0, gen, 1}));
  std::optional<PartitionLedger::DeadLetter> dl;
  EXPECT_EQ(l.settled_failed({kP0, gen, 1}, "late", Clock::now(), &dl),
            PartitionLedger::Outcome::kStale);
  EXPECT_FALSE(dl);
  EXPECT_TRUE(l.commits(true).empty());
}

TEST(PartitionLedger, AReassignedPartitionIgnoresTheEarlierAssignment) {
  PartitionLedger l(5);
  const uint64_t first = l.assign(kP0);
  ASSERT_TRUE(l.take({kP0, first, 7}, record("a")));
  (void)l.revoke(kP0);
  const uint64_t second = l.assign(kP0);
  EXPECT_NE(first, second);
  // A record read under the first assignment must not be emitted now...
  EXPECT_FALSE(l.take({kP0, first, 8}, record("b")));
  // ...and its late ack must not settle the same offset of the new one.
  ASSERT_TRUE(l.take({kP0, second, 7}, record("a")));
  EXPECT_FALSE(l.settled_ok({kP0, first, 7}));
  EXPECT_EQ(position(l, kP0), 7);
  EXPECT_TRUE(l.settled_ok({kP0, second, 7}));
  EXPECT_EQ(position(l, kP0), 8);
}

TEST(PartitionLedger, ARecordTakenTwiceIsEmittedOnce) {
  PartitionLedger l(5);
  const uint64_t gen = l.assign(kP0);
  ASSERT_TRUE(l.take({kP0, gen, 3}, record("a")));
  EXPECT_FALSE(l.take({kP0, gen, 3}, record("a")));  // re-fetched after a pause
  EXPECT_FALSE(l.take({kP0, gen, 2}, record("z")));
  EXPECT_EQ(l.in_flight(), 1u);
}

TEST(PartitionLedger, AFailedRecordIsRedeliveredAfterBackoffAndHoldsThePosition) {
  PartitionLedger l(5);
  const uint64_t gen = l.assign(kP0);
  ASSERT_TRUE(l.take({kP0, gen, 0}, record("a")));
  ASSERT_TRUE(l.take({kP0, gen, 1}, record("b")));
  ASSERT_TRUE(l.settled_ok({kP0, gen, 1}));
  const auto now = Clock::now();
  std::optional<PartitionLedger::DeadLetter> dl;
  EXPECT_EQ(l.settled_failed({kP0, gen, 0}, "boom", now, &dl),
            PartitionLedger::Outcome::kRedeliver);
  EXPECT_FALSE(dl);
  EXPECT_EQ(position(l, kP0), 0);
  EXPECT_TRUE(l.take_due(now, 10).empty());  // still backing off
  ASSERT_EQ(l.next_due(), now + PartitionLedger::backoff(1));
  auto due = l.take_due(*l.next_due(), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].ref.offset, 0);
  EXPECT_EQ(due[0].attempt, 2);
  EXPECT_EQ(due[0].message.payload.view(), "a");
  EXPECT_EQ(due[0].message.key, "k");
  EXPECT_EQ(l.in_flight(), 1u);
  EXPECT_TRUE(l.settled_ok(due[0].ref));
  EXPECT_EQ(position(l, kP0), 2);
}

TEST(PartitionLedger, AfterMaxDeliveriesTheRecordIsDeadLetteredThenSettled) {
  PartitionLedger l(2);
  const uint64_t gen = l.assign(kP0);
  const RecordRef ref{kP0, gen, 5};
  ASSERT_TRUE(l.take(ref, record("poison")));
  std::optional<PartitionLedger::DeadLetter> dl;
  auto now = Clock::now();
  ASSERT_EQ(l.settled_failed(ref, "bad", now, &dl), PartitionLedger::Outcome::kRedeliver);
  auto due = l.take_due(now + std::chrono::hours(1), 10);
  ASSERT_EQ(due.size(), 1u);
  ASSERT_EQ(l.settled_failed(ref, "still bad", now, &dl), PartitionLedger::Outcome::kDeadLetter);
  ASSERT_TRUE(dl);
  EXPECT_EQ(dl->reason, "still bad");
  EXPECT_EQ(dl->attempts, 2);
  EXPECT_EQ(dl->record.value.view(), "poison");
  EXPECT_EQ(position(l, kP0), 5);  // not committed until the dead letter is written

  // The dead-letter write failed: retried after a backoff, not redelivered.
  l.dead_letter_failed(ref, now);
  EXPECT_TRUE(l.take_due(now + std::chrono::hours(1), 10).empty());
  auto retry = l.take_due_dead_letters(now + std::chrono::hours(1));
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].ref.offset, 5);

  EXPECT_TRUE(l.settled_ok(ref));  // the dead letter is durable
  EXPECT_EQ(position(l, kP0), 6);
}

TEST(PartitionLedger, UndecodableRecordsGoStraightToTheDeadLetter) {
  PartitionLedger l(5);
  const uint64_t gen = l.assign(kP1);
  ASSERT_TRUE(l.take({kP1, gen, 0}, record("\x01")));
  std::optional<PartitionLedger::DeadLetter> dl;
  EXPECT_EQ(l.settled_failed({kP1, gen, 0}, "not JSON", Clock::now(), &dl, /*retry=*/false),
            PartitionLedger::Outcome::kDeadLetter);
  ASSERT_TRUE(dl);
  EXPECT_EQ(dl->attempts, 1);
}

TEST(PartitionLedger, BackoffDoublesUpToFiveSeconds) {
  EXPECT_EQ(PartitionLedger::backoff(1), std::chrono::milliseconds(100));
  EXPECT_EQ(PartitionLedger::backoff(2), std::chrono::milliseconds(200));
  EXPECT_EQ(PartitionLedger::backoff(20), std::chrono::milliseconds(5000));
}

}  // namespace
}  // namespace junction::connectors::kafka
