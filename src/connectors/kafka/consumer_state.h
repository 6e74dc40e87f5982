#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

#include "connectors/kafka/partition_ledger.h"

namespace junction::connectors::kafka {

// A record read by the consumer thread, waiting for the input to emit it.
struct Polled {
  RecordRef ref;
  PartitionLedger::Record record;
};

// What the consumer thread and the input's executor share, behind one mutex:
// the ledger of records in flight and the bounded hand-off between them.
// Ack callbacks (any thread) settle records here directly, so a settlement
// never waits for an executor that may be draining or gone.
struct ConsumerState {
  explicit ConsumerState(int max_deliveries) : ledger(max_deliveries) {}

  std::mutex mu;
  PartitionLedger ledger;
  std::deque<Polled> ready;      // bounded: the thread waits, then pauses fetching, when full
  std::condition_variable room;  // notified when the input takes from `ready`
  std::deque<PartitionLedger::DeadLetter> dead_letters;  // for the thread to write

  // Wakes the input's run loop (posts to its executor); set by the input.
  std::function<void()> wake_input;
};

}  // namespace junction::connectors::kafka
