#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "connectors/common/connector_metrics.h"
#include "connectors/kafka/client_config.h"
#include "connectors/kafka/consumer_state.h"

namespace junction::connectors::kafka {

// Writes the records that failed for good to their dead-letter topic (the
// original value, key and headers, plus x-junction-error, -attempts and
// -failed-at), through an idempotent producer with acks=all, and settles
// each in the ledger only once the broker acked it; a failed write is
// retried after a backoff. Driven by the consumer's thread: produce() and
// poll() never block.
class DeadLetterWriter {
 public:
  // `topic`: every dead letter goes there; empty: "<record's topic>.dlq".
  // `on_settled`: a record left the in-flight window.
  DeadLetterWriter(std::string flow, std::string topic, std::shared_ptr<ConsumerState> state,
                   std::shared_ptr<ConnectorMetrics> metrics, std::function<void()> on_settled);

  // Creates the producer with the input's security `options`.
  Status start(const std::string& brokers, const Properties& options);
  // Produces the dead letters waiting in the shared state and those whose
  // retry is due.
  void produce_pending();
  // Serves delivery reports.
  void poll();
  // Waits up to `bound` for dead letters in flight, then destroys the
  // producer (both block: call it from the consumer's thread).
  void close(std::chrono::milliseconds bound);

 private:
  friend struct DeadLetterCallbacks;
  void produce(const PartitionLedger::DeadLetter& dl);
  void on_delivered(const rd_kafka_message_t& m);

  std::string flow_;
  std::string topic_;
  std::shared_ptr<ConsumerState> state_;
  std::shared_ptr<ConnectorMetrics> metrics_;
  std::function<void()> on_settled_;
  HandlePtr producer_;
};

}  // namespace junction::connectors::kafka
