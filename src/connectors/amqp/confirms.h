#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flow/component.h"

namespace junction::connectors::amqp {

// The publisher confirms of one batch published on a channel in confirm
// mode. The broker numbers the channel's publishes 1, 2, 3...; basic.ack /
// basic.nack settle one tag or, with `multiple`, every tag up to it. A
// mandatory publish that no queue took comes back as basic.return (before
// its ack); a return names no tag, so it is matched by message id.
class ConfirmTracker {
 public:
  // The batch's publishes got tags first_tag .. first_tag + ids.size() - 1.
  ConfirmTracker(uint64_t first_tag, std::vector<std::string> message_ids);

  void acked(uint64_t tag, bool multiple);
  void nacked(uint64_t tag, bool multiple);
  void returned(std::string_view message_id, std::string reason);

  // Every publish acked or nacked.
  bool complete() const { return pending_ == 0; }
  // The leading publishes that were acked and not returned are written; the
  // first other one fails: unroutable -> invalid, nacked or unconfirmed ->
  // transient, or `lost` when the channel closed before the confirm came.
  flow::WriteResult result(const std::optional<Error>& lost = std::nullopt) const;

 private:
  enum class State { kPending, kAcked, kNacked };
  struct Publish {
    std::string id;
    State state = State::kPending;
    bool returned = false;
    std::string return_reason;
  };
  void settle(uint64_t tag, bool multiple, State to);

  uint64_t first_tag_;
  std::vector<Publish> publishes_;
  size_t pending_;
};

}  // namespace junction::connectors::amqp
