#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "components/common/inflight.h"
#include "core/buffer.h"

namespace junction::connectors::postgres {

// The rows the postgres input handed to its flow and how far its cursor may
// move. Each emitted row gets a sequence number (rows come in cursor order);
// the checkpoint is the cursor value of the last row before the lowest one
// not yet settled ok, so a restart that asks for `cursor > checkpoint` reads
// again exactly what might not have been delivered. Rows sharing a cursor
// value move the checkpoint together: stopping between them would skip the
// rest. A failed row stays (the checkpoint waits for it) and is handed out
// again after a backoff. Single-threaded: acks are posted to the input's
// executor first.
class CursorProgress {
 public:
  using Clock = components::InflightTracker::Clock;
  using Redelivery = components::InflightTracker::Redelivery;

  explicit CursorProgress(std::string checkpoint) : checkpoint_(std::move(checkpoint)) {}

  // Records a row handed to the flow; returns its sequence number.
  uint64_t emitted(std::string cursor, Buffer payload);
  void settled_ok(uint64_t seq);
  void settled_failed(uint64_t seq, Clock::time_point now);

  // Failed rows whose backoff ended, at most `max`.
  std::vector<Redelivery> take_due(Clock::time_point now, size_t max) {
    return tracker_.take_due(now, max);
  }
  std::optional<Clock::time_point> next_due() const { return tracker_.next_due(); }

  size_t in_flight() const { return tracker_.size(); }
  const std::string& checkpoint() const { return checkpoint_; }

 private:
  void advance();

  components::InflightTracker tracker_;
  std::map<uint64_t, std::string> cursors_;  // emitted rows past the checkpoint
  uint64_t next_seq_ = 0;
  std::string checkpoint_;
};

}  // namespace junction::connectors::postgres
