#include "connectors/nats/pull.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "connectors/nats/connection.h"

namespace junction::connectors::nats {
namespace {

template <class T>
bool number(std::string_view text, T& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

// A status message (no data, a "Status" header): the end of a pull request
// (404 no messages, 408 expired, 409 limits) or a heartbeat (100).
std::optional<std::string_view> status_of(natsMsg* msg) {
  if (natsMsg_GetDataLength(msg) != 0) return std::nullopt;
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, "Status", &value) != NATS_OK || value == nullptr) {
    return std::nullopt;
  }
  return std::string_view(value);
}

natsStatus publish_to_reply(natsConnection* nc, natsMsg* msg, const std::string& body) {
  const char* reply = natsMsg_GetReply(msg);
  if (reply == nullptr) return NATS_INVALID_ARG;
  return natsConnection_Publish(nc, reply, body.data(), static_cast<int>(body.size()));
}

}  // namespace

std::optional<Delivery> parse_ack_subject(std::string_view reply) {
  std::vector<std::string_view> t;
  for (size_t start = 0;;) {
    const size_t dot = reply.find('.', start);
    t.push_back(reply.substr(start, dot == reply.npos ? reply.npos : dot - start));
    if (dot == reply.npos) break;
    start = dot + 1;
  }
  if (t.size() < 9 || t[0] != "$JS" || t[1] != "ACK") return std::nullopt;
  // The v1 form has 9 tokens; v2 inserts domain and account hash after ACK.
  const size_t base = t.size() == 9 ? 2 : 4;
  if (t.size() != 9 && t.size() < 11) return std::nullopt;
  Delivery d;
  d.stream = t[base];
  d.consumer = t[base + 1];
  uint64_t consumer_seq = 0;
  if (!number(t[base + 2], d.delivered) || !number(t[base + 3], d.stream_seq) ||
      !number(t[base + 4], consumer_seq) || !number(t[base + 5], d.timestamp_ns)) {
    return std::nullopt;
  }
  return d;
}

PullConsumer::~PullConsumer() {
  reset();
}

void PullConsumer::reset() {
  // Destroy, not unsubscribe: nothing is left to drain, and the durable
  // consumer on the server is not ours to delete.
  natsSubscription_Destroy(sub_);
  sub_ = nullptr;
}

Status PullConsumer::subscribe(natsConnection* nc, const std::string& stream,
                               const std::string& durable) {
  reset();
  nc_ = nc;
  natsInbox* inbox = nullptr;
  natsStatus s = natsInbox_Create(&inbox);
  if (s != NATS_OK) return status_error(s, static_cast<jsErrCode>(0), "inbox");
  inbox_ = inbox;
  natsInbox_Destroy(inbox);
  next_subject_ = fmt::format("$JS.API.CONSUMER.MSG.NEXT.{}.{}", stream, durable);
  s = natsConnection_SubscribeSync(&sub_, nc, inbox_.c_str());
  if (s != NATS_OK) {
    sub_ = nullptr;
    return status_error(s, static_cast<jsErrCode>(0), "subscribe " + inbox_);
  }
  // The bound is max_in_flight on our side and MaxAckPending on the server's.
  natsSubscription_SetPendingLimits(sub_, -1, -1);
  return ok_status();
}

Result<std::vector<natsMsg*>> PullConsumer::fetch(int batch, Duration wait) {
  // As libnats' own fetch: first ask for what is there now (no_wait: the
  // server answers at once, then 404), and only when nothing is, wait.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto now = request(batch, true, deadline);
  if (!now || !now->empty()) return now;
  return request(batch, false, deadline);
}

Result<std::vector<natsMsg*>> PullConsumer::request(
    int batch, bool no_wait, std::chrono::steady_clock::time_point deadline) {
  using std::chrono::steady_clock;
  const int64_t wait_ms = std::max<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now()).count(),
      20);
  // A long poll ends on the server a little before we stop waiting, so that
  // its last messages are not left for the next request.
  const std::string body =
      no_wait ? fmt::format(R"({{"batch":{},"no_wait":true}})", batch)
              : fmt::format(R"({{"batch":{},"expires":{}}})", batch, (wait_ms - 10) * 1'000'000);
  natsStatus s =
      natsConnection_PublishRequestString(nc_, next_subject_.c_str(), inbox_.c_str(), body.c_str());
  if (s != NATS_OK) return status_error(s, static_cast<jsErrCode>(0), "pull request");
  const auto end = steady_clock::now() + std::chrono::milliseconds(wait_ms);
  std::vector<natsMsg*> out;
  while (static_cast<int>(out.size()) < batch) {
    int64_t left =
        std::chrono::duration_cast<std::chrono::milliseconds>(end - steady_clock::now()).count();
    // A long poll that got its first messages returns them soon rather than
    // waiting for a whole batch to trickle in; the rest of that request
    // arrives as late messages of the next fetch.
    if (!no_wait && !out.empty()) left = std::min<int64_t>(left, 2);
    if (left <= 0) break;
    natsMsg* msg = nullptr;
    s = natsSubscription_NextMsg(&msg, sub_, left);
    if (s == NATS_TIMEOUT) break;
    if (s != NATS_OK) {
      // Keep what arrived: those are delivered and will be settled.
      if (!out.empty()) break;
      return status_error(s, static_cast<jsErrCode>(0), "pull");
    }
    if (auto status = status_of(msg)) {
      const std::string code(*status);
      const char* description = nullptr;
      natsMsgHeader_Get(msg, "Description", &description);
      const std::string text = description ? description : "";
      natsMsg_Destroy(msg);
      if (code == "100") continue;  // a heartbeat
      // No responders: the consumer (or JetStream) is gone; 409 Consumer
      // Deleted likewise. The caller sets the consumer up again.
      const bool gone =
          code == "503" || (code == "409" && text.find("Deleted") != std::string::npos);
      if (gone && out.empty()) {
        return Error::transient(fmt::format("pull from {}: {} {}", next_subject_, code, text));
      }
      break;  // 404 / 408 / 409: this request is over (maybe an earlier one's)
    }
    out.push_back(msg);
  }
  return out;
}

natsStatus ack(natsConnection* nc, natsMsg* msg) {
  return publish_to_reply(nc, msg, "+ACK");
}

natsStatus nak(natsConnection* nc, natsMsg* msg, Duration delay) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count();
  return publish_to_reply(nc, msg, ns > 0 ? fmt::format(R"(-NAK {{"delay":{}}})", ns) : "-NAK");
}

natsStatus term(natsConnection* nc, natsMsg* msg) {
  return publish_to_reply(nc, msg, "+TERM");
}

}  // namespace junction::connectors::nats
