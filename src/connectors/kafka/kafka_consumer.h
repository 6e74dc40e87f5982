#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connectors/common/codec.h"
#include "connectors/common/connector_metrics.h"
#include "connectors/kafka/client_config.h"
#include "connectors/kafka/consumer_state.h"
#include "connectors/kafka/dead_letter_writer.h"
#include "resilience/backoff.h"

namespace junction::connectors::kafka {

struct ConsumerOptions {
  std::string flow;
  std::string brokers;
  std::vector<std::string> topics;
  std::string group;
  std::string start = "earliest";  // auto.offset.reset for a group without offsets
  Properties options;              // extra librdkafka properties (SASL, SSL, tuning)
  size_t handoff = 200;            // records read ahead of the flow, at most
  std::string dead_letter;         // empty: "<topic>.dlq"
  std::chrono::milliseconds commit_interval{1000};
  std::chrono::milliseconds close_timeout{10000};
};

// The consumer-group member: owns a librdkafka consumer (and the dead-letter
// writer) and the thread that drives them, because every call that
// blocks (consumer_poll, a synchronous commit on revoke, close) must stay off
// the flow's executor. It
//   - reads records into the shared hand-off, waiting while it is full, and
//     pausing its partitions when the flow stays behind (seeking on resume
//     to the record after the last one read, so nothing is skipped);
//   - commits, every commit_interval, each partition's lowest unsettled offset;
//   - on revoke, commits what was settled for the revoked partitions
//     synchronously and forgets them (late settlements become no-ops);
//   - drives the dead-letter writer;
//   - reports the connection: down on "all brokers down", up again once a
//     metadata request succeeds (probed with backoff).
class KafkaConsumer {
 public:
  KafkaConsumer(ConsumerOptions o, Codec codec, std::shared_ptr<ConsumerState> state,
                std::shared_ptr<ConnectorMetrics> metrics);
  ~KafkaConsumer();
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;

  // Creates the clients and subscribes; does not block on the network.
  Status start();
  // Asks the thread to finish: write pending dead letters (bounded), commit
  // what was settled, leave the group. Returns at once; join() waits.
  void request_stop() {
    stop_.store(true);
    state_->room.notify_all();
  }
  // Blocks until the thread exited: call it off the executor.
  void join();

 private:
  friend struct ConsumerCallbacks;

  void run();
  void handle(rd_kafka_message_t& m);
  void apply_backpressure();
  void commit(bool sync);
  void leave_group();
  void probe_connection();
  void on_error(rd_kafka_resp_err_t err, const char* reason);
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  void on_committed(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets);
  void wake_input();

  ConsumerOptions o_;
  Codec codec_;
  std::shared_ptr<ConsumerState> state_;
  std::shared_ptr<ConnectorMetrics> metrics_;
  HandlePtr consumer_;
  DeadLetterWriter dead_letters_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  // Thread-only state.
  bool connected_ = false;
  bool paused_ = false;
  std::map<TopicPartition, int64_t> fetched_next_;  // offset after the last record read
  std::chrono::steady_clock::time_point next_commit_{};
  std::chrono::steady_clock::time_point next_probe_{};
  int probe_failures_ = 0;
  resilience::Backoff probe_backoff_{std::chrono::milliseconds(200), std::chrono::seconds(5)};
};

}  // namespace junction::connectors::kafka
