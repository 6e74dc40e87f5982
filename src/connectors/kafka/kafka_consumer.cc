#include "connectors/kafka/kafka_consumer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "connectors/kafka/client_log.h"
#include "connectors/kafka/record_mapping.h"
#include "core/cpu_affinity.h"

namespace junction::connectors::kafka {

using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPollMs = 100;
// How long a full hand-off may block the thread before it pauses fetching.
constexpr auto kRoomWait = std::chrono::milliseconds(500);

PartitionListPtr to_list(const std::vector<PartitionLedger::Commit>& commits) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(commits.size())));
  for (const auto& c : commits) {
    rd_kafka_topic_partition_list_add(list.get(), c.tp.topic.c_str(), c.tp.partition)->offset =
        c.offset;
  }
  return list;
}

}  // namespace

// librdkafka's C callbacks, forwarding to the consumer in their opaque.
struct ConsumerCallbacks {
  static void rebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* parts, void* opaque) {
    static_cast<KafkaConsumer*>(opaque)->on_rebalance(err, parts);
  }
  static void committed(rd_kafka_t*, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* offsets, void* opaque) {
    static_cast<KafkaConsumer*>(opaque)->on_committed(err, offsets);
  }
  static void error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<KafkaConsumer*>(opaque)->on_error(static_cast<rd_kafka_resp_err_t>(err), reason);
  }
};

KafkaConsumer::KafkaConsumer(ConsumerOptions o, Codec codec, std::shared_ptr<ConsumerState> state,
                             std::shared_ptr<ConnectorMetrics> metrics)
    : o_(std::move(o)),
      codec_(std::move(codec)),
      state_(std::move(state)),
      metrics_(std::move(metrics)),
      dead_letters_(o_.flow, o_.dead_letter, state_, metrics_, [this] { wake_input(); }) {}

KafkaConsumer::~KafkaConsumer() {
  request_stop();
  join();
  // Never started (start() failed): nothing to commit, do not wait for a group.
  if (consumer_) rd_kafka_destroy_flags(consumer_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

Status KafkaConsumer::start() {
  char errstr[512];
  Properties props = o_.options;
  props["bootstrap.servers"] = o_.brokers;
  props["group.id"] = o_.group;
  props["auto.offset.reset"] = o_.start;
  // The guarantee: offsets move only when this connector commits them, and
  // it commits only what the flow settled.
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  auto conf = make_conf(props);
  if (!conf) return conf.error();
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_rebalance_cb(conf->get(), &ConsumerCallbacks::rebalance);
  rd_kafka_conf_set_offset_commit_cb(conf->get(), &ConsumerCallbacks::committed);
  rd_kafka_conf_set_error_cb(conf->get(), &ConsumerCallbacks::error);
  rd_kafka_conf_set_log_cb(conf->get(), &log_to_spdlog);
  cpu::Unpinned unpinned;  // librdkafka's threads start here
  consumer_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf->release(), errstr, sizeof errstr));
  if (!consumer_) return Error::invalid(fmt::format("kafka consumer: {}", errstr));
  // Errors, rebalances and commit results all come out of consumer_poll.
  rd_kafka_poll_set_consumer(consumer_.get());

  if (auto st = dead_letters_.start(o_.brokers, o_.options); !st) return st;

  PartitionListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(o_.topics.size())));
  for (const auto& t : o_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (auto err = rd_kafka_subscribe(consumer_.get(), topics.get())) {
    return Error::invalid(fmt::format("kafka subscribe: {}", rd_kafka_err2str(err)));
  }
  metrics_->connecting();
  thread_ = cpu::unpinned_thread([this] { run(); });
  return ok_status();
}

void KafkaConsumer::join() {
  if (thread_.joinable()) thread_.join();
}

void KafkaConsumer::run() {
  while (!stop_.load()) {
    apply_backpressure();
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), kPollMs)) {
      handle(*m);
      rd_kafka_message_destroy(m);
    }
    dead_letters_.produce_pending();
    dead_letters_.poll();
    if (!connected_ && Clock::now() >= next_probe_) probe_connection();
    if (connected_ && Clock::now() >= next_commit_) {
      commit(false);
      next_commit_ = Clock::now() + o_.commit_interval;
    }
  }
  // The flow drained: dead letters still being written are waited for
  // (bounded), so their records can be committed rather than dead-lettered
  // again after a restart.
  dead_letters_.produce_pending();
  dead_letters_.close(o_.close_timeout / 2);
  if (connected_) commit(true);  // down: the uncommitted part is redelivered after a restart
  leave_group();
}

void KafkaConsumer::leave_group() {
  // consumer_close blocks until the group is left, which with the brokers
  // down may take long: close through a queue, served until a deadline.
  rd_kafka_t* rk = consumer_.get();
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  if (rd_kafka_error_t* e = rd_kafka_consumer_close_queue(rk, q)) {
    spdlog::warn("flow {}: kafka consumer close: {}", o_.flow, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
  } else {
    const auto deadline = Clock::now() + o_.close_timeout / 2;
    while (!rd_kafka_consumer_closed(rk) && Clock::now() < deadline) {
      rd_kafka_queue_poll_callback(q, kPollMs);  // runs the revoke callback
    }
    if (!rd_kafka_consumer_closed(rk)) {
      spdlog::warn("flow {}: kafka group {} not left in time; closing anyway", o_.flow, o_.group);
    }
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy_flags(consumer_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

void KafkaConsumer::handle(rd_kafka_message_t& m) {
  if (m.err) {
    if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    metrics_->error();
    spdlog::warn("flow {}: kafka consume: {}", o_.flow, rd_kafka_message_errstr(&m));
    return;
  }
  if (!connected_) {
    connected_ = true;
    metrics_->connected();
  }
  const TopicPartition tp{rd_kafka_topic_name(m.rkt), m.partition};
  fetched_next_[tp] = m.offset + 1;
  const std::string_view wire(static_cast<const char*>(m.payload), m.payload ? m.len : 0);
  metrics_->received(1, wire.size());
  // The record's original bytes: the payload itself unless the codec
  // rewrites them (Avro), then a copy for the dead letter.
  auto decoded = codec_.decode(wire);
  Buffer value =
      decoded && codec_.format() != Codec::Format::kAvro ? *decoded : Buffer::copy_of(wire);
  Message msg = to_message(m, tp.topic, decoded ? *decoded : value);

  bool was_empty = false;
  {
    std::lock_guard lock(state_->mu);
    auto gen = state_->ledger.generation(tp);
    if (!gen) return;  // revoked meanwhile: its next owner reads it
    RecordRef ref{tp, *gen, m.offset};
    if (!decoded) {
      // Undecodable bytes fail every delivery alike: dead-letter at once.
      std::optional<PartitionLedger::DeadLetter> dl;
      if (state_->ledger.take(ref, {std::move(msg), value})) {
        state_->ledger.settled_failed(ref, decoded.error().message(), Clock::now(), &dl,
                                      /*retry=*/false);
        if (dl) state_->dead_letters.push_back(std::move(*dl));
      }
      return;
    }
    was_empty = state_->ready.empty();
    state_->ready.push_back({ref, {std::move(msg), std::move(value)}});
  }
  if (was_empty) wake_input();
}

void KafkaConsumer::apply_backpressure() {
  bool full;
  size_t queued;
  {
    // Waiting a little for the flow to make room costs nothing; pausing
    // costs a fetch round trip on resume, so it is kept for a flow that
    // stays behind (the thread must keep polling for rebalances).
    std::unique_lock lock(state_->mu);
    full = !state_->room.wait_for(
        lock, kRoomWait, [&] { return stop_.load() || state_->ready.size() < o_.handoff; });
    queued = state_->ready.size();
  }
  PartitionListPtr assignment;
  if (!paused_ && full) {
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(consumer_.get(), &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    assignment.reset(list);
    rd_kafka_pause_partitions(consumer_.get(), assignment.get());
    paused_ = true;
    spdlog::debug("flow {}: kafka hand-off full: paused {} partition(s)", o_.flow, assignment->cnt);
  } else if (paused_ && queued <= o_.handoff / 2) {
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(consumer_.get(), &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    assignment.reset(list);
    rd_kafka_resume_partitions(consumer_.get(), assignment.get());
    // Pausing drops the records librdkafka had fetched ahead; continue right
    // after the last record read so none is skipped.
    PartitionListPtr seek(rd_kafka_topic_partition_list_new(assignment->cnt));
    for (int i = 0; i < assignment->cnt; ++i) {
      const auto& p = assignment->elems[i];
      auto it = fetched_next_.find({p.topic, p.partition});
      if (it == fetched_next_.end()) continue;
      rd_kafka_topic_partition_list_add(seek.get(), p.topic, p.partition)->offset = it->second;
    }
    if (seek->cnt > 0) {
      if (rd_kafka_error_t* e = rd_kafka_seek_partitions(consumer_.get(), seek.get(), 0)) {
        spdlog::warn("flow {}: kafka seek: {}", o_.flow, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    }
    paused_ = false;
    spdlog::debug("flow {}: kafka resumed {} partition(s), {} seeked", o_.flow, assignment->cnt,
                  seek->cnt);
  }
}

void KafkaConsumer::commit(bool sync) {
  std::vector<PartitionLedger::Commit> commits;
  {
    std::lock_guard lock(state_->mu);
    commits = state_->ledger.commits();
  }
  if (commits.empty()) return;
  auto list = to_list(commits);
  auto err = rd_kafka_commit(consumer_.get(), list.get(), sync ? 0 : 1);
  if (sync && err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::lock_guard lock(state_->mu);
    for (const auto& c : commits) state_->ledger.mark_committed(c.tp, c.offset);
  } else if (err) {
    metrics_->error();
    spdlog::warn("flow {}: kafka commit: {}", o_.flow, rd_kafka_err2str(err));
  }
}

void KafkaConsumer::on_committed(rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* offsets) {
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  if (err) {
    metrics_->error();
    spdlog::warn("flow {}: kafka commit: {}", o_.flow, rd_kafka_err2str(err));
  }
  std::lock_guard lock(state_->mu);
  for (int i = 0; i < offsets->cnt; ++i) {
    const auto& p = offsets->elems[i];
    if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0) {
      state_->ledger.mark_committed({p.topic, p.partition}, p.offset);
    }
  }
}

void KafkaConsumer::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  const bool cooperative =
      std::strcmp(rd_kafka_rebalance_protocol(consumer_.get()), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    {
      std::lock_guard lock(state_->mu);
      for (int i = 0; i < parts->cnt; ++i) {
        state_->ledger.assign({parts->elems[i].topic, parts->elems[i].partition});
      }
    }
    for (int i = 0; i < parts->cnt; ++i) {
      fetched_next_.erase({parts->elems[i].topic, parts->elems[i].partition});
    }
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_assign(consumer_.get(), parts)) {
        spdlog::error("flow {}: kafka assign: {}", o_.flow, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(consumer_.get(), parts);
    }
    if (paused_) rd_kafka_pause_partitions(consumer_.get(), parts);
    spdlog::info("flow {}: kafka group {} assigned {} partition(s)", o_.flow, o_.group, parts->cnt);
    return;
  }
  // Revoked (or lost, or a rebalance error): commit what the flow settled
  // for those partitions, then forget them, so late settlements are no-ops
  // and the unsettled records go to the partitions' next owner.
  std::vector<PartitionLedger::Commit> commits;
  {
    std::lock_guard lock(state_->mu);
    for (int i = 0; i < parts->cnt; ++i) {
      TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
      if (auto pos = state_->ledger.revoke(tp)) commits.push_back({tp, *pos});
      std::erase_if(state_->ready, [&](const Polled& p) { return p.ref.tp == tp; });
    }
  }
  for (int i = 0; i < parts->cnt; ++i) {
    fetched_next_.erase({parts->elems[i].topic, parts->elems[i].partition});
  }
  if (!commits.empty() && !rd_kafka_assignment_lost(consumer_.get())) {
    auto list = to_list(commits);
    if (auto cerr = rd_kafka_commit(consumer_.get(), list.get(), 0)) {
      metrics_->error();
      spdlog::warn("flow {}: kafka commit on revoke: {}", o_.flow, rd_kafka_err2str(cerr));
    }
  }
  if (cooperative) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(consumer_.get(), parts)) {
      rd_kafka_error_destroy(e);
    }
  } else {
    rd_kafka_assign(consumer_.get(), nullptr);
  }
  if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    spdlog::warn("flow {}: kafka rebalance: {}", o_.flow, rd_kafka_err2str(err));
  }
  spdlog::info("flow {}: kafka group {} revoked {} partition(s)", o_.flow, o_.group, parts->cnt);
  wake_input();
}

void KafkaConsumer::on_error(rd_kafka_resp_err_t err, const char* reason) {
  metrics_->error();
  if (rd_kafka_fatal_error(consumer_.get(), nullptr, 0)) {
    spdlog::error("flow {}: kafka fatal error: {}", o_.flow, reason);
  }
  if (is_connection_error(err)) {
    if (connected_) spdlog::warn("flow {}: kafka down: {}", o_.flow, reason);
    connected_ = false;
    probe_failures_ = 0;
    next_probe_ = Clock::now() + probe_backoff_.delay(1);
    metrics_->disconnected(reason);
  } else if (err == RD_KAFKA_RESP_ERR__TRANSPORT && !connected_) {
    spdlog::debug("flow {}: kafka: {}", o_.flow, reason);  // known down: retries are noise
  } else {
    spdlog::warn("flow {}: kafka: {}", o_.flow, reason);
  }
}

void KafkaConsumer::probe_connection() {
  // A metadata round trip proves a broker answers; librdkafka reconnects on
  // its own, this only tells readiness when it did.
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(consumer_.get(), 0, nullptr, &md, 1000);
  if (md) rd_kafka_metadata_destroy(md);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    connected_ = true;
    probe_failures_ = 0;
    metrics_->connected();
    spdlog::info("flow {}: kafka connected to {}", o_.flow, o_.brokers);
    return;
  }
  next_probe_ = Clock::now() + probe_backoff_.delay(++probe_failures_);
}

void KafkaConsumer::wake_input() {
  std::function<void()> wake;
  {
    std::lock_guard lock(state_->mu);
    wake = state_->wake_input;
  }
  if (wake) wake();
}

}  // namespace junction::connectors::kafka
