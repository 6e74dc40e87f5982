#include "connectors/nats/settler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "connectors/nats/headers.h"
#include "connectors/nats/pull.h"
#include "core/cpu_affinity.h"
#include "core/message.h"

namespace junction::connectors::nats {
namespace {

int64_t ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

Settlement decide(const Status& status, uint64_t deliveries, int max_deliver) {
  if (status.ok()) return Settlement::kAck;
  const bool last = max_deliver > 0 && deliveries >= static_cast<uint64_t>(max_deliver);
  // The server stops redelivering after max_deliver: a nak then would drop
  // the message silently, so the last failure is terminal.
  if (status.error().retryable() && !last) return Settlement::kNak;
  return Settlement::kTerm;
}

void SettleQueue::push(natsMsg* msg, Status status) {
  {
    std::lock_guard lock(mu_);
    if (!closed_) {
      // The settler waits only on an empty queue: one wake per run of acks
      // the flow settles together, not one per message.
      if (items_.empty()) cv_.notify_one();
      items_.emplace_back(msg, std::move(status));
      return;
    }
  }
  natsMsg_Destroy(msg);
}

bool SettleQueue::pop_all(std::deque<std::pair<natsMsg*, Status>>& out) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return closed_ || !items_.empty(); });
  if (items_.empty()) return false;
  out.swap(items_);
  return true;
}

void SettleQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

Settler::Settler(const InputOptions& o, Connection& connection, ConnectorMetrics& metrics,
                 std::function<void(int)> released)
    : o_(o),
      connection_(connection),
      metrics_(metrics),
      released_(std::move(released)),
      backoff_(o.nak_delay, o.nak_delay_max) {}

Settler::~Settler() {
  stop();
}

void Settler::start() {
  thread_ = cpu::unpinned_thread([this] { run(); });
}

void Settler::stop() {
  queue_->close();
  if (thread_.joinable()) thread_.join();
}

void Settler::run() {
  std::deque<std::pair<natsMsg*, Status>> work;
  while (queue_->pop_all(work)) {
    for (auto& [msg, status] : work) {
      settle(msg, status);
      natsMsg_Destroy(msg);
    }
    released_(static_cast<int>(work.size()));
    work.clear();
  }
}

void Settler::settle(natsMsg* msg, const Status& status) {
  const char* reply = natsMsg_GetReply(msg);
  const std::optional<Delivery> d = parse_ack_subject(reply ? reply : "");
  const uint64_t deliveries = d ? d->delivered : 1;
  natsConnection* nc = connection_.nc();
  natsStatus s = NATS_OK;
  switch (decide(status, deliveries, o_.max_deliver)) {
    case Settlement::kAck:
      s = ack(nc, msg);
      break;
    case Settlement::kNak:
      s = nak(nc, msg, backoff_.ceiling(static_cast<int>(deliveries)));
      break;
    case Settlement::kTerm: {
      metrics_.error();
      Status dl = dead_letter(msg, status.error(), d ? &*d : nullptr);
      if (!dl) {
        // Kept for a later delivery rather than lost.
        spdlog::error("nats {}: dead letter failed, redelivering: {}", o_.stream.name,
                      dl.error().message());
        s = nak(nc, msg, o_.nak_delay_max);
      } else {
        spdlog::warn("nats {}: message {} terminated after {} deliveries: {}", o_.stream.name,
                     d ? d->stream_seq : 0, deliveries, status.error().message());
        s = term(nc, msg);
      }
      break;
    }
  }
  // A lost ack is redelivered after ack_wait: at least once still holds.
  if (s != NATS_OK) {
    metrics_.error();
    spdlog::warn("nats {}: settling a message failed: {}", o_.stream.name, natsStatus_GetText(s));
  }
}

Status Settler::dead_letter(natsMsg* msg, const Error& why, const Delivery* d) {
  if (o_.dead_letter.empty()) return ok_status();
  natsMsg* dl = nullptr;
  natsStatus s = natsMsg_Create(&dl, o_.dead_letter.c_str(), nullptr, natsMsg_GetData(msg),
                                natsMsg_GetDataLength(msg));
  if (s != NATS_OK) return status_error(s, static_cast<jsErrCode>(0), "dead letter");
  Headers h;
  read_headers(msg, h);
  h.set(kSubjectHeader, natsMsg_GetSubject(msg));
  std::string reason = why.message();
  for (char& c : reason) {
    if (c == '\r' || c == '\n') c = ' ';  // a header value is one line
  }
  h.set("x-junction-error", reason);
  h.set("x-junction-error-class", to_string(why.cls()));
  h.set("x-junction-attempts", std::to_string(d ? d->delivered : 1));
  h.set("x-junction-failed-at", std::to_string(now_ms()));
  const std::string source = d ? fmt::format("{}/{}", d->stream, d->stream_seq) : std::string();
  if (!source.empty()) h.set("x-junction-source", source);
  Status st = write_headers(h, dl);
  // A dead letter published twice (we failed after the server stored it) is
  // dropped by the dead-letter stream's de-duplication.
  if (st && !source.empty()) {
    natsMsgHeader_Set(dl, kMsgIdHeader, ("dead-letter/" + source).c_str());
  }
  if (st) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = ms(o_.connection.timeout);
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    s = js_PublishMsg(&ack, connection_.js(), dl, &po, &code);
    jsPubAck_Destroy(ack);
    if (s != NATS_OK) st = status_error(s, code, "dead letter to " + o_.dead_letter);
  }
  natsMsg_Destroy(dl);
  return st;
}

}  // namespace junction::connectors::nats
