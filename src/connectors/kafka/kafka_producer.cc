#include "connectors/kafka/kafka_producer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "connectors/kafka/client_log.h"
#include "core/cpu_affinity.h"

namespace junction::connectors::kafka {

using Clock = std::chrono::steady_clock;

struct ProducerCallbacks {
  static void delivered(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<KafkaProducer*>(opaque);
    std::unique_ptr<DeliveryTicket> ticket(static_cast<DeliveryTicket*>(m->_private));
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && !self->connected_.exchange(true)) {
      self->metrics_->connected();
    }
    auto ex = ticket->ex;
    boost::asio::post(ex, [t = std::move(ticket), err = m->err] {
      t->deliveries->errors[t->index] = err;
      --t->deliveries->outstanding;
      t->deliveries->waker.wake();
    });
  }
  static void error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<KafkaProducer*>(opaque)->on_error(static_cast<rd_kafka_resp_err_t>(err), reason);
  }
};

KafkaProducer::KafkaProducer(std::string flow, std::string brokers, Properties props,
                             std::shared_ptr<ConnectorMetrics> metrics,
                             std::chrono::milliseconds close_timeout)
    : flow_(std::move(flow)),
      brokers_(std::move(brokers)),
      props_(std::move(props)),
      metrics_(std::move(metrics)),
      close_timeout_(close_timeout) {}

KafkaProducer::~KafkaProducer() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

Status KafkaProducer::start() {
  Properties props = props_;
  props["bootstrap.servers"] = brokers_;
  // Written means acked by every in-sync replica, once, in order.
  props["enable.idempotence"] = "true";
  props["acks"] = "all";
  auto conf = make_conf(props);
  if (!conf) return conf.error();
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &ProducerCallbacks::delivered);
  rd_kafka_conf_set_error_cb(conf->get(), &ProducerCallbacks::error);
  rd_kafka_conf_set_log_cb(conf->get(), &log_to_spdlog);
  char errstr[512];
  cpu::Unpinned unpinned;  // librdkafka's threads start here
  rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf->release(), errstr, sizeof errstr));
  if (!rk_) return Error::invalid(fmt::format("kafka producer: {}", errstr));
  metrics_->connecting();
  thread_ = cpu::unpinned_thread([this] { run(); });
  return ok_status();
}

void KafkaProducer::run() {
  while (!stop_.load()) {
    rd_kafka_poll(rk_.get(), 100);  // delivery reports and errors, on this thread
    if (!connected_.load() && Clock::now() >= next_probe_) probe_connection();
  }
}

void KafkaProducer::close() {
  if (!rk_) return;
  // The thread stops first: the flush below serves the callbacks on this
  // thread, and they must not run on two at once.
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  // Writes wait for their reports, so nothing should be left; bound it anyway.
  if (rd_kafka_flush(rk_.get(), static_cast<int>(close_timeout_.count())) != 0) {
    spdlog::warn("flow {}: kafka producer: messages left undelivered at close", flow_);
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk_.get(), 0);  // reports of purged messages release their tickets
  }
  rk_.reset();
}

void KafkaProducer::on_error(rd_kafka_resp_err_t err, const char* reason) {
  metrics_->error();
  if (is_connection_error(err)) {
    if (connected_.exchange(false)) spdlog::warn("flow {}: kafka down: {}", flow_, reason);
    probe_failures_ = 0;
    next_probe_ = Clock::now() + probe_backoff_.delay(1);
    metrics_->disconnected(reason);
  } else if (err == RD_KAFKA_RESP_ERR__TRANSPORT && !connected_.load()) {
    spdlog::debug("flow {}: kafka producer: {}", flow_, reason);  // known down: retries are noise
  } else {
    spdlog::warn("flow {}: kafka producer: {}", flow_, reason);
  }
}

void KafkaProducer::probe_connection() {
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk_.get(), 0, nullptr, &md, 1000);
  if (md) rd_kafka_metadata_destroy(md);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (!connected_.exchange(true)) {
      metrics_->connected();
      spdlog::info("flow {}: kafka connected to {}", flow_, brokers_);
    }
    probe_failures_ = 0;
    return;
  }
  next_probe_ = Clock::now() + probe_backoff_.delay(++probe_failures_);
}

}  // namespace junction::connectors::kafka
