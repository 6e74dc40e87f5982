#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "core/message.h"

namespace junction::connectors::kafka {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  auto operator<=>(const TopicPartition&) const = default;
};

// Where a record stands: which partition, which assignment of it, which offset.
// An assignment's generation changes every time the partition is (re)assigned,
// so a settlement for a record of an earlier assignment is recognised as stale.
struct RecordRef {
  TopicPartition tp;
  uint64_t generation = 0;
  int64_t offset = 0;
};

// The records of the assigned partitions that were handed to the flow and are
// not yet settled ok, the Kafka side of the at-least-once guarantee:
//   - a partition's commit position is its lowest unsettled offset (every
//     record before it was settled ok), or the offset after the last record
//     taken when none is pending;
//   - a failed record waits for a redelivery with backoff and keeps the
//     position from passing it; after `max_deliveries` it is dead-lettered,
//     and counts as settled once the dead letter is written;
//   - a revoked partition is forgotten: settlements that arrive later for it
//     are no-ops, its records are redelivered to the partition's new owner.
// Not thread-safe: its owner serialises access.
class PartitionLedger {
 public:
  using Clock = std::chrono::steady_clock;

  // The flow's copy of a record (no ack) and the record's original value,
  // which a dead letter carries unchanged.
  struct Record {
    Message message;
    Buffer value;
  };

  // A failed record whose backoff ran out: hand it to the flow again.
  struct Redelivery {
    RecordRef ref;
    Message message;
    int attempt;  // deliveries including this one: 2 for the first redelivery
  };

  // A record that failed `max_deliveries` times: write it to the dead-letter topic.
  struct DeadLetter {
    RecordRef ref;
    Record record;
    std::string reason;
    int attempts;
  };

  struct Commit {
    TopicPartition tp;
    int64_t offset;
  };

  enum class Outcome { kStale, kRedeliver, kDeadLetter };

  explicit PartitionLedger(int max_deliveries) : max_deliveries_(max_deliveries) {}

  // A new assignment of `tp`; returns its generation.
  uint64_t assign(const TopicPartition& tp);
  // Forgets `tp`; returns its commit position, if records were taken from it.
  std::optional<int64_t> revoke(const TopicPartition& tp);
  // The current generation of `tp`, if assigned.
  std::optional<uint64_t> generation(const TopicPartition& tp) const;

  // Records a record handed to the flow. False when `ref` is stale (revoked
  // since it was read) or already taken: then it must not be emitted.
  bool take(const RecordRef& ref, Record record);

  // The flow settled the record ok (or its dead letter was written).
  bool settled_ok(const RecordRef& ref);
  // The flow failed the record: schedules its redelivery, or returns the
  // dead letter to write once it failed `max_deliveries` times (at once
  // without `retry`: bytes that cannot be decoded fail every time).
  Outcome settled_failed(const RecordRef& ref, std::string reason, Clock::time_point now,
                         std::optional<DeadLetter>* dead_letter, bool retry = true);
  // Writing the dead letter failed: try again after a backoff.
  void dead_letter_failed(const RecordRef& ref, Clock::time_point now);

  std::vector<Redelivery> take_due(Clock::time_point now, size_t max);
  std::vector<DeadLetter> take_due_dead_letters(Clock::time_point now);
  std::optional<Clock::time_point> next_due() const;

  // Positions that moved since mark_committed(); all of them with `all`.
  std::vector<Commit> commits(bool all = false) const;
  void mark_committed(const TopicPartition& tp, int64_t offset);

  // Records handed to the flow and not settled ok, of every partition.
  size_t in_flight() const { return in_flight_; }
  std::vector<TopicPartition> assigned() const;

  // The wait before redelivering a record that failed `failures` times.
  static std::chrono::milliseconds backoff(int failures);

 private:
  struct Pending {
    Record record;
    int deliveries = 1;
    bool waiting = false;         // failed, waiting for its redelivery
    bool dead_lettering = false;  // failed for good, its dead letter pending
    Clock::time_point due{};
    std::string reason;
  };
  struct Partition {
    uint64_t generation = 0;
    int64_t next = -1;       // the offset after the last record taken
    int64_t committed = -1;  // the last position marked committed
    std::map<int64_t, Pending> pending;
  };

  Partition* find(const RecordRef& ref);
  static std::optional<int64_t> position(const Partition& p);
  void schedule(const TopicPartition& tp, int64_t offset, Pending& entry, Clock::time_point due);
  void unschedule(const TopicPartition& tp, int64_t offset, const Pending& entry);

  int max_deliveries_;
  uint64_t generations_ = 0;
  size_t in_flight_ = 0;
  std::map<TopicPartition, Partition> partitions_;
  // Waiting records by due time (redeliveries and dead-letter retries).
  std::multimap<Clock::time_point, std::pair<TopicPartition, int64_t>> due_;
};

}  // namespace junction::connectors::kafka
