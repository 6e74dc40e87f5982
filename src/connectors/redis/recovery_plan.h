#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "connectors/redis/stream_entry.h"

namespace junction::connectors::redis {

// What to do with one page of this consumer's pending entries (XPENDING).
struct RecoveryPlan {
  std::vector<PendingEntry> redeliver;  // claim (XCLAIM) and deliver again
  std::vector<PendingEntry> expired;    // delivered max_deliveries times: dead-letter
  // No room for the rest of the page: page again from the same cursor once
  // acks made room.
  bool out_of_room = false;
  bool last_page = false;   // the page was short: the pass is over
  std::string next_cursor;  // where the next page starts, when neither of those
};

// Plans a page of `page_size` requested rows. Entries for which `busy` is
// true (in flight, or settled and their XACK not yet sent) are skipped; at
// most `room` entries are redelivered.
RecoveryPlan plan_recovery(std::vector<PendingEntry> page, size_t page_size, size_t room,
                           int64_t max_deliveries,
                           const std::function<bool(const std::string&)>& busy);

}  // namespace junction::connectors::redis
