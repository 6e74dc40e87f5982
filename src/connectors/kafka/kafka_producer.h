#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "components/common/waker.h"
#include "connectors/common/connector_metrics.h"
#include "connectors/kafka/client_config.h"
#include "resilience/backoff.h"

namespace junction::connectors::kafka {

// The delivery reports of one write, filled in on the write's executor.
struct Deliveries {
  Deliveries(const boost::asio::any_io_executor& ex, size_t n)
      : waker(ex), errors(n, RD_KAFKA_RESP_ERR_NO_ERROR) {}

  components::Waker waker;  // woken by every report
  std::vector<rd_kafka_resp_err_t> errors;
  size_t outstanding = 0;  // produced, not yet reported
};

// What the delivery report of one produced message goes back to.
struct DeliveryTicket {
  std::shared_ptr<Deliveries> deliveries;
  size_t index;
  boost::asio::any_io_executor ex;
};

// An idempotent producer (acks=all) and the thread that serves it: delivery
// reports, errors and, while the brokers are down, a metadata probe that
// tells readiness when they are back. produce() never blocks; reports are
// posted to the executor of the write they belong to.
class KafkaProducer {
 public:
  KafkaProducer(std::string flow, std::string brokers, Properties props,
                std::shared_ptr<ConnectorMetrics> metrics, std::chrono::milliseconds close_timeout);
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  Status start();
  rd_kafka_t* handle() const { return rk_.get(); }
  // Flushes (bounded by close_timeout), then stops the thread. Blocks: call
  // it off the executor.
  void close();

 private:
  friend struct ProducerCallbacks;
  void run();
  void on_error(rd_kafka_resp_err_t err, const char* reason);
  void probe_connection();

  std::string flow_;
  std::string brokers_;
  Properties props_;
  std::shared_ptr<ConnectorMetrics> metrics_;
  std::chrono::milliseconds close_timeout_;
  HandlePtr rk_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::chrono::steady_clock::time_point next_probe_{};
  int probe_failures_ = 0;
  resilience::Backoff probe_backoff_{std::chrono::milliseconds(200), std::chrono::seconds(5)};
};

}  // namespace junction::connectors::kafka
