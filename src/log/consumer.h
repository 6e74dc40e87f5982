#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "log/group_coordinator.h"
#include "log/store.h"

namespace junction::log {

// Where a group starts reading a partition it has no committed offset for.
struct StartPosition {
  enum class Kind { kEarliest, kLatest, kOffset, kTimestamp };
  Kind kind = Kind::kEarliest;
  int64_t value = 0;  // the offset, or the timestamp in ms

  // "earliest", "latest", "offset:N", "time:<ms since epoch>" or an RFC 3339
  // time ("2026-11-26T08:00:00Z").
  static Result<StartPosition> parse(std::string_view text);
};

struct ConsumerOptions {
  std::string group;
  std::string topic;
  StartPosition start;
  size_t max_in_flight = 1000;  // delivered and not yet acked, per consumer
  size_t fetch_bytes = 1u << 20;
  std::chrono::milliseconds ack_timeout{30000};  // unacked this long: redeliver
  std::chrono::milliseconds commit_interval{1000};
  bool commit = true;  // false: a browse that never writes offsets
  // Zero for a member in this process, which leaves when it stops. A remote
  // member must be heard from within it or the group drops it (see
  // GroupCoordinator::expire).
  std::chrono::milliseconds session_timeout{0};
};

// A record handed to the application, and how often it was handed out.
struct Delivery {
  int32_t partition = 0;
  Record record;
  int32_t attempt = 1;
};

// Headers a redelivered or dead-lettered record carries.
inline constexpr std::string_view kAttemptsHeader = "x-junction-attempts";
inline constexpr std::string_view kDeadLetterReasonHeader = "x-junction-error";
inline constexpr std::string_view kDeadLetterSourceHeader = "x-junction-source";

// One member of a consumer group on one topic. The group shares the topic's
// partitions among its members (GroupCoordinator); this member fetches its
// partitions in offset order and tracks every delivery until it is acked:
// a nack or an ack timeout redelivers it, with an attempts header, up to the
// topic's max_deliveries, after which it goes to the dead-letter topic with
// the reason in headers. The committed offset of a partition is always its
// lowest unacked offset, so a crash or a rebalance redelivers, never skips.
//
// Threads: poll/ack/nack/commit/next_deadline run on one thread (the
// owner's). `wake` may be called from any thread (new data, a rebalance, a
// completed dead-letter write): the owner should then poll again.
class Consumer {
 public:
  using Clock = std::chrono::steady_clock;

  Consumer(Store& store, ConsumerOptions options, std::function<void()> wake);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Joins the group; partitions arrive through the rebalance that follows.
  Status start();
  // Commits what is acked, then leaves the group.
  void stop();

  // Up to `max` deliveries ready now: due redeliveries first, then new records.
  Result<std::vector<Delivery>> poll(size_t max, Clock::time_point now = Clock::now());
  void ack(int32_t partition, int64_t offset);
  void nack(int32_t partition, int64_t offset, std::string reason,
            Clock::time_point now = Clock::now());
  // Commits each owned partition's lowest unacked offset, when it moved and
  // the group still gives the partition to this member in the tenure it
  // knows (GroupCoordinator::commit_as). A partition refused is dropped, as
  // a rebalance would drop it: the assignment that follows starts it over
  // from the committed offset.
  void commit();
  // A remote member's commit: `offsets` maps a partition to the next record
  // the member will process in it, so every delivery below counts as acked.
  // Commits each partition's lowest unacked offset; `done` runs once those
  // writes are durable (at once when none moved), with the first failure.
  // All or nothing: refused, acking nothing and without calling `done`, when
  // the member no longer owns one of the partitions or, given the generation
  // its records were handed out in, its tenure of one began after it
  // (GroupCoordinator::commit_as).
  GroupCoordinator::CommitVerdict commit_through(const std::map<int32_t, int64_t>& offsets,
                                                 std::optional<uint64_t> generation,
                                                 std::function<void(Status)> done);
  // When poll() next has something to do without new data (a redelivery or an ack timeout).
  std::optional<Clock::time_point> next_deadline() const;
  // Asks each owned partition to wake us once data arrives past what we read.
  void arm();

  std::vector<int32_t> assigned() const;
  // The group's id for this member, and the rebalance its partitions come from.
  uint64_t member() const { return member_; }
  uint64_t generation() const { return generation_; }
  size_t in_flight() const;
  // Dead-letter writes that have not completed yet.
  size_t dead_letters_pending() const;

 private:
  struct Pending {
    Record record;
    int32_t attempt = 1;
    Clock::time_point deadline;       // ack timeout, or redelivery time once nacked
    bool waiting_redelivery = false;  // nacked, waiting for its backoff
    bool dead_lettering = false;      // being written to the dead-letter topic
    std::string last_error;
  };
  struct PartitionState {
    int32_t id = 0;
    uint64_t owned_since = 0;            // the generation it came to us (Assignment)
    int64_t next_fetch = 0;              // next offset to read from the log
    std::deque<Record> buffered;         // fetched, not yet delivered
    std::map<int64_t, Pending> pending;  // delivered, not yet acked
    int64_t committed = -1;
    std::shared_ptr<std::atomic<bool>> armed = std::make_shared<std::atomic<bool>>(false);
    int64_t low_water() const;
    // The low water once every delivery below `offset` is acked.
    int64_t low_water_through(int64_t offset) const;
    // Acks the deliveries below `offset`; returns how many.
    size_t ack_through(int64_t offset);
  };
  // Shared with callbacks that may outlive this consumer (partition waiters,
  // the coordinator, dead-letter appends); they check `alive` before acting.
  struct Shared {
    std::mutex mu;
    bool alive = true;
    std::function<void()> wake;
    std::optional<Assignment> new_assignment;
    // Rebalances may notify out of order (each outside the coordinator's
    // lock); an older generation than one already seen is dropped.
    uint64_t generation_seen = 0;
    std::vector<std::pair<int32_t, int64_t>> dead_lettered;  // (partition, offset) written
    std::vector<std::tuple<int32_t, int64_t, std::string>> dead_letter_failed;
    void ring();
  };

  void apply_inbox(Clock::time_point now);
  void assign(const Assignment& assignment);
  Status fetch(PartitionState& p);
  int64_t initial_offset(const Partition& partition) const;
  void dead_letter(PartitionState& p, int64_t offset, Pending& pending);
  Delivery deliver(PartitionState& p, const Record& r, int32_t attempt, Clock::time_point now);
  Topic* dead_letter_topic();

  Store& store_;
  ConsumerOptions options_;
  Topic* topic_ = nullptr;
  std::shared_ptr<Shared> shared_;
  uint64_t member_ = 0;
  uint64_t generation_ = 0;
  std::map<int32_t, PartitionState> partitions_;
  size_t in_flight_ = 0;
  size_t dead_letters_pending_ = 0;
  Clock::time_point last_commit_{};
};

}  // namespace junction::log
