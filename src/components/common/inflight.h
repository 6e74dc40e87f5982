#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/buffer.h"
#include "core/units.h"

namespace junction::components {

// The records of one stream that were emitted and are not yet settled ok,
// ordered by offset. Their lowest offset is the stream's checkpoint: every
// record before it is settled ok. A record settled as failed stays here, so
// the checkpoint never passes it, and waits for its redelivery.
class InflightTracker {
 public:
  using Clock = std::chrono::steady_clock;

  // A failed record whose backoff ran out: emit it again.
  struct Redelivery {
    uint64_t offset;
    Buffer payload;
    int attempt;  // 2 for the first redelivery
  };

  void add(uint64_t offset, Buffer payload);
  void settled_ok(uint64_t offset);
  // Schedules the record's redelivery after a backoff.
  void settled_failed(uint64_t offset, Clock::time_point now);
  // Records whose backoff ended by `now`, at most `max`; they count as in
  // flight again.
  std::vector<Redelivery> take_due(Clock::time_point now, size_t max);
  std::optional<Clock::time_point> next_due() const;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // The checkpoint: the lowest unsettled offset, or `consumed` (where reading
  // got to) when every record is settled.
  uint64_t low_water(uint64_t consumed) const {
    return entries_.empty() ? consumed : entries_.begin()->first;
  }

  // The wait before redelivering a record that failed `failures` times:
  // 100ms doubling up to 5s.
  static Duration backoff(int failures);

 private:
  struct Entry {
    Buffer payload;
    int attempts = 1;  // deliveries so far
  };
  std::map<uint64_t, Entry> entries_;
  std::multimap<Clock::time_point, uint64_t> waiting_;
};

}  // namespace junction::components
