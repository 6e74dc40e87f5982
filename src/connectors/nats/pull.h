#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/units.h"

namespace junction::connectors::nats {

// What JetStream encodes in a delivered message's ack subject:
//   $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>
// or, with a domain and account hash (servers 2.9+ may send either),
//   $JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>[.<token>]
struct Delivery {
  std::string stream;
  std::string consumer;
  uint64_t delivered = 0;  // deliveries of this message so far, this one included
  uint64_t stream_seq = 0;
  int64_t timestamp_ns = 0;
};
std::optional<Delivery> parse_ack_subject(std::string_view reply);

// A pull consumer driven by hand: pull requests to
// $JS.API.CONSUMER.MSG.NEXT.<stream>.<durable> answered on an inbox of our
// own. libnats 3.4's natsSubscription_Fetch writes past its message array
// when messages of an earlier, expired pull request are still queued
// (their count is added to a batch it has already shrunk), so it is not
// used. Messages of an earlier request that arrive late are simply taken:
// the server counts them as delivered either way.
class PullConsumer {
 public:
  PullConsumer() = default;
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  Status subscribe(natsConnection* nc, const std::string& stream, const std::string& durable);
  bool subscribed() const { return sub_ != nullptr; }
  void reset();

  // Up to `batch` messages (a few more when late ones of an earlier request
  // are queued), waiting up to `wait` for the first. Empty on timeout.
  Result<std::vector<natsMsg*>> fetch(int batch, Duration wait);

 private:
  Result<std::vector<natsMsg*>> request(int batch, bool no_wait,
                                        std::chrono::steady_clock::time_point deadline);

  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::string inbox_;
  std::string next_subject_;
};

// Acknowledgements, published to the message's ack subject.
natsStatus ack(natsConnection* nc, natsMsg* msg);
natsStatus nak(natsConnection* nc, natsMsg* msg, Duration delay);
natsStatus term(natsConnection* nc, natsMsg* msg);

}  // namespace junction::connectors::nats
