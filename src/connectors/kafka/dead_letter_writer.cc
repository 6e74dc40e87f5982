#include "connectors/kafka/dead_letter_writer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connectors/kafka/client_log.h"
#include "core/cpu_affinity.h"

namespace junction::connectors::kafka {

using Clock = std::chrono::steady_clock;

struct DeadLetterCallbacks {
  static void delivered(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    static_cast<DeadLetterWriter*>(opaque)->on_delivered(*m);
  }
};

namespace {

void add_header(rd_kafka_headers_t* h, std::string_view name, std::string_view value) {
  rd_kafka_header_add(h, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                      static_cast<ssize_t>(value.size()));
}

}  // namespace

DeadLetterWriter::DeadLetterWriter(std::string flow, std::string topic,
                                   std::shared_ptr<ConsumerState> state,
                                   std::shared_ptr<ConnectorMetrics> metrics,
                                   std::function<void()> on_settled)
    : flow_(std::move(flow)),
      topic_(std::move(topic)),
      state_(std::move(state)),
      metrics_(std::move(metrics)),
      on_settled_(std::move(on_settled)) {}

Status DeadLetterWriter::start(const std::string& brokers, const Properties& options) {
  Properties props = options;
  props["bootstrap.servers"] = brokers;
  // Idempotent: a retried dead letter is not written twice.
  props["enable.idempotence"] = "true";
  props["acks"] = "all";
  auto conf = make_conf(props);
  if (!conf) return conf.error();
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &DeadLetterCallbacks::delivered);
  rd_kafka_conf_set_log_cb(conf->get(), &log_to_spdlog);
  char errstr[512];
  cpu::Unpinned unpinned;  // librdkafka's threads start here
  producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf->release(), errstr, sizeof errstr));
  if (!producer_) return Error::invalid(fmt::format("kafka dead-letter producer: {}", errstr));
  return ok_status();
}

void DeadLetterWriter::produce_pending() {
  std::vector<PartitionLedger::DeadLetter> todo;
  {
    std::lock_guard lock(state_->mu);
    for (auto& dl : state_->dead_letters) todo.push_back(std::move(dl));
    state_->dead_letters.clear();
    for (auto& dl : state_->ledger.take_due_dead_letters(Clock::now())) {
      todo.push_back(std::move(dl));
    }
  }
  for (const auto& dl : todo) produce(dl);
}

void DeadLetterWriter::produce(const PartitionLedger::DeadLetter& dl) {
  const std::string topic = topic_.empty() ? dl.ref.tp.topic + ".dlq" : topic_;
  const Message& m = dl.record.message;
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(m.headers.size() + 3);
  for (const auto& [name, value] : m.headers) add_header(hdrs, name, value);
  add_header(hdrs, "x-junction-error", dl.reason);
  add_header(hdrs, "x-junction-attempts", std::to_string(dl.attempts));
  add_header(hdrs, "x-junction-failed-at", std::to_string(now_ms()));
  auto ref = std::make_unique<RecordRef>(dl.ref);
  auto err = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE(const_cast<char*>(dl.record.value.data()), dl.record.value.size()),
      RD_KAFKA_V_KEY(m.key.empty() ? nullptr : m.key.data(), m.key.size()),
      RD_KAFKA_V_TIMESTAMP(m.timestamp_ms), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(ref.get()),
      RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    (void)ref.release();  // the delivery report owns it now
    return;
  }
  rd_kafka_headers_destroy(hdrs);  // not queued: still ours
  metrics_->error();
  spdlog::warn("flow {}: kafka dead letter to {}: {}", flow_, topic, rd_kafka_err2str(err));
  std::lock_guard lock(state_->mu);
  state_->ledger.dead_letter_failed(dl.ref, Clock::now());
}

void DeadLetterWriter::poll() {
  rd_kafka_poll(producer_.get(), 0);
}

void DeadLetterWriter::close(std::chrono::milliseconds bound) {
  if (!producer_) return;
  if (rd_kafka_flush(producer_.get(), static_cast<int>(bound.count())) != 0) {
    // Their records stay uncommitted: dead-lettered again after a restart.
    spdlog::warn("flow {}: kafka dead letters left unwritten at close", flow_);
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_.get(), 0);  // their reports free what they hold
  }
  producer_.reset();
}

void DeadLetterWriter::on_delivered(const rd_kafka_message_t& m) {
  std::unique_ptr<RecordRef> ref(static_cast<RecordRef*>(m._private));
  {
    std::lock_guard lock(state_->mu);
    if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      state_->ledger.settled_ok(*ref);  // a no-op if the partition was revoked meanwhile
    } else {
      state_->ledger.dead_letter_failed(*ref, Clock::now());
    }
  }
  if (m.err) {
    metrics_->error();
    spdlog::warn("flow {}: kafka dead letter to {}: {}", flow_, rd_kafka_topic_name(m.rkt),
                 rd_kafka_err2str(m.err));
    return;
  }
  spdlog::info("flow {}: record {}[{}]@{} dead-lettered to {}", flow_, ref->tp.topic,
               ref->tp.partition, ref->offset, rd_kafka_topic_name(m.rkt));
  on_settled_();
}

}  // namespace junction::connectors::kafka
