#pragma once

#include <nats/nats.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "connectors/common/connector_metrics.h"
#include "connectors/nats/config.h"
#include "connectors/nats/connection.h"
#include "connectors/nats/pull.h"
#include "core/error.h"
#include "resilience/backoff.h"

namespace junction::connectors::nats {

// What becomes of a fetched message once the flow settled it:
//   ok                               ack
//   transient, deliveries left       nak with a delay growing per delivery
//   permanent / invalid, or the last
//   delivery failed                  publish to `dead_letter` (when set), wait
//                                    for its JetStream ack, then term
// A dead letter that cannot be published is naked instead, so the message
// is never lost to a failing dead-letter subject.
enum class Settlement { kAck, kNak, kTerm };
Settlement decide(const Status& status, uint64_t deliveries, int max_deliver);

// The pending settlements, shared with the acks the flow holds: an Ack may
// be settled from any thread, even after its input closed (the flow gave up
// draining). Closed, it frees the message and the server redelivers it
// after ack_wait.
class SettleQueue {
 public:
  void push(natsMsg* msg, Status status);
  // Waits for work or close(); false once closed and empty.
  bool pop_all(std::deque<std::pair<natsMsg*, Status>>& out);
  void close();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<natsMsg*, Status>> items_;
  bool closed_ = false;
};

// Acks, naks and terms on a thread of its own: natsMsg_Ack writes to the
// socket and a dead letter waits for its publish ack, neither of which may
// happen on the flow's executor where acks are settled.
class Settler {
 public:
  // `released` runs after each run of settlements with their count (the
  // input's in-flight credit): once per run, not per message.
  Settler(const InputOptions& o, Connection& connection, ConnectorMetrics& metrics,
          std::function<void(int)> released);
  ~Settler();

  void start();
  // Settles what is queued (bounded by the queue: max_in_flight), then
  // stops; settlements arriving later free their message unsettled.
  void stop();
  const std::shared_ptr<SettleQueue>& queue() const { return queue_; }

 private:
  void run();
  void settle(natsMsg* msg, const Status& status);
  Status dead_letter(natsMsg* msg, const Error& why, const Delivery* d);

  const InputOptions& o_;
  Connection& connection_;
  ConnectorMetrics& metrics_;
  std::function<void(int)> released_;
  resilience::Backoff backoff_;
  std::shared_ptr<SettleQueue> queue_ = std::make_shared<SettleQueue>();
  std::thread thread_;
};

}  // namespace junction::connectors::nats
